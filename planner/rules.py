"""Domain facts behind the eleven hard rules, computed once.

The candidate builder (which prunes the model's choices), the plan checker and the
explanations of unplanned departures all call these functions, so that "is this
connection long enough", "is the reception open then" or "is this visa valid on the
landing day" has exactly one reading. Times are epoch minutes (see ``timeutil``).
"""
from __future__ import annotations

from datetime import date
from typing import Callable, Iterable, Sequence

from . import timeutil
from .domain import Companion, Departure, Flight, Reception, Scenario, Vehicle, Window

MINORS_RECEPTION_KINDS = frozenset({"family", "guardian", "reception_facility"})


# --- Windows -------------------------------------------------------------------------------

def span_in_window(start: int, end: int, window: Window) -> bool:
    """A span lies in a window when it starts at or after its start and ends at or before its end."""
    return window[0] <= start and end <= window[1]


def span_in_any(start: int, end: int, windows: Iterable[Window]) -> bool:
    return any(span_in_window(start, end, w) for w in windows)


def instant_in_window(t: int, window: Window) -> bool:
    """An instant lies in a window [start, end) — the end is exclusive."""
    return window[0] <= t < window[1]


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Two spans overlap when each starts before the other ends."""
    return a_start < b_end and b_start < a_end


# --- Rule 1: itinerary ---------------------------------------------------------------------

def connection_minutes(sc: Scenario, airport: str) -> int:
    mct = sc.airports[airport].mct_minutes if airport in sc.airports else None
    return mct if mct is not None else sc.parameters.min_connection_minutes


def connects(sc: Scenario, arriving: Flight, leaving: Flight) -> bool:
    return leaving.origin == arriving.dest and leaving.departs >= arriving.arrives + connection_minutes(sc, arriving.dest)


def max_legs(sc: Scenario) -> int:
    return sc.parameters.max_connections + 1


def max_layover_minutes(sc: Scenario) -> int | None:
    """The scenario's optional longest wait between two legs of a returnee's itinerary.

    The spec sets no such limit; a scenario may (``parameters.max_layover_minutes``, documented
    in docs/planning.md). Absent, there is none. Companions' returns are bounded by rule 7 alone.
    """
    return getattr(sc.parameters, "max_layover_minutes", None)


def layover_too_long(sc: Scenario, arriving: Flight, leaving: Flight) -> bool:
    limit = max_layover_minutes(sc)
    return limit is not None and leaving.departs - arriving.arrives > limit


# --- Rule 2: timing ------------------------------------------------------------------------

def drive_minutes(sc: Scenario, dep: Departure, airport: str) -> int | None:
    """Drive from the departure's pickup location to ``airport``; None where it cannot reach it."""
    return sc.locations[dep.pickup_location].drive_minutes.get(airport)


def departure_airports(sc: Scenario, dep: Departure) -> frozenset[str]:
    """The airports the departure's pickup location can reach (rule 1)."""
    return frozenset(sc.locations[dep.pickup_location].drive_minutes)


def checkin_time(sc: Scenario, first_departs: int) -> int:
    return first_departs - sc.parameters.checkin_minutes


def pickup_time(sc: Scenario, dep: Departure, airport: str, first_departs: int) -> int:
    """First leg's departure − check-in − the drive (rule 2)."""
    return checkin_time(sc, first_departs) - sc.locations[dep.pickup_location].drive_minutes[airport]


def before_planning_time(sc: Scenario, minute: int) -> bool:
    """No pickup lies before planning_time (rule 2); one that does is already underway."""
    return minute < sc.planning_time


def ready_by(dep: Departure, first_departs: int) -> bool:
    """The first leg departs no earlier than ready_from (rule 2)."""
    return first_departs >= dep.ready_from


def pickup_ok(sc: Scenario, dep: Departure, pickup: int) -> bool:
    """A pickup inside the pickup window and not before planning_time (rule 2)."""
    return instant_in_window(pickup, dep.pickup_window) and not before_planning_time(sc, pickup)


