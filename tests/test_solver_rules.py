"""The solver obeys each hard rule where it binds.

Each scenario offers a tempting choice (an earlier flight, a cheaper companion) that one rule
forbids; the planner must take the lawful one, in quick (greedy) and in CP-SAT mode, and
every plan is re-checked by the independent checker.
"""
from __future__ import annotations

import pytest

import tiny
from tiny import BACK, OUT, departure, escort, exactly, flight, medic, reception, scenario
from planner.checker import check_plan
from planner.plan import build_plan
from planner.scenario import parse_scenario
from planner.solve import SolveOptions, solve

OUT9 = "KL587-20270109"
BACK9 = "KL588-20270109"
TWO_DAYS = tiny.FLIGHTS + [
    flight(OUT9, "AMS", "LOS", "2027-01-09T10:00:00+01:00", "2027-01-09T16:30:00+01:00", stretcher=True),
    flight(BACK9, "LOS", "AMS", "2027-01-09T22:00:00+01:00", "2027-01-10T05:30:00+01:00"),
]


def plans(data: dict) -> list[dict]:
    """Plans of both modes, each already proven valid by the checker."""
    sc = parse_scenario(data)
    out = []
    for quick in (True, False):
        result = solve(sc, SolveOptions(time_limit=10, workers=1, quick=quick))
        plan = build_plan(sc, result)
        assert check_plan(sc, plan) == [], f"quick={quick}"
        out.append(plan)
    return out


def entry(plan: dict, did: str = "D1") -> dict:
    return next(d for d in plan["departures"] if d["id"] == did)


def companions(e: dict, kind: str = "escorts") -> set[str]:
    return {c["id"] for c in e[kind]}


def test_rule_1_cancelled_leg_and_short_connection_are_avoided():
    flights = tiny.flights_with(OUT, cancelled=True) + [
        flight("TK1-AMSIST", "AMS", "IST", "2027-01-07T06:00:00+01:00", "2027-01-07T10:00:00+03:00", carrier="TK"),
        # 30 minutes after landing: shorter than IST's 60-minute connection time.
        flight("TK2-ISTLOS", "IST", "LOS", "2027-01-07T10:30:00+03:00", "2027-01-07T15:00:00+01:00", carrier="TK"),
        flight("TK3-ISTLOS", "IST", "LOS", "2027-01-07T12:00:00+03:00", "2027-01-07T16:30:00+01:00", carrier="TK"),
    ]
    airlines = tiny.scenario()["airlines"] + [{"code": "TK", "max_escorted_per_flight": 2,
                                               "accepts_stretcher": True, "medif_lead_hours": 48}]
    for plan in plans(scenario(flights=flights, airlines=airlines, airports=[
            {"iata": "IST", "timezone": "Europe/Istanbul", "country": "TR", "mct_minutes": 60}])):
        assert entry(plan)["flights"] == ["TK1-AMSIST", "TK3-ISTLOS"]


def test_rule_2_blocked_window_moves_the_departure():
    blocked = [["2027-01-06T00:00:00+01:00", "2027-01-08T00:00:00+01:00"]]
    for plan in plans(scenario(flights=TWO_DAYS, departures=[departure(blocked=blocked)])):
        assert entry(plan)["flights"] == [OUT9]


def test_rule_2_pickup_window_and_deadline():
    window = {"window": ["2027-01-08T00:00:00+01:00", "2027-01-12T00:00:00+01:00"]}
    for plan in plans(scenario(flights=TWO_DAYS, departures=[departure(pickup=window)])):
        assert entry(plan)["flights"] == [OUT9]
    for plan in plans(scenario(flights=TWO_DAYS, departures=[departure(deadline="2027-01-07T16:30:00+01:00")])):
        assert not entry(plan)["planned"]  # arriving at the deadline is not before it


