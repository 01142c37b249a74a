"""The plan checker, rule by rule: in a tiny scenario where the rule binds, hand-made valid
plans pass with no violation, and each plan that breaks the rule in one way is caught under
that rule's number, naming the departure and the resource at fault.

Times in the plans are worked out by hand in the comments (pickup = first departure
- 120 min check-in - 30 min drive; handover = final arrival + transfer).
"""
from __future__ import annotations

import json

import pytest

import tiny
from planner.checker import Violation, check_plan, check_plan_file
from tiny import BACK, JANUARY, OUT, crew, d1_planned, departure, escort, flight, flights_with, medic, plan, \
    planned, reception, scenario, unplanned, valid_plan

KL = {"code": "KL", "max_escorted_per_flight": 2, "accepts_stretcher": True, "medif_lead_hours": 48}


def check(sc: dict, the_plan, **kw) -> list[Violation]:
    return check_plan(tiny.build(sc), the_plan, **kw)


def assert_valid(sc: dict, the_plan) -> None:
    found = check(sc, the_plan)
    assert found == [], "\n".join(map(str, found))


def assert_caught(sc: dict, the_plan, rule: int, departure: str | None = "D1", resource: str | None = None,
                  only: bool = True) -> list[Violation]:
    found = check(sc, the_plan)
    text = "\n".join(map(str, found)) or "(no violations)"
    hits = [v for v in found if v.rule == rule]
    assert hits, f"rule {rule} not reported:\n{text}"
    if only:
        assert {v.rule for v in found} == {rule}, text
    if departure is not None:
        assert any(v.departure == departure for v in hits), text
    if resource is not None:
        assert any(v.resource == resource for v in hits), text
    return hits


def case(name, sc, the_plan, departure="D1", resource=None, only=True):
    return pytest.param(sc, the_plan, departure, resource, only, id=name)


BREAK_ARGS = "sc, the_plan, departure, resource, only"


def test_tiny_default_plan_is_valid():
    assert_valid(scenario(), valid_plan())


# --- Rule 1: itinerary --------------------------------------------------------------------------

AF = {"code": "AF", "max_escorted_per_flight": 2, "accepts_stretcher": True, "medif_lead_hours": 48}
AF1 = flight("AF1-20270107", "AMS", "CDG", "2027-01-07T08:00:00+01:00", "2027-01-07T09:15:00+01:00", carrier="AF")
AF2 = flight("AF2-20270107", "CDG", "LOS", "2027-01-07T10:30:00+01:00", "2027-01-07T16:45:00+01:00", carrier="AF")
AF3 = flight("AF3-20270107", "CDG", "LOS", "2027-01-07T10:00:00+01:00", "2027-01-07T16:15:00+01:00", carrier="AF")
AF4 = flight("AF4-20270107", "CDG", "AMS", "2027-01-07T13:00:00+01:00", "2027-01-07T14:15:00+01:00", carrier="AF")


def rule1_scenario(**patch) -> dict:
    return scenario(**{"airlines": [KL, AF], "flights": tiny.FLIGHTS + [AF1, AF2, AF3, AF4], **patch})


def via_cdg(second: dict = AF2, handover: str = "2027-01-07T17:45:00+01:00", returns=(BACK,)) -> dict:
    # AF1 08:00 - 150 min = 05:30 pickup; CDG connection 75 min >= 60.
    return plan(planned("D1", flights=[AF1["id"], second["id"]], pickup="2027-01-07T05:30:00+01:00",
                        handover=handover, escorts={"E1": list(returns), "E2": list(returns)},
                        medics={"N1": list(returns)}))


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule1_scenario(), valid_plan(), id="direct"),
    pytest.param(rule1_scenario(), via_cdg(), id="one connection"),
])
def test_rule_1_valid_itineraries_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("unknown flight", rule1_scenario(), valid_plan(flights=["KL999-20270107"]), resource="KL999-20270107"),
    # 10:00 - 09:15 = 45 min at CDG, 60 needed; handover 16:15 + 60.
    case("connection too short", rule1_scenario(), via_cdg(AF3, "2027-01-07T17:15:00+01:00"), resource=AF3["id"]),
    case("too many legs", rule1_scenario(parameters={"max_connections": 0}), via_cdg()),
    case("cancelled leg", rule1_scenario(flights=flights_with(OUT, cancelled=True)), valid_plan(), resource=OUT),
    case("legs do not chain", rule1_scenario(),
         plan(planned("D1", flights=[OUT, AF2["id"]], pickup="2027-01-07T07:30:00+01:00",
                      handover="2027-01-07T17:45:00+01:00", escorts={"E1": [BACK], "E2": [BACK]},
                      medics={"N1": [BACK]})), resource=AF2["id"]),
    # Ends at CDG (09:15): companions fly home from there on AF4 13:00; handover 10:15.
    case("ends short of the reception airport", rule1_scenario(),
         plan(planned("D1", flights=[AF1["id"]], pickup="2027-01-07T05:30:00+01:00",
                      handover="2027-01-07T10:15:00+01:00", escorts={"E1": [AF4["id"]], "E2": [AF4["id"]]},
                      medics={"N1": [AF4["id"]]})), resource=AF1["id"]),
    case("pickup airport is not the first origin", rule1_scenario(), valid_plan(pickup={"airport": "RTM"})),
    case("pickup location cannot reach the airport",
         rule1_scenario(locations=[{"id": "AMC", "name": "Amsterdam UMC", "kind": "hospital",
                                    "drive_minutes": {"RTM": 30}}]), valid_plan(), resource=OUT),
    case("pickup at another location", rule1_scenario(), valid_plan(pickup={"location": "ELSEWHERE"})),
])
def test_rule_1_itinerary(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 1, departure, resource, only)


