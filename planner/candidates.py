"""Candidate choices for the model: itinerary options per unit and companions per option.

Pruning keeps only choices that can work, using the shared rule helpers. A *unit* is a
departure, or all departures of one family group, which must fly the same legs (rule 10).
Everything that is decided by a departure's own facts (timing, documents, reception hours,
travel limit, stretcher legs, MEDIF lead) is decided here; what depends on how resources
are shared out (seats, airline caps, companions' missions, vehicles) is left to the model.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from . import rulebook, rules
from .itineraries import FlightIndex, Itinerary, search
from .roster import Roster
from .domain import Companion, Departure, Flight, Scenario

NO_LIMIT = 10**9  # minutes: longer than any horizon


@dataclass(frozen=True, slots=True)
class ReturnPolicy:
    """Which of a companion's lawful returns (rule 7) the model is offered.

    ``first=None`` offers every return that no other return of that companion dominates, which
    keeps the model exact: a return K dominates R when K ends no later (so it clashes with no
    more missions, fits every availability window R fits, and stays within the time away), costs
    no more (compared only when ``by_cost``: levels 1 and 2 do not depend on cost), and books
    seats on no *counted* leg that R does not book too. ``counted`` names the legs whose return
    seats the model counts; ``None`` counts every leg (the model is then the scenario itself), a
    set makes the model a relaxation whose other return seats are checked afterwards (solve.py).
    ``first=k`` offers only the first k lawful returns: a restriction, reported as such.
    """

    first: int | None = None
    counted: frozenset[str] | None = None
    by_cost: bool = False

    @property
    def restricted(self) -> bool:
        return self.first is not None

    def counts(self, leg_id: str) -> bool:
        return self.counted is None or leg_id in self.counted


@dataclass(slots=True)
class MemberTrip:
    """One returnee's part of a unit option: where and when they are picked up."""

    dep: Departure
    airport: str
    drive: int
    pickup: int
    handover: int


@dataclass(slots=True)
class CompanionChoice:
    """A companion serving one member on one option, with a fixed return itinerary."""

    companion: Companion
    member: int  # index into the option's members
    ret: Itinerary
    start: int  # mission start: the pickup
    end: int  # mission end: return arrival at base
    cost: float  # return fares + outbound fares + overnights (+ day rate for medics)


def choice_key(c: CompanionChoice) -> tuple:
    """A companion choice by what it is (who, which return), whichever candidate set built it."""
    return (c.companion.id, tuple(leg.id for leg in c.ret))


@dataclass(slots=True)
class Trip:
    """One vehicle ride from a pickup location to the departure airport (rule 11).

    Members of a family picked up at the same place share a trip when one vehicle fits them.
    """

    members: list[int]  # indexes into the option's members
    location: str
    busy: tuple[int, int]
    passengers: int
    stretcher: bool
    vehicles: list[str]  # vehicles that fit: seats, stretcher, availability


@dataclass(slots=True)
class Option:
    unit: int
    index: int
    legs: Itinerary
    members: list[MemberTrip]
    first_departs: int
    arrival: int
    waiting: int  # objective level 2: priority-weighted whole hours waited, over members
    fare: float  # the returnees' own seats
    care_minutes: int  # objective level 4: pickup to handover of medical members
    escorts: list[list[CompanionChoice]] = field(default_factory=list)  # per member
    medics: list[list[CompanionChoice]] = field(default_factory=list)  # per member
    trips: list[Trip] = field(default_factory=list)

    def trip_of(self) -> dict[int, int]:
        """Member index -> index of the pickup trip that takes them."""
        return {i: t for t, trip in enumerate(self.trips) for i in trip.members}


@dataclass(slots=True)
class Unit:
    index: int
    members: list[Departure]
    options: list[Option]
    diagnosis: list["Finding"]

    @property
    def priority(self) -> int:
        return sum(d.priority for d in self.members)

    @property
    def name(self) -> str:
        return self.members[0].family_group or self.members[0].id