def test_rule_3_document_not_yet_valid_on_the_first_day():
    doc = {"valid_from": "2027-01-08"}
    for plan in plans(scenario(flights=TWO_DAYS, departures=[departure(travel_document=doc)])):
        assert entry(plan)["flights"] == [OUT9]
    for plan in plans(scenario(flights=TWO_DAYS, departures=[departure(fit_to_fly_until="2027-01-06")])):
        e = entry(plan)
        assert not e["planned"] and "Fit-to-fly" in e["reasons_nl"][0]


def test_rule_4_seats_and_airline_cap():
    # Day 7 has three seats: too few for the returnee, two escorts and a nurse.
    for plan in plans(scenario(flights=tiny.flights_with(OUT, TWO_DAYS, seats=3))):
        assert entry(plan)["flights"] == [OUT9]
    # KL takes one escorted returnee per flight: the second departure flies on day 9.
    airlines = [{"code": "KL", "max_escorted_per_flight": 1, "accepts_stretcher": True, "medif_lead_hours": 48}]
    two = [departure("D1", medical=None, kind="other"), departure("D2", medical=None, kind="other")]
    crew = [escort("E1", skills=["team_leader"]), escort("E2", skills=["team_leader"]), escort("E3"), escort("E4")]
    for plan in plans(scenario(flights=TWO_DAYS, airlines=airlines, departures=two, escorts=crew,
                               medics=[], vehicles=tiny.scenario()["vehicles"])):
        assert sorted(entry(plan, d)["flights"][0] for d in ("D1", "D2")) == [OUT, OUT9]


def test_rule_5_stretcher_legs_medic_skills_and_medif():
    medical = {"stretcher": True, "medic_role": "nurse", "medic_skills": ["icu"]}
    flights = tiny.flights_with(OUT, TWO_DAYS, stretcher=False)
    for plan in plans(scenario(flights=flights, departures=[departure(medical=medical)])):
        e = entry(plan)
        assert e["flights"] == [OUT9] and e["pickup"]["vehicle"] == "AMB-1"
        assert companions(e, "medics") == {"N2"}  # the physician holds icu; the nurse does not
    # Planned 40 hours before the day-7 flight: too late for KL's 48-hour MEDIF.
    for plan in plans(scenario(flights=TWO_DAYS, planning_time="2027-01-05T18:00:00+01:00")):
        assert entry(plan)["flights"] == [OUT9]


def test_rule_6_team_size_and_leader():
    crew = [escort("E1"), escort("E2"), escort("E3"), escort("E4", skills=["team_leader"])]
    van = [{"id": "VAN-1", "kind": "van", "stretcher": False, "seats": 8, "available": tiny.JANUARY}]
    for plan in plans(scenario(escorts=crew, vehicles=van, departures=[departure(risk="high")])):
        team = companions(entry(plan))
        assert len(team) == 3 and "E4" in team


def test_rule_7_visa_turnaround_and_availability():
    crew = [escort("E1", skills=["team_leader"], visas=exactly({})),  # no visa for Nigeria
            escort("E2", skills=["team_leader"]), escort("E3"),
            escort("E4", available=[["2027-01-08T00:00:00+01:00", "2027-02-01T00:00:00+01:00"]])]
    back_soon = flight("KL590-20270107", "LOS", "AMS", "2027-01-07T17:30:00+01:00", "2027-01-08T01:00:00+01:00")
    for plan in plans(scenario(escorts=crew, flights=tiny.FLIGHTS + [back_soon])):
        e = entry(plan)
        assert companions(e) == {"E2", "E3"}
        # KL590 leaves one hour after landing, inside the two-hour turnaround.
        assert all(c["return_flights"] == [BACK] for c in e["escorts"] + e["medics"])