# --- Rule 2: timing -----------------------------------------------------------------------------

def dep_patch(**patch) -> dict:
    return scenario(departures=[departure(**patch)])


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(scenario(), valid_plan(), id="default"),
    pytest.param(dep_patch(pickup={"window": ["2027-01-05T00:00:00+01:00", "2027-01-07T07:31:00+01:00"]}),
                 valid_plan(), id="pickup one minute before the window ends"),
    pytest.param(dep_patch(ready_from="2027-01-07T10:00:00+01:00"), valid_plan(), id="departs at ready_from"),
    pytest.param(dep_patch(deadline="2027-01-07T16:31:00+01:00"), valid_plan(), id="arrives a minute before deadline"),
    pytest.param(dep_patch(blocked=[["2027-01-06T00:00:00+01:00", "2027-01-07T07:30:00+01:00"]]), valid_plan(),
                 id="blocked window ends at pickup"),
])
def test_rule_2_valid_timings_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("pickup time not first departure - checkin - drive", scenario(),
         valid_plan(pickup={"time": "2027-01-07T07:00:00+01:00"})),
    case("pickup time without offset", scenario(), valid_plan(pickup={"time": "2027-01-07T07:30:00"})),
    case("pickup time unreadable", scenario(), valid_plan(pickup={"time": "tomorrow"})),
    case("pickup at window end (exclusive)",
         dep_patch(pickup={"window": ["2027-01-05T00:00:00+01:00", "2027-01-07T07:30:00+01:00"]}), valid_plan()),
    case("pickup before window", dep_patch(pickup={"window": ["2027-01-07T08:00:00+01:00",
                                                              "2027-01-12T00:00:00+01:00"]}), valid_plan()),
    case("departs before ready_from", dep_patch(ready_from="2027-01-07T10:01:00+01:00"), valid_plan(), resource=OUT),
    case("arrives at the deadline", dep_patch(deadline="2027-01-07T16:30:00+01:00"), valid_plan(), resource=OUT),
    # planning_time 08:00 on the day: the MEDIF lead is set to 0 so that only the pickup is late.
    case("pickup before planning_time",
         scenario(planning_time="2027-01-07T08:00:00+01:00",
                  airlines=[dict(KL, medif_lead_hours=0)]), valid_plan()),
    case("blocked window overlaps the journey",
         dep_patch(blocked=[["2027-01-07T16:00:00+01:00", "2027-01-07T18:00:00+01:00"]]), valid_plan()),
    case("arrival after the horizon", scenario(horizon=["2027-01-05T00:00:00+01:00", "2027-01-07T16:00:00+01:00"]),
         valid_plan()),
])
def test_rule_2_timing(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 2, departure, resource, only)


# --- Rule 3: documents --------------------------------------------------------------------------

# Lands in Lagos at 00:30 local on the 8th, which is still the 7th in UTC.
LATE_OUT = flight("KL595-20270107", "AMS", "LOS", "2027-01-07T17:00:00+01:00", "2027-01-08T00:30:00+01:00")
BACK_8 = flight("KL588-20270108", "LOS", "AMS", "2027-01-08T22:00:00+01:00", "2027-01-09T05:30:00+01:00")
# Leaves Amsterdam at 00:30 local on the 7th, which is still the 6th in UTC.
EARLY_OUT = flight("KL571-20270107", "AMS", "LOS", "2027-01-07T00:30:00+01:00", "2027-01-07T07:00:00+01:00")
ALL_DAY = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def rule3_scenario(**dep) -> dict:
    return scenario(flights=tiny.FLIGHTS + [LATE_OUT, BACK_8, EARLY_OUT], reception=[reception(open=ALL_DAY)],
                    departures=[departure(**dep)])


def late_plan() -> dict:
    # 17:00 - 150 min = 14:30 pickup; handover 00:30 + 60 = 01:30 on the 8th.
    return plan(planned("D1", flights=[LATE_OUT["id"]], pickup="2027-01-07T14:30:00+01:00",
                        handover="2027-01-08T01:30:00+01:00", escorts={"E1": [BACK_8["id"]], "E2": [BACK_8["id"]]},
                        medics={"N1": [BACK_8["id"]]}))


def early_plan() -> dict:
    # 00:30 - 150 min = 22:00 the evening before; handover 07:00 + 60 = 08:00.
    return plan(planned("D1", flights=[EARLY_OUT["id"]], pickup="2027-01-06T22:00:00+01:00",
                        handover="2027-01-07T08:00:00+01:00", escorts={"E1": [BACK], "E2": [BACK]},
                        medics={"N1": [BACK]}))


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule3_scenario(), valid_plan(), id="default"),
    pytest.param(rule3_scenario(travel_document={"valid_until": "2027-01-08"}, fit_to_fly_until="2027-01-08"),
                 late_plan(), id="valid on the local arrival date"),
    pytest.param(rule3_scenario(travel_document={"valid_from": "2027-01-07"}), early_plan(),
                 id="valid from the local departure date (UTC date is a day earlier)"),
])
def test_rule_3_valid_documents_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("document expired before departure", rule3_scenario(travel_document={"valid_until": "2027-01-06"}),
         valid_plan(), resource=OUT),
    case("document not yet valid", rule3_scenario(travel_document={"valid_from": "2027-01-08"}), valid_plan(),
         resource=OUT),
    case("document expires on the UTC date of arrival, not the local one",
         rule3_scenario(travel_document={"valid_until": "2027-01-07"}, fit_to_fly_until="2027-01-08"), late_plan(),
         resource=LATE_OUT["id"]),
    case("document valid from the UTC departure date only",
         rule3_scenario(travel_document={"valid_from": "2027-01-06", "valid_until": "2027-01-06"}), early_plan(),
         resource=EARLY_OUT["id"]),
    case("not fit to fly on arrival", rule3_scenario(fit_to_fly_until="2027-01-06"), valid_plan(), resource=OUT),
    case("fit to fly ends on the UTC date of arrival, not the local one",
         rule3_scenario(travel_document={"valid_until": "2027-01-08"}, fit_to_fly_until="2027-01-07"), late_plan(),
         resource=LATE_OUT["id"]),
])
def test_rule_3_documents(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 3, departure, resource, only)


