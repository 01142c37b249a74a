"""The solver's plans for the reference scenarios pass the independent checker."""
from __future__ import annotations

import pytest

from conftest import shared_path
from planner.checker import check_plan
from planner.plan import build_plan
from planner.scenario import load_scenario
from planner.solve import SolveOptions, solve


@pytest.mark.parametrize("name, limit", [("small", 20), ("medium", 40)])
def test_cp_sat_plan_passes_the_checker(name, limit):
    sc = load_scenario(shared_path(name))
    result = solve(sc, SolveOptions(time_limit=limit))
    plan = build_plan(sc, result)
    assert check_plan(sc, plan) == []
    planned = [d for d in plan["departures"] if d["planned"]]
    unplanned = [d for d in plan["departures"] if not d["planned"]]
    assert planned and unplanned  # about a quarter cannot be planned, by construction
    assert all(d["reasons"] and d["reasons_nl"] for d in unplanned)
    # The CP-SAT plan is never worse than the greedy warm start on the first level.
    greedy = solve(sc, SolveOptions(quick=True), cands=result.candidates)
    assert result.objective["planned_priority"] >= greedy.objective["planned_priority"]


def test_quick_plan_for_large_passes_the_checker():
    sc = load_scenario(shared_path("large"))
    result = solve(sc, SolveOptions(quick=True))
    plan = build_plan(sc, result)
    assert check_plan(sc, plan) == []
    assert result.objective["planned_priority"] > 0
