"""Departures the plan left out although they had lawful options: what would make room for them.

Such a departure lost out to others: on each of its options the plan had already taken a seat,
a companion or a vehicle it needed. With everything planned held still (planner/recommend.py),
each of its options (the least waiting first) is examined whole, not up to the first thing taken,
and what it lacks becomes the change that would make room without moving anyone:

- seats: the flight's seat allocation (``seats``: what the service may hold on the leg) raised
  by the seats missing, outbound and on the companions' returns;
- people: an escort or medic who is not on a mission then (the plan's missions and rest counted)
  but is not rostered or lacks a visa gets the availability window and the visas the mission
  needs; a team that lacks a skill gets it from a free escort (planner/fixes.py);
- vehicles: a vehicle that fits the trip and is free then, but not available, gets the window.

An airline's cap on escorted returnees per flight is the airline's rule: no change is offered for
it. Every change set is verified as any fix is (planner/fixes.py ``verify``) before it is reported.
"""
from __future__ import annotations

from collections import defaultdict

from . import rules
from .candidates import Candidates, CompanionChoice, Option
from .domain import Scenario
from .fixes import Outcome, verified_fixes
from .greedy import Ledger
from .recommend import held_still
from .remedies import Change, Doc, plan_missions, skill_for, recruit, seats, vehicle_window

MAX_OPTIONS = 12  # per unit, the least waiting first: the near ways to make room


# --- what one option lacks ----------------------------------------------------------------------

def room_for(doc: Doc, cands: Candidates, ledger: Ledger, busy: dict, opt: Option) -> frozenset[Change] | None:
    """Every change that would make room for ``opt`` beside the plan, or None when only something
    no change of ours lifts (an airline's cap) keeps it out."""
    sc = cands.sc
    extra: dict[str, int] = defaultdict(int)
    for m in opt.members:
        for leg in opt.legs:
            extra[leg.id] += rules.returnee_seats(sc, m.dep)
    escorted = sum(1 for m in opt.members if rules.escorted(sc, m.dep))
    if escorted and any(ledger.escorted[leg.id] + escorted > rules.escorted_cap(sc, leg) for leg in opt.legs):
        return None
    changes: set[Change] = set()
    taken: set[str] = set()

    def free(c: CompanionChoice) -> bool:
        return c.companion.id not in taken and ledger.free(c.companion.id, c.start, c.end + ledger.rest)

    def go(who: str, ret) -> None:
        taken.add(who)
        for leg in list(opt.legs) + list(ret):
            extra[leg.id] += 1

    for i, m in enumerate(opt.members):
        dep = m.dep
        need = rules.required_escorts(sc, dep)
        if need:
            pool: dict[str, CompanionChoice] = {}
            for c in opt.escorts[i]:
                if free(c) and c.companion.id not in pool:
                    pool[c.companion.id] = c  # the earliest return comes first
            people = [c.companion for c in pool.values()]
            demands = rules.team_demands(dep, need)
            lacks = [n for n, meets in demands if not any(meets(p) for p in people)]
            if len(people) >= need and lacks:
                change = skill_for(doc, cands, busy, opt.legs, m.pickup, dep, people, lacks)
                if change is None:
                    return None
                changes.add(change)
            short = need - len(people)
            if short > 0:
                others = [p for p in sc.escorts.values() if p.id not in pool and p.id not in taken]
                meets_all = lambda p: all(meets(p) for n, meets in demands if n in lacks)  # noqa: E731
                found = recruit(doc, cands, busy, opt.legs, m.pickup, others, short, "escorts", meets_all)
                if found is None:
                    return None
                change, returns = found
                changes.add(change)
                for (who, _), ret in zip(change.key[2], returns):
                    go(who, ret)
            for c in list(pool.values())[:max(0, min(need, len(people)))]:
                go(c.companion.id, c.ret)
        if dep.medic_role:
            medics = [c for c in opt.medics[i] if free(c)]
            if medics:
                go(medics[0].companion.id, medics[0].ret)
            else:
                qualified = [p for p in sc.medics.values() if rules.medic_qualifies(p, dep) and p.id not in taken]
                found = recruit(doc, cands, busy, opt.legs, m.pickup, qualified, 1, "medics")
                if found is None:
                    return None
                change, returns = found
                changes.add(change)
                go(change.key[2][0][0], returns[0])
    for leg_id, n in sorted(extra.items()):
        left = ledger.seats_left(sc.flights[leg_id])
        if left < n:
            changes.add(seats(doc, sc, leg_id, n - left))
    used: set[str] = set()
    for trip in opt.trips:
        vehicle = next((v for v in trip.vehicles if v not in used and ledger.free(v, *trip.busy)), None)
        if vehicle is not None:
            used.add(vehicle)
            continue
        change = vehicle_window(doc, sc, ledger, trip, used)
        if change is None:
            return None
        changes.add(change)
    return frozenset(changes)


def unit_fixes(sc: Scenario, plan: dict, members: list[str]) -> Outcome:
    """Verified changes that make room for a unit the plan left out (see the module's docstring)."""
    cands, unit, ledger = held_still(sc, plan, members)
    doc, busy = Doc(sc.raw), plan_missions(plan, sc)
    seen: dict[frozenset[Change], int] = {}
    for opt in sorted(unit.options, key=lambda o: (o.waiting, o.fare, o.index))[:MAX_OPTIONS]:
        needs = room_for(doc, cands, ledger, busy, opt)
        if needs == frozenset():
            return Outcome()  # it fits as the plan stands: the search ran out of time, nothing to change
        if needs and needs not in seen:
            seen[needs] = opt.first_departs
    return verified_fixes(sc, plan, unit.members[0].id, seen, Outcome())