# --- Rule 4: seats ------------------------------------------------------------------------------

VAN = {"id": "VAN-1", "kind": "van", "stretcher": False, "seats": 4, "available": JANUARY}


def rule4_scenario(out_seats=9, back_seats=9, cap=2, d1=None, d2=None) -> dict:
    # D1: returnee + 2 escorts + nurse; D2: returnee + 2 escorts. OUT carries 7, BACK 5.
    return scenario(
        airlines=[dict(KL, max_escorted_per_flight=cap)],
        flights=flights_with(BACK, flights_with(OUT, seats=out_seats), seats=back_seats),
        vehicles=scenario()["vehicles"] + [VAN],
        escorts=[escort("E1", skills=["team_leader"]), escort("E2"), escort("E3", skills=["team_leader"]),
                 escort("E4")],
        departures=[departure("D1", **(d1 or {})), departure("D2", kind="other", medical=None, **(d2 or {}))],
    )


def d2_planned(escorts=("E3", "E4"), flights=(OUT,), pickup="2027-01-07T07:30:00+01:00",
               handover="2027-01-07T17:30:00+01:00", vehicle="VAN-1", returns=(BACK,)) -> dict:
    return planned("D2", flights=list(flights), pickup=pickup, handover=handover,
                   escorts={e: list(returns) for e in escorts}, vehicle=vehicle)


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule4_scenario(), plan(d1_planned(), d2_planned()), id="room to spare"),
    pytest.param(rule4_scenario(out_seats=7, back_seats=5), plan(d1_planned(), d2_planned()), id="exactly full"),
    pytest.param(rule4_scenario(out_seats=9, d1={"medical": {"stretcher": True}}), plan(d1_planned(), d2_planned()),
                 id="stretcher takes 3 seats, exactly full"),
    pytest.param(rule4_scenario(cap=1, d2={"risk": "none"}), plan(d1_planned(), d2_planned(escorts=())),
                 id="unescorted returnee does not count against the carrier cap"),
])
def test_rule_4_valid_seatings_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("outbound leg full", rule4_scenario(out_seats=6), plan(d1_planned(), d2_planned()), None, OUT),
    case("return leg full", rule4_scenario(back_seats=4), plan(d1_planned(), d2_planned()), None, BACK),
    case("stretcher seats count", rule4_scenario(out_seats=8, d1={"medical": {"stretcher": True}}),
         plan(d1_planned(), d2_planned()), None, OUT),
    case("carrier cap on escorted returnees", rule4_scenario(cap=1), plan(d1_planned(), d2_planned()), None, OUT),
])
def test_rule_4_seats(sc, the_plan, departure, resource, only):
    hits = assert_caught(sc, the_plan, 4, departure, resource, only)
    assert all(v.resource in (OUT, BACK) for v in hits)


# --- Rule 5: medical ----------------------------------------------------------------------------

def rule5_scenario(medical=None, airline=None, flights=None, **patch) -> dict:
    return scenario(**{
        "airlines": [dict(KL, **(airline or {}))],
        "flights": flights or tiny.FLIGHTS,
        "vehicles": scenario()["vehicles"] + [VAN],
        "medics": [medic("N1"), medic("N2", role="physician", skills=["icu"]), medic("N3")],
        "departures": [departure(medical=medical or {})],
        **patch,
    })


NO_MEDIC = {"medic_role": None, "medic_skills": []}


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule5_scenario(), valid_plan(), id="nurse"),
    pytest.param(rule5_scenario({"medic_skills": ["icu"]}), valid_plan(medics=crew({"N2": [BACK]})),
                 id="physician serves where a nurse is asked"),
    pytest.param(rule5_scenario({"stretcher": True}), valid_plan(), id="stretcher on stretcher leg and ambulance"),
    pytest.param(rule5_scenario(dict(NO_MEDIC, wheelchair="WCHS")), valid_plan(medics=[]),
                 id="wheelchair without medic"),
    pytest.param(rule5_scenario({"max_travel_hours": 10}), valid_plan(), id="pickup to handover exactly the limit"),
    pytest.param(rule5_scenario(airline={"medif_lead_hours": 73}), valid_plan(),
                 id="first leg exactly at the MEDIF lead"),
])
def test_rule_5_valid_medical_plans_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("stretcher on a leg without stretcher",
         rule5_scenario({"stretcher": True}, flights=flights_with(OUT, stretcher=False)), valid_plan(), resource=OUT),
    case("stretcher with a carrier that refuses stretchers",
         rule5_scenario({"stretcher": True}, airline={"accepts_stretcher": False}), valid_plan(), resource=OUT),
    case("stretcher in a van", rule5_scenario({"stretcher": True}), valid_plan(pickup={"vehicle": "VAN-1"}),
         resource="VAN-1"),
    # 2027-01-04 09:00 + 74 h = 2027-01-07 11:00, after the 10:00 departure.
    case("MEDIF lead not met", rule5_scenario(airline={"medif_lead_hours": 74}), valid_plan(), resource=OUT),
    case("MEDIF lead for a wheelchair", rule5_scenario(dict(NO_MEDIC, wheelchair="WCHS"),
                                                       airline={"medif_lead_hours": 74}),
         valid_plan(medics=[]), resource=OUT),
    case("MEDIF lead for oxygen", rule5_scenario(dict(NO_MEDIC, oxygen=True), airline={"medif_lead_hours": 74}),
         valid_plan(medics=[]), resource=OUT),
    case("no medic though a nurse is asked", rule5_scenario(), valid_plan(medics=[])),
    case("medic lacks a skill", rule5_scenario(), valid_plan(medics=crew({"N2": [BACK]})), resource="N2"),
    case("nurse where a physician is asked", rule5_scenario({"medic_role": "physician", "medic_skills": []}),
         valid_plan(), resource="N1"),
    case("medic without need", rule5_scenario(NO_MEDIC), valid_plan(), resource="N1"),
    case("two medics", rule5_scenario(vehicles=[dict(scenario()["vehicles"][0], seats=6)]),
         valid_plan(medics=crew({"N1": [BACK], "N3": [BACK]}))),
    case("pickup to handover too long", rule5_scenario({"max_travel_hours": 9}), valid_plan()),
])
def test_rule_5_medical(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 5, departure, resource, only)


