"""Holding the planner still: what it must keep, and what it should keep.

One mechanism for re-planning, recommending a fit and (later) verifying fixes:

- **pinned** units are kept exactly as they are: their seats, airline-cap places, missions and
  vehicle trips are taken as used, and they are not modelled at all. A re-plan pins the departures
  that are underway; a recommendation pins every planned departure but the one it places.
- **preferred** units are modelled, and every assignment of theirs that changes counts once
  (per departure: its legs, its pickup time, its vehicle, and each companion with their return,
  as the spec's "Re-planning" section lists them). A re-plan prefers the earlier plan.

A plan's entries become choices of the candidate structure: ``match`` maps an entry onto the
candidates part by part (``Earlier``: the parts still lawful can be kept, the others are counted as
changed whatever the plan does; None when no option has its legs any more), ``build`` makes the
structure of an entry as it stands, lawful now or not (only for pinned units: what is underway
happened already).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from . import rules, timeutil
from .candidates import Candidates, CompanionChoice, MemberTrip, Option, Trip, Unit, choice_key
from .selection import Chosen, Selection

CHANGE_PARTS = ("legs", "pickup", "vehicle", "companion")


@dataclass
class Earlier:
    """A preferred unit's earlier choice on the option with its earlier legs, part by part.

    Per member the earlier assignments are its legs, its pickup time, its vehicle and each companion
    with their return (3 + companions). The parts still lawful on the option can be kept: each counts
    once when the plan changes it. The others (``forced``: a companion no longer available or whose
    return is gone, a vehicle that can no longer take the trip, a pickup time the flights no longer
    give) count as changed whatever the plan does.
    """

    option: Option
    escorts: list[list[CompanionChoice]]  # per member: its earlier escorts still lawful on the option
    medics: list[list[CompanionChoice]]  # per member: its earlier medic, if still lawful on the option
    vehicles: list[str | None]  # per member: its earlier vehicle, None when it can no longer take the trip
    pickups: list[bool]  # per member: the option picks it up at its earlier time
    forced: list[int]  # per member: earlier parts no longer lawful, changed whatever the plan does
    chosen: Chosen | None = None  # the earlier choice itself, when every part is lawful and it is complete

    def member_assignments(self, i: int) -> int:
        """Member ``i``'s earlier assignments: legs, pickup, vehicle and each companion (3 + companions)."""
        return 1 + self.pickups[i] + (self.vehicles[i] is not None) + len(self.escorts[i]) + \
            len(self.medics[i]) + self.forced[i]

    def assignments(self) -> int:
        return sum(self.member_assignments(i) for i in range(len(self.option.members)))


@dataclass
class Hold:
    pinned: dict[int, Chosen] = field(default_factory=dict)  # unit index -> kept exactly
    preferred: dict[int, Earlier] = field(default_factory=dict)  # unit index -> each change counted
    # Departures whose earlier choice is no longer lawful in part or whole: why, and which parts.
    lost: dict[str, str] = field(default_factory=dict)  # departure -> why (every part, "; "-joined)
    lost_parts: dict[str, list[str]] = field(default_factory=dict)  # departure -> "escort E1", "vehicle V", ...
    lost_counts: dict[str, int] = field(default_factory=dict)  # departure -> the changes no plan can avoid
    lost_whole: set[str] = field(default_factory=set)  # no option on its earlier legs: every assignment counts

    def with_pinned(self, sel: Selection) -> Selection:
        """``sel`` with the pinned units added (the model and the search never see them)."""
        return Selection({**sel.chosen, **self.pinned})

    def lost_changes(self) -> int:
        """Changes no plan can avoid: the earlier assignments that are no longer lawful."""
        return sum(self.lost_counts.values())

    def whole_changes(self) -> int:
        """The changes of the departures lost whole (every earlier assignment), counted as a constant."""
        return sum(self.lost_counts[d] for d in self.lost_whole)

    def most_changes(self) -> int:
        """Every counted assignment changed at once: more than any plan can change."""
        return sum(e.assignments() for e in self.preferred.values()) + self.whole_changes()

    def report(self) -> dict[str, dict]:
        """Per departure with a lost part, for changes.json: whether it is lost whole, which parts,
        why, and how many changes that forces (every re-plan counts at least these)."""
        return {did: {"whole": did in self.lost_whole, "parts": self.lost_parts.get(did, []), "why": why,
                      "changes": self.lost_counts.get(did, 0)}
                for did, why in sorted(self.lost.items())}


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
        earlier, problems = match(cands, unit, mine)
        if earlier is not None:
            hold.preferred[unit.index] = earlier
        for i, (d, e, found) in enumerate(zip(unit.members, mine, problems)):
            if e is None or not found:
                continue
            hold.lost[d.id] = "; ".join(why for _, why in found)
            hold.lost_parts[d.id] = [part for part, _ in found]
            if earlier is None:
                hold.lost_whole.add(d.id)
                hold.lost_counts[d.id] = 3 + len(e.get("escorts") or []) + len(e.get("medics") or [])
            else:
                hold.lost_counts[d.id] = earlier.forced[i]
    return hold


def _legs(cands: Candidates, entry: dict) -> tuple:
    return tuple(cands.sc.flights[f] for f in entry["flights"])


Problems = list[list[tuple[str, str]]]  # per member: (part, why) of each earlier part no longer lawful


