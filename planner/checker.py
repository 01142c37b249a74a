"""The plan checker: re-verifies the eleven hard rules on any ``vertrekplanner/plan@1`` document.

It is the independent yardstick for every plan, solver-made or hand-edited: it reads
the plan as it stands (no solver state), calls the shared domain helpers in
``rules`` for each fact, and lists every violation it finds, never only the first.
A malformed plan is not an error but a list of violations: an unknown flight under
rule 1, a bad pickup instant under rule 2, a wrong ``format`` or a missing departure
under rule 0 ("plan structure").

Readings of points the spec leaves open:
- Times are checked as the plan states them: the stated pickup time is the start of
  the vehicle's trip and of every companion's mission (a stated time that differs from
  the one the flights imply is itself a rule 2 violation). Handover-based limits
  (``max_travel_hours``, opening hours) use the handover the flights imply, since that
  is when the returnee actually arrives; a differing stated handover is a rule 9 violation.
- Missions of one person never overlap, members of one family included: an escort
  escorts one returnee at a time.
- Every listed companion holds a seat on the outbound legs and on their return legs,
  also when the entry is otherwise wrong (an unknown id, a medic listed as an escort);
  a person listed twice on one departure holds one seat.
- A stretcher case in a non-stretcher vehicle is reported under rule 5 (which names it),
  not again under rule 11. A wrong final airport is reported under rule 1, not again
  under rule 9. A minor without any escort is rule 8 where only the minor floor asks
  for one, rule 6 otherwise.
- ``generated_at`` and ``solver`` describe how a plan was made, not what it says; they
  are not required here.
- A re-plan passes the earlier plan as ``earlier``: a departure whose earlier pickup
  lies before ``planning_time`` is underway, must be unchanged, and is exempt from
  "no pickup before planning_time" and from the MEDIF lead time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import rules, timeutil
from .rulebook import (
    BY_NUMBER, COMPANIONS, DOCUMENTS, ESCORTS, FAMILIES, ITINERARY, MEDICAL, MINORS, RECEPTION, SEATS, STRUCTURE,
    TIMING, VEHICLES, rule_name,
)
from .domain import Companion, Departure, Flight, Scenario, Vehicle
from .loading.scenario import load_scenario

PLAN_FORMAT = "vertrekplanner/plan@1"

# Violations name their rule as the spec does, in lower case: "rule 7 (companions come home)".
RULE_NAMES = {n: rule_name(n).lower() for n in (STRUCTURE, *BY_NUMBER)}

# Fields that must stay as they were for an underway departure.
_UNDERWAY_FIELDS = ("planned", "flights", "pickup", "escorts", "medics", "handover")


@dataclass(frozen=True)
class Violation:
    rule: int
    departure: str | None
    resource: str | None
    message: str

    def __str__(self) -> str:
        head = f"rule {self.rule} ({RULE_NAMES.get(self.rule, 'unknown rule')})"
        where = ", ".join(x for x in (self.departure, self.resource) if x)
        return f"{head} [{where}]: {self.message}" if where else f"{head}: {self.message}"


class _Report:
    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, rule: int, departure: str | None, resource: str | None, message: str) -> None:
        self.violations.append(Violation(rule, departure, resource, message))


@dataclass
class _Member:
    """One companion entry of a planned departure."""

    listed_as: str  # "escorts" | "medics"
    id: str | None
    person: Companion | None  # None when the id is unknown or of the other kind
    returns: list[Flight] | None  # None when missing or holding an unknown flight
    known_returns: list[Flight]  # the legs that do exist, for seat counting
    duplicate: bool = False


@dataclass
class _Entry:
    """A planned departure as the plan states it, with the parts that could be read."""

    dep: Departure
    raw: dict
    legs: list[Flight] | None
    known_legs: list[Flight]
    location: Any
    airport: Any
    vehicle: Vehicle | None
    stated_pickup: int | None
    pickup: int | None  # stated, else the one the flights imply
    stated_handover: int | None
    members: list[_Member] = field(default_factory=list)
    underway: bool = False

    @property
    def seated(self) -> list[_Member]:
        """Companion entries that hold a seat (a person listed twice still takes one)."""
        return [m for m in self.members if not m.duplicate]

    @property
    def escorts(self) -> list[Companion]:
        return [m.person for m in self.members if m.listed_as == "escorts" and m.person and not m.duplicate]

    @property
    def medics(self) -> list[Companion]:
        return [m.person for m in self.members if m.listed_as == "medics" and m.person and not m.duplicate]

    @property
    def arrival(self) -> int | None:
        return self.legs[-1].arrives if self.legs else None


# --- Entry points ----------------------------------------------------------------------------

def check_plan(sc: Scenario, plan: Any, earlier: Any = None) -> list[Violation]:
    """Every hard-rule violation of ``plan`` against ``sc`` (empty when the plan is valid)."""
    out = _Report()
    entries = _read_plan(sc, plan, out)
    underway = _underway(sc, earlier)
    for entry in entries:
        if entry.dep.id in underway:
            entry.underway = True
            before = underway[entry.dep.id]
            changed = [k for k in _UNDERWAY_FIELDS if entry.raw.get(k) != before.get(k)]
            if changed:
                out.add(STRUCTURE, entry.dep.id, None,
                        f"departure is underway (earlier pickup before planning_time) but its {', '.join(changed)} changed")
    for entry in entries:
        _check_itinerary(sc, entry, out)
        _check_timing(sc, entry, out)
        _check_documents(sc, entry, out)
        _check_medical(sc, entry, out)
        _check_escorts(sc, entry, out)
        _check_companions(sc, entry, out)
        _check_minor(sc, entry, out)
        _check_reception(sc, entry, out)
    _check_seats(sc, entries, out)
    _check_missions_overlap(sc, entries, out)
    _check_families(sc, plan, entries, out)
    _check_vehicles(sc, entries, out)
    return out.violations


def check_plan_file(scenario_path: str | Path, plan_path: str | Path,
                    earlier_path: str | Path | None = None) -> list[Violation]:
    """Check a plan file against a scenario file; an unreadable plan is a rule 0 violation."""
    sc = load_scenario(scenario_path)
    plan, problem = _load_plan(plan_path)
    if problem:
        return [Violation(0, None, None, problem)]
    earlier = None
    if earlier_path is not None:
        earlier, problem = _load_plan(earlier_path)
        if problem:
            return [Violation(0, None, None, "earlier plan: " + problem)]
    return check_plan(sc, plan, earlier)


def _load_plan(path: str | Path) -> tuple[Any, str | None]:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except OSError as exc:
        return None, f"cannot read plan {path}: {exc.strerror or exc}"
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, f"plan {path.name} is not valid JSON: {exc}"


# --- Reading the plan (rule 0 and unreadable parts) ------------------------------------------

def _instant(value: Any) -> int | None:
    try:
        return timeutil.instant_minutes(value)
    except (ValueError, TypeError, OverflowError):
        return None


def _when(sc: Scenario, minute: int, airport: str | None = None) -> str:
    """An instant in the local time of the airport it belongs to (Amsterdam otherwise)."""
    tz = sc.tz(airport) if airport in sc.airports else sc.home_tz
    return timeutil.iso(minute, tz)


def _flights(sc: Scenario, value: Any, out: _Report, rule: int, did: str, resource: str | None,
             what: str) -> tuple[list[Flight] | None, list[Flight]]:
    """The legs named by a list of flight ids; None (with violations) unless all are known."""
    if not isinstance(value, list) or not value:
        out.add(rule, did, resource, f"{what} must be a non-empty list of flight ids, found {value!r}")
        return None, []
    legs, complete = [], True
    for fid in value:
        leg = sc.flights.get(fid) if isinstance(fid, str) else None
        if leg is None:
            out.add(rule, did, resource or (fid if isinstance(fid, str) else None), f"{what}: unknown flight {fid!r}")
            complete = False
        else:
            legs.append(leg)
    return (legs if complete else None), legs


def _read_plan(sc: Scenario, plan: Any, out: _Report) -> list[_Entry]:
    if not isinstance(plan, dict):
        out.add(STRUCTURE, None, None, f"a plan is a JSON object, found {type(plan).__name__}")
        return []
    if plan.get("format") != PLAN_FORMAT:
        out.add(STRUCTURE, None, None, f'format must be "{PLAN_FORMAT}", found {plan.get("format")!r}')
    if plan.get("scenario") != sc.name:
        out.add(STRUCTURE, None, None, f"plan is for scenario {plan.get('scenario')!r}, not {sc.name!r}")
    items = plan.get("departures")
    if not isinstance(items, list):
        out.add(STRUCTURE, None, None, f"departures must be a list, found {items!r}")
        items = []
    seen: set[str] = set()
    entries = []
    for index, item in enumerate(items):
        did = item.get("id") if isinstance(item, dict) else None
        if not isinstance(did, str) or did not in sc.departures:
            out.add(STRUCTURE, did if isinstance(did, str) else None, None,
                    f"plan departure #{index + 1} has id {did!r}, which is no departure of the scenario")
            continue
        if did in seen:
            out.add(STRUCTURE, did, None, "departure appears more than once in the plan")
            continue
        seen.add(did)
        planned = item.get("planned")
        if planned is False:
            reasons = item.get("reasons")
            if not (isinstance(reasons, list) and reasons and all(isinstance(r, str) and r.strip() for r in reasons)):
                out.add(STRUCTURE, did, None, "an unplanned departure needs non-empty reasons")
        elif planned is True:
            entries.append(_read_entry(sc, sc.departures[did], item, out))
        else:
            out.add(STRUCTURE, did, None, f"planned must be true or false, found {planned!r}")
    for did in sc.departures:
        if did not in seen:
            out.add(STRUCTURE, did, None, "departure is missing from the plan (every departure is planned or unplanned with reasons)")
    return entries


def _read_entry(sc: Scenario, dep: Departure, item: dict, out: _Report) -> _Entry:
    did = dep.id
    legs, known_legs = _flights(sc, item.get("flights"), out, ITINERARY, did, None, "flights")
    pickup = item.get("pickup") if isinstance(item.get("pickup"), dict) else {}
    if not isinstance(item.get("pickup"), dict):
        out.add(STRUCTURE, did, None, f"a planned departure needs a pickup object, found {item.get('pickup')!r}")
    stated_pickup = _instant(pickup.get("time"))
    if "time" in pickup and stated_pickup is None:
        out.add(TIMING, did, None, f"pickup.time {pickup.get('time')!r} is not an instant with a UTC offset")
    elif "time" not in pickup:
        out.add(TIMING, did, None, "pickup.time is missing")
    vid = pickup.get("vehicle")
    vehicle = sc.vehicles.get(vid) if isinstance(vid, str) else None
    if vehicle is None:
        out.add(VEHICLES, did, vid if isinstance(vid, str) else None, f"pickup.vehicle {vid!r} is no vehicle of the scenario")
    implied = None
    if legs and legs[0].origin in sc.locations[dep.pickup_location].drive_minutes:
        implied = rules.pickup_time(sc, dep, legs[0].origin, legs[0].departs)
    handover = item.get("handover") if isinstance(item.get("handover"), dict) else {}
    stated_handover = _instant(handover.get("time"))
    if "time" not in handover:
        out.add(RECEPTION, did, None, "handover.time is missing")
    elif stated_handover is None:
        out.add(RECEPTION, did, None, f"handover.time {handover.get('time')!r} is not an instant with a UTC offset")
    entry = _Entry(dep, item, legs, known_legs, pickup.get("location"), pickup.get("airport"), vehicle,
                   stated_pickup, stated_pickup if stated_pickup is not None else implied, stated_handover)
    seen: set[str] = set()
    for listed_as, pool, other in (("escorts", sc.escorts, sc.medics), ("medics", sc.medics, sc.escorts)):
        value = item.get(listed_as, [])
        if not isinstance(value, list):
            out.add(STRUCTURE, did, None, f"{listed_as} must be a list, found {value!r}")
            continue
        for member in value:
            raw_id = member.get("id") if isinstance(member, dict) else member
            cid = raw_id if isinstance(raw_id, str) else None
            person = pool.get(cid) if cid is not None else None
            if person is None:
                kind = "a medic" if cid in other else "an escort" if cid in sc.escorts else "unknown"
                out.add(COMPANIONS, did, cid, f"{raw_id!r} is listed under {listed_as} but is {kind}")
            returns, known = _flights(sc, member.get("return_flights") if isinstance(member, dict) else None,
                                      out, COMPANIONS, did, cid, "return_flights")
            m = _Member(listed_as, cid, person, returns, known)
            if cid is not None and cid in seen:
                m.duplicate = True
                out.add(COMPANIONS, did, cid, f"{cid} is listed more than once on this departure")
            if cid is not None:
                seen.add(cid)
            entry.members.append(m)
    return entry


def _underway(sc: Scenario, earlier: Any) -> dict[str, dict]:
    """Departures of an earlier plan whose pickup lies before planning_time: they stay as they were."""
    if not isinstance(earlier, dict) or not isinstance(earlier.get("departures"), list):
        return {}
    found = {}
    for item in earlier["departures"]:
        if isinstance(item, dict) and item.get("planned") is True and isinstance(item.get("pickup"), dict):
            t = _instant(item["pickup"].get("time"))
            if t is not None and t < sc.planning_time and item.get("id") in sc.departures:
                found[item["id"]] = item
    return found


# --- Rules 1 and 7: itineraries --------------------------------------------------------------

def _check_chain(sc: Scenario, legs: list[Flight], starts: set[str] | None, end: str, rule: int,
                 did: str, resource: str | None, what: str, out: _Report) -> None:
    """Legs, connections and end points of one itinerary (rule 1, and rule 7 for return trips)."""
    if len(legs) > rules.max_legs(sc):
        out.add(rule, did, resource, f"{what} has {len(legs)} legs; at most {rules.max_legs(sc)} "
                                     f"(max_connections {sc.parameters.max_connections})")
    for leg in legs:
        if leg.cancelled:
            out.add(rule, did, resource or leg.id, f"{what}: flight {leg.id} is cancelled")
    for a, b in zip(legs, legs[1:]):
        if b.origin != a.dest:
            out.add(rule, did, resource or b.id, f"{what}: {b.id} leaves {b.origin} but {a.id} landed at {a.dest}")
        elif not rules.connects(sc, a, b):
            need = rules.connection_minutes(sc, a.dest)
            out.add(rule, did, resource or b.id,
                    f"{what}: {b.id} leaves {a.dest} {b.departs - a.arrives} min after {a.id} lands; "
                    f"the connection there needs {need} min")
    if starts is not None and legs[0].origin not in starts:
        out.add(rule, did, resource or legs[0].id,
                f"{what} starts at {legs[0].origin}, which is not one of {sorted(starts)}")
    if legs[-1].dest != end:
        out.add(rule, did, resource or legs[-1].id, f"{what} ends at {legs[-1].dest}, not at {end}")


def _check_itinerary(sc: Scenario, e: _Entry, out: _Report) -> None:
    dep, did = e.dep, e.dep.id
    rec = sc.reception[dep.reception]
    reachable = set(rules.departure_airports(sc, dep))
    if e.location != dep.pickup_location:
        out.add(ITINERARY, did, None, f"pickup.location is {e.location!r}; the departure is picked up at {dep.pickup_location}")
    if rec.airport not in dep.destination_airports:
        out.add(ITINERARY, did, rec.id, f"reception airport {rec.airport} is not among destination_airports {list(dep.destination_airports)}")
    if not e.legs:
        return
    _check_chain(sc, e.legs, reachable, rec.airport, ITINERARY, did, None, "itinerary", out)
    for a, b in zip(e.legs, e.legs[1:]):
        if b.origin == a.dest and rules.layover_too_long(sc, a, b):
            out.add(ITINERARY, did, b.id, f"itinerary: {b.id} leaves {a.dest} {b.departs - a.arrives} min after {a.id} lands; "
                                          f"the scenario's max_layover_minutes is {rules.max_layover_minutes(sc)}")
    if e.airport != e.legs[0].origin:
        out.add(ITINERARY, did, None, f"pickup.airport is {e.airport!r} but the first flight leaves {e.legs[0].origin}")


# --- Rule 2: timing --------------------------------------------------------------------------

def _check_timing(sc: Scenario, e: _Entry, out: _Report) -> None:
    dep, did, legs = e.dep, e.dep.id, e.legs
    home = legs[0].origin if legs else None
    if legs and legs[0].origin in rules.departure_airports(sc, dep):
        implied = rules.pickup_time(sc, dep, legs[0].origin, legs[0].departs)
        if e.stated_pickup is not None and e.stated_pickup != implied:
            out.add(TIMING, did, None, f"pickup time {_when(sc, e.stated_pickup, home)} should be "
                                       f"{_when(sc, implied, home)} (first departure - check-in - drive)")
    if e.pickup is not None:
        if not rules.instant_in_window(e.pickup, dep.pickup_window):
            out.add(TIMING, did, None, f"pickup {_when(sc, e.pickup, home)} is outside the pickup window "
                                       f"[{_when(sc, dep.pickup_window[0])}, {_when(sc, dep.pickup_window[1])})")
        if rules.before_planning_time(sc, e.pickup) and not e.underway:
            out.add(TIMING, did, None, f"pickup {_when(sc, e.pickup, home)} lies before planning_time {sc.planning_time_text}")
    if not legs:
        return
    arrival, dest = legs[-1].arrives, legs[-1].dest
    if not rules.ready_by(dep, legs[0].departs):
        out.add(TIMING, did, legs[0].id, f"first flight departs {_when(sc, legs[0].departs, home)}, "
                                         f"before ready_from {_when(sc, dep.ready_from)}")
    if not rules.arrives_before_deadline(dep, arrival):
        out.add(TIMING, did, legs[-1].id, f"final arrival {_when(sc, arrival, dest)} is not before the deadline "
                                          f"{_when(sc, dep.deadline)}")
    if e.pickup is None:
        return
    hit = rules.blocked_overlap(dep, e.pickup, arrival)
    if hit is not None:
        out.add(TIMING, did, None, f"pickup to arrival overlaps the blocked window [{_when(sc, hit[0])}, {_when(sc, hit[1])})")
    if not rules.span_in_window(e.pickup, arrival, sc.horizon):
        out.add(TIMING, did, None, f"pickup {_when(sc, e.pickup, home)} to arrival {_when(sc, arrival, dest)} "
                                   f"is not inside the horizon")


# --- Rule 3: documents -----------------------------------------------------------------------

def _check_documents(sc: Scenario, e: _Entry, out: _Report) -> None:
    if not e.legs:
        return
    dep, first, last = e.dep, e.legs[0], e.legs[-1]
    leaving = rules.local_date(sc, first.departs, first.origin)
    landing = rules.local_date(sc, last.arrives, last.dest)
    valid = f"{dep.document_valid_from.isoformat()}..{dep.document_valid_until.isoformat()}"
    if not rules.document_valid_on(dep, leaving):
        out.add(DOCUMENTS, dep.id, first.id, f"travel document (valid {valid}) is not valid on the departure day "
                                             f"{leaving.isoformat()} at {first.origin}")
    if not rules.document_valid_on(dep, landing):
        out.add(DOCUMENTS, dep.id, last.id, f"travel document (valid {valid}) is not valid on the arrival day "
                                            f"{landing.isoformat()} at {last.dest}")
    if not rules.fit_to_fly_on(dep, landing):
        out.add(DOCUMENTS, dep.id, last.id, f"fit to fly until {dep.fit_to_fly_until.isoformat()}, "
                                            f"but arrives on {landing.isoformat()} at {last.dest}")


# --- Rule 5: medical -------------------------------------------------------------------------

def _check_medical(sc: Scenario, e: _Entry, out: _Report) -> None:
    dep, did = e.dep, e.dep.id
    if dep.stretcher:
        for leg in e.known_legs:
            if not rules.stretcher_leg_ok(sc, leg):
                out.add(MEDICAL, did, leg.id, f"stretcher case on {leg.id}, which cannot take a stretcher")
        if e.vehicle is not None and not e.vehicle.stretcher:
            out.add(MEDICAL, did, e.vehicle.id, f"stretcher case rides {e.vehicle.id}, which is no stretcher vehicle")
    if rules.needs_medif(dep) and not e.underway:
        for leg in e.known_legs:
            if not rules.medif_ok(sc, leg):
                lead = sc.airlines[leg.carrier].medif_lead_hours
                out.add(MEDICAL, did, leg.id, f"{leg.id} departs less than the MEDIF lead of {lead} h "
                                              f"after planning_time")
    medics = [m for m in e.members if m.listed_as == "medics"]
    if dep.medic_role is None:
        if medics:
            out.add(MEDICAL, did, medics[0].id, "no medic is asked for, yet a medic is assigned")
    else:
        if len(medics) != 1:
            out.add(MEDICAL, did, None, f"exactly one {dep.medic_role} must fly along, found {len(medics)} medics")
        for m in medics:
            if m.person is not None and not rules.medic_qualifies(m.person, dep):
                skills = ", ".join(sorted(dep.medical.medic_skills)) or "no particular skills"
                out.add(MEDICAL, did, m.id, f"{m.id} ({m.person.role}) cannot serve as {dep.medic_role} with {skills}")
    limit = rules.travel_minutes_limit(dep)
    if limit is not None and e.pickup is not None and e.legs:
        handover = rules.handover_time(sc.reception[dep.reception], e.arrival)
        if handover - e.pickup > limit:
            out.add(MEDICAL, did, None, f"pickup to handover takes {(handover - e.pickup) / 60:.1f} h; "
                                        f"at most {dep.medical.max_travel_hours} h")


# --- Rules 6 and 8: escorts and minors -------------------------------------------------------

def _check_escorts(sc: Scenario, e: _Entry, out: _Report) -> None:
    dep, did = e.dep, e.dep.id
    need = rules.required_escorts(sc, dep)
    team = e.escorts
    if len(team) != need:
        minor_floor = not team and rules.minor_floor_applies(sc, dep)
        out.add(MINORS if minor_floor else ESCORTS, did, None,
                f"{len(team)} escort(s) fly along; exactly {need} required (risk {dep.risk}"
                f"{', a minor has at least one' if rules.is_minor(dep) else ''})")
    if "team_leader" in rules.team_ok(dep, team):
        out.add(ESCORTS, did, None, f"a team of {len(team)} escorts needs a team_leader")


def _check_minor(sc: Scenario, e: _Entry, out: _Report) -> None:
    dep = e.dep
    if not rules.is_minor(dep):
        return
    rec = sc.reception[dep.reception]
    if not rules.minor_reception_ok(rec):
        out.add(MINORS, dep.id, rec.id, f"a minor goes only to a confirmed family, guardian or reception_facility; "
                                        f"{rec.id} is a {'confirmed' if rec.confirmed else 'unconfirmed'} {rec.kind}")
    lacks = rules.team_ok(dep, e.escorts)
    if "minors" in lacks:
        out.add(MINORS, dep.id, None, "the escort team of a minor needs an escort with skill minors")
    if f"sex {dep.sex}" in lacks:
        out.add(MINORS, dep.id, None, f"the escort team of a minor of sex {dep.sex} needs an escort of the same sex")


# --- Rule 7: companions come home ------------------------------------------------------------

def _mission(e: _Entry, m: _Member) -> tuple[int, int] | None:
    if e.pickup is None or not m.returns:
        return None
    return e.pickup, rules.mission_end(m.returns)


def _check_companions(sc: Scenario, e: _Entry, out: _Report) -> None:
    did = e.dep.id
    for m in e.members:
        person = m.person
        if m.returns and e.legs:
            base = person.base if person else m.returns[-1].dest
            _check_chain(sc, m.returns, {e.legs[-1].dest}, base, COMPANIONS, did, m.id, "return itinerary", out)
            earliest = e.arrival + rules.turnaround_minutes(sc)
            if m.returns[0].departs < earliest:
                out.add(COMPANIONS, did, m.id, f"return {m.returns[0].id} leaves {m.returns[0].departs - e.arrival} min "
                                               f"after the final arrival; at least {rules.turnaround_minutes(sc)} min")
        if person is None:
            continue
        mission = _mission(e, m)
        if mission is not None:
            if mission[1] - mission[0] > rules.max_away_minutes(sc):
                out.add(COMPANIONS, did, m.id, f"mission lasts {(mission[1] - mission[0]) / 60:.1f} h; "
                                               f"at most {sc.parameters.escort_max_away_hours} h")
            if not rules.span_in_any(mission[0], mission[1], person.available):
                out.add(COMPANIONS, did, m.id, f"mission {_when(sc, mission[0])} to {_when(sc, mission[1], person.base)} "
                                               f"is not inside one availability window")
        for leg in e.known_legs + m.known_returns:
            problem = rules.visa_problem(sc, person, [leg])
            if problem is not None:
                country, day = problem
                has = person.visas.get(country)
                out.add(COMPANIONS, did, m.id, f"lands in {country} ({leg.dest}, {leg.id}) on {day.isoformat()} local; "
                                               f"visa {'valid until ' + has.isoformat() if has else 'missing'}")


def _check_missions_overlap(sc: Scenario, entries: list[_Entry], out: _Report) -> None:
    by_person: dict[str, list[tuple[int, int, str]]] = {}
    for e in entries:
        for m in e.members:
            mission = _mission(e, m) if m.person is not None and not m.duplicate else None
            if mission is not None:
                by_person.setdefault(m.id, []).append((*mission, e.dep.id))
    for cid, missions in by_person.items():
        missions.sort()
        for i, (s1, e1, d1) in enumerate(missions):
            for s2, e2, d2 in missions[i + 1:]:
                if s2 >= e1 + rules.rest_minutes(sc):
                    break
                if rules.missions_clash(sc, (s1, e1), (s2, e2)):
                    out.add(COMPANIONS, d2, cid, f"mission for {d2} starts {_when(sc, s2)}, before the mission for {d1} "
                                                 f"(until {_when(sc, e1)}) plus {sc.parameters.escort_rest_hours} h rest is over")


# --- Rule 9: reception -----------------------------------------------------------------------

def _check_reception(sc: Scenario, e: _Entry, out: _Report) -> None:
    dep, did = e.dep, e.dep.id
    rec = sc.reception[dep.reception]
    handover = e.raw.get("handover") if isinstance(e.raw.get("handover"), dict) else {}
    if handover.get("reception") != rec.id:
        out.add(RECEPTION, did, rec.id, f"handover.reception is {handover.get('reception')!r}; the departure goes to {rec.id}")
    if not rec.confirmed:
        out.add(RECEPTION, did, rec.id, f"reception {rec.id} has not confirmed")
    if not e.legs:
        return
    at = rules.handover_time(rec, e.arrival)
    if e.stated_handover is not None and e.stated_handover != at:
        out.add(RECEPTION, did, rec.id, f"handover time {_when(sc, e.stated_handover, rec.airport)} should be "
                                        f"{_when(sc, at, rec.airport)} (final arrival + {rec.transfer_minutes} min transfer)")
    if rec.airport in sc.airports and not rules.reception_open_at(sc, rec, at):
        out.add(RECEPTION, did, rec.id, f"reception {rec.id} is closed at handover {_when(sc, at, rec.airport)}")


# --- Rule 4: seats ---------------------------------------------------------------------------

def _check_seats(sc: Scenario, entries: list[_Entry], out: _Report) -> None:
    used: dict[str, int] = {}
    escorted: dict[str, list[str]] = {}
    for e in entries:
        companions = len(e.seated)
        with_escort = any(m.listed_as == "escorts" for m in e.seated)
        for leg in e.known_legs:
            used[leg.id] = used.get(leg.id, 0) + rules.returnee_seats(sc, e.dep) + companions
            if with_escort:
                escorted.setdefault(leg.id, []).append(e.dep.id)
        for m in e.seated:
            for leg in m.known_returns:
                used[leg.id] = used.get(leg.id, 0) + 1
    for fid, n in used.items():
        leg = sc.flights[fid]
        if n > leg.seats:
            out.add(SEATS, None, fid, f"{n} seats used on {fid}; it holds {leg.seats}")
    for fid, deps in escorted.items():
        cap = rules.escorted_cap(sc, sc.flights[fid])
        if len(deps) > cap:
            out.add(SEATS, None, fid, f"{len(deps)} escorted returnees on {fid} ({', '.join(deps)}); "
                                      f"carrier {sc.flights[fid].carrier} takes at most {cap}")


# --- Rule 10: families -----------------------------------------------------------------------

def _check_families(sc: Scenario, plan: Any, entries: list[_Entry], out: _Report) -> None:
    planned = {e.dep.id: e for e in entries}
    for members in rules.family_units(sc):
        group = members[0].family_group
        if group is None:
            continue
        on = [d for d in members if d.id in planned]
        if not on:
            continue
        for d in members:
            if d.id not in planned:
                out.add(FAMILIES, d.id, group, f"family {group}: {d.id} is not planned while "
                                               f"{', '.join(x.id for x in on)} is planned")
        first = planned[on[0].id].raw.get("flights")
        for d in on[1:]:
            if planned[d.id].raw.get("flights") != first:
                out.add(FAMILIES, d.id, group, f"family {group}: {d.id} flies {planned[d.id].raw.get('flights')}, "
                                               f"{on[0].id} flies {first}")


# --- Rule 11: vehicles -----------------------------------------------------------------------

def _check_vehicles(sc: Scenario, entries: list[_Entry], out: _Report) -> None:
    # A trip is one vehicle run; only members of one family_group with the same vehicle,
    # pickup location, time and airport share one. Anything else sharing a vehicle is a second trip.
    trips: dict[tuple, list[_Entry]] = {}
    for e in entries:
        if e.vehicle is None or e.pickup is None:
            continue
        airport = e.airport if isinstance(e.airport, str) else None
        key = (e.vehicle.id, e.dep.pickup_location, e.pickup, airport, rules.trip_party(e.dep))
        trips.setdefault(key, []).append(e)
    runs: dict[str, list[tuple[int, int, list[str]]]] = {}
    for (vid, location, pickup, airport, _), members in trips.items():
        vehicle = sc.vehicles[vid]
        names = ", ".join(m.dep.id for m in members)
        people = sum(rules.passengers(len(m.seated)) for m in members)
        # A stretcher case in a plain vehicle is rule 5's to report (module docstring): seats only here.
        if not rules.vehicle_fits(vehicle, people, stretcher=False):
            out.add(VEHICLES, members[0].dep.id, vid, f"{people} passengers ({names}) in {vid}, which seats {vehicle.seats}")
        drive = rules.drive_minutes(sc, members[0].dep, airport) if airport is not None else None
        if drive is None:
            continue  # the airport is unreachable or unknown: rule 1 reports it
        busy = rules.vehicle_busy(pickup, drive)
        if not rules.span_in_any(busy[0], busy[1], vehicle.available):
            out.add(VEHICLES, members[0].dep.id, vid, f"{vid} is busy {_when(sc, busy[0])} to {_when(sc, busy[1])}, "
                                                      f"outside its availability")
        runs.setdefault(vid, []).append((busy[0], busy[1], [m.dep.id for m in members]))
    for vid, spans in runs.items():
        spans.sort()
        for i, (s1, e1, n1) in enumerate(spans):
            for s2, e2, n2 in spans[i + 1:]:
                if s2 >= e1:
                    break
                out.add(VEHICLES, n2[0], vid, f"{vid} is double-booked: trip for {', '.join(n2)} from {_when(sc, s2)} "
                                              f"overlaps trip for {', '.join(n1)} until {_when(sc, e1)}")