# --- Rule 6: escorts ----------------------------------------------------------------------------

def rule6_scenario(risk="low", by_risk=None, seats=4) -> dict:
    return scenario(
        parameters={"escorts_by_risk": dict({"none": 0, "low": 2, "medium": 2, "high": 3}, **(by_risk or {}))},
        vehicles=[dict(scenario()["vehicles"][0], seats=seats)],
        escorts=[escort("E1", skills=["team_leader"]), escort("E2"), escort("E3")],
        departures=[departure(risk=risk)],
    )


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule6_scenario(), valid_plan(), id="two with a leader"),
    pytest.param(rule6_scenario("high", seats=5), valid_plan(escorts=crew({e: [BACK] for e in ("E1", "E2", "E3")})),
                 id="three for high risk"),
    pytest.param(rule6_scenario(by_risk={"low": 1}), valid_plan(escorts=crew({"E2": [BACK]})),
                 id="one escort needs no leader"),
    pytest.param(rule6_scenario("none"), valid_plan(escorts=[]), id="none for risk none"),
])
def test_rule_6_valid_teams_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("too few escorts", rule6_scenario(), valid_plan(escorts=crew({"E1": [BACK]}))),
    case("too many escorts", rule6_scenario(seats=5), valid_plan(escorts=crew({e: [BACK] for e in ("E1", "E2", "E3")}))),
    case("escort where none is asked", rule6_scenario("none"), valid_plan(escorts=crew({"E2": [BACK]}))),
    case("team without a leader", rule6_scenario(), valid_plan(escorts=crew({"E2": [BACK], "E3": [BACK]}))),
])
def test_rule_6_escorts(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 6, departure, resource, only)


# --- Rule 7: companions come home ---------------------------------------------------------------

TK = {"code": "TK", "max_escorted_per_flight": 2, "accepts_stretcher": False, "medif_lead_hours": 48}
# Home via Istanbul (TR, visa required): 150 min to connect.
TK1 = flight("TK1-20270107", "LOS", "IST", "2027-01-07T23:00:00+01:00", "2027-01-08T06:00:00+03:00", carrier="TK")
TK2 = flight("TK2-20270108", "IST", "AMS", "2027-01-08T08:30:00+03:00", "2027-01-08T11:00:00+01:00", carrier="TK")
# Leaves Lagos 90 min after the 16:30 arrival (turnaround 120).
EARLY_BACK = flight("KL590-20270107", "LOS", "AMS", "2027-01-07T18:00:00+01:00", "2027-01-08T00:30:00+01:00")
OUT_8 = flight("KL587-20270108", "AMS", "LOS", "2027-01-08T10:00:00+01:00", "2027-01-08T16:30:00+01:00")


def rule7_scenario(e2=None, rest=12, **patch) -> dict:
    return scenario(**{
        "parameters": {"visa_required_countries": ["NG", "TR"], "escort_rest_hours": rest},
        "airlines": [KL, TK],
        "flights": tiny.FLIGHTS + [TK1, TK2, EARLY_BACK, OUT_8, BACK_8],
        "escorts": [escort("E1", sex="F", skills=["team_leader"], visas={"NG": "2027-12-31", "TR": "2027-12-31"}),
                    escort("E2", **(e2 or {})), escort("E3", skills=["team_leader"])],
        "departures": [departure("D1"), departure("D2", kind="other", medical=None,
                                                  pickup={"window": ["2027-01-05T00:00:00+01:00",
                                                                     "2027-01-12T00:00:00+01:00"]})],
        **patch,
    })


def d2_next_day(escorts=("E1", "E3")) -> dict:
    # OUT_8 10:00 on the 8th: pickup 07:30, handover 17:30.
    return d2_planned(escorts=escorts, flights=(OUT_8["id"],), pickup="2027-01-08T07:30:00+01:00",
                      handover="2027-01-08T17:30:00+01:00", vehicle="AMB-1", returns=(BACK_8["id"],))


