"""Greedy construction: a complete, rule-abiding selection, fast.

It serves as the warm start of the CP-SAT model (complete hints help far more than partial
ones) and as the ``--quick`` mode. Units are taken by priority, the less flexible first; each
takes its earliest option for which a team, a medic, seats and vehicles are still free.
"""
from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import defaultdict

from . import rules
from .candidates import Candidates, CompanionChoice, Option
from .selection import Chosen, Selection


class Ledger:
    """Resources already committed: seats per leg, escorted returnees per leg, busy spans."""

    def __init__(self, cands: Candidates):
        self.sc = cands.sc
        self.seats = defaultdict(int)
        self.escorted = defaultdict(int)
        self.busy: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.rest = rules.rest_minutes(cands.sc)
        # Who holds what, for the reasons of departures left out: departures per leg seat and
        # escorted place, and (start, end, departure) per companion and vehicle.
        self.seat_users: dict[str, list[str]] = defaultdict(list)
        self.escorted_users: dict[str, list[str]] = defaultdict(list)
        self.holds: dict[str, list[tuple[int, int, str]]] = defaultdict(list)

    def holders(self, who: str, start: int, end: int) -> list[str]:
        """The departures whose committed spans of ``who`` overlap [start, end)."""
        return [d for s, e, d in self.holds.get(who, ()) if rules.overlaps(start, end, s, e)]

    def free(self, who: str, start: int, end: int) -> bool:
        """No committed span of ``who`` overlaps [start, end).

        Committed spans of one resource never overlap each other and are kept sorted, so only the
        span starting just before ``end`` can reach into [start, end).
        """
        spans = self.busy.get(who)
        if not spans:
            return True
        i = bisect_left(spans, (end,))
        return i == 0 or not rules.overlaps(start, end, *spans[i - 1])

    def seats_left(self, leg) -> int:
        return leg.seats - self.seats[leg.id]

    def commit(self, chosen: Chosen) -> None:
        opt = chosen.option
        for i, m in enumerate(opt.members):
            seats = rules.returnee_seats(self.sc, m.dep)
            for leg in opt.legs:
                self.seats[leg.id] += seats
                self.seat_users[leg.id].append(m.dep.id)
                if chosen.escorts[i]:
                    self.escorted[leg.id] += 1
                    self.escorted_users[leg.id].append(m.dep.id)
            for c in chosen.escorts[i] + chosen.medics[i]:
                self._commit_companion(opt, c)
        for trip, vehicle in zip(opt.trips, chosen.vehicles):
            insort(self.busy[vehicle], trip.busy)
            self.holds[vehicle].append((*trip.busy, opt.members[trip.members[0]].dep.id))

    def _commit_companion(self, opt: Option, c: CompanionChoice) -> None:
        dep = opt.members[c.member].dep.id
        for leg in opt.legs + c.ret:
            self.seats[leg.id] += 1
            self.seat_users[leg.id].append(dep)
        insort(self.busy[c.companion.id], (c.start, c.end + self.rest))
        self.holds[c.companion.id].append((c.start, c.end + self.rest, dep))

    def swap_return(self, old: CompanionChoice, new: CompanionChoice) -> None:
        """The same companion on the same mission, home by another return."""
        for leg in old.ret:
            self.seats[leg.id] -= 1
        self.busy[old.companion.id].remove((old.start, old.end + self.rest))
        for leg in new.ret:
            self.seats[leg.id] += 1
        insort(self.busy[new.companion.id], (new.start, new.end + self.rest))
        holds = self.holds[old.companion.id]
        dep = next(d for s, e, d in holds if (s, e) == (old.start, old.end + self.rest))
        holds.remove((old.start, old.end + self.rest, dep))
        holds.append((new.start, new.end + self.rest, dep))
        for leg in old.ret:
            self.seat_users[leg.id].remove(dep)
        for leg in new.ret:
            self.seat_users[leg.id].append(dep)