def match(cands: Candidates, unit: Unit, entries: list[dict | None]) -> tuple[Earlier | None, Problems]:
    """The unit's earlier choice on its candidates, part by part, and per member what is no longer
    lawful; None when no option has the earlier legs (the choice is lost whole)."""
    def whole(why: str) -> tuple[None, Problems]:
        return None, [[("itinerary", why)] for _ in entries]

    if any(e is None for e in entries):
        return whole("not every member of the family was planned")
    try:
        legs = tuple(f.id for f in _legs(cands, entries[0]))
    except KeyError as exc:
        return whole(f"flight {exc.args[0]} is no longer in the scenario")
    option = next((o for o in unit.options if tuple(leg.id for leg in o.legs) == legs), None)
    if option is None:
        return whole("no lawful option has its flights any more (a flight, window, document or reception "
                     "changed, or nobody left could staff them)")
    sc = cands.sc
    trip_of = option.trip_of()
    escorts, medics, vehicles, pickups, forced = [], [], [], [], []
    problems: Problems = []
    for i, (member, entry) in enumerate(zip(option.members, entries)):
        found: list[tuple[str, str]] = []
        was = timeutil.instant_minutes(entry["pickup"]["time"])
        pickups.append(was == member.pickup)
        if was != member.pickup:
            now = timeutil.iso(member.pickup, sc.tz(member.airport))
            found.append(("pickup", f"its flights now give a pickup at {now}, not {entry['pickup']['time']}"))
        for kind, offered, into in (("escorts", option.escorts[i], escorts), ("medics", option.medics[i], medics)):
            team = []
            for c in entry.get(kind) or []:
                key = (c["id"], tuple(c.get("return_flights") or []))
                choice = next((ch for ch in offered if choice_key(ch) == key), None)
                if choice is None:
                    choice, why = _lawful_choice(cands, option, i, kind, key)
                    if choice is None:
                        found.append((f"{kind[:-1]} {c['id']}", why))
                        continue
                    offered.append(choice)  # offered from now on, so the model can keep it
                team.append(choice)
            into.append(team)
        vid = entry["pickup"].get("vehicle")
        lawful = vid in option.trips[trip_of[i]].vehicles
        vehicles.append(vid if lawful else None)
        if not lawful:
            found.append((f"vehicle {vid}", f"vehicle {vid} can no longer take it"))
        forced.append(len(found))
        problems.append(found)
    earlier = Earlier(option, escorts, medics, vehicles, pickups, forced)
    earlier.chosen = _whole_choice(sc, earlier)
    return earlier, problems


def _whole_choice(sc, earlier: Earlier) -> Chosen | None:
    """The earlier choice as a complete, lawful choice of its option (a team of the size and skills
    its members need now, their medic, one vehicle per trip), or None: the warm start then completes
    what is still lawful (planner/greedy.py)."""
    option = earlier.option
    if any(earlier.forced):
        return None
    for i, m in enumerate(option.members):
        team = [c.companion for c in earlier.escorts[i]]
        if len(team) != rules.required_escorts(sc, m.dep) or rules.team_ok(m.dep, team):
            return None
        if len(earlier.medics[i]) != (1 if m.dep.medic_role else 0):
            return None
    vehicles = []
    for trip in option.trips:
        mine = {earlier.vehicles[i] for i in trip.members}
        if len(mine) != 1:
            return None
        vehicles.append(mine.pop())
    return Chosen(option, [list(t) for t in earlier.escorts], [list(t) for t in earlier.medics], vehicles)


def _lawful_choice(cands: Candidates, option: Option, member: int, kind: str,
                   key: tuple) -> tuple[CompanionChoice | None, str]:
    """An earlier companion choice that the candidates did not offer (a dominated return), if
    lawful; else None and why not."""
    people = cands.sc.escorts if kind == "escorts" else cands.sc.medics
    person = people.get(key[0])
    if person is None:
        return None, f"{key[0]} is no longer in the scenario"
    if kind == "medics" and not rules.medic_qualifies(person, option.members[member].dep):
        return None, f"{person.id} no longer has the role and skills it needs"
    pool = option.escorts[member] if kind == "escorts" else option.medics[member]
    if not any(c.companion.id == person.id for c in pool):
        # not eligible for this option at all (availability, visa, skills, time away)
        return None, f"{person.id} can no longer serve it (availability, visa or time away)"
    for ret in cands.lawful_returns(option, member, person):
        if tuple(leg.id for leg in ret) == key[1]:
            m = option.members[member]
            return CompanionChoice(person, member, ret, m.pickup, rules.mission_end(ret),
                                   cands.companion_cost(option, member, person, ret)), ""
    return None, f"{person.id}'s return {'+'.join(key[1]) or '(none)'} is no longer lawful"


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
    """Changed assignments of ``sel`` against the preferred choices (and the departures lost whole)."""
    total = hold.whole_changes()
    for u, before in hold.preferred.items():
        total += changes_of(before, sel.chosen.get(u))
    return total


def changes_of(before: Earlier, now: Chosen | None) -> int:
    """Per member: legs and pickup (one itinerary fixes both), the vehicle, each earlier companion;
    the parts no longer lawful always count."""
    same_option = now is not None and now.option is before.option
    trip_of_now = now.option.trip_of() if same_option else {}
    total = 0
    for i in range(len(before.option.members)):
        total += before.forced[i]
        if not same_option:
            total += before.member_assignments(i) - before.forced[i]
            continue
        if before.vehicles[i] is not None and now.vehicles[trip_of_now[i]] != before.vehicles[i]:
            total += 1
        for was, is_ in ((before.escorts[i], now.escorts[i]), (before.medics[i], now.medics[i])):
            kept = {choice_key(c) for c in is_}
            total += sum(1 for c in was if choice_key(c) not in kept)
    return total
