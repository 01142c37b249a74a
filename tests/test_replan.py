"""Re-planning with minimal change, disruptions, underway departures, and recommending a fit.

Two departures on two days (D1 on 7 January, D2 on 9 January) and a spare flight on 8 January.
Each disruption kind hits D1 only: the re-plan must keep D2 exactly as it was, and every plan is
re-checked by the independent checker against the scenario and the earlier plan.
"""
from __future__ import annotations

import json

import pytest

import tiny
from tiny import BACK, OUT, departure, escort, flight, medic, reception, scenario
from planner.changes import assignment, plan_changes
from planner.checker import check_plan
from planner.cli import main
from planner.disruptions import apply_disruptions
from planner.plan import build_plan
from planner.recommend import recommend
from planner.replan import replan
from planner.scenario import parse_scenario
from planner.solve import SolveOptions, solve

OUT8, BACK8 = "KL587-20270108", "KL588-20270108"
OUT9, BACK9 = "KL587-20270109", "KL588-20270109"
FLIGHTS = tiny.FLIGHTS + [
    flight(OUT8, "AMS", "LOS", "2027-01-08T10:00:00+01:00", "2027-01-08T16:30:00+01:00", stretcher=True),
    flight(BACK8, "LOS", "AMS", "2027-01-08T22:00:00+01:00", "2027-01-09T05:30:00+01:00"),
    flight(OUT9, "AMS", "LOS", "2027-01-09T10:00:00+01:00", "2027-01-09T16:30:00+01:00", stretcher=True),
    flight(BACK9, "LOS", "AMS", "2027-01-09T22:00:00+01:00", "2027-01-10T05:30:00+01:00"),
]
AMB = {"kind": "ambulance", "stretcher": True, "seats": 4, "available": tiny.JANUARY}


def two_days(**patch) -> dict:
    """D1 (priority 3, any day 7-8 Jan) and D2 (priority 2, only 9 Jan), each with two escorts and a nurse."""
    base = scenario(
        flights=FLIGHTS,
        escorts=[escort("E1", skills=["team_leader"]), escort("E2"), escort("E3", skills=["team_leader"]),
                 escort("E4"), escort("E5", skills=["team_leader"]), escort("E6")],
        medics=[medic("N1"), medic("N2"), medic("N3")],
        vehicles=[{"id": "AMB-1", **AMB}, {"id": "AMB-2", **AMB}],
        reception=[reception(), reception("REC-LOS-2")],
        departures=[departure("D1", pickup={"window": ["2027-01-07T00:00:00+01:00", "2027-01-09T00:00:00+01:00"]}),
                    departure("D2", priority=2, reception="REC-LOS-2",
                              pickup={"window": ["2027-01-09T00:00:00+01:00", "2027-01-10T00:00:00+01:00"]})])
    return tiny.merge(base, patch)


def planned(data: dict, earlier: dict | None = None) -> tuple[dict, dict]:
    """(plan, objective) of a plan or a re-plan, proven valid by the checker."""
    sc = parse_scenario(data)
    options = SolveOptions(time_limit=20, workers=1)
    result = replan(sc, earlier, options)[0] if earlier is not None else solve(sc, options)
    plan = build_plan(sc, result)
    assert check_plan(sc, plan, earlier) == []
    return plan, result.objective


def entry(plan: dict, did: str) -> dict:
    return next(d for d in plan["departures"] if d["id"] == did)


@pytest.fixture(scope="module")
def first():
    plan, objective = planned(two_days())
    assert entry(plan, "D1")["planned"] and entry(plan, "D2")["planned"]
    assert entry(plan, "D1")["flights"] == [OUT]  # the earliest: fewest waiting hours
    return plan


def disrupted(kind: str, first: dict) -> dict:
    d1 = entry(first, "D1")
    e1 = d1["escorts"][0]["id"]
    item = {
        "flight_cancelled": {"flight": OUT},
        "person_unavailable": {"person": e1, "window": ["2027-01-06T00:00:00+01:00", "2027-01-08T12:00:00+01:00"]},
        "vehicle_unavailable": {"vehicle": d1["pickup"]["vehicle"],
                                "window": ["2027-01-07T00:00:00+01:00", "2027-01-07T12:00:00+01:00"]},
        "reception_withdrawn": {"reception": "REC-LOS"},
        "departure_blocked": {"departure": "D1", "window": ["2027-01-07T00:00:00+01:00", "2027-01-08T00:00:00+01:00"]},
        "departure_cancelled": {"departure": "D1"},
        "departure_added": {"departure": departure("D3", priority=1, reception="REC-LOS-2",
                                                   pickup={"window": ["2027-01-08T00:00:00+01:00",
                                                                      "2027-01-09T00:00:00+01:00"]})},
    }[kind]
    return apply_disruptions(two_days(), {"format": "vertrekplanner/disruptions@1",
                                          "disruptions": [{"kind": kind, **item}]})


