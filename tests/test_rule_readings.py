"""One reading per fact: the checker, the model and the outputs agree on each shared rule reading.

Each test builds a tiny scenario at the exact boundary of one fact (see ``planner.rules``): there
the solver plans the departure, the checker accepts the plan and the outputs print the times the
rule computes; one minute (or one day) past it the solver leaves the departure out and the
checker rejects a plan that takes it anyway. Where the scenario generator decides plannability,
it must say the same.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tiny
from tiny import BACK, OUT, departure, escort, flight, reception, scenario
from planner import explain, generator, rulebook, rules, timeutil
from planner.candidates import Candidates
from planner.checker import check_plan
from planner.outputs import derive
from planner.plan import build_plan
from planner.scenario import parse_scenario
from planner.solve import SolveOptions, solve

PLANNER = Path(__file__).resolve().parents[1] / "planner"


def solved(data: dict) -> dict:
    """The exact solver's plan for ``data``, already accepted by the checker."""
    sc = parse_scenario(data)
    plan = build_plan(sc, solve(sc, SolveOptions(time_limit=10, workers=1)))
    assert check_plan(sc, plan) == [], "the solver's own plan must pass the checker"
    return plan


def entry(plan: dict, did: str = "D1") -> dict:
    return next(d for d in plan["departures"] if d["id"] == did)


def rules_broken(data: dict, plan: dict) -> set[int]:
    return {v.rule for v in check_plan(parse_scenario(data), plan)}


def minute(text: str) -> int:
    return timeutil.instant_minutes(text)


# --- Rule 2: pickup time, the first departure's span, the latest arrival ---------------------

def test_pickup_time_is_one_reading_for_solver_checker_and_itinerary():
    data = scenario()
    sc = parse_scenario(data)
    plan = solved(data)
    e = entry(plan)
    expected = rules.pickup_time(sc, sc.departures["D1"], "AMS", sc.flights[OUT].departs)
    assert minute(e["pickup"]["time"]) == expected == minute("2027-01-07T07:30:00+01:00")
    view = derive.departure_view(sc, e)
    assert view.pickup.minute == expected
    assert view.checkin.minute == rules.checkin_time(sc, sc.flights[OUT].departs)
    assert view.at_airport.minute == expected + rules.drive_minutes(sc, sc.departures["D1"], "AMS")
    late = tiny.valid_plan(pickup={"time": "2027-01-07T07:31:00+01:00"})
    assert rules_broken(data, late) == {2}


@pytest.mark.parametrize("window_end, planned", [("2027-01-07T07:31:00+01:00", True),
                                                 ("2027-01-07T07:30:00+01:00", False)])
def test_pickup_window_end_is_exclusive_everywhere(window_end, planned):
    data = scenario(departures=[departure(pickup={"window": ["2027-01-05T00:00:00+01:00", window_end]})])
    sc = parse_scenario(data)
    span = rules.first_departure_span(sc, sc.departures["D1"], "AMS")
    assert (span is not None and span[1] >= sc.flights[OUT].departs) is planned
    assert entry(solved(data))["planned"] is planned
    assert (2 not in rules_broken(data, tiny.valid_plan())) is planned
    assert generator.plannable_in_principle(data)["D1"] is planned


@pytest.mark.parametrize("ready, planned", [("2027-01-07T10:00:00+01:00", True), ("2027-01-07T10:01:00+01:00", False)])
def test_ready_from_bounds_the_first_departure(ready, planned):
    data = scenario(departures=[departure(ready_from=ready)])
    assert entry(solved(data))["planned"] is planned
    assert (2 not in rules_broken(data, tiny.valid_plan())) is planned
    assert generator.plannable_in_principle(data)["D1"] is planned


@pytest.mark.parametrize("deadline, planned", [("2027-01-07T16:31:00+01:00", True), ("2027-01-07T16:30:00+01:00", False)])
def test_latest_arrival_is_before_the_deadline(deadline, planned):
    data = scenario(departures=[departure(deadline=deadline)])
    sc = parse_scenario(data)
    dep = sc.departures["D1"]
    assert (sc.flights[OUT].arrives <= rules.latest_arrival(sc, dep)) is planned
    assert Candidates(sc).latest_arrival(dep) == rules.latest_arrival(sc, dep)
    plan = solved(data)
    assert entry(plan)["planned"] is planned
    if planned:
        assert derive.departure_view(sc, entry(plan)).final_arrival.minute == sc.flights[OUT].arrives
    assert (2 not in rules_broken(data, tiny.valid_plan())) is planned
    assert generator.plannable_in_principle(data)["D1"] is planned


# --- Rule 1: connection time -------------------------------------------------------------------