def first_departure_span(sc: Scenario, dep: Departure, airport: str) -> Window | None:
    """The first leg's departure times from ``airport`` that rule 2 allows, as [earliest, latest]
    (both included), or None: the pickup lies in the window, not before planning_time nor the
    horizon's start, and the first leg departs no earlier than ready_from."""
    drive = drive_minutes(sc, dep, airport)
    if drive is None:
        return None
    lead = sc.parameters.checkin_minutes + drive  # departs − pickup_time
    earliest_pickup = max(dep.pickup_window[0], sc.planning_time, sc.horizon[0])
    latest_pickup = dep.pickup_window[1] - 1  # the window's end is exclusive
    lo, hi = max(earliest_pickup + lead, dep.ready_from), latest_pickup + lead
    return (lo, hi) if lo <= hi else None


def blocked_overlap(dep: Departure, start: int, end: int) -> Window | None:
    for w in dep.blocked:
        if overlaps(start, end, w[0], w[1]):
            return w
    return None


def arrives_before_deadline(dep: Departure, arrival: int) -> bool:
    return arrival < dep.deadline


def latest_arrival(sc: Scenario, dep: Departure) -> int:
    """The latest final arrival rule 2 allows: before the deadline and inside the horizon."""
    return min(dep.deadline - 1, sc.horizon[1])


# --- Rule 3: documents ---------------------------------------------------------------------

def local_date(sc: Scenario, minute: int, airport: str) -> date:
    return timeutil.local_date(minute, sc.tz(airport))


def document_valid_on(dep: Departure, day: date) -> bool:
    return dep.document_valid_from <= day <= dep.document_valid_until


def fit_to_fly_on(dep: Departure, day: date) -> bool:
    return dep.fit_to_fly_until is None or day <= dep.fit_to_fly_until


# --- Rule 4: seats -------------------------------------------------------------------------

def returnee_seats(sc: Scenario, dep: Departure) -> int:
    return sc.parameters.stretcher_seats if dep.stretcher else 1


def escorted(sc: Scenario, dep: Departure) -> bool:
    """A returnee flying with one or more escorts counts against the carrier's cap (rule 4)."""
    return required_escorts(sc, dep) > 0


def escorted_cap(sc: Scenario, leg: Flight) -> int:
    """Returnees flying with one or more escorts that one leg of its carrier may take."""
    return sc.airlines[leg.carrier].max_escorted_per_flight


# --- Rule 5: medical -----------------------------------------------------------------------

def stretcher_leg_ok(sc: Scenario, leg: Flight) -> bool:
    return leg.stretcher and sc.airlines[leg.carrier].accepts_stretcher


def needs_medif(dep: Departure) -> bool:
    """Any medical need (stretcher, wheelchair, oxygen or a medic) needs the airline's MEDIF;
    a departure of kind medical without one does not (spec: airlines, rule 5)."""
    m = dep.medical
    return m is not None and (m.stretcher or m.wheelchair is not None or m.oxygen or m.medic_role is not None)


def medif_due(sc: Scenario, legs: Sequence[Flight]) -> int:
    """The latest instant at which a booking of these legs still meets every carrier's MEDIF lead."""
    return min(leg.departs - sc.airlines[leg.carrier].medif_lead_hours * 60 for leg in legs)


def medif_ok(sc: Scenario, leg: Flight) -> bool:
    """A returnee with a medical need may only fly legs booked far enough ahead for the MEDIF."""
    return leg.departs >= sc.planning_time + sc.airlines[leg.carrier].medif_lead_hours * 60


def medic_qualifies(medic: Companion, dep: Departure) -> bool:
    need = dep.medic_role
    if need is None or medic.role is None:
        return False
    role_ok = medic.role == need or (need == "nurse" and medic.role == "physician")
    return role_ok and dep.medical.medic_skills <= medic.skills