def rule7_plan(d1=None, d2=None) -> dict:
    return plan(d1 or d1_planned(), d2 or unplanned("D2", "kept for the next plan"))


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule7_scenario(), rule7_plan(), id="direct"),
    pytest.param(rule7_scenario(), rule7_plan(d1_planned(escorts=crew({"E1": [TK1["id"], TK2["id"]], "E2": [BACK]}))),
                 id="home via a visa country with a visa"),
    pytest.param(rule7_scenario(parameters={"escort_max_away_hours": 22}), rule7_plan(),
                 id="mission exactly the longest allowed"),
    # E1 home 05:30 on the 8th, next pickup 07:30: exactly the 2 h rest.
    pytest.param(rule7_scenario(rest=2), rule7_plan(d2=d2_next_day()), id="next mission after rest"),
    pytest.param(rule7_scenario(e2={"available": [["2027-01-07T07:30:00+01:00", "2027-01-08T05:30:00+01:00"]]}),
                 rule7_plan(), id="mission fills the availability window exactly"),
])
def test_rule_7_valid_returns_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("no visa for a connection", rule7_scenario(),
         rule7_plan(d1_planned(escorts=crew({"E1": [BACK], "E2": [TK1["id"], TK2["id"]]}))), resource="E2"),
    case("visa expired at the destination", rule7_scenario({"visas": {"NG": "2027-01-06"}}), rule7_plan(),
         resource="E2"),
    case("no visa at the destination", rule7_scenario({"visas": tiny.exactly({})}), rule7_plan(), resource="E2"),
    case("return before the turnaround", rule7_scenario(),
         rule7_plan(d1_planned(escorts=crew({"E1": [BACK], "E2": [EARLY_BACK["id"]]}))), resource="E2"),
    case("mission too long", rule7_scenario(parameters={"escort_max_away_hours": 21}), rule7_plan(), resource="E2"),
    case("mission outside availability",
         rule7_scenario({"available": [["2027-01-01T00:00:00+01:00", "2027-01-08T05:00:00+01:00"]]}), rule7_plan(),
         resource="E2"),
    case("missions closer than the rest", rule7_scenario(rest=12), rule7_plan(d2=d2_next_day()), "D2", "E1"),
    case("return does not reach the base", rule7_scenario({"base": "RTM"}), rule7_plan(), resource="E2"),
    case("return flight unknown", rule7_scenario(),
         rule7_plan(d1_planned(escorts=crew({"E1": [BACK], "E2": ["XX1"]}))), resource="E2"),
    case("return flight cancelled", rule7_scenario(flights=flights_with(BACK, rule7_scenario()["flights"],
                                                                        cancelled=True)),
         rule7_plan(), resource="E2"),
    case("escort listed twice", rule7_scenario(),
         rule7_plan(d1_planned(escorts=crew({"E1": [BACK], "E2": [BACK]}) + crew({"E1": [BACK]}))), resource="E1"),
    case("medic listed as escort", rule7_scenario(),
         rule7_plan(d1_planned(escorts=crew({"E1": [BACK], "N1": [BACK]}), medics=[])), resource="N1", only=False),
])
def test_rule_7_companions_come_home(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 7, departure, resource, only)


# --- Rule 8: minors -----------------------------------------------------------------------------

def rule8_scenario(rec=None, **dep) -> dict:
    return scenario(
        escorts=[escort("E1", sex="F", skills=["team_leader", "minors"]), escort("E2", sex="M"),
                 escort("E3", sex="M", skills=["minors"])],
        reception=[reception(), reception("REC-FAM", **{"kind": "family", **(rec or {})})],
        departures=[departure(**{"kind": "minor", "risk": "none", "medical": None, "reception": "REC-FAM",
                                 "person": {"sex": "M", "birth_date": "2012-03-01"}, **dep})],
    )


def minor_plan(*escorts: str, reception_id="REC-FAM") -> dict:
    return plan(planned("D1", flights=[OUT], pickup="2027-01-07T07:30:00+01:00", handover="2027-01-07T17:30:00+01:00",
                        escorts={e: [BACK] for e in escorts}, reception_id=reception_id))


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule8_scenario(), minor_plan("E3"), id="one escort with minors skill and same sex"),
    pytest.param(rule8_scenario(person={"sex": "X"}), minor_plan("E1"), id="sex unknown"),
    pytest.param(rule8_scenario(risk="low"), minor_plan("E1", "E2"), id="skill and sex in different escorts"),
    pytest.param(rule8_scenario(rec={"kind": "guardian"}), minor_plan("E3"), id="guardian"),
    pytest.param(rule8_scenario(kind="other", reception="REC-LOS"), minor_plan(reception_id="REC-LOS"),
                 id="young but not of kind minor"),
])
def test_rule_8_valid_minor_plans_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("minor to a hospital", rule8_scenario(rec={"kind": "hospital"}), minor_plan("E3"), resource="REC-FAM"),
    case("no escort for a minor", rule8_scenario(), minor_plan()),
    case("no escort with minors skill", rule8_scenario(), minor_plan("E2")),
    case("no escort of the minor's sex", rule8_scenario(), minor_plan("E1")),
])
def test_rule_8_minors(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 8, departure, resource, only)


def test_rule_8_unconfirmed_reception_of_a_minor_breaks_rules_8_and_9():
    found = check(rule8_scenario(rec={"confirmed": False}), minor_plan("E3"))
    assert {(v.rule, v.resource) for v in found} == {(8, "REC-FAM"), (9, "REC-FAM")}, "\n".join(map(str, found))


# --- Rule 9: reception --------------------------------------------------------------------------