@pytest.mark.parametrize("leaves, planned", [("2027-01-07T11:00:00+03:00", True), ("2027-01-07T10:59:00+03:00", False)])
def test_connection_time_at_the_hub(leaves, planned):
    # Only via Istanbul (the direct flight is cancelled); IST's own connection time is 60 minutes.
    flights = tiny.flights_with(OUT, cancelled=True) + [
        flight("TK1-AMSIST", "AMS", "IST", "2027-01-07T06:00:00+01:00", "2027-01-07T10:00:00+03:00", carrier="KL"),
        flight("TK2-ISTLOS", "IST", "LOS", leaves, "2027-01-07T15:00:00+01:00", carrier="KL")]
    data = scenario(flights=flights, airports=[{"iata": "IST", "timezone": "Europe/Istanbul", "country": "TR",
                                                "mct_minutes": 60}])
    sc = parse_scenario(data)
    assert rules.connection_minutes(sc, "IST") == 60
    assert rules.connects(sc, sc.flights["TK1-AMSIST"], sc.flights["TK2-ISTLOS"]) is planned
    plan = solved(data)
    assert entry(plan)["planned"] is planned
    if planned:
        view = derive.departure_view(sc, entry(plan))
        assert [(c.minutes, c.minimum) for c in view.connections] == [(60, derive.duration_text(60))]
    forced = tiny.valid_plan(flights=["TK1-AMSIST", "TK2-ISTLOS"], pickup={"time": "2027-01-07T03:30:00+01:00"},
                             handover={"time": "2027-01-07T16:00:00+01:00"})
    assert (1 not in rules_broken(data, forced)) is planned
    found = {tuple(f.id for f in it) for it in generator._Network(sc).itineraries("AMS", "LOS", 0, 10**9)}
    assert (("TK1-AMSIST", "TK2-ISTLOS") in found) is planned


# --- Rule 3: local dates ------------------------------------------------------------------------

def addis(valid_until: str) -> dict:
    """D1 to Addis Ababa (UTC+3): the flight lands at 00:30 local on 8 January, still the 7th at home."""
    round_the_clock = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    return scenario(
        flights=[flight("ET1-AMSADD", "AMS", "ADD", "2027-01-07T16:00:00+01:00", "2027-01-08T00:30:00+03:00"),
                 flight("ET2-ADDAMS", "ADD", "AMS", "2027-01-08T03:00:00+03:00", "2027-01-08T08:00:00+01:00")],
        reception=[reception("REC-ADD", country="ET", airport="ADD", open=round_the_clock)],
        departures=[departure(destination_country="ET", destination_airports=["ADD"], reception="REC-ADD",
                              travel_document={"valid_until": valid_until})])


def addis_plan() -> dict:
    return tiny.plan(tiny.planned("D1", flights=["ET1-AMSADD"], pickup="2027-01-07T13:30:00+01:00",
                                  handover="2027-01-08T01:30:00+03:00", reception_id="REC-ADD",
                                  escorts={"E1": ["ET2-ADDAMS"], "E2": ["ET2-ADDAMS"]}, medics={"N1": ["ET2-ADDAMS"]}))


@pytest.mark.parametrize("valid_until, planned", [("2027-01-08", True), ("2027-01-07", False)])
def test_document_is_read_on_the_local_landing_date(valid_until, planned):
    data = addis(valid_until)
    sc = parse_scenario(data)
    landing = sc.flights["ET1-AMSADD"]
    assert str(rules.local_date(sc, landing.arrives, "ADD")) == "2027-01-08"
    plan = solved(data)
    assert entry(plan)["planned"] is planned
    if planned:
        assert derive.departure_view(sc, entry(plan)).final_arrival.dt.date().isoformat() == "2027-01-08"
    assert (3 not in rules_broken(data, addis_plan())) is planned
    assert generator.plannable_in_principle(data)["D1"] is planned


# --- Rule 4: the escorted-per-flight cap --------------------------------------------------------

def two_escorted(cap: int) -> dict:
    airlines = [{"code": "KL", "max_escorted_per_flight": cap, "accepts_stretcher": True, "medif_lead_hours": 48}]
    deps = [departure(d, kind="other", medical=None, fit_to_fly_until=None) for d in ("D1", "D2")]
    crew = [escort("E1", skills=["team_leader"]), escort("E2", skills=["team_leader"]), escort("E3"), escort("E4")]
    vans = [{"id": f"VAN-{i}", "kind": "van", "stretcher": False, "seats": 4, "available": tiny.JANUARY} for i in (1, 2)]
    return scenario(airlines=airlines, departures=deps, escorts=crew, medics=[], vehicles=vans)