def test_rule_8_minor_gets_same_sex_minors_escort_and_adequate_reception():
    crew = [escort("E1", sex="M", skills=["minors", "team_leader"]), escort("E2", sex="F"),
            escort("E3", sex="F", skills=["minors"])]
    minor = departure(kind="minor", risk="none", medical=None, fit_to_fly_until=None,
                      person={"sex": "F", "birth_date": "2012-03-01"})
    family = [reception(kind="family")]
    for plan in plans(scenario(escorts=crew, departures=[minor], reception=family, medics=[])):
        assert companions(entry(plan)) == {"E3"}
    for plan in plans(scenario(escorts=crew, departures=[minor], medics=[])):  # a hospital: not for a minor
        e = entry(plan)
        assert not e["planned"] and e["reason_rules"][0] == 8


def test_rule_9_reception_hours_and_confirmation():
    morning = {d: ["06:00", "12:00"] for d in tiny.ALL_WEEK}
    early = flight("KL581-20270109", "AMS", "LOS", "2027-01-09T01:00:00+01:00", "2027-01-09T07:30:00+01:00")
    back = flight("KL582-20270109", "LOS", "AMS", "2027-01-09T12:00:00+01:00", "2027-01-09T19:30:00+01:00")
    for plan in plans(scenario(flights=tiny.FLIGHTS + [early, back], reception=[reception(open=exactly(morning))])):
        e = entry(plan)
        assert e["flights"] == ["KL581-20270109"] and e["handover"]["time"] == "2027-01-09T08:30:00+01:00"
    for plan in plans(scenario(reception=[reception(confirmed=False)])):
        e = entry(plan)
        assert not e["planned"] and e["reason_rules"] == [9]


def test_rule_10_family_flies_together_or_not_at_all():
    members = [departure("D1", medical=None, kind="other", risk="none", family_group="F1"),
               departure("D2", medical=None, kind="other", risk="none", family_group="F1")]
    # Day 7 has one seat: not enough for both, so both fly on day 9.
    for plan in plans(scenario(flights=tiny.flights_with(OUT, TWO_DAYS, seats=1), departures=members, medics=[])):
        assert entry(plan, "D1")["flights"] == entry(plan, "D2")["flights"] == [OUT9]
    for plan in plans(scenario(flights=tiny.flights_with(OUT, seats=1), departures=members, medics=[])):
        assert not entry(plan, "D1")["planned"] and not entry(plan, "D2")["planned"]


def test_rule_11_one_vehicle_one_trip_and_stretcher_vehicle():
    two = [departure("D1", medical=None, kind="other", risk="none"),
           departure("D2", medical=None, kind="other", risk="none", pickup={"location": "AMC"})]
    for plan in plans(scenario(flights=TWO_DAYS, departures=two, medics=[])):
        firsts = sorted(entry(plan, d)["flights"][0] for d in ("D1", "D2"))
        assert firsts == [OUT, OUT9]  # one vehicle cannot do both pickups at 07:30 on day 7
    vehicles = [{"id": "VAN-1", "kind": "van", "stretcher": False, "seats": 8, "available": tiny.JANUARY},
                {"id": "AMB-1", "kind": "ambulance", "stretcher": True, "seats": 4, "available": tiny.JANUARY}]
    for plan in plans(scenario(vehicles=vehicles, departures=[departure(medical={"stretcher": True})])):
        assert entry(plan)["pickup"]["vehicle"] == "AMB-1"


@pytest.mark.parametrize("quick", [True, False])
def test_objective_prefers_priority_over_earliness(quick):
    """Level 1 before level 2: one seat, two departures; the higher priority flies first."""
    two = [departure("D1", medical=None, kind="other", risk="none", priority=2),
           departure("D2", medical=None, kind="other", risk="none", priority=5)]
    data = scenario(flights=tiny.flights_with(OUT, seats=1), departures=two, medics=[])
    sc = parse_scenario(data)
    plan = build_plan(sc, solve(sc, SolveOptions(time_limit=10, workers=1, quick=quick)))
    assert check_plan(sc, plan) == []
    assert entry(plan, "D2")["planned"] and not entry(plan, "D1")["planned"]
    assert entry(plan, "D1")["reason_rules"][0] == 4