@dataclass(frozen=True, slots=True)
class Finding:
    """Why options of a departure were dropped, for the explanation of an unplanned one."""

    code: str  # registered in planner.rulebook, which names its rule
    departure: str
    detail: dict

    @property
    def rule(self) -> int:
        return rulebook.rule_of(self.code)


class Candidates:
    def __init__(self, sc: Scenario, returns: ReturnPolicy = ReturnPolicy(), max_layover_minutes: int | None = None,
                 only: set[str] | None = None):
        """``only``: build options just for the units of these departures (a recommendation, which
        holds every other unit as the plan has it, needs no others)."""
        self.sc = sc
        self.only = only
        self.index = FlightIndex(sc)
        # The returnee's longest layover: the scenario's own limit if it sets one, else none.
        limit = max_layover_minutes if max_layover_minutes is not None else rules.max_layover_minutes(sc)
        self.max_layover = NO_LIMIT if limit is None else limit
        self.policy = returns
        self.hold = None  # a planner.hold.Hold when the planner is held still (re-plan, recommend)
        self._return_cache: dict[tuple[str, str, int], list[Itinerary]] = {}
        self._visa_cache: dict[tuple[str, ...], tuple] = {}
        self._travel_cost: dict[tuple, float] = {}
        self.escort_roster = Roster(sc.escorts.values())
        self.medic_roster = Roster(sc.medics.values())
        self._medic_masks: dict[tuple, np.ndarray] = {}
        self.units = self._units()

    # --- units and their itinerary options --------------------------------------------

    def _units(self) -> list[Unit]:
        units = []
        for i, members in enumerate(rules.family_units(self.sc)):
            unit = Unit(i, members, [], [])
            if self.only is None or any(d.id in self.only for d in members):
                unit.options = self._options(unit)
            units.append(unit)
        return units

    def _origin_spans(self, dep: Departure) -> dict[str, tuple[int, int]]:
        """Per departure airport, the span of first-leg departure times rule 2 allows."""
        spans = {a: rules.first_departure_span(self.sc, dep, a) for a in rules.departure_airports(self.sc, dep)}
        return {a: span for a, span in sorted(spans.items()) if span is not None}

    def leg_filter(self, members: list[Departure]):
        """Leg-level rules the returnees' own facts decide (rules 4 and 5), as one predicate."""
        sc = self.sc
        stretcher = any(d.stretcher for d in members)
        medical = any(rules.needs_medif(d) for d in members)
        escorted = any(rules.escorted(sc, d) for d in members)
        seats = max(self.party_seats(d) for d in members)

        def ok(leg: Flight) -> bool:
            if stretcher and not rules.stretcher_leg_ok(sc, leg):
                return False
            if medical and not rules.medif_ok(sc, leg):
                return False
            return leg.seats >= seats and not (escorted and rules.escorted_cap(sc, leg) == 0)
        return ok

    def companions_needed(self, dep: Departure) -> int:
        return rules.companions_needed(self.sc, dep)

    def party_seats(self, dep: Departure) -> int:
        return rules.party_seats(self.sc, dep)

    def latest_arrival(self, dep: Departure) -> int:
        return rules.latest_arrival(self.sc, dep)

    def _options(self, unit: Unit) -> list[Option]:
        sc = self.sc
        lead = unit.members[0]
        findings = unit.diagnosis
        rec = sc.reception[lead.reception]
        for dep in unit.members:
            blocker = self._standing_blocker(dep)
            if blocker:
                findings.append(blocker)
        if findings:
            return []
        spans = [self._origin_spans(d) for d in unit.members]
        common = set.intersection(*(set(s) for s in spans))
        origins = {a: (max(s[a][0] for s in spans), min(s[a][1] for s in spans)) for a in sorted(common)}
        origins = {a: w for a, w in origins.items() if w[0] <= w[1]}
        if not origins:
            findings.append(Finding("no_pickup_time", lead.id, {}))
            return []
        latest = min(self.latest_arrival(d) for d in unit.members)
        max_legs = rules.max_legs(sc)
        options: list[Option] = []
        dropped: dict[str, dict] = {}
        for legs in search(self.index, origins, rec.airport, latest, self.leg_filter(unit.members),
                           max_legs, self.max_layover):
            members = []
            first_day = rules.local_date(sc, legs[0].departs, legs[0].origin)
            for dep in unit.members:
                trip, why = self._member_trip(dep, legs)
                if trip is None:
                    note_drop(dropped, why[0], why[1] | {"departure": dep.id, "first_day": first_day})
                    break
                members.append(trip)
            else:
                option = self._option(unit, len(options), legs, members)
                blocker = self._unstaffed(option)
                if blocker is None:
                    options.append(option)
                else:
                    note_drop(dropped, blocker[0], blocker[1] | {"first_day": first_day})
        if not options:
            findings.extend(self._diagnose(unit, origins, latest, dropped))
        return options

    def _standing_blocker(self, dep: Departure) -> Finding | None:
        """Facts that rule a departure out whatever flight it takes."""
        sc = self.sc
        rec = sc.reception[dep.reception]
        if not rec.confirmed:
            return Finding("reception_unconfirmed", dep.id, {"reception": rec.id})
        if rules.is_minor(dep) and not rules.minor_reception_ok(rec):
            return Finding("minor_reception_kind", dep.id, {"reception": rec.id, "kind": rec.kind})
        if dep.stretcher and not any(v.stretcher for v in sc.vehicles.values()):
            return Finding("no_stretcher_vehicle", dep.id, {})
        return None

    def _member_trip(self, dep: Departure, legs: Itinerary) -> tuple[MemberTrip | None, tuple[str, dict]]:
        sc = self.sc
        first, last = legs[0], legs[-1]
        drive = rules.drive_minutes(sc, dep, first.origin)
        pickup = rules.pickup_time(sc, dep, first.origin, first.departs)
        rec = sc.reception[dep.reception]
        handover = rules.handover_time(rec, last.arrives)
        if not rules.pickup_ok(sc, dep, pickup):
            return None, ("pickup_window", {})
        if not rules.span_in_window(pickup, last.arrives, sc.horizon):
            return None, ("horizon", {})
        w = rules.blocked_overlap(dep, pickup, last.arrives)
        if w is not None:
            return None, ("blocked", {"window": w})
        dep_day = rules.local_date(sc, first.departs, first.origin)
        arr_day = rules.local_date(sc, last.arrives, last.dest)
        if not rules.document_valid_on(dep, dep_day):
            return None, ("document", {"day": dep_day})
        if not rules.document_valid_on(dep, arr_day):
            return None, ("document", {"day": arr_day, "at": "arrival"})
        if not rules.fit_to_fly_on(dep, arr_day):
            return None, ("fit_to_fly", {"day": arr_day})
        limit = rules.travel_minutes_limit(dep)
        if limit is not None and handover - pickup > limit:
            return None, ("travel_time", {"minutes": handover - pickup})
        if not rules.reception_open_at(sc, rec, handover):
            return None, ("reception_closed", {"time": handover})
        return MemberTrip(dep, first.origin, drive, pickup, handover), ("", {})

    def _option(self, unit: Unit, index: int, legs: Itinerary, members: list[MemberTrip]) -> Option:
        sc = self.sc
        first = legs[0].departs
        waiting = sum(m.dep.priority * rules.waiting_hours(m.dep, first) for m in members)
        fare = sum(rules.seat_fares(sc, legs, rules.returnee_seats(sc, m.dep)) for m in members)
        care = sum(m.handover - m.pickup for m in members if m.dep.kind == "medical")
        option = Option(unit.index, index, legs, members, first, legs[-1].arrives, waiting, fare, care)
        self._staff(option)
        option.trips = self._trips(members)
        return option

    def _staff(self, option: Option) -> None:
        sc = self.sc
        option.escorts = [self._companions(option, i, self.escort_roster, self.escort_roster.everyone)
                          if rules.required_escorts(sc, m.dep) else [] for i, m in enumerate(option.members)]
        option.medics = [self._companions(option, i, self.medic_roster, self._qualified_medics(m.dep))
                         if m.dep.medic_role else [] for i, m in enumerate(option.members)]

    def restaff(self, policy: ReturnPolicy, keep=None, touching: set[str] | None = None) -> None:
        """Offer companions and their returns anew under ``policy``; the choices of the selection
        ``keep`` stay offered, so it remains a solution (and a complete hint) of the new model, and
        so do the preferred choices of a hold (planner/hold.py: the model must be able to keep them,
        or it would count a change that no plan needs to make).

        ``touching``: only the options offering a return over one of these legs change — when
        the policy only counts these legs more, no other option's dominant returns change.
        """
        self.policy = policy
        for unit in self.units:
            for option in unit.options:
                if touching is None or any(leg.id in touching for team in option.escorts + option.medics
                                           for c in team for leg in c.ret):
                    self._staff(option)
        held = list(keep.chosen.values()) if keep is not None else []
        if self.hold is not None:
            held += self.hold.preferred.values()
        for chosen in held:
            option = chosen.option
            for offered, teams in ((option.escorts, chosen.escorts), (option.medics, chosen.medics)):
                for i, team in enumerate(teams):
                    known = {choice_key(c) for c in offered[i]}
                    offered[i].extend(c for c in team if choice_key(c) not in known)

    def _unstaffed(self, option: Option) -> tuple[str, dict] | None:
        """What keeps an option from being served even with every resource free."""
        sc = self.sc
        for i, m in enumerate(option.members):
            dep = m.dep
            info = {"departure": dep.id, "country": dep.destination_country}
            need = rules.required_escorts(sc, dep)
            team = [c.companion for c in option.escorts[i]]
            if need and len({c.id for c in team}) < need:
                if self._short_of_visas(option, i, need):
                    return "escort_visa", info | {"need": need}
                return "escort_shortage", info | {"need": need, "visa": bool(self.visa_needs(option.legs))}
            if need:
                lacks = [n for n, meets in rules.team_demands(dep, need) if not any(meets(c) for c in team)]
                if lacks:
                    return "escort_skill", info | {"lacks": lacks}
            if dep.medic_role and not option.medics[i]:
                return "medic_shortage", info | {"role": dep.medic_role, "skills": sorted(dep.medical.medic_skills)}
        for trip in option.trips:
            if not trip.vehicles:
                return "no_vehicle", {"departure": option.members[trip.members[0]].dep.id,
                                      "passengers": trip.passengers, "stretcher": trip.stretcher}
        return None

    def _short_of_visas(self, option: Option, member: int, need: int) -> bool:
        """Visas aside, ``need`` escorts could serve (available over a lawful return): the visa
        requirement (rule 7) is what leaves the team short, not availability."""
        sc, roster = self.sc, self.escort_roster
        if not self.visa_needs(option.legs) and not sc.parameters.visa_required_countries:
            return False
        start = option.members[member].pickup
        deadline = start + rules.max_away_minutes(sc)
        free = np.zeros(len(roster), dtype=bool)
        for base, at_base in roster.by_base.items():
            for ret in self.returns(option.legs[-1].dest, base, option.arrival + rules.turnaround_minutes(sc)):
                end = rules.mission_end(ret)
                if end > deadline:
                    break
                free |= at_base & roster.available(start, end)
        return int(free.sum()) >= need

    def _qualified_medics(self, dep: Departure) -> np.ndarray:
        key = (dep.medic_role, dep.medical.medic_skills)
        found = self._medic_masks.get(key)
        if found is None:
            found = self._medic_masks[key] = self.medic_roster.mask(lambda c: rules.medic_qualifies(c, dep))
        return found

    def passengers(self, dep: Departure) -> int:
        return rules.passengers(self.companions_needed(dep))

    def _trips(self, members: list[MemberTrip]) -> list[Trip]:
        """Members of a family picked up at one place share a trip when a vehicle fits them all
        (rule 11: they *may*); when none does — a stretcher case with more people than an
        ambulance seats, say — each rides on their own."""
        by_place: dict[str, list[int]] = defaultdict(list)
        for i, m in enumerate(members):
            by_place[m.dep.pickup_location].append(i)
        trips = []
        for place, idx in by_place.items():
            shared = self._trip(members, idx, place)
            if shared.vehicles or len(idx) == 1:
                trips.append(shared)
            else:
                trips.extend(self._trip(members, [i], place) for i in idx)
        return trips

    def _trip(self, members: list[MemberTrip], group: list[int], place: str) -> Trip:
        first = members[group[0]]
        busy = rules.vehicle_busy(first.pickup, first.drive)
        passengers = sum(self.passengers(members[i].dep) for i in group)
        stretcher = any(members[i].dep.stretcher for i in group)
        fits = [v.id for v in self.sc.vehicles.values()
                if rules.vehicle_fits(v, passengers, stretcher) and rules.span_in_any(*busy, v.available)]
        return Trip(group, place, busy, passengers, stretcher, fits)

    # --- companions and their returns ------------------------------------------------------

    def returns(self, airport: str, base: str, earliest: int) -> list[Itinerary]:
        """Return itineraries (rule 7) leaving ``airport`` from ``earliest``, by arrival time."""
        key = (airport, base, earliest)
        found = self._return_cache.get(key)
        if found is None:
            latest = earliest + rules.max_away_minutes(self.sc)
            # No layover limit of its own: the time away (rule 7) bounds a return.
            found = sorted(search(self.index, {airport: (earliest, latest)}, base, latest, lambda f: True,
                                  rules.max_legs(self.sc), NO_LIMIT),
                           key=lambda it: (it[-1].arrives, it[0].departs))
            self._return_cache[key] = found
        return found

    def lawful_returns(self, option: Option, member: int, person: Companion) -> list[Itinerary]:
        """Every return of ``person`` from ``option`` that rule 7 allows, by arrival at base."""
        sc = self.sc
        start = option.members[member].pickup
        deadline = start + rules.max_away_minutes(sc)
        out = []
        for ret in self.returns(option.legs[-1].dest, person.base, option.arrival + rules.turnaround_minutes(sc)):
            end = rules.mission_end(ret)
            if end > deadline:
                break
            if rules.span_in_any(start, end, person.available) and \
                    rules.missing_visa(person, self.visa_needs(ret)) is None:
                out.append(ret)
        return out

    def visa_needs(self, legs: Itinerary):
        key = tuple(leg.id for leg in legs)
        needs = self._visa_cache.get(key)
        if needs is None:
            needs = self._visa_cache[key] = rules.visa_needs(self.sc, legs)
        return needs

    def _companions(self, option: Option, member: int, roster: Roster, pool: np.ndarray) -> list[CompanionChoice]:
        """Each lawful companion of ``pool`` with the lawful returns the policy offers (rule 7)."""
        sc, policy = self.sc, self.policy
        start = option.members[member].pickup
        dest = option.legs[-1].dest
        earliest_return = option.arrival + rules.turnaround_minutes(sc)
        deadline = start + rules.max_away_minutes(sc)
        eligible = pool & roster.visa_ok(self.visa_needs(option.legs))
        out: list[CompanionChoice] = []
        if not eligible.any():
            return out
        for base, at_base in roster.by_base.items():
            todo = eligible & at_base
            if not todo.any():
                continue
            taken = np.zeros(len(roster), dtype=np.int64)
            # Per kept return: (counted legs, travel cost, who kept it). Returns come by arrival, so
            # every kept one ends no later than the one at hand.
            kept: list[tuple[frozenset[str], float, np.ndarray]] = []
            for ret in self.returns(dest, base, earliest_return):
                end = rules.mission_end(ret)
                if end > deadline:
                    break
                fits = todo & roster.available(start, end) & roster.visa_ok(self.visa_needs(ret))
                if policy.first is not None:
                    fits &= taken < policy.first
                    taken += fits
                else:
                    legs = frozenset(leg.id for leg in ret if policy.counts(leg.id))
                    travel = self.travel_cost(option, ret)
                    for k_legs, k_cost, k_who in kept:
                        if k_legs <= legs and (not policy.by_cost or k_cost <= travel):
                            fits &= ~k_who
                    if fits.any():
                        kept.append((legs, travel, fits))
                for i in np.flatnonzero(fits):
                    person = roster.people[i]
                    out.append(CompanionChoice(person, member, ret, start, end, self.companion_cost(option, member, person, ret)))
                if policy.first is not None and (taken[todo] >= policy.first).all():
                    break
        return out

    def travel_cost(self, option: Option, ret: Itinerary) -> float:
        """A companion's seats out and back and nights abroad (objective level 3), whoever they are."""
        sc = self.sc
        # Keyed by the legs themselves: an option that fails staffing is dropped and its index
        # reused by the next one, so (unit, index) would hand that one a stale price.
        key = (tuple(leg.id for leg in option.legs), tuple(leg.id for leg in ret))
        cost = self._travel_cost.get(key)
        if cost is None:
            cost = rules.seat_fares(sc, option.legs) + rules.seat_fares(sc, ret) + sc.parameters.overnight_cost_eur * \
                rules.overnights(sc, option.legs[-1].dest, option.arrival, ret[0].departs)
            self._travel_cost[key] = cost
        return cost

    def companion_cost(self, option: Option, member: int, person: Companion, ret: Itinerary) -> float:
        """Travel cost and, for a medic, the day rate over their mission (objective level 3)."""
        cost = self.travel_cost(option, ret)
        if person.is_medic:
            cost += rules.medic_cost(person, rules.mission_end(ret) - option.members[member].pickup)
        return cost

    # --- diagnosis ---------------------------------------------------------------------

    def _diagnose(self, unit: Unit, origins, latest, dropped: dict[str, dict]) -> list[Finding]:
        """Why no option survived: the checks that dropped itineraries, or what was missing."""
        lead = unit.members[0]
        ranked = sorted(dropped.items(), key=lambda kv: -kv[1]["count"])
        # "only": this check dropped every itinerary examined (none failed anything else first).
        out = [Finding(code, detail["departure"], detail | {"only": len(ranked) == 1}) for code, detail in ranked]
        if out:
            return out
        # No itinerary at all: find out whether flights exist when leg rules are relaxed.
        rec = self.sc.reception[lead.reception]
        relaxed = next(search(self.index, origins, rec.airport, latest, lambda f: True,
                              rules.max_legs(self.sc), self.max_layover), None)
        if relaxed is None:
            return [Finding("no_route", lead.id, {"airport": rec.airport, "origins": sorted(origins)})]
        reasons = []
        for dep in unit.members:
            if dep.stretcher and next(search(self.index, origins, rec.airport, latest,
                                             lambda f: rules.stretcher_leg_ok(self.sc, f), rules.max_legs(self.sc),
                                             self.max_layover), None) is None:
                reasons.append(Finding("no_stretcher_route", dep.id, {"airport": rec.airport}))
            elif rules.needs_medif(dep) and next(search(self.index, origins, rec.airport, latest,
                                                  lambda f: rules.medif_ok(self.sc, f), rules.max_legs(self.sc),
                                                  self.max_layover), None) is None:
                reasons.append(Finding("medif_lead", dep.id, {"airport": rec.airport}))
        return reasons or [Finding("no_seats_route", lead.id, {"airport": rec.airport, "seats": self.party_seats(lead)})]


def note_drop(dropped: dict[str, dict], code: str, detail: dict) -> None:
    """Aggregate dropped options per cause: how many, over which days, and the extremes."""
    agg = dropped.get(code)
    if agg is None:
        dropped[code] = detail | {"count": 1, "last_day": detail.get("first_day"),
                                  "min_minutes": detail.get("minutes")}
        return
    agg["count"] += 1
    day = detail.get("first_day")
    if day is not None:
        agg["first_day"] = min(agg["first_day"], day)
        agg["last_day"] = max(agg["last_day"], day)
    if detail.get("minutes") is not None:
        agg["min_minutes"] = min(agg["min_minutes"], detail["minutes"])
    if detail.get("day") is not None and (agg.get("day") is None or detail["day"] < agg["day"]):
        agg["day"], agg["at"] = detail["day"], detail.get("at")  # the earliest day it failed on
