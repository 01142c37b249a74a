"""The CP-SAT model over the pruned candidates.

Booleans: one per itinerary option, per companion choice (a companion with a fixed return)
and per (pickup trip, vehicle). Each choice fixes its times, so a person's or a vehicle's
"one thing at a time" becomes an at-most-one over each maximal clique of overlapping
choices (a sweep over sorted spans), which is lighter than optional intervals.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import LinearExpr

from . import rules
from .candidates import Candidates, CompanionChoice, choice_key
from .greedy import Ledger
from .hold import Hold
from .selection import Chosen, Selection, cost_cents


@dataclass(slots=True)
class ChoiceVar:
    unit: int
    option: int
    member: int
    choice: CompanionChoice
    var: cp_model.IntVar


def clique_cover(spans: list[tuple[int, int, object]]) -> list[list[object]]:
    """Maximal sets of mutually overlapping half-open spans (start, end, item)."""
    events = []
    for i, (start, end, _) in enumerate(spans):
        events.append((start, 1, i))
        events.append((end, 0, i))  # ends sort before starts at the same time: touching is fine
    events.sort()
    active: set[int] = set()
    grew = False
    cliques = []
    for _, is_start, i in events:
        if is_start:
            active.add(i)
            grew = True
        else:
            if grew and len(active) > 1:
                cliques.append([spans[j][2] for j in active])
            grew = False
            active.discard(i)
    return cliques


class PlanModel:
    """The whole scenario, or a neighbourhood: ``free`` units planned around a fixed rest.

    With ``fixed``, the seats, airline caps, missions and vehicle trips of the fixed units
    are taken as already used, so any solution of the sub-model combines with them lawfully.
    """

    def __init__(self, cands: Candidates, free: set[int] | None = None, fixed: Selection | None = None,
                 allowed: dict[int, set[int]] | None = None, hold: Hold | None = None):
        self.cands = cands
        sc = self.sc = cands.sc
        m = self.model = cp_model.CpModel()
        self.hold = hold or cands.hold or Hold()
        self.used = Ledger(cands)
        for u, chosen in {**(fixed.chosen if fixed else {}), **self.hold.pinned}.items():
            self.used.commit(chosen)
        self.whole = free is None
        units = cands.units if free is None else [cands.units[i] for i in sorted(free)]
        units = [u for u in units if u.index not in self.hold.pinned]  # held as they are, not modelled
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.planned: dict[int, cp_model.LinearExpr] = {}
        self.escorts: list[ChoiceVar] = []
        self.medics: list[ChoiceVar] = []
        self.vehicles: dict[tuple[int, int, int, str], cp_model.IntVar] = {}
        seat_terms: dict[str, list] = defaultdict(list)
        escorted_terms: dict[str, list] = defaultdict(list)
        busy: dict[str, list] = defaultdict(list)
        rest = rules.rest_minutes(sc)

        for unit in units:
            if not unit.options:
                continue
            xs = []
            for opt in unit.options:
                if allowed is not None and opt.index not in allowed.get(unit.index, ()):
                    continue
                x = m.new_bool_var(f"x_{unit.index}_{opt.index}")
                self.x[unit.index, opt.index] = x
                xs.append(x)
                for i, member in enumerate(opt.members):
                    dep = member.dep
                    for leg in opt.legs:
                        seat_terms[leg.id].append((x, rules.returnee_seats(sc, dep)))
                    need = rules.required_escorts(sc, dep)
                    if need:
                        for leg in opt.legs:
                            escorted_terms[leg.id].append(x)
                        self._team(unit.index, opt, i, need, x, seat_terms, busy, rest)
                    if dep.medic_role:
                        vs = self._companions(unit.index, opt, i, opt.medics[i], self.medics, seat_terms, busy, rest)
                        m.add(LinearExpr.sum(vs) == x)
                for t, trip in enumerate(opt.trips):
                    vs = []
                    for vid in trip.vehicles:
                        if not self.used.free(vid, *trip.busy):
                            continue
                        v = m.new_bool_var(f"v_{unit.index}_{opt.index}_{t}_{vid}")
                        self.vehicles[unit.index, opt.index, t, vid] = v
                        busy[vid].append((trip.busy[0], trip.busy[1], v))
                        vs.append(v)
                    m.add(LinearExpr.sum(vs) == x)
            if not xs:
                continue
            m.add_at_most_one(xs)
            self.planned[unit.index] = LinearExpr.sum(xs)

        for leg_id, terms in seat_terms.items():
            left = self.used.seats_left(sc.flights[leg_id])
            if sum(w for _, w in terms) > left:
                m.add(LinearExpr.weighted_sum([v for v, _ in terms], [w for _, w in terms]) <= left)
        for leg_id, xs in escorted_terms.items():
            left = rules.escorted_cap(sc, sc.flights[leg_id]) - self.used.escorted[leg_id]
            if len(xs) > left:
                m.add(LinearExpr.sum(xs) <= left)
        for spans in busy.values():
            for clique in clique_cover(spans):
                m.add_at_most_one(clique)
        self._objective_terms()

    def _companions(self, u, opt, i, choices, into, seat_terms, busy, rest) -> list:
        vs = []
        for c in choices:
            if not self.used.free(c.companion.id, c.start, c.end + rest):
                continue
            v = self.model.new_bool_var(f"c_{u}_{opt.index}_{i}_{c.companion.id}_{c.ret[0].id}")
            into.append(ChoiceVar(u, opt.index, i, c, v))
            for leg in opt.legs:
                seat_terms[leg.id].append((v, 1))
            for leg in c.ret:
                if self.cands.policy.counts(leg.id):  # else a relaxation: see ReturnPolicy
                    seat_terms[leg.id].append((v, 1))
            busy[c.companion.id].append((c.start, c.end + rest, v))
            vs.append(v)
        return vs

    def _team(self, u, opt, i, need, x, seat_terms, busy, rest) -> None:
        """Rules 6 and 8: exactly ``need`` escorts, a leader in a team of two or more, minors' needs."""
        m, dep = self.model, opt.members[i].dep
        start = len(self.escorts)
        vs = self._companions(u, opt, i, opt.escorts[i], self.escorts, seat_terms, busy, rest)
        m.add(LinearExpr.sum(vs) == need * x)
        pairs = [(cv.choice, cv.var) for cv in self.escorts[start:]]
        for _, meets in rules.team_demands(dep, need):
            m.add(LinearExpr.sum([v for c, v in pairs if meets(c.companion)]) >= x)

    # --- objective levels -------------------------------------------------------------

    def _objective_terms(self) -> None:
        cands = self.cands
        xs = list(self.x.values())
        self.l1 = LinearExpr.weighted_sum(list(self.planned.values()),
                                          [cands.units[u].priority for u in self.planned])
        self.l2 = LinearExpr.weighted_sum(xs, [cands.units[u].options[o].waiting for u, o in self.x])
        most: dict[int, int] = {}
        for (u, o) in self.x:
            most[u] = max(most.get(u, 0), cands.units[u].options[o].waiting)
        self.max_l2 = sum(most.values())
        self.weight = self.max_l2 + 1  # one unit of priority outweighs every waiting hour together
        self.l12 = self.weight * self.l1 - self.l2
        self.changes = self._changes()
        self.change_weight = self.hold.most_changes() + 1  # one unit of priority outweighs every change
        self.l1c = self.change_weight * self.l1 - self.changes

    def _changes(self):
        """Changed assignments against the preferred choices (hold.py: the same count as count_changes).

        Every earlier assignment counts, less each one the solution keeps: per member its legs (and
        its pickup time, where the option still picks it up then) with the option, its vehicle and
        each companion still lawful with their variables. Parts no longer lawful have no variable:
        they always count, as do the departures lost whole."""
        by_key = {(cv.unit, cv.option, cv.member, choice_key(cv.choice)): cv.var for cv in self.escorts + self.medics}
        constant, kept = self.hold.whole_changes(), []
        for u, before in self.hold.preferred.items():
            o = before.option.index
            x = self.x.get((u, o))
            trip_of = before.option.trip_of()
            for i in range(len(before.option.members)):
                constant += before.member_assignments(i)
                if x is None:
                    continue
                kept.append((x, 1 + before.pickups[i]))  # the same itinerary keeps the legs (and the pickup)
                vid = before.vehicles[i]
                v = self.vehicles.get((u, o, trip_of[i], vid)) if vid is not None else None
                if v is not None:
                    kept.append((v, 1))
                for c in before.escorts[i] + before.medics[i]:
                    var = by_key.get((u, o, i, choice_key(c)))
                    if var is not None:
                        kept.append((var, 1))
        return constant - LinearExpr.weighted_sum([v for v, _ in kept], [w for _, w in kept])

    def lower_levels(self) -> None:
        """Levels 3 to 5, built only when a stage optimises them."""
        if hasattr(self, "cost"):
            return
        m, cands = self.model, self.cands
        companions = self.escorts + self.medics
        self.cost = LinearExpr.weighted_sum(
            list(self.x.values()) + [cv.var for cv in companions],
            [cost_cents(cands.units[u].options[o].fare) for u, o in self.x] + [cost_cents(cv.choice.cost) for cv in companions])
        self.care = LinearExpr.weighted_sum(list(self.x.values()),
                                            [cands.units[u].options[o].care_minutes for u, o in self.x])
        per_escort: dict[str, list] = defaultdict(list)
        for cv in self.escorts:
            per_escort[cv.choice.companion.id].append(cv.var)
        self.most_missions = m.new_int_var(0, max((len(v) for v in per_escort.values()), default=0), "most_missions")
        for vs in per_escort.values():
            m.add(self.most_missions >= LinearExpr.sum(vs))

    # --- hints and reading solutions -------------------------------------------------------

    def hint(self, selection: Selection) -> None:
        m = self.model
        m.clear_hints()
        selection = Selection({u: c for u, c in selection.chosen.items() if u in self.planned})
        chosen_x = {(u, c.option.index) for u, c in selection.chosen.items()}
        for key, x in self.x.items():
            m.add_hint(x, key in chosen_x)
        picked = set()
        for u, c in selection.chosen.items():
            for i, team in enumerate(c.escorts + c.medics):
                for ch in team:
                    picked.add((u, c.option.index, ch.member, choice_key(ch)))
        for cv in self.escorts + self.medics:
            m.add_hint(cv.var, (cv.unit, cv.option, cv.member, choice_key(cv.choice)) in picked)
        vehicles = {(u, c.option.index, t, vid) for u, c in selection.chosen.items() for t, vid in enumerate(c.vehicles)}
        for key, v in self.vehicles.items():
            m.add_hint(v, key in vehicles)
        if hasattr(self, "most_missions"):
            missions: dict[str, int] = defaultdict(int)
            for c in selection.chosen.values():
                for team in c.escorts:
                    for ch in team:
                        missions[ch.companion.id] += 1
            m.add_hint(self.most_missions, max(missions.values(), default=0))

    def selection(self, value) -> Selection:
        """The selection a solution describes; ``value`` reads a variable (solver or callback)."""
        sel = Selection()
        teams: dict[tuple[int, int], dict[int, list]] = defaultdict(lambda: defaultdict(list))
        medics: dict[tuple[int, int], dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for cv in self.escorts:
            if value(cv.var):
                teams[cv.unit, cv.option][cv.member].append(cv.choice)
        for cv in self.medics:
            if value(cv.var):
                medics[cv.unit, cv.option][cv.member].append(cv.choice)
        for (u, o), x in self.x.items():
            if not value(x):
                continue
            opt = self.cands.units[u].options[o]
            vehicles = []
            for t, trip in enumerate(opt.trips):
                vehicles.append(next(vid for vid in trip.vehicles
                                     if (u, o, t, vid) in self.vehicles and value(self.vehicles[u, o, t, vid])))
            sel.chosen[u] = Chosen(opt, [teams[u, o][i] for i in range(len(opt.members))],
                                   [medics[u, o][i] for i in range(len(opt.members))], vehicles)
        # The whole plan includes the held units; a neighbourhood's selection is only its own part.
        return self.hold.with_pinned(sel) if self.whole else sel

    def size(self) -> dict[str, int]:
        proto = self.model.proto
        return {"variables": len(proto.variables), "constraints": len(proto.constraints),
                "options": len(self.x), "companion_choices": len(self.escorts) + len(self.medics),
                "vehicle_choices": len(self.vehicles)}
