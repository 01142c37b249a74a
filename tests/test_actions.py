"""Where to act first (planner/actions.py): the plan's fixes grouped into actions, each verified by
re-planning the whole plan with the action applied.

Two departures blocked by one unconfirmed reception get one action that plans both, for their
summed priority: its patch, applied with ``jsonpatch`` and re-planned against the plan, plans both
with the checker's approval. Two departures whose fixes ask visas for the same two escorts compete
for them: the merged action plans one, and reports that gain, not the sum of the fixes. Visas for
one country for different escorts merge into one action ("visa for Nigeria for 3 escorts").
"""
from __future__ import annotations

from datetime import date

import jsonpatch

from tiny import JANUARY, departure, escort, exactly, reception, scenario
from planner.actions import Action, attach_actions, group_actions, summary_nl
from planner.checker import check_plan
from planner.fixes import Change, Outcome
from planner.plan import build_plan
from planner.replan import replan
from planner.scenario import parse_scenario
from planner.solve import SolveOptions, solve

OPTIONS = SolveOptions(time_limit=10, workers=1)
OTHER = dict(kind="other", risk="low", medical=None, fit_to_fly_until=None)  # two escorts, no medic
CARS = [{"id": f"CAR-{i}", "kind": "car", "stretcher": False, "seats": 4, "available": JANUARY} for i in (1, 2)]
TWO = [departure("D1", priority=3, **OTHER), departure("D2", priority=5, person={"ref": "P-D2"}, **OTHER)]

# Both go to REC-LOS, which has not confirmed; four escorts with visas are enough for both.
SHARED = scenario(departures=TWO, vehicles=CARS, reception=[reception(confirmed=False)],
                  escorts=[escort(f"E{i}", skills=["team_leader"]) for i in range(1, 5)])
# Only two escorts, neither with a visa for Nigeria: each departure's fix asks visas for both.
COMPETING = scenario(departures=TWO, vehicles=CARS,
                     escorts=[escort(f"E{i}", skills=["team_leader"], visas=exactly({})) for i in range(1, 3)])


def planned_ids(plan: dict) -> set[str]:
    return {e["id"] for e in plan["departures"] if e["planned"]}


def plan_with_actions(doc: dict) -> dict:
    sc = parse_scenario(doc)
    plan = build_plan(sc, solve(sc, OPTIONS), fixes=True)
    assert check_plan(sc, plan) == []
    assert planned_ids(plan) == set()
    return plan


def replanned_with(doc: dict, previous: dict, patch: list[dict]) -> dict:
    """The scenario with the patch applied, re-planned against the plan, checked."""
    sc = parse_scenario(jsonpatch.apply_patch(doc, patch))
    result, _ = replan(sc, previous, OPTIONS)
    after = build_plan(sc, result)
    assert check_plan(sc, after, earlier=previous) == []
    return after


def test_one_cause_of_two_departures_is_one_action_that_plans_both():
    plan = plan_with_actions(SHARED)
    for e in plan["departures"]:
        assert [f["patch"] for f in e["fixes"]] == [[{"op": "replace", "path": "/reception/0/confirmed", "value": True}]]
    (action,) = plan["solver"]["actions"]
    assert action["departures"] == ["D1", "D2"]
    assert action["priority_gained"] == 3 + 5
    assert "REC-LOS" in action["what"] and "REC-LOS" in action["what_nl"]
    assert action["patch"] == [{"op": "replace", "path": "/reception/0/confirmed", "value": True}]
    after = replanned_with(SHARED, plan, action["patch"])
    assert planned_ids(after) == {"D1", "D2"}
    lines = summary_nl(plan)
    assert lines[0].startswith("Waar eerst actie")
    assert "2 vertrekken extra gepland (D1 en D2), prioriteit +8" in lines[1]


def test_fixes_that_compete_for_the_same_escorts_gain_what_the_replan_gains_not_their_sum():
    plan = plan_with_actions(COMPETING)
    fixes = {e["id"]: e["fixes"] for e in plan["departures"]}
    assert fixes["D1"] == fixes["D2"] and len(fixes["D1"]) == 1  # each alone would plan its departure
    (action,) = plan["solver"]["actions"]
    assert action["patch"] == fixes["D1"][0]["patch"]
    assert action["departures"] == ["D2"]  # E1 and E2 escort one of them: the higher priority
    assert action["priority_gained"] == 5 < 3 + 5
    after = replanned_with(COMPETING, plan, action["patch"])
    assert planned_ids(after) == {"D2"}


def test_nothing_to_act_on_gives_no_actions_and_no_lines():
    sc = parse_scenario(scenario())
    plan = build_plan(sc, solve(sc, OPTIONS), fixes=True)
    assert plan["solver"]["actions"] == [] and summary_nl(plan) == []


def _visa(who: tuple, last: date, start: int) -> Change:
    ops = tuple({"op": "add", "path": f"/escorts/{start + i}/visas/NG", "value": last.isoformat()} for i in range(len(who)))
    return Change("visa", ("visa", "escorts", who, ("NG",), last), (7,), ops, f"visa {who}", f"visa {who}")


def test_visas_for_one_country_merge_across_escorts_to_the_latest_date():
    sc = parse_scenario(scenario(departures=TWO))
    early = _visa(("E1", "E2"), date(2027, 1, 7), 0)
    late = _visa(("E2", "E3"), date(2027, 1, 9), 1)
    outcomes = {"D1": Outcome(changes=[(early,)]), "D2": Outcome(changes=[(late,)])}
    (action,) = group_actions(sc, outcomes)
    assert isinstance(action, Action) and action.covers == {"D1", "D2"}
    assert action.patch == [{"op": "add", "path": "/escorts/0/visas/NG", "value": "2027-01-07"},
                            {"op": "add", "path": "/escorts/1/visas/NG", "value": "2027-01-09"},
                            {"op": "add", "path": "/escorts/2/visas/NG", "value": "2027-01-09"}]
    assert action.en == "visas for Nigeria for 3 escorts (E1, E2 and E3) until 9 January 2027"
    assert action.nl == "visa voor Nigeria voor 3 escorts (E1, E2 en E3) tot 9 januari 2027"


def test_an_action_that_gains_nothing_is_not_reported():
    # The patch changes nothing that matters: D1 stays unplanned, no action is listed.
    plan = plan_with_actions(COMPETING)
    sc = parse_scenario(COMPETING)
    useless = Change("confirm", ("confirm", "REC-LOS"), (9,),
                     ({"op": "replace", "path": "/reception/0/confirmed", "value": True},), "bevestigen", "confirm")
    assert attach_actions(sc, plan, {"D1": Outcome(changes=[(useless,)])}, OPTIONS) == []
    assert plan["solver"]["actions"] == [] and plan["solver"]["actions_tried"] == 1
