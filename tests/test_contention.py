"""Departures the plan left out for others (planner/contention.py) and what the examination of
every itinerary says when no change of the records would do (planner/fixes.py).

D1 (priority 3) and D2 (priority 1) both fit only the one flight pair; the plan gives what they
share to D1. D2's reason names D1 as the holder, and its fix — applied with ``jsonpatch`` to the
scenario as given — lets a re-plan held against the plan plan D2 too, with the checker's approval.
"""
from __future__ import annotations

import jsonpatch
from test_fixes import entry, plan_with_fixes, replanned_with
from tiny import JANUARY, departure, escort, flights_with, medic, scenario, OUT

from planner.checker import check_plan
from planner.scenario import parse_scenario
from planner.solve import solve

from test_fixes import OPTIONS

FEBRUARY = [["2027-02-01T00:00:00+01:00", "2027-03-01T00:00:00+01:00"]]
VEHICLES = [{"id": "AMB-1", "kind": "ambulance", "stretcher": True, "seats": 4, "available": JANUARY},
            {"id": "AMB-2", "kind": "ambulance", "stretcher": True, "seats": 4, "available": JANUARY}]
TWO = [departure("D1"), departure("D2", priority=1)]


def test_escorts_taken_name_the_holder_and_a_roster_window_for_free_escorts_plans_it():
    doc = scenario(departures=TWO, vehicles=VEHICLES, medics=[medic("N1"), medic("N3")],
                   escorts=[escort("E1", sex="F", skills=["team_leader"]), escort("E2"),
                            escort("E3", skills=["team_leader"], available=FEBRUARY), escort("E4", available=FEBRUARY)])
    plan = plan_with_fixes(doc)
    assert entry(plan, "D1")["planned"] and not entry(plan, "D2")["planned"]
    d2 = entry(plan, "D2")
    assert any("alle geschikte escorts zijn al ingezet, door D1" in r for r in d2["reasons_nl"]), d2["reasons_nl"]
    assert any("by D1 (priority 3 together; this departure 1)" in r for r in d2["reasons"]), d2["reasons"]
    fix = d2["fixes"][0]
    assert "inroosteren op 7–8 januari 2027" in fix["what_nl"] and fix["rules"] == [6], fix
    assert sorted(op["path"] for op in fix["patch"]) == ["/escorts/2/available/-", "/escorts/3/available/-"]
    after = replanned_with(doc, plan, fix)
    assert entry(after, "D2")["planned"] is True
    assert entry(after, "D1") == entry(plan, "D1")  # made room beside D1, moved nothing


def test_seats_taken_name_the_holder_and_more_seats_plan_it():
    # D1 and its two escorts and nurse take 4 of the 6 seats out; D2 needs 4 more.
    doc = scenario(departures=TWO, vehicles=VEHICLES, medics=[medic("N1"), medic("N3")],
                   flights=flights_with(OUT, seats=6),
                   escorts=[escort("E1", sex="F", skills=["team_leader"]), escort("E2"),
                            escort("E3", skills=["team_leader"]), escort("E4")])
    plan = plan_with_fixes(doc)
    d2 = entry(plan, "D2")
    assert not d2["planned"]
    assert any("alle stoelen zijn al ingezet voor andere vertrekken, door D1" in r for r in d2["reasons_nl"]), d2
    fix = d2["fixes"][0]
    assert fix["rules"] == [4] and fix["patch"] == [{"op": "replace", "path": "/flights/0/seats", "value": 8}], fix
    assert "2 stoelen meer op KL587 van 7 januari 2027" in fix["what_nl"]
    assert entry(replanned_with(doc, plan, fix), "D2")["planned"] is True


def test_a_family_too_big_for_one_ambulance_rides_in_two_vehicles():
    """Rule 11: a family *may* share a trip. A stretcher case with two escorts and a nurse fills an
    ambulance of four; the other member rides in the bus beside it."""
    bus = {"id": "BUS-1", "kind": "van", "stretcher": False, "seats": 8, "available": JANUARY}
    stretcher = {"stretcher": True, "medic_role": "nurse"}
    doc = scenario(departures=[departure("D1", family_group="FAM-1", medical=stretcher),
                               departure("D2", family_group="FAM-1", risk="none",
                                         medical={"medic_role": None, "medic_skills": []})],
                   vehicles=VEHICLES[:1] + [bus], flights=flights_with(OUT, seats=9))
    sc = parse_scenario(doc)
    result = solve(sc, OPTIONS)
    from planner.plan import build_plan
    plan = build_plan(sc, result)
    assert check_plan(sc, plan) == []
    d1, d2 = entry(plan, "D1"), entry(plan, "D2")
    assert d1["planned"] and d2["planned"], (d1, d2)
    assert d1["pickup"]["vehicle"] == "AMB-1" and d2["pickup"]["vehicle"] == "BUS-1"


def test_no_return_within_the_mission_limit_is_said_and_its_fix_is_the_limit():
    """The only return lands 22 h after the pickup (07:30 to 05:30 next day); missions may last
    12 h. No visa, roster or skill would change that: the reason says so instead of naming a
    shortage of escorts, and the one fix is the limit (KMar's exception to make)."""
    doc = scenario(parameters={"escort_max_away_hours": 12})
    plan = plan_with_fixes(doc)
    d1 = entry(plan, "D1")
    assert not d1["planned"]
    assert d1["reasons_nl"][0] == ("Geen terugvlucht brengt een escort of medicus binnen 12 uur na het ophalen "
                                   "weer thuis; de eerste na 22 uur"), d1["reasons_nl"]
    assert set(d1["reason_rules"]) == {7}
    assert not any("beschikbaar" in r for r in d1["reasons_nl"]), d1["reasons_nl"]
    (fix,) = d1["fixes"]
    assert fix["patch"] == [{"op": "replace", "path": "/parameters/escort_max_away_hours", "value": 22}]
    assert "max. missieduur van escorts en medici 22 uur in plaats van 12" in fix["what_nl"]
    assert entry(replanned_with(doc, plan, fix), "D1")["planned"] is True
    # and 21 hours would not do
    shorter = jsonpatch.apply_patch(doc, [{"op": "replace", "path": "/parameters/escort_max_away_hours", "value": 21}])
    sc = parse_scenario(shorter)
    from planner.plan import build_plan
    assert entry(build_plan(sc, solve(sc, OPTIONS)), "D1")["planned"] is False


def test_a_vehicle_too_small_for_the_ride_is_said():
    """A stretcher case with two escorts and a nurse needs four seats; the ambulance has three."""
    doc = scenario(departures=[departure(medical={"stretcher": True})],
                   vehicles=[VEHICLES[0] | {"seats": 3}])
    d1 = entry(plan_with_fixes(doc), "D1")
    assert not d1["planned"] and d1["fixes"] == []
    assert d1["reasons_nl"][0].startswith("Bij de enige vluchtcombinatie: geen voertuig heeft plaats voor de rit"), d1
    assert d1["reason_rules"][0] == 11
