"""The relaxation's bound on planned priority (planner/relaxation.py) holds for the scenario as given.

Each tiny scenario below has two departures that each have a lawful option, but only one of them
can be planned, for one reason at a time: outbound seats, the carrier's cap, the escorts, the
medics, the vehicles. The relaxation must see it (its bound is below the units' own ceiling) and
must never promise less than the exact solver proves possible. On generated scenarios, the bound
is at least the priority of the proven optimum. Every plan is re-checked by the checker.
"""
from __future__ import annotations

import random
import threading
import time

import pytest
import tiny
from tiny import JANUARY, departure, escort, medic, scenario

from planner.candidates import Candidates, ReturnPolicy
from planner.checker import check_plan
from planner.generator import generate
from planner.plan import build_plan
from planner.relaxation import Relaxation, priority_bound, solve_relaxation
from planner.scenario import parse_scenario
from planner.solve import SolveOptions, solve, unit_bound
from planner.stopping import StopSignal

FEBRUARY = [["2027-02-01T00:00:00+01:00", "2027-03-01T00:00:00+01:00"]]
TWO = [departure("D1"), departure("D2", priority=1)]  # both fit only the one flight pair
AMBULANCES = [{"id": f"AMB-{i}", "kind": "ambulance", "stretcher": True, "seats": 4, "available": JANUARY}
              for i in (1, 2)]
MEDICS = [medic("N1"), medic("N3")]  # both with the skill D1 and D2 ask for
ESCORTS = [escort("E1", sex="F", skills=["team_leader"]), escort("E2"), escort("E3", skills=["team_leader"]),
           escort("E4")]

ONE_FITS = {
    # D1 with its two escorts and nurse takes 4 of 6 seats out; D2 needs 4 more.
    "seats": scenario(departures=TWO, vehicles=AMBULANCES, medics=MEDICS, escorts=ESCORTS,
                      flights=tiny.flights_with(tiny.OUT, seats=6)),
    "carrier cap": scenario(departures=TWO, vehicles=AMBULANCES, medics=MEDICS, escorts=ESCORTS,
                            airlines=[{**tiny.scenario()["airlines"][0], "max_escorted_per_flight": 1}]),
    # Two of the four escorts are rostered in February only.
    "escorts": scenario(departures=TWO, vehicles=AMBULANCES, medics=MEDICS,
                        escorts=ESCORTS[:2] + [escort("E3", skills=["team_leader"], available=FEBRUARY),
                                               escort("E4", available=FEBRUARY)]),
    "medics": scenario(departures=TWO, vehicles=AMBULANCES, escorts=ESCORTS, medics=MEDICS[:1]),
    "vehicles": scenario(departures=TWO, vehicles=AMBULANCES[:1], medics=MEDICS, escorts=ESCORTS),
}


def exact(sc):
    """The proven optimum of planned priority, and the plan, re-checked."""
    result = solve(sc, SolveOptions(time_limit=30, workers=1))
    plan = build_plan(sc, result)
    assert check_plan(sc, plan) == []
    assert "planned_priority" in result.proven, result.stages
    return result.objective["planned_priority"], plan


@pytest.mark.parametrize("why", sorted(ONE_FITS))
def test_the_bound_sees_what_lets_only_one_departure_fly(why):
    sc = parse_scenario(ONE_FITS[why])
    cands = Candidates(sc, returns=ReturnPolicy(first=3))
    assert unit_bound(cands) == 4  # both have a lawful option of their own
    best, plan = exact(sc)
    assert best == 3 and [d["id"] for d in plan["departures"] if d["planned"]] == ["D1"]
    found = priority_bound(cands, time_limit=10)
    assert found.optimal and found.value == 3


def test_without_a_shortage_the_bound_is_the_ceiling():
    sc = parse_scenario(scenario(departures=TWO, vehicles=AMBULANCES, medics=MEDICS, escorts=ESCORTS))
    best, _ = exact(sc)
    assert best == 4
    assert priority_bound(Candidates(sc, returns=ReturnPolicy(first=3)), time_limit=10).value == 4


@pytest.mark.parametrize("seed", [3, 11])
def test_the_bound_is_never_below_the_proven_optimum_of_a_generated_scenario(seed):
    sc = parse_scenario(generate("small", seed))
    best, _ = exact(sc)
    cands = Candidates(sc, returns=ReturnPolicy(first=3))
    found = priority_bound(cands, time_limit=20)
    assert best <= found.value <= unit_bound(cands)


def test_a_restricted_solve_reports_the_relaxation_as_its_ceiling():
    # Programme scale forced: the model is restricted, so its own bound is no bound of the scenario.
    sc = parse_scenario(ONE_FITS["escorts"])
    result = solve(sc, SolveOptions(time_limit=5, workers=1, large_scale_above=0))
    assert result.restrictions and result.proven == []
    assert result.ceiling == {"planned_priority": 3}
    stage = next(s for s in result.stages if s["stage"].startswith("priority bound"))
    assert stage["status"] == "OPTIMAL" and stage["planned_priority"] == 3
    plan = build_plan(sc, result)
    assert check_plan(sc, plan) == []
    assert plan["solver"]["ceiling"] == {"planned_priority": 3} and plan["solver"]["bound"] == {}
    # Without the relaxation, the ceiling is the units' own.
    plain = solve(sc, SolveOptions(time_limit=5, workers=1, large_scale_above=0, bound_seconds=0))
    assert plain.ceiling == {"planned_priority": 4}
    assert check_plan(sc, build_plan(sc, plain)) == []


def test_the_terminal_names_the_bound_of_a_restricted_plan(tmp_path, monkeypatch, capsys):
    import dataclasses
    import json

    from planner import solve as solving
    from planner.cli import main

    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(ONE_FITS["medics"]), encoding="utf-8")
    real = solving.is_large_scale
    monkeypatch.setattr(solving, "is_large_scale",
                        lambda sc, options: real(sc, dataclasses.replace(options, large_scale_above=0)))
    assert main(["plan", str(path), "--out", str(tmp_path / "out"), "--time-limit", "4", "--workers", "1",
                 "--no-documents"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "Beperkt model" in said
    assert "geen plan haalt meer dan prioriteit 3 (dit plan 3, afstand 0.0%)" in said


def test_a_stop_ends_the_relaxation_at_once_with_a_bound_that_still_holds():
    # 400 single-option units under 60 random knapsack rows: SCIP does not prove it within 20 s.
    rng = random.Random(1)
    rows = [(cols, [rng.randint(5, 40) for _ in cols], 200) for cols in (rng.sample(range(400), 40) for _ in range(60))]
    r = Relaxation([rng.randint(1, 30) for _ in range(400)], [[i] for i in range(400)], rows)
    stop = StopSignal()
    threading.Timer(0.5, stop.stop).start()
    started = time.perf_counter()
    found = solve_relaxation(r, time_limit=60, stop=stop)
    assert time.perf_counter() - started < 5
    assert not found.optimal and found.value <= r.ceiling
    # Asked before it starts: it does not start.
    assert solve_relaxation(r, time_limit=60, stop=stop).value == r.ceiling