def rule9_scenario(**rec) -> dict:
    return scenario(reception=[reception(**rec), reception("REC-OTHER")])


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule9_scenario(), valid_plan(), id="default"),
    pytest.param(rule9_scenario(open=tiny.exactly({"thu": ["17:30", "17:31"]})), valid_plan(),
                 id="open only the handover minute"),
    pytest.param(rule9_scenario(open={"thu": ["08:00", "24:00"]}, closed_dates=["2027-01-08"]), valid_plan(),
                 id="closed the next day only"),
])
def test_rule_9_valid_handovers_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("handed to another reception", rule9_scenario(), valid_plan(handover={"reception": "REC-OTHER"})),
    case("reception not confirmed", rule9_scenario(confirmed=False), valid_plan(), resource="REC-LOS"),
    case("handover time not arrival + transfer", rule9_scenario(),
         valid_plan(handover={"time": "2027-01-07T17:00:00+01:00"}), resource="REC-LOS"),
    case("handover time missing", rule9_scenario(), valid_plan(handover={"time": None})),
    case("closes at the handover minute", rule9_scenario(open=dict(tiny.ALL_WEEK, thu=["08:00", "17:30"])),
         valid_plan(), resource="REC-LOS"),
    case("opens after the handover", rule9_scenario(open=dict(tiny.ALL_WEEK, thu=["17:31", "20:00"])), valid_plan(),
         resource="REC-LOS"),
    case("closed date", rule9_scenario(closed_dates=["2027-01-07"]), valid_plan(), resource="REC-LOS"),
    case("closed weekday", rule9_scenario(open=tiny.exactly({d: h for d, h in tiny.ALL_WEEK.items() if d != "thu"})), valid_plan(),
         resource="REC-LOS"),
])
def test_rule_9_reception(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 9, departure, resource, only)


# --- Rule 9 and rule 7 across time zones --------------------------------------------------------

JU = {"code": "JU", "max_escorted_per_flight": 2, "accepts_stretcher": False, "medif_lead_hours": 48}
SPRING = [["2027-03-01T00:00:00+01:00", "2027-05-01T00:00:00+02:00"]]
# Same UTC times two days apart: lands 05:30Z, handover 06:30Z, which is 07:30 CET on
# Saturday 27 March but 08:30 CEST on Monday 29 March (Europe changes on 28 March 2027).
BEG_FLIGHTS = [
    flight("JU360-20270327", "AMS", "BEG", "2027-03-27T04:30:00+01:00", "2027-03-27T06:30:00+01:00", carrier="JU"),
    flight("JU361-20270327", "BEG", "AMS", "2027-03-27T12:00:00+01:00", "2027-03-27T14:30:00+01:00", carrier="JU"),
    flight("JU360-20270329", "AMS", "BEG", "2027-03-29T05:30:00+02:00", "2027-03-29T07:30:00+02:00", carrier="JU"),
    flight("JU361-20270329", "BEG", "AMS", "2027-03-29T12:00:00+02:00", "2027-03-29T14:30:00+02:00", carrier="JU"),
]


def belgrade_scenario(opens="08:00") -> dict:
    return scenario(
        planning_time="2027-03-22T09:00:00+01:00",
        horizon=["2027-03-23T00:00:00+01:00", "2027-04-05T00:00:00+02:00"],
        airlines=[JU], flights=BEG_FLIGHTS,
        vehicles=[dict(scenario()["vehicles"][0], available=SPRING)],
        escorts=[escort("E1", skills=["team_leader"], available=SPRING), escort("E2", available=SPRING)],
        reception=[reception("REC-BEG", country="RS", airport="BEG",
                             open={d: [opens, "20:00"] for d in tiny.ALL_WEEK})],
        departures=[departure(kind="other", medical=None, destination_country="RS", destination_airports=["BEG"],
                              reception="REC-BEG", pickup={"window": ["2027-03-23T00:00:00+01:00",
                                                                      "2027-04-01T00:00:00+02:00"]},
                              ready_from="2027-03-23T00:00:00+01:00", deadline="2027-04-01T00:00:00+02:00",
                              travel_document={"valid_from": "2027-03-01", "valid_until": "2027-06-30"},
                              fit_to_fly_until="2027-04-30")],
    )


def belgrade_plan(day: str) -> dict:
    if day == "27":  # CET: 04:30 - 150 min = 02:00 pickup; handover 06:30 + 60 = 07:30
        pickup, handover = "2027-03-27T02:00:00+01:00", "2027-03-27T07:30:00+01:00"
    else:  # CEST: 05:30 - 150 min = 03:00 pickup; handover 07:30 + 60 = 08:30
        pickup, handover = "2027-03-29T03:00:00+02:00", "2027-03-29T08:30:00+02:00"
    return plan(planned("D1", flights=[f"JU360-202703{day}"], pickup=pickup, handover=handover,
                        escorts={"E1": [f"JU361-202703{day}"], "E2": [f"JU361-202703{day}"]}, reception_id="REC-BEG"))


XY = {"code": "XY", "max_escorted_per_flight": 2, "accepts_stretcher": False, "medif_lead_hours": 48}
# Kathmandu is UTC+05:45. Landing 01:40Z (07:25 local) + 30 min = 07:55 local; 01:50Z + 30 = 08:05 local.
# XY904 lands 19:00Z on the 6th, which is already 00:45 on the 7th in Kathmandu.
KTM_FLIGHTS = [
    flight("XY900-20270106", "AMS", "KTM", "2027-01-06T20:00:00+01:00", "2027-01-07T07:25:00+05:45", carrier="XY"),
    flight("XY902-20270106", "AMS", "KTM", "2027-01-06T20:00:00+01:00", "2027-01-07T07:35:00+05:45", carrier="XY"),
    flight("XY904-20270106", "AMS", "KTM", "2027-01-06T12:00:00+01:00", "2027-01-07T00:45:00+05:45", carrier="XY"),
    flight("XY901-20270107", "KTM", "AMS", "2027-01-07T12:00:00+05:45", "2027-01-07T19:00:00+01:00", carrier="XY"),
]