def _scarcity(choice: CompanionChoice) -> tuple:
    """Prefer companions with fewer visas and skills: keep the versatile ones for later."""
    p = choice.companion
    return (len(p.visas) + 2 * len(p.skills), choice.cost, p.id)


def _pick_team(dep, need: int, choices: list[CompanionChoice], usable, take,
               first: list[CompanionChoice] = ()) -> list[CompanionChoice] | None:
    """Choose ``need`` escorts that form a valid team (rules 6 and 8), or None.

    Members are taken one by one (``take`` books their seats), so each pick sees the seats
    the earlier ones took, e.g. the last seat on a shared return leg. The ``first`` ones (a
    re-plan's earlier escorts) are taken before any other, each while room is left for the
    needs it does not meet.
    """
    demands = [meets for _, meets in rules.team_demands(dep, need)]
    team: list[CompanionChoice] = []
    for c in first:
        if len(team) >= need or not usable(c):
            continue
        left = [d for d in demands if not d(c.companion)]
        if len(left) > need - len(team) - 1:
            continue
        team.append(c)
        take(c)
        demands = left
    while len(team) < need:
        pool = sorted((c for c in choices if usable(c)), key=_scarcity)
        if not pool:
            return None
        if demands:
            best = max(pool, key=lambda c: (sum(d(c.companion) for d in demands), -_scarcity(c)[0]))
            if not any(d(best.companion) for d in demands):
                return None
            demands = [d for d in demands if not d(best.companion)]
        else:
            best = pool[0]
        team.append(best)
        take(best)
    return None if demands else team


Blocker = tuple[str, dict]  # what takes an option away: (cause, details)


def try_option(cands: Candidates, ledger: Ledger, opt: Option, prefer=None) -> tuple[Chosen | None, Blocker | None]:
    """The option with a free team, medic, seats and vehicles, or what is taken already.

    ``prefer`` (a re-plan's ``hold.Earlier`` on this option): its companions and vehicles are
    taken first wherever they are still free, the rest is chosen as for any option."""
    sc = cands.sc
    extra = defaultdict(int)  # seats this option would take, beyond the ledger
    taken: set[str] = set()
    for m in opt.members:
        for leg in opt.legs:
            extra[leg.id] += rules.returnee_seats(sc, m.dep)
    escorted = sum(1 for m in opt.members if rules.escorted(sc, m.dep))
    for leg in opt.legs:
        cap = rules.escorted_cap(sc, leg)
        if escorted and ledger.escorted[leg.id] + escorted > cap:
            return None, ("airline_cap", {"flight": leg.number, "cap": cap})

    def usable(c: CompanionChoice) -> bool:
        if c.companion.id in taken or not ledger.free(c.companion.id, c.start, c.end + ledger.rest):
            return False
        return all(ledger.seats_left(leg) - extra[leg.id] >= 1 for leg in c.ret)

    def take(c: CompanionChoice) -> None:
        taken.add(c.companion.id)
        for leg in opt.legs + c.ret:
            extra[leg.id] += 1

    escorts, medics = [], []
    for i, m in enumerate(opt.members):
        need = rules.required_escorts(sc, m.dep)
        team = _pick_team(m.dep, need, opt.escorts[i], usable, take,
                          prefer.escorts[i] if prefer is not None else ()) if need else []
        if team is None:
            return None, ("escorts_busy", {"departure": m.dep.id, "need": need})
        medic: list[CompanionChoice] = []
        if m.dep.medic_role:
            pool = sorted((c for c in opt.medics[i] if usable(c)), key=lambda c: (c.cost, _scarcity(c)))
            if prefer is not None:
                pool = [c for c in prefer.medics[i] if usable(c)] + pool
            if not pool:
                return None, ("medic_busy", {"departure": m.dep.id, "role": m.dep.medic_role})
            medic = [pool[0]]
            take(pool[0])
        escorts.append(team)
        medics.append(medic)
    for leg in opt.legs:
        if ledger.seats_left(leg) < extra[leg.id]:
            return None, ("seats_full", {"flight": leg.number})
    vehicles = []
    for trip in opt.trips:
        free = [v for v in trip.vehicles if v not in vehicles and ledger.free(v, *trip.busy)]
        if not free:
            return None, ("vehicle_busy", {"stretcher": trip.stretcher})
        # The smallest vehicle that fits keeps the large and stretcher ones for those who need them.
        free.sort(key=lambda v: (sc.vehicles[v].stretcher, sc.vehicles[v].seats, v))
        earlier = [prefer.vehicles[i] for i in trip.members if prefer.vehicles[i] in free] if prefer is not None else []
        vehicles.append(earlier[0] if earlier else free[0])
    return Chosen(opt, escorts, medics, vehicles), None