def test_escorted_cap_is_one_reading():
    both = solved(two_escorted(2))
    assert all(entry(both, d)["planned"] for d in ("D1", "D2"))
    sc = parse_scenario(two_escorted(1))
    assert rules.escorted_cap(sc, sc.flights[OUT]) == 1
    assert rules_broken(two_escorted(1), both) == {4}
    assert sum(entry(solved(two_escorted(1)), d)["planned"] for d in ("D1", "D2")) == 1


# --- Rules 6 and 8: required escorts, the minors' floor, the team leader -------------------------

def test_minor_floor_asks_one_escort_and_only_kind_decides():
    minor = departure(kind="minor", risk="none", medical=None, fit_to_fly_until=None,
                      person={"sex": "F", "birth_date": "2015-03-01"})
    child_of_other_kind = departure(kind="other", risk="none", medical=None, fit_to_fly_until=None,
                                    person={"sex": "F", "birth_date": "2015-03-01"})
    family = [reception(kind="family")]
    for dep, need in ((minor, 1), (child_of_other_kind, 0)):
        data = scenario(departures=[dep], reception=family, medics=[])
        sc = parse_scenario(data)
        assert rules.required_escorts(sc, sc.departures["D1"]) == need
        assert rules.minor_floor_applies(sc, sc.departures["D1"]) is (need == 1)
        e = entry(solved(data))
        assert e["planned"] and len(e["escorts"]) == need
    alone = tiny.plan(tiny.planned("D1", flights=[OUT], pickup="2027-01-07T07:30:00+01:00",
                                   handover="2027-01-07T17:30:00+01:00", escorts={}))
    assert rules_broken(scenario(departures=[minor], reception=family, medics=[]), alone) == {8}


def test_team_leader_is_one_reading_for_checker_and_itinerary():
    data = scenario()
    sc = parse_scenario(data)
    plan = solved(data)
    view = derive.departure_view(sc, entry(plan))
    head = rules.team_leader([sc.escorts[e["id"]] for e in entry(plan)["escorts"]])
    assert head is not None and [m.id for m in view.escorts if m.leader] == [head.id]
    assert "teamleider" in next(m for m in view.escorts if m.leader).role("nl")
    # A lone escort without the skill leads nobody and is not called team leader.
    lone = scenario(departures=[departure(risk="none", kind="minor", medical=None, fit_to_fly_until=None)],
                    reception=[reception(kind="family")], escorts=[escort("E1", skills=["minors"])], medics=[])
    sc = parse_scenario(lone)
    view = derive.departure_view(sc, entry(solved(lone)))
    assert [m.leader for m in view.escorts] == [False] and "teamleider" not in view.escorts[0].role("nl")
    # Two escorts without a leader: rule 6.
    no_leader = scenario(escorts=[escort("E1"), escort("E2")])
    assert rules_broken(no_leader, tiny.valid_plan()) == {6}
    assert not entry(solved(no_leader))["planned"]


# --- Rule 5: MEDIF need and due -----------------------------------------------------------------

@pytest.mark.parametrize("medical, needs", [({"medic_role": None, "medic_skills": [], "wheelchair": "WCHR"}, True),
                                            ({"medic_role": None, "medic_skills": []}, False)])
def test_medif_need_and_due(medical, needs):
    # Planned 40 hours before the flight: inside KL's 48-hour MEDIF lead.
    data = scenario(planning_time="2027-01-05T18:00:00+01:00", departures=[departure(medical=medical)])
    sc = parse_scenario(data)
    dep = sc.departures["D1"]
    assert rules.needs_medif(dep) is needs
    plan = solved(data)
    assert entry(plan)["planned"] is not needs
    crew = {"E1": [BACK], "E2": [BACK]}
    forced = tiny.plan(tiny.planned("D1", flights=[OUT], pickup="2027-01-07T07:30:00+01:00",
                                    handover="2027-01-07T17:30:00+01:00", escorts=crew))
    assert (5 in rules_broken(data, forced)) is needs
    view = derive.departure_view(sc, entry(forced))
    if needs:
        assert view.medif.due.minute == rules.medif_due(sc, [sc.flights[OUT]]) and view.medif.overdue
    else:
        assert view.medif is None


# --- Rule 9: opening hours ----------------------------------------------------------------------