def travel_minutes_limit(dep: Departure) -> int | None:
    if dep.medical is None or dep.medical.max_travel_hours is None:
        return None
    return dep.medical.max_travel_hours * 60


# --- Rules 6 and 8: escorts and minors -----------------------------------------------------

def is_minor(dep: Departure) -> bool:
    """Only ``kind`` decides (rule 8), whatever the birth date."""
    return dep.kind == "minor"


def escorts_by_risk(sc: Scenario, dep: Departure) -> int:
    return sc.parameters.escorts_by_risk[dep.risk]


def minor_floor_applies(sc: Scenario, dep: Departure) -> bool:
    """A minor whose risk asks for no escort still gets one (rule 8): the floor, not rule 6, asks."""
    return is_minor(dep) and escorts_by_risk(sc, dep) == 0


def required_escorts(sc: Scenario, dep: Departure) -> int:
    """Exactly this many escorts fly every outbound leg (rule 6, with rule 8's floor of one)."""
    return 1 if minor_floor_applies(sc, dep) else escorts_by_risk(sc, dep)


def companions_needed(sc: Scenario, dep: Departure) -> int:
    """Escorts plus the medic, if one is asked for (rules 5 and 6)."""
    return required_escorts(sc, dep) + (1 if dep.medic_role else 0)


def party_seats(sc: Scenario, dep: Departure) -> int:
    """Flight seats for a returnee and companions (a stretcher takes ``stretcher_seats``)."""
    return returnee_seats(sc, dep) + companions_needed(sc, dep)


def minor_reception_ok(rec: Reception) -> bool:
    return rec.confirmed and rec.kind in MINORS_RECEPTION_KINDS


def team_demands(dep: Departure, size: int) -> list[tuple[str, Callable[[Companion], bool]]]:
    """What a team of ``size`` escorts must hold under rules 6 and 8: (need, who meets it)."""
    demands: list[tuple[str, Callable[[Companion], bool]]] = []
    if size >= 2:
        demands.append(("team_leader", lambda e: "team_leader" in e.skills))
    if is_minor(dep) and size >= 1:
        demands.append(("minors", lambda e: "minors" in e.skills))
        if dep.sex in ("M", "F"):
            demands.append((f"sex {dep.sex}", lambda e, sex=dep.sex: e.sex == sex))
    return demands


def team_leader(team: Sequence[Companion]) -> Companion | None:
    """Who leads an escort team: its first escort with the team_leader skill. A lone escort
    without that skill leads nobody and is not called team leader."""
    return next((e for e in team if "team_leader" in e.skills), None)


def team_ok(dep: Departure, team: Sequence[Companion]) -> list[str]:
    """What an escort team lacks under rules 6 and 8 (empty when it is complete)."""
    return [need for need, meets in team_demands(dep, len(team)) if not any(meets(e) for e in team)]


# --- Rule 7: companions come home ----------------------------------------------------------

def landings(sc: Scenario, legs: Sequence[Flight]) -> list[tuple[str, date, str]]:
    """(country, local date, airport) of every landing of an itinerary."""
    return [(sc.airports[leg.dest].country, local_date(sc, leg.arrives, leg.dest), leg.dest) for leg in legs]


def visa_needs(sc: Scenario, legs: Sequence[Flight]) -> tuple[tuple[str, date], ...]:
    """(country, local landing date) of every landing in a country that requires a visa."""
    required = sc.parameters.visa_required_countries
    return tuple((country, day) for country, day, _ in landings(sc, legs) if country in required)


def missing_visa(person: Companion, needs: Iterable[tuple[str, date]]) -> tuple[str, date] | None:
    """The first need the person's visas do not cover (a visa is valid up to its last date)."""
    for country, day in needs:
        until = person.visas.get(country)
        if until is None or day > until:
            return country, day
    return None


