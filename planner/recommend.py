"""Recommend a fit: the best ways to plan one departure into a plan without moving anything else.

Every other planned departure of the plan is pinned (planner/hold.py): its seats, airline-cap
places, missions and vehicle trips are taken as used. For the departure's unit (with its family),
each itinerary option that can still be staffed is completed by CP-SAT with the cheapest lawful
team, medic and vehicle; options are ranked by the spec's objective for that one departure
(waiting hours, then cost, then time in care), and each comes as a whole plan the checker accepts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from . import rules, timeutil
from .candidates import Candidates, ReturnPolicy, Unit
from .domain import Scenario
from .explain import unplanned_reasons
from .greedy import Ledger, try_option
from .hold import entries_of, hold_from_plan
from .model import PlanModel
from .selection import Chosen, Selection

SOLVE_SECONDS = 0.5  # per option: a one-departure model, proven in milliseconds as a rule


@dataclass
class Fit:
    chosen: Chosen
    waiting: int
    cost: float
    care_minutes: int
    selection: Selection  # the whole plan with this fit


@dataclass
class Recommendation:
    departure: str
    members: list[str]
    fits: list[Fit] = field(default_factory=list)
    reasons_nl: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    already_planned: bool = False
    candidates: Candidates | None = None


def recommend(sc: Scenario, plan: dict, departure: str, top: int = 5, workers: int = 1) -> Recommendation:
    if departure not in sc.departures:
        raise KeyError(departure)
    group = sc.departures[departure].family_group
    members = [d.id for d in sc.departures.values() if d.id == departure or (group and d.family_group == group)]
    cands, unit, ledger = held_still(sc, plan, members)
    out = Recommendation(departure, members, already_planned=bool(set(entries_of(plan)) & set(members)),
                         candidates=cands)
    held = Selection(dict(cands.hold.pinned))
    # Cheap first: options the greedy can staff with what is left, by waiting hours then fare.
    open_options = [o for o in sorted(unit.options, key=lambda o: (o.waiting, o.fare, o.index))
                    if try_option(cands, ledger, o)[0] is not None]
    for option in open_options[: max(top * 2, top)]:
        best = _cheapest(cands, unit.index, option.index, workers)
        if best is not None:
            o = best.option
            cost = o.fare + sum(c.cost for team in best.escorts + best.medics for c in team)
            out.fits.append(Fit(best, o.waiting, cost, o.care_minutes, Selection({**held.chosen, unit.index: best})))
    out.fits.sort(key=lambda f: (f.waiting, round(f.cost, 2), f.care_minutes, f.chosen.option.index))
    out.fits = out.fits[:top]
    if not out.fits:
        reasons = unplanned_reasons(cands, held).get(departure, [])
        out.reasons_nl = [r.nl for r in reasons]
        out.reasons = [r.en for r in reasons]
    return out


def held_still(sc: Scenario, plan: dict, members: list[str]) -> tuple[Candidates, Unit, Ledger]:
    """Candidates for the unit of ``members`` with every other planned departure of ``plan`` pinned,
    the unit, and a ledger of what the pinned ones take. Every return a companion could take is
    offered, every seat counted: one unit is small."""
    cands = Candidates(sc, returns=ReturnPolicy(), only=set(members))
    cands.hold = hold_from_plan(cands, plan, pin=set(entries_of(plan)) - set(members), prefer=False)
    unit = next(u for u in cands.units if members[0] in {d.id for d in u.members})
    ledger = Ledger(cands)
    for chosen in cands.hold.pinned.values():
        ledger.commit(chosen)
    return cands, unit, ledger


def _cheapest(cands: Candidates, unit: int, option: int, workers: int) -> Chosen | None:
    """The option with its cheapest lawful team, medic and vehicle, everything else held."""
    pm = PlanModel(cands, free={unit}, allowed={unit: {option}})
    if (unit, option) not in pm.x:
        return None
    pm.lower_levels()
    pm.model.add(pm.x[unit, option] == 1)
    pm.model.minimize(pm.cost)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = SOLVE_SECONDS
    solver.parameters.num_workers = workers
    status = solver.solve(pm.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return pm.selection(lambda v: solver.boolean_value(v)).chosen.get(unit)


def fit_summary(sc: Scenario, rank: int, fit: Fit) -> dict:
    """One option as options.json lists it."""
    o = fit.chosen.option
    first = o.members[0]
    rec = sc.reception[first.dep.reception]
    trip_of = o.trip_of()
    return {
        "rank": rank,
        "file": f"option-{rank}.plan.json",
        "flights": [leg.id for leg in o.legs],
        "route": "→".join([o.legs[0].origin] + [leg.dest for leg in o.legs]),
        "first_departure": timeutil.iso(o.first_departs, sc.tz(o.legs[0].origin)),
        "members": [{
            "departure": m.dep.id,
            "pickup": timeutil.iso(m.pickup, sc.tz(m.airport)),
            "handover": timeutil.iso(m.handover, sc.tz(rec.airport)),
            "escorts": [c.companion.id for c in fit.chosen.escorts[i]],
            "medics": [c.companion.id for c in fit.chosen.medics[i]],
            "vehicle": fit.chosen.vehicles[trip_of[i]],
        } for i, m in enumerate(o.members)],
        "waiting_hours": fit.waiting,
        "cost_eur": round(fit.cost, 2),
        "pickup_to_handover_hours": round(max(m.handover - m.pickup for m in o.members) / 60, 1),
        "handover_open": all(rules.reception_open_at(sc, sc.reception[m.dep.reception], m.handover) for m in o.members),
    }