@pytest.mark.parametrize("closes, planned", [("17:31", True), ("17:30", False)])
def test_handover_inside_opening_hours(closes, planned):
    hours = {d: ["08:00", closes] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    data = scenario(reception=[reception(open=hours)])
    sc = parse_scenario(data)
    handover = rules.handover_time(sc.reception["REC-LOS"], sc.flights[OUT].arrives)
    assert handover == minute("2027-01-07T17:30:00+01:00")
    assert rules.reception_open_at(sc, sc.reception["REC-LOS"], handover) is planned
    plan = solved(data)
    assert entry(plan)["planned"] is planned
    if planned:
        assert derive.departure_view(sc, entry(plan)).handover.minute == handover
    assert (9 not in rules_broken(data, tiny.valid_plan())) is planned
    assert generator.plannable_in_principle(data)["D1"] is planned


# --- Rules 10 and 11: family units, vehicle fit and passengers ----------------------------------

@pytest.mark.parametrize("seats, planned", [(4, True), (3, False)])
def test_vehicle_fits_the_returnee_and_companions(seats, planned):
    data = scenario(vehicles=[{"id": "AMB-1", "kind": "ambulance", "stretcher": True, "seats": seats,
                               "available": tiny.JANUARY}])
    sc = parse_scenario(data)
    dep = sc.departures["D1"]
    people = rules.passengers(rules.companions_needed(sc, dep))
    assert people == 4  # the returnee, two escorts and a nurse
    assert rules.vehicle_fits(sc.vehicles["AMB-1"], people, dep.stretcher) is planned
    assert entry(solved(data))["planned"] is planned
    assert (11 not in rules_broken(data, tiny.valid_plan())) is planned


def test_family_units_plan_together_and_share_one_trip():
    deps = [departure(d, kind="other", risk="none", medical=None, fit_to_fly_until=None, family_group="FAM-1")
            for d in ("D1", "D2")] + [departure("D3", kind="other", risk="none", medical=None, fit_to_fly_until=None)]
    data = scenario(departures=deps, medics=[])
    sc = parse_scenario(data)
    units = [[d.id for d in unit] for unit in rules.family_units(sc)]
    assert units == [["D1", "D2"], ["D3"]]
    assert [[d.id for d in u.members] for u in Candidates(sc).units] == units
    assert rules.trip_party(sc.departures["D1"]) == rules.trip_party(sc.departures["D2"]) != \
        rules.trip_party(sc.departures["D3"])
    plan = solved(data)
    d1, d2 = entry(plan, "D1"), entry(plan, "D2")
    assert d1["planned"] and d1["flights"] == d2["flights"] and d1["pickup"] == d2["pickup"]
    half = dict(plan, departures=[d for d in plan["departures"] if d["id"] != "D2"])
    assert 10 in rules_broken(data, half)


# --- The rulebook ---------------------------------------------------------------------------------

def test_rulebook_lists_the_eleven_rules_by_the_specs_names():
    assert [(r.number, r.name) for r in rulebook.RULES] == [
        (1, "Itinerary"), (2, "Timing"), (3, "Documents"), (4, "Seats"), (5, "Medical"), (6, "Escorts"),
        (7, "Companions come home"), (8, "Minors"), (9, "Reception"), (10, "Families"), (11, "Vehicles")]
    codes = [c for r in rulebook.RULES for c in r.codes] + list(rulebook.UNRULED_CODES)
    assert len(codes) == len(set(codes)), "a reason code belongs to one rule"
    with pytest.raises(KeyError):
        rulebook.rule_of("no_such_code")


def _codes_in(name: str) -> tuple[set[str], set[str]]:
    """Reason codes in one planner module: (written: findings, dropped options, blockers, reasons;
    explained: compared against ``code``)."""
    written, explained = set(), set()
    for node in ast.walk(ast.parse((PLANNER / name).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Finding", "Reason", "rule_of"):
            args = node.args[1:2] if node.func.id == "Reason" else node.args[:1]
            written |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Dict) \
                and isinstance(node.elts[0], ast.Constant) and isinstance(node.elts[0].value, str):
            written.add(node.elts[0].value)  # ("code", {detail}): a dropped option or a blocker
        elif isinstance(node, ast.Compare) and getattr(node.left, "id", None) == "code":
            for comp in node.comparators:
                elts = comp.elts if isinstance(comp, ast.Tuple) else [comp]
                explained |= {e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return written - {""}, explained  # ("", {}): a member trip with nothing wrong


def test_every_reason_code_is_registered_and_explained():
    written, explained = set(explain._CONTENTION), set(explain._CONTENTION)
    for name in ("candidates.py", "greedy.py", "explain.py"):
        w, e = _codes_in(name)
        written |= w | e
        explained |= e
    assert {"no_pickup_time", "pickup_window", "airline_cap", "reception_closed", "family"} <= written  # the scan works
    assert written - rulebook.all_codes() == set(), "every code used is registered"
    registered = {c for r in rulebook.RULES for c in r.codes} - {"family"}  # family: contention_reasons says it
    assert registered - explained == set(), "every registered code has its own explanation"