def kathmandu_scenario(e2_visa="2027-12-31", open_hours=("08:00", "20:00")) -> dict:
    return scenario(
        parameters={"visa_required_countries": ["NP"]},
        airlines=[XY], flights=KTM_FLIGHTS,
        escorts=[escort("E1", skills=["team_leader"], visas={"NP": "2027-12-31"}),
                 escort("E2", visas={"NP": e2_visa})],
        reception=[reception("REC-KTM", country="NP", airport="KTM", transfer_minutes=30,
                             open={d: list(open_hours) for d in tiny.ALL_WEEK})],
        departures=[departure(kind="other", medical=None, destination_country="NP", destination_airports=["KTM"],
                              reception="REC-KTM")],
    )


def kathmandu_plan(fid: str, pickup: str, handover: str) -> dict:
    return plan(planned("D1", flights=[fid], pickup=pickup, handover=handover,
                        escorts={"E1": ["XY901-20270107"], "E2": ["XY901-20270107"]}, reception_id="REC-KTM"))


def test_reception_hours_follow_the_dst_change_in_belgrade():
    assert_valid(belgrade_scenario(), belgrade_plan("29"))
    assert_caught(belgrade_scenario(), belgrade_plan("27"), 9, resource="REC-BEG")
    assert_valid(belgrade_scenario(opens="07:30"), belgrade_plan("27"))


def test_reception_hours_at_kathmandu_plus_0545():
    # Pickup 20:00 - 150 min = 17:30 on the 6th.
    assert_valid(kathmandu_scenario(), kathmandu_plan("XY902-20270106", "2027-01-06T17:30:00+01:00",
                                                      "2027-01-07T08:05:00+05:45"))
    assert_caught(kathmandu_scenario(), kathmandu_plan("XY900-20270106", "2027-01-06T17:30:00+01:00",
                                                       "2027-01-07T07:55:00+05:45"), 9, resource="REC-KTM")


def test_visa_is_checked_on_the_local_landing_date():
    # Pickup 12:00 - 150 min = 09:30; lands 00:45 local on the 7th (19:00Z on the 6th); handover 01:15.
    late = kathmandu_plan("XY904-20270106", "2027-01-06T09:30:00+01:00", "2027-01-07T01:15:00+05:45")
    all_day = ("00:00", "24:00")
    assert_valid(kathmandu_scenario("2027-01-07", all_day), late)
    assert_caught(kathmandu_scenario("2027-01-06", all_day), late, 7, resource="E2")


# --- Rule 10: families --------------------------------------------------------------------------

KL589 = flight("KL589-20270107", "AMS", "LOS", "2027-01-07T12:00:00+01:00", "2027-01-07T18:30:00+01:00")


def rule10_scenario(vehicle_seats=8) -> dict:
    return scenario(
        flights=tiny.FLIGHTS + [KL589],
        vehicles=[dict(scenario()["vehicles"][0], seats=vehicle_seats)],
        escorts=[escort("E1", skills=["team_leader"]), escort("E2"), escort("E3", skills=["team_leader"]),
                 escort("E4")],
        departures=[departure("D1", family_group="FAM-1"),
                    departure("D2", kind="other", medical=None, family_group="FAM-1")],
    )


def family_trip() -> dict:
    return d2_planned(vehicle="AMB-1")


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule10_scenario(), plan(d1_planned(), family_trip()), id="together in one trip"),
    pytest.param(rule10_scenario(), plan(unplanned("D1"), unplanned("D2")), id="both unplanned"),
])
def test_rule_10_valid_family_plans_pass(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("one member left behind", rule10_scenario(), plan(d1_planned(), unplanned("D2")), "D2", "FAM-1"),
    # KL589 12:00: pickup 09:30, handover 18:30 + 60 = 19:30.
    case("members on different flights", rule10_scenario(),
         plan(d1_planned(), d2_planned(flights=(KL589["id"],), pickup="2027-01-07T09:30:00+01:00",
                                       handover="2027-01-07T19:30:00+01:00", vehicle="AMB-1")), "D2", "FAM-1"),
])
def test_rule_10_families(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 10, departure, resource, only)


# --- Rule 11: vehicles --------------------------------------------------------------------------

KL591 = flight("KL591-20270107", "AMS", "LOS", "2027-01-07T10:30:00+01:00", "2027-01-07T17:00:00+01:00")


def rule11_scenario(seats=4, available=None, family=None) -> dict:
    return scenario(
        flights=tiny.FLIGHTS + [KL591],
        vehicles=[dict(scenario()["vehicles"][0], seats=seats, available=available or JANUARY), VAN],
        escorts=[escort("E1", skills=["team_leader"]), escort("E2"), escort("E3", skills=["team_leader"]),
                 escort("E4")],
        departures=[departure("D1", family_group=family),
                    departure("D2", kind="other", medical=None, family_group=family)],
    )


def d2_later(vehicle="AMB-1") -> dict:
    # KL591 10:30: pickup 08:00 while AMB-1 drives D1 from 07:30 to 08:30; handover 17:00 + 60.
    return d2_planned(flights=(KL591["id"],), pickup="2027-01-07T08:00:00+01:00", handover="2027-01-07T18:00:00+01:00",
                      vehicle=vehicle)