@pytest.mark.parametrize("kind", ["flight_cancelled", "person_unavailable", "vehicle_unavailable",
                                  "reception_withdrawn", "departure_blocked", "departure_cancelled",
                                  "departure_added"])
def test_each_disruption_changes_only_what_it_touches(first, kind):
    plan, objective = planned(disrupted(kind, first), earlier=first)
    assert entry(plan, "D2") == entry(first, "D2")  # untouched: identical
    d1_before = entry(first, "D1")
    if kind == "departure_cancelled":
        assert all(d["id"] != "D1" for d in plan["departures"])
    elif kind == "reception_withdrawn":
        assert not entry(plan, "D1")["planned"]
    elif kind == "departure_added":
        assert entry(plan, "D1") == d1_before and entry(plan, "D3")["planned"]
    else:
        d1 = entry(plan, "D1")
        assert d1["planned"] and d1 != d1_before
        if kind == "person_unavailable":
            # Only the one escort changes: the rest of D1 stays as it was.
            assert d1["flights"] == d1_before["flights"] and d1["medics"] == d1_before["medics"]
            assert d1_before["escorts"][0]["id"] not in {e["id"] for e in d1["escorts"]}
        if kind == "vehicle_unavailable":
            assert d1["flights"] == d1_before["flights"] and d1["escorts"] == d1_before["escorts"]
        if kind in ("flight_cancelled", "departure_blocked"):
            assert d1["flights"] == [OUT8]
    # A cancelled or added departure changes nobody else's assignments; every other kind moves D1.
    assert (objective["changed_assignments"] == 0) == (kind in ("departure_added", "departure_cancelled"))
    changes = plan_changes(parse_scenario(disrupted(kind, first)), first, plan)
    assert {d["id"] for d in changes["departures"]} == ({"D3"} if kind == "departure_added" else {"D1"})


def test_a_replan_of_unchanged_input_changes_nothing(first):
    sc = parse_scenario(two_days())
    result, hold = replan(sc, first, SolveOptions(time_limit=20, workers=1))
    plan = build_plan(sc, result)
    assert [entry(plan, d) for d in ("D1", "D2")] == [entry(first, d) for d in ("D1", "D2")]
    assert result.objective["changed_assignments"] == 0 and result.status == "OPTIMAL"
    changes = plan_changes(sc, first, plan)
    assert changes["unchanged"] and changes["departures"] == [] and changes["people"] == []


def test_an_underway_departure_is_never_moved_even_to_plan_more():
    # D1 (priority 3) and D3 (priority 5) both need KL587 on 7 January, which has room for one party.
    near = {"id": "HOTEL", "name": "Schiphol hotel", "kind": "other", "drive_minutes": {"AMS": 0}}
    d3 = departure("D3", priority=5, kind="other", medical=None, pickup={
        "location": "HOTEL", "window": ["2027-01-07T00:00:00+01:00", "2027-01-07T12:00:00+01:00"]})
    data = scenario(flights=tiny.flights_with(OUT, seats=5), locations=tiny.scenario()["locations"] + [near],
                    escorts=[escort("E1", skills=["team_leader"]), escort("E2"), escort("E3", skills=["team_leader"]),
                             escort("E4")],
                    vehicles=[{"id": "AMB-1", **AMB}, {"id": "AMB-2", **AMB}], departures=[departure("D1")])
    earlier, _ = planned(data)
    assert entry(earlier, "D1")["pickup"]["time"] == "2027-01-07T07:30:00+01:00"
    # D3 arrives after D1 was planned. Before D1's pickup, a re-plan takes the higher priority:
    before = tiny.merge(data, {"departures": data["departures"] + [d3]})
    swapped, _ = planned(before, earlier=earlier)
    assert entry(swapped, "D3")["planned"] and not entry(swapped, "D1")["planned"]
    # Once D1 is picked up (planning_time 08:00), it is underway and stays exactly as it was.
    after = tiny.merge(before, {"planning_time": "2027-01-07T08:00:00+01:00"})
    kept, _ = planned(after, earlier=earlier)
    assert assignment(entry(kept, "D1")) == assignment(entry(earlier, "D1"))  # soft goals follow planning_time
    assert not entry(kept, "D3")["planned"]


def test_a_replans_ceiling_counts_the_underway_departures_it_holds():
    """D1 is underway and has no option left from planning_time on; D3 has room beside it. The
    ceiling (what no plan can exceed) must count D1 as held, or it says less than the plan has."""
    near = {"id": "HOTEL", "name": "Schiphol hotel", "kind": "other", "drive_minutes": {"AMS": 0}}
    d3 = departure("D3", priority=5, kind="other", medical=None, pickup={
        "location": "HOTEL", "window": ["2027-01-07T00:00:00+01:00", "2027-01-07T12:00:00+01:00"]})
    data = scenario(flights=tiny.flights_with(OUT, seats=12), locations=tiny.scenario()["locations"] + [near],
                    escorts=[escort(f"E{i}", skills=["team_leader"] if i % 2 else []) for i in range(1, 7)],
                    vehicles=[{"id": "AMB-1", **AMB}, {"id": "AMB-2", **AMB}], departures=[departure("D1")])
    earlier, _ = planned(data)
    after = tiny.merge(data, {"departures": data["departures"] + [d3], "planning_time": "2027-01-07T08:00:00+01:00"})
    sc = parse_scenario(after)
    result = replan(sc, earlier, SolveOptions(time_limit=10, workers=1))[0]
    plan = build_plan(sc, result)
    assert check_plan(sc, plan, earlier) == []
    assert entry(plan, "D1")["planned"] and entry(plan, "D3")["planned"]
    assert result.objective["planned_priority"] == 8
    assert plan["solver"]["ceiling"] == {"planned_priority": 8}  # was 5: D3 alone