def visa_problem(sc: Scenario, person: Companion, legs: Sequence[Flight]) -> tuple[str, date] | None:
    """The first landing (country, local date) for which the person lacks a valid visa, if any."""
    return missing_visa(person, visa_needs(sc, legs))


def mission_end(return_legs: Sequence[Flight]) -> int:
    return return_legs[-1].arrives


def rest_minutes(sc: Scenario) -> int:
    return sc.parameters.escort_rest_hours * 60


def max_away_minutes(sc: Scenario) -> int:
    return sc.parameters.escort_max_away_hours * 60


def turnaround_minutes(sc: Scenario) -> int:
    return sc.parameters.escort_min_turnaround_minutes


def missions_clash(sc: Scenario, a: Window, b: Window) -> bool:
    """Two missions of one person clash unless one of them, followed by its rest, ends before the other starts."""
    rest = rest_minutes(sc)
    return overlaps(a[0], a[1] + rest, b[0], b[1] + rest)


def overnights(sc: Scenario, airport: str, final_arrival: int, return_departs: int) -> int:
    """Local midnights at the destination between the returnee's arrival and the companion's return."""
    return timeutil.local_midnights_between(final_arrival, return_departs, sc.tz(airport))


def medic_cost(medic: Companion, mission_minutes: int) -> float:
    """Day rate per started 24 hours of mission."""
    days = -(-mission_minutes // timeutil.MINUTES_PER_DAY)
    return medic.day_rate_eur * days


# --- Rule 9: reception ---------------------------------------------------------------------

def handover_time(rec: Reception, final_arrival: int) -> int:
    return final_arrival + rec.transfer_minutes


def reception_open_at(sc: Scenario, rec: Reception, minute: int) -> bool:
    day, minute_of_day = timeutil.local_minute_of_day(minute, sc.tz(rec.airport))
    if day in rec.closed_dates:
        return False
    hours = rec.open.get(day.weekday())
    return hours is not None and hours[0] <= minute_of_day < hours[1]


# --- Rule 10: families ---------------------------------------------------------------------

def family_units(sc: Scenario) -> list[list[Departure]]:
    """Departures that are planned together or not at all (rule 10): each family_group, in the
    order its first member appears, and every other departure alone."""
    groups: dict[str, list[Departure]] = {}
    units: list[list[Departure]] = []
    for dep in sc.departures.values():
        if dep.family_group is None:
            units.append([dep])
        elif dep.family_group in groups:
            groups[dep.family_group].append(dep)
        else:
            groups[dep.family_group] = [dep]
            units.append(groups[dep.family_group])
    return units


# --- Rule 11: vehicles ---------------------------------------------------------------------

def passengers(companions: int) -> int:
    """Vehicle seats for one returnee (a stretcher patient counts as one) and their companions."""
    return 1 + companions


def vehicle_fits(vehicle: Vehicle, passengers: int, stretcher: bool) -> bool:
    """A vehicle takes a trip when it seats everyone and, for a stretcher case, is a stretcher vehicle."""
    return vehicle.seats >= passengers and (vehicle.stretcher or not stretcher)


def trip_party(dep: Departure) -> str | tuple[str, str]:
    """Who may share one trip (rule 11): the members of one family_group; anyone else rides alone."""
    return dep.family_group if dep.family_group is not None else ("alone", dep.id)


def vehicle_busy(pickup: int, drive: int) -> Window:
    """A vehicle drives the returnee to the airport and back: busy for twice the drive time."""
    return (pickup, pickup + 2 * drive)


# --- Objective ------------------------------------------------------------------------------

def waiting_hours(dep: Departure, first_departs: int) -> int:
    """Whole hours (rounded down) from ready_from to the first leg's departure."""
    return max(0, first_departs - dep.ready_from) // 60


def seat_fares(sc: Scenario, legs: Sequence[Flight], seats_each: int = 1) -> float:
    return sum(leg.fare_eur for leg in legs) * seats_each
