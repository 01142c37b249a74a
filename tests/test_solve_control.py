"""A running solve can be stopped from another thread, and reports live bounds while it runs.

The web service runs ``solve()`` in a worker and a watcher thread stops it on request, keeping
the best plan so far; every plan a stopped solve returns must still pass the checker.
"""
from __future__ import annotations

import threading
import time

from ortools.sat.python import cp_model

from planner.checker import check_plan
from planner.generator import generate
from planner.plan import build_plan
from planner.scenario import parse_scenario
from planner.solve import PROBE_STAGE, Progress, SolveOptions, StopSignal, run, solve


def checked(sc, result) -> dict:
    plan = build_plan(sc, result)
    assert check_plan(sc, plan) == []
    return plan


def greedy_priority(sc, result) -> int:
    return solve(sc, SolveOptions(quick=True), cands=result.candidates).objective["planned_priority"]


def hard_model() -> cp_model.CpModel:
    """A model CP-SAT cannot prove within seconds, so a solve runs to its time limit unless stopped."""
    m = cp_model.CpModel()
    xs = [m.new_int_var(0, 1000, f"x{i}") for i in range(60)]
    m.add_all_different(xs)
    for a, b, c in zip(xs, xs[1:], xs[2:]):
        m.add(a + b != c)
    m.maximize(sum((i % 7 + 1) * x for i, x in enumerate(xs)))
    return m


def timed_run(solver: cp_model.CpSolver, stop: StopSignal) -> float:
    t = time.perf_counter()
    run(solver, hard_model(), stop)
    return time.perf_counter() - t


def solver_for(seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    return solver


def test_a_stop_is_never_lost_between_register_and_search():
    # CpSolver.stop_search() alone does nothing before solve() has started its search.
    stop = StopSignal()
    stop.stop()
    assert stop.is_set
    assert timed_run(solver_for(30), stop) < 2  # registered after the stop

    stop = StopSignal()
    solver = solver_for(30)
    stop.register(solver)
    stop.stop()  # registered, search not yet started
    t = time.perf_counter()
    solver.solve(hard_model())
    assert time.perf_counter() - t < 2
    stop.unregister()

    # Without a stop the same run takes its time limit: the two checks above can fail.
    assert timed_run(solver_for(2), StopSignal()) > 1.5


def test_stop_from_another_thread_ends_a_long_solve_with_a_valid_plan():
    sc = parse_scenario(generate("large", 3))
    stop = StopSignal()
    searching = threading.Event()
    stopped_at: list[float] = []

    def on_progress(p: Progress) -> None:
        if p.stage in ("levels 1+2", PROBE_STAGE):
            searching.set()

    def watcher() -> None:
        searching.wait(60)  # stop while CP-SAT searches, not between stages
        time.sleep(0.5)
        stopped_at.append(time.perf_counter())
        stop.stop()

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    result = solve(sc, SolveOptions(time_limit=120, stop=stop), on_progress=on_progress)
    returned = time.perf_counter()
    thread.join(5)
    assert stopped_at, "the solve ended before it was stopped"
    latency = returned - stopped_at[0]
    print(f"stop-to-return latency {latency:.2f} s")
    assert latency < 10
    assert result.stopped
    assert result.status == "FEASIBLE"
    # Cut short (with or without a solution of its own), then no more.
    assert len(result.stages) < 4 and result.stages[-1]["status"] in ("FEASIBLE", "UNKNOWN")
    checked(sc, result)
    assert result.objective["planned_priority"] >= greedy_priority(sc, result)


def test_stop_before_solve_returns_the_greedy_plan():
    sc = parse_scenario(generate("medium", 5))
    stop = StopSignal()
    stop.stop()
    result = solve(sc, SolveOptions(time_limit=60, stop=stop))
    assert result.stopped and result.status == "FEASIBLE"
    assert result.stages == []
    assert result.wall_seconds - result.first_plan_seconds < 1.0
    checked(sc, result)
    assert result.objective["planned_priority"] == greedy_priority(sc, result)


def test_stop_from_a_progress_report_inside_the_solver():
    # on_progress runs on CP-SAT's threads; stopping from there must neither deadlock nor be lost.
    sc = parse_scenario(generate("medium", 5))
    stop = StopSignal()

    def on_progress(p: Progress) -> None:
        if p.stage in ("levels 1+2", PROBE_STAGE):
            stop.stop()

    result = solve(sc, SolveOptions(time_limit=60, stop=stop), on_progress=on_progress)
    assert result.stopped and result.status == "FEASIBLE"
    assert result.wall_seconds < 20
    assert [s["stage"] for s in result.stages] == [PROBE_STAGE]  # the first stage, cut short
    checked(sc, result)


def test_stop_ends_the_targeted_search():
    # Programme scale (forced here on a medium scenario) runs lns.improve before the stages.
    sc = parse_scenario(generate("medium", 5))
    stop = StopSignal()
    timer = threading.Timer(2.0, stop.stop)
    timer.start()
    t = time.perf_counter()
    result = solve(sc, SolveOptions(time_limit=120, large_scale_above=0, stop=stop))
    timer.join()
    assert time.perf_counter() - t < 2.0 + 6.0
    assert result.stopped and result.status == "FEASIBLE"
    assert [s["stage"] for s in result.stages] == ["targeted search (levels 1+2)"]
    checked(sc, result)
    assert result.objective["planned_priority"] >= greedy_priority(sc, result)


def test_progress_during_levels_1_and_2_carries_a_bound():
    sc = parse_scenario(generate("medium", 5))
    reports: list[Progress] = []
    lock = threading.Lock()

    def on_progress(p: Progress) -> None:
        with lock:
            reports.append(p)

    result = solve(sc, SolveOptions(time_limit=8), on_progress=on_progress)
    stage = [p for p in reports if p.stage == "levels 1+2"]
    live = stage[:-1]  # the last one is the stage's own summary, which always had a bound
    assert live, "no live report during levels 1+2"
    for p in live:
        assert p.bound["planned_priority"] >= p.objective["planned_priority"]
        if "waiting_hours" in p.bound:  # only once level 1 is proven
            assert p.bound["planned_priority"] == p.objective["planned_priority"]
            assert p.bound["waiting_hours"] <= p.objective["waiting_hours"]
        assert p.gap is not None and p.gap >= 0
    # The bound only tightens, and the live bound never undercuts the final plan.
    bounds = [p.bound["planned_priority"] for p in live]
    assert bounds == sorted(bounds, reverse=True)
    assert bounds[-1] >= result.objective["planned_priority"]
    checked(sc, result)