def test_replan_command_writes_plan_changes_and_says_unchanged(first, tmp_path):
    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(json.dumps(two_days()))
    assert main(["plan", str(scenario_file), "--out", str(tmp_path / "v1"), "--time-limit", "20",
                 "--workers", "1"]) == 0
    disruptions = tmp_path / "cancel.json"
    disruptions.write_text(json.dumps({"format": "vertrekplanner/disruptions@1",
                                       "disruptions": [{"kind": "flight_cancelled", "flight": OUT}]}))
    assert main(["replan", str(scenario_file), "--previous", str(tmp_path / "v1" / "plan.json"),
                 "--disruptions", str(disruptions), "--out", str(tmp_path / "v2"), "--time-limit", "20",
                 "--workers", "1"]) == 0
    changes = json.loads((tmp_path / "v2" / "changes.json").read_text())
    assert [d["id"] for d in changes["departures"]] == ["D1"]
    assert "vlucht KL587 vervalt, nu KL587" in changes["departures"][0]["nl"]
    assert "ophalen 24 uur later" in changes["departures"][0]["nl"]
    # No option has D1's flights any more: lost whole, every earlier assignment counted.
    assert changes["lost"]["D1"]["whole"] is True and changes["lost"]["D1"]["parts"] == ["itinerary"]
    assert changes["lost"]["D1"]["changes"] == changes["unavoidable_changes"] == 6 == changes["changed_assignments"]
    assert "D1" in (tmp_path / "v2" / "changes.en.md").read_text()
    # The same scenario again, against the new plan: nothing changes, and the summary says so.
    assert main(["replan", str(tmp_path / "v2" / "scenario.json"), "--previous", str(tmp_path / "v2" / "plan.json"),
                 "--out", str(tmp_path / "v3"), "--time-limit", "20", "--workers", "1", "--no-documents"]) == 0
    assert json.loads((tmp_path / "v3" / "changes.json").read_text())["unchanged"] is True
    assert (tmp_path / "v3" / "changes.nl.md").read_text().startswith("Ongewijzigd")


def test_every_recommended_option_passes_the_checker_and_changes_only_its_departure(first, tmp_path):
    data = two_days()
    data["departures"].append(departure("D4", priority=1, reception="REC-LOS-2", kind="other", medical=None,
                                        pickup={"window": ["2027-01-07T00:00:00+01:00", "2027-01-10T00:00:00+01:00"]}))
    sc = parse_scenario(data)
    rec = recommend(sc, first, "D4", top=3)
    assert rec.fits, rec.reasons
    scenario_file, plan_file = tmp_path / "scenario.json", tmp_path / "plan.json"
    scenario_file.write_text(json.dumps(data))
    plan_file.write_text(json.dumps(first))
    assert main(["recommend", str(scenario_file), "--plan", str(plan_file), "--departure", "D4",
                 "--out", str(tmp_path / "rec"), "--top", "3"]) == 0
    options = json.loads((tmp_path / "rec" / "options.json").read_text())
    assert 1 <= len(options["options"]) <= 3
    waiting = [o["waiting_hours"] for o in options["options"]]
    assert waiting == sorted(waiting)  # ranked by the spec's objective
    for o in options["options"]:
        whole = json.loads((tmp_path / "rec" / o["file"]).read_text())
        assert check_plan(sc, whole) == []
        assert entry(whole, "D4")["planned"] and entry(whole, "D4")["flights"] == o["flights"]
        for did in ("D1", "D2"):
            assert entry(whole, did) == entry(first, did)


def test_recommend_says_why_when_nothing_fits(first):
    data = two_days()
    # Only 9 January, whose flight the plan's D2 party fills beyond what a second party needs.
    data["flights"] = [dict(f, seats=4) if f["id"] == OUT9 else f for f in data["flights"]]
    data["departures"].append(departure("D5", reception="REC-LOS-2", pickup={
        "window": ["2027-01-09T00:00:00+01:00", "2027-01-10T00:00:00+01:00"]}))
    sc = parse_scenario(data)
    plan = json.loads(json.dumps(first))
    rec = recommend(sc, plan, "D5")
    assert rec.fits == [] and rec.reasons_nl and rec.reasons
