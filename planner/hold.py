"""Holding the planner still: what it must keep, and what it should keep.

One mechanism for re-planning, recommending a fit and (later) verifying fixes:

- **pinned** units are kept exactly as they are: their seats, airline-cap places, missions and
  vehicle trips are taken as used, and they are not modelled at all. A re-plan pins the departures
  that are underway; a recommendation pins every planned departure but the one it places.
- **preferred** units are modelled, and every assignment of theirs that changes counts once
  (per departure: its legs, its pickup time, its vehicle, and each companion with their return,
  as the spec's "Re-planning" section lists them). A re-plan prefers the earlier plan.

A plan's entries become choices of the candidate structure: ``match`` maps an entry onto the
candidates (None when it is no longer lawful there), ``build`` makes the structure of an entry
as it stands, lawful now or not (only for pinned units: what is underway happened already).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from . import rules, timeutil
from .candidates import Candidates, CompanionChoice, MemberTrip, Option, Trip, Unit, choice_key
from .selection import Chosen, Selection

CHANGE_PARTS = ("legs", "pickup", "vehicle", "companion")


@dataclass
class Hold:
    pinned: dict[int, Chosen] = field(default_factory=dict)  # unit index -> kept exactly
    preferred: dict[int, Chosen] = field(default_factory=dict)  # unit index -> each change counted
    lost: dict[str, str] = field(default_factory=dict)  # departure -> why its earlier choice is no longer lawful
    lost_counts: dict[str, int] = field(default_factory=dict)  # departure -> its earlier companions

    def with_pinned(self, sel: Selection) -> Selection:
        """``sel`` with the pinned units added (the model and the search never see them)."""
        return Selection({**sel.chosen, **self.pinned})

    def lost_changes(self) -> int:
        """Changes no plan can avoid: earlier choices that are no longer lawful."""
        return sum(assignments_of_entry(n) for n in self.lost_counts.values())

    def most_changes(self) -> int:
        """Every counted assignment changed at once: more than any plan can change."""
        return sum(assignments(c) for c in self.preferred.values()) + self.lost_changes()


def assignments(chosen: Chosen) -> int:
    """Counted assignments of a choice: per member its legs, pickup and vehicle, and each companion."""
    return sum(3 + len(chosen.escorts[i]) + len(chosen.medics[i]) for i in range(len(chosen.option.members)))


def assignments_of_entry(companions: int) -> int:
    return 3 + companions


def entries_of(plan: dict) -> dict[str, dict]:
    """The planned departures of a plan document, by id."""
    return {e["id"]: e for e in plan.get("departures") or []
            if isinstance(e, dict) and e.get("planned") is True and isinstance(e.get("id"), str)}


def underway(cands: Candidates, plan: dict) -> set[str]:
    """Departures whose earlier pickup lies before planning_time (the spec's underway departures)."""
    out = set()
    for did, e in entries_of(plan).items():
        if did in cands.sc.departures and rules.before_planning_time(
                cands.sc, timeutil.instant_minutes(e["pickup"]["time"])):
            out.add(did)
    return out


def hold_from_plan(cands: Candidates, plan: dict, pin: set[str] = frozenset(), prefer: bool = True) -> Hold:
    """Pin the units of ``pin`` (every member of a family with one of them) as the plan has them;
    with ``prefer``, map every other planned unit onto the candidates as the preferred choice."""
    entries = entries_of(plan)
    hold = Hold()
    for unit in cands.units:
        mine = [entries.get(d.id) for d in unit.members]
        if not any(mine):
            continue
        if any(d.id in pin for d in unit.members):
            hold.pinned[unit.index] = build(cands, unit, mine)
            continue
        if not prefer:
            continue
        chosen, why = match(cands, unit, mine)
        if chosen is not None:
            hold.preferred[unit.index] = chosen
        else:
            for d, e in zip(unit.members, mine):
                if e is not None:
                    hold.lost[d.id] = why
                    hold.lost_counts[d.id] = len(e.get("escorts") or []) + len(e.get("medics") or [])
    return hold


def _legs(cands: Candidates, entry: dict) -> tuple:
    return tuple(cands.sc.flights[f] for f in entry["flights"])


def match(cands: Candidates, unit: Unit, entries: list[dict | None]) -> tuple[Chosen | None, str]:
    """The unit's earlier choice as a choice among its candidates, or None and why not."""
    if any(e is None for e in entries):
        return None, "not every member of the family was planned"
    try:
        legs = tuple(f.id for f in _legs(cands, entries[0]))
    except KeyError as exc:
        return None, f"flight {exc.args[0]} is no longer in the scenario"
    option = next((o for o in unit.options if tuple(leg.id for leg in o.legs) == legs), None)
    if option is None:
        return None, "its itinerary is no longer lawful (a flight, window, document or reception changed)"
    escorts, medics = [], []
    for i, (member, entry) in enumerate(zip(option.members, entries)):
        for kind, offered, into in (("escorts", option.escorts[i], escorts), ("medics", option.medics[i], medics)):
            team = []
            for c in entry.get(kind) or []:
                key = (c["id"], tuple(c.get("return_flights") or []))
                found = next((ch for ch in offered if choice_key(ch) == key), None)
                if found is None:
                    found = _lawful_choice(cands, option, i, kind, key)
                    if found is None:
                        return None, f"{c['id']} can no longer serve it as before"
                    offered.append(found)  # offered from now on, so the model can keep it
                team.append(found)
            into.append(team)
    vehicles = []
    for trip in option.trips:
        vid = entries[trip.members[0]]["pickup"].get("vehicle")
        if vid not in trip.vehicles:
            return None, f"vehicle {vid} can no longer take it"
        vehicles.append(vid)
    return Chosen(option, escorts, medics, vehicles), ""


def _lawful_choice(cands: Candidates, option: Option, member: int, kind: str, key: tuple) -> CompanionChoice | None:
    """An earlier companion choice that the candidates did not offer (a dominated return), if lawful."""
    people = cands.sc.escorts if kind == "escorts" else cands.sc.medics
    person = people.get(key[0])
    if person is None:
        return None
    if kind == "medics" and not rules.medic_qualifies(person, option.members[member].dep):
        return None
    pool = option.escorts[member] if kind == "escorts" else option.medics[member]
    if not any(c.companion.id == person.id for c in pool):
        return None  # not eligible for this option at all (visa, availability, skills)
    for ret in cands.lawful_returns(option, member, person):
        if tuple(leg.id for leg in ret) == key[1]:
            m = option.members[member]
            return CompanionChoice(person, member, ret, m.pickup, rules.mission_end(ret),
                                   cands.companion_cost(option, member, person, ret))
    return None


def build(cands: Candidates, unit: Unit, entries: list[dict | None]) -> Chosen:
    """The structure of a unit's entries as they stand, for a pinned unit (no rule is checked)."""
    sc = cands.sc
    lead = next(e for e in entries if e is not None)
    legs = _legs(cands, lead)
    members, escorts, medics = [], [], []
    present = [(d, e) for d, e in zip(unit.members, entries) if e is not None]
    for i, (dep, e) in enumerate(present):
        airport = e["pickup"].get("airport") or legs[0].origin
        pickup = timeutil.instant_minutes(e["pickup"]["time"])
        handover = timeutil.instant_minutes(e["handover"]["time"]) if e.get("handover", {}).get("time") \
            else rules.handover_time(sc.reception[dep.reception], legs[-1].arrives)
        members.append(MemberTrip(dep, airport, rules.drive_minutes(sc, dep, airport) or 0, pickup, handover))
    option = Option(unit.index, -1, legs, members, legs[0].departs, legs[-1].arrives,
                    sum(m.dep.priority * rules.waiting_hours(m.dep, legs[0].departs) for m in members),
                    sum(rules.seat_fares(sc, legs, rules.returnee_seats(sc, m.dep)) for m in members),
                    sum(m.handover - m.pickup for m in members if m.dep.kind == "medical"))
    for i, (dep, e) in enumerate(present):
        for kind, people, into in (("escorts", sc.escorts, escorts), ("medics", sc.medics, medics)):
            team = []
            for c in e.get(kind) or []:
                ret = tuple(sc.flights[f] for f in c.get("return_flights") or [])
                person = people[c["id"]]
                end = rules.mission_end(ret) if ret else members[i].pickup
                team.append(CompanionChoice(person, i, ret, members[i].pickup, end,
                                            cands.companion_cost(option, i, person, ret) if ret else 0.0))
            into.append(team)
    option.escorts, option.medics = escorts, medics
    trips: dict[tuple, list[int]] = {}
    for i, (dep, e) in enumerate(present):
        trips.setdefault((e["pickup"].get("vehicle"), members[i].pickup, dep.pickup_location), []).append(i)
    vehicles = []
    for (vid, pickup, place), idx in trips.items():
        drive = members[idx[0]].drive
        option.trips.append(Trip(idx, place, rules.vehicle_busy(pickup, drive),
                                 sum(1 + len(escorts[i]) + len(medics[i]) for i in idx),
                                 any(members[i].dep.stretcher for i in idx), [vid]))
        vehicles.append(vid)
    return Chosen(option, escorts, medics, vehicles)


def count_changes(hold: Hold, sel: Selection) -> int:
    """Changed assignments of ``sel`` against the preferred choices (and every lost one)."""
    total = hold.lost_changes()
    for u, before in hold.preferred.items():
        total += changes_of(before, sel.chosen.get(u))
    return total


def changes_of(before: Chosen, now: Chosen | None) -> int:
    """Per member: legs and pickup (one itinerary fixes both), the vehicle, each earlier companion."""
    if now is None:
        return assignments(before)
    same_option = now.option is before.option
    trip_of_before = before.option.trip_of()
    trip_of_now = now.option.trip_of()
    total = 0
    for i in range(len(before.option.members)):
        if not same_option:
            total += 2
        if not same_option or now.vehicles[trip_of_now[i]] != before.vehicles[trip_of_before[i]]:
            total += 1
        for was, is_ in ((before.escorts[i], now.escorts[i]), (before.medics[i], now.medics[i])):
            kept = {choice_key(c) for c in is_} if same_option else set()
            total += sum(1 for c in was if choice_key(c) not in kept)
    return total