@pytest.mark.parametrize("sc, the_plan", [
    pytest.param(rule11_scenario(), plan(d1_planned(), d2_later("VAN-1")), id="two vehicles"),
    pytest.param(rule11_scenario(available=[["2027-01-07T07:30:00+01:00", "2027-01-07T08:30:00+01:00"]]),
                 plan(d1_planned(), unplanned("D2")), id="busy time fills the availability exactly"),
    pytest.param(rule11_scenario(seats=7, family="FAM-1"), plan(d1_planned(), d2_planned(vehicle="AMB-1")),
                 id="family trip with seats for all seven"),
])
def test_rule_11_valid_vehicle_use_passes(sc, the_plan):
    assert_valid(sc, the_plan)


@pytest.mark.parametrize(BREAK_ARGS, [
    case("unknown vehicle", rule11_scenario(), plan(d1_planned(pickup={"vehicle": "TAXI"}), unplanned("D2")),
         resource="TAXI"),
    case("too few seats", rule11_scenario(seats=3), plan(d1_planned(), unplanned("D2")), resource="AMB-1"),
    case("vehicle not available", rule11_scenario(available=[["2027-01-07T08:00:00+01:00",
                                                               "2027-01-08T00:00:00+01:00"]]),
         plan(d1_planned(), unplanned("D2")), resource="AMB-1"),
    case("busy beyond the availability", rule11_scenario(available=[["2027-01-07T07:30:00+01:00",
                                                                     "2027-01-07T08:29:00+01:00"]]),
         plan(d1_planned(), unplanned("D2")), resource="AMB-1"),
    case("two departures in one vehicle at once", rule11_scenario(seats=8),
         plan(d1_planned(), d2_planned(vehicle="AMB-1")), "D2", "AMB-1"),
    case("overlapping trips", rule11_scenario(), plan(d1_planned(), d2_later()), "D2", "AMB-1"),
    case("family trip counts everyone", rule11_scenario(seats=6, family="FAM-1"),
         plan(d1_planned(), d2_planned(vehicle="AMB-1")), resource="AMB-1"),
])
def test_rule_11_vehicles(sc, the_plan, departure, resource, only):
    assert_caught(sc, the_plan, 11, departure, resource, only)


# --- Rule 0: plan structure, and robustness -----------------------------------------------------

@pytest.mark.parametrize("the_plan, departure", [
    pytest.param(dict(valid_plan(), format="vertrekplanner/plan@2"), None, id="wrong format"),
    pytest.param(dict(valid_plan(), scenario="other"), None, id="other scenario"),
    pytest.param(plan(), "D1", id="departure missing"),
    pytest.param(plan({"id": "D1", "planned": False}), "D1", id="unplanned without reasons"),
    pytest.param(plan({"id": "D1", "planned": False, "reasons": [""]}), "D1", id="empty reason"),
    pytest.param(plan(d1_planned(), d1_planned()), "D1", id="departure twice"),
    pytest.param(plan(d1_planned(), unplanned("D9")), "D9", id="unknown departure"),
    pytest.param(plan(d1_planned(planned="yes")), "D1", id="planned not a boolean"),
])
def test_rule_0_plan_structure(the_plan, departure):
    found = check(scenario(), the_plan)
    assert {v.rule for v in found} == {0}, "\n".join(map(str, found))
    if departure:
        assert any(v.departure == departure for v in found)


@pytest.mark.parametrize("the_plan", [
    None, [], "plan", {}, {"departures": None}, {"departures": [None, 3, "x", {}]},
    plan({"id": "D1", "planned": True}),
    plan({"id": "D1", "planned": True, "flights": "KL587", "pickup": [], "escorts": {}, "medics": "N1",
          "handover": 5}),
    plan({"id": "D1", "planned": True, "flights": [None, {}, OUT], "pickup": {"time": 5, "vehicle": []},
          "escorts": [None, {"id": ["E1"]}, {"id": "E1", "return_flights": "x"}], "handover": {"time": [1]}}),
])
def test_malformed_plans_are_reported_not_raised(the_plan):
    found = check(scenario(), the_plan)
    assert found and all(isinstance(v, Violation) for v in found)
    assert all(str(v) for v in found)


def test_every_violation_is_listed():
    sc = scenario(reception=[reception(closed_dates=["2027-01-07"])])
    the_plan = valid_plan(pickup={"time": "2027-01-07T07:00:00+01:00"}, escorts=crew({"E1": [BACK]}))
    assert {v.rule for v in check(sc, the_plan)} == {2, 6, 9}


def test_violation_reads_with_rule_departure_and_resource():
    v = Violation(7, "D1", "E2", "no visa")
    assert str(v) == "rule 7 (companions come home) [D1, E2]: no visa"


def test_underway_departure_keeps_its_earlier_plan():
    # Re-planned at 08:00 on the day: the pickup at 07:30 has already happened.
    sc = scenario(planning_time="2027-01-07T08:00:00+01:00")
    earlier = valid_plan()
    assert check(sc, valid_plan()) != []  # without the earlier plan: pickup before planning_time, MEDIF
    assert check(sc, valid_plan(), earlier=earlier) == []
    changed = valid_plan(escorts=crew({"E1": [BACK], "E2": [BACK, BACK]}))
    assert any(v.rule == 0 for v in check(sc, changed, earlier=earlier))


def test_check_plan_file(tmp_path):
    sc_path, plan_path = tmp_path / "scenario.json", tmp_path / "plan.json"
    sc_path.write_text(json.dumps(scenario()))
    plan_path.write_text(json.dumps(valid_plan()))
    assert check_plan_file(sc_path, plan_path) == []
    plan_path.write_text(json.dumps(valid_plan(handover={"reception": "REC-X"})))
    assert [v.rule for v in check_plan_file(sc_path, plan_path)] == [9]
    plan_path.write_text("{not json")
    assert [v.rule for v in check_plan_file(sc_path, plan_path)] == [0]
