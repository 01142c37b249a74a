"""Thinning the companion and vehicle choices of very large instances.

At EU scale every option has well over a hundred eligible escorts and dozens of vehicles,
and the full model holds millions of literals. Thinning keeps, per option and member, the
companions that the fewest other departures could use, always including enough of them to
satisfy the team's needs (leader, minors, same sex) and always the warm start's own choices
and a re-plan's preferred ones (planner/hold.py), so the warm start stays a solution, the earlier
plan can still be kept, and every kept choice is still lawful. Small instances are never thinned:
their model stays exact.
"""
from __future__ import annotations

from collections import defaultdict

from . import rules
from .candidates import Candidates, CompanionChoice
from .selection import Selection


def choice_count(cands: Candidates) -> int:
    return sum(len(t) for u in cands.units for o in u.options for t in o.escorts + o.medics)


def thin(cands: Candidates, keep: Selection, per_member: int, per_trip: int) -> None:
    """Cap the companion choices per option member and the vehicles per trip, in place."""
    demand: dict[str, set[int]] = defaultdict(set)
    for unit in cands.units:
        for opt in unit.options:
            for team in opt.escorts + opt.medics:
                for c in team:
                    demand[c.companion.id].add(unit.index)
    preferred = list(cands.hold.preferred.items()) if cands.hold is not None else []
    held = list(keep.chosen.items()) + preferred
    kept_ids = {id(c) for _, ch in held for team in ch.escorts + ch.medics for c in team}
    kept_vehicles: dict[tuple[int, int, int], set[str]] = defaultdict(set)
    for u, ch in keep.chosen.items():
        for t, v in enumerate(ch.vehicles):
            kept_vehicles[u, ch.option.index, t].add(v)
    for u, earlier in preferred:  # per member: its earlier vehicle, where still lawful
        trip_of = earlier.option.trip_of()
        for i, v in enumerate(earlier.vehicles):
            if v is not None:
                kept_vehicles[u, earlier.option.index, trip_of[i]].add(v)
    vehicle_load: dict[str, int] = defaultdict(int)

    def rank(c: CompanionChoice) -> tuple:
        return (len(demand[c.companion.id]), c.cost, c.companion.id)

    for unit in cands.units:
        for opt in unit.options:
            for i, member in enumerate(opt.members):
                dep = member.dep
                need = rules.required_escorts(cands.sc, dep)
                demands = [meets for _, meets in rules.team_demands(dep, need)]
                opt.escorts[i] = _cap(opt.escorts[i], per_member, rank, kept_ids, demands, need)
                opt.medics[i] = _cap(opt.medics[i], per_member, rank, kept_ids, [], 1)
            for t, trip in enumerate(opt.trips):
                if len(trip.vehicles) <= per_trip:
                    continue
                kept = kept_vehicles.get((unit.index, opt.index, t), set())
                # Spread trips over vehicles so that no handful of vans is offered to everyone.
                ordered = sorted(trip.vehicles, key=lambda v: (vehicle_load[v], cands.sc.vehicles[v].stretcher, v))
                chosen = ordered[:per_trip]
                for v in sorted(kept - set(chosen)):  # each kept one in place of the last one not kept
                    spare = [k for k, w in enumerate(chosen) if w not in kept]
                    if spare:
                        chosen[spare[-1]] = v
                    else:
                        chosen.append(v)
                for v in chosen:
                    vehicle_load[v] += 1
                trip.vehicles = chosen


def _cap(choices: list[CompanionChoice], limit: int, rank, kept_ids: set[int], demands: list, need: int):
    """At most ``limit`` distinct companions (each with all its returns), the kept ones included."""
    by_person: dict[str, list[CompanionChoice]] = {}
    for c in choices:
        by_person.setdefault(c.companion.id, []).append(c)
    if len(by_person) <= limit:
        return choices
    ordered = sorted(by_person, key=lambda pid: rank(by_person[pid][0]))
    picked = [pid for pid, cs in by_person.items() if any(id(c) in kept_ids for c in cs)]
    for demand in demands:  # enough holders of each need, even if they rank low
        holders = [pid for pid in ordered if demand(by_person[pid][0].companion) and pid not in picked]
        picked += holders[:need + 1]
    for pid in ordered:
        if len(picked) >= limit:
            break
        if pid not in picked:
            picked.append(pid)
    return [c for pid in picked for c in by_person[pid]]