def _by_priority_per_flexibility(unit) -> tuple:
    """High priority first, but a unit with few options before an equally urgent flexible one."""
    return (-(unit.priority / len(unit.members)) / math.sqrt(len(unit.options)), unit.name)


def _by_priority(unit) -> tuple:
    return (-unit.priority / len(unit.members), len(unit.options), unit.name)


def greedy(cands: Candidates, hold=None) -> Selection:
    """The better (more priority, then fewer waiting hours) of two construction orders.

    With a ``hold`` (planner/hold.py), the pinned units come first as they are, then every
    preferred choice in priority order: as it was when it still fits whole, else on its earlier
    itinerary with as much of its earlier team and vehicle as is still lawful and free; only then
    are the others constructed.
    """
    best, best_key = None, None
    hold = hold or cands.hold
    for order in (_by_priority_per_flexibility, _by_priority):
        sel = _construct(cands, order, hold)
        o = sel.objective(cands)
        key = (o["planned_priority"], -o["waiting_hours"])
        if best_key is None or key > best_key:
            best, best_key = sel, key
    return best


def fits(cands: Candidates, ledger: Ledger, chosen: Chosen) -> bool:
    """Whether a complete choice still finds its seats, airline places, people and vehicles free."""
    sc, opt = cands.sc, chosen.option
    need: dict[str, int] = defaultdict(int)
    escorted = 0
    for i, m in enumerate(opt.members):
        for leg in opt.legs:
            need[leg.id] += rules.returnee_seats(sc, m.dep)
        escorted += bool(chosen.escorts[i])
        for c in chosen.escorts[i] + chosen.medics[i]:
            if not ledger.free(c.companion.id, c.start, c.end + ledger.rest):
                return False
            for leg in opt.legs + c.ret:
                need[leg.id] += 1
    if any(ledger.escorted[leg.id] + escorted > rules.escorted_cap(sc, leg) for leg in opt.legs if escorted):
        return False
    if any(ledger.seats_left(sc.flights[leg_id]) < n for leg_id, n in need.items()):
        return False
    return all(ledger.free(v, *trip.busy) for trip, v in zip(opt.trips, chosen.vehicles)) and \
        len(set(chosen.vehicles)) == len(chosen.vehicles)


def _construct(cands: Candidates, order, hold=None) -> Selection:
    ledger = Ledger(cands)
    selection = Selection()
    if hold is not None:
        for u, chosen in hold.pinned.items():
            ledger.commit(chosen)
            selection.chosen[u] = chosen
        for u in sorted(hold.preferred, key=lambda u: order(cands.units[u])):
            if u in hold.pinned:
                continue
            earlier = hold.preferred[u]
            chosen = earlier.chosen if earlier.chosen is not None and fits(cands, ledger, earlier.chosen) else None
            if chosen is None:  # keep what is still lawful and free of it, complete the rest
                chosen, _ = try_option(cands, ledger, earlier.option, prefer=earlier)
            if chosen is not None:
                ledger.commit(chosen)
                selection.chosen[u] = chosen
    for unit in sorted((u for u in cands.units if u.options and u.index not in selection.chosen), key=order):
        ranked = sorted(unit.options, key=lambda o: (o.waiting, o.fare, o.index))
        for opt in ranked:
            chosen, _ = try_option(cands, ledger, opt)
            if chosen is not None:
                ledger.commit(chosen)
                selection.chosen[unit.index] = chosen
                break
    return selection
