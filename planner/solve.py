"""Solving a scenario: candidates, greedy warm start, then CP-SAT level by level.

Levels 1 and 2 (planned priority, early departure) are solved together as one exact
objective W * L1 - L2 with W larger than any possible L2, so no waiting hour can ever buy
back a unit of priority. Each later level is optimised with the earlier ones held at least as
good as found, so a lower level never trades a higher one away.

A solve can be stopped from another thread with a ``StopSignal`` (``SolveOptions.stop``); it then
returns the best selection found so far, marked ``stopped``.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from ortools.sat.python import cp_model

from .candidates import Candidates
from .greedy import greedy
from .lns import improve
from .model import PlanModel
from .reduce import choice_count, thin
from .scenario import Scenario
from .selection import Selection

LEVELS = ("planned_priority", "waiting_hours", "cost_eur", "care_hours", "max_escort_missions")
BOUND_REPORT_SECONDS = 0.5  # bound-only progress reports come at most this often


class StopSignal:
    """Asks a running ``solve()`` to stop, from any thread; the solve keeps its best plan so far.

    ``solve()`` registers each CP-SAT solver it runs, so that ``stop()`` can end the search in
    progress at once rather than at the next stage boundary.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()  # orders stop() against register(): no solver escapes a stop
        self._solver: cp_model.CpSolver | None = None

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def stop(self) -> None:
        with self._lock:
            self._event.set()
            if self._solver is not None:
                _halt(self._solver)

    def register(self, solver: cp_model.CpSolver) -> None:
        """Call after setting the solver's parameters, just before ``solver.solve``."""
        with self._lock:
            self._solver = solver
            if self._event.is_set():
                _halt(solver)

    def unregister(self) -> None:
        with self._lock:
            self._solver = None


def _halt(solver: cp_model.CpSolver) -> None:
    # CpSolver.stop_search() is a no-op until solve() has created its search object, and solve()
    # reads the parameters only after creating it; so a zero time limit set first covers the
    # window before, and stop_search() the search once it exists (its stop flag persists).
    solver.parameters.max_time_in_seconds = 0.0
    solver.stop_search()


def run(solver: cp_model.CpSolver, model: cp_model.CpModel, stop: StopSignal | None,
        callback: cp_model.CpSolverSolutionCallback | None = None):
    """``solver.solve(model, callback)``, stoppable by ``stop`` while it runs."""
    if stop is None:
        return solver.solve(model, callback)
    stop.register(solver)
    try:
        return solver.solve(model, callback)
    finally:
        stop.unregister()


@dataclass
class SolveOptions:
    time_limit: float = 60.0
    workers: int = 0  # 0: the cores present
    seed: int = 0
    gap: float = 0.0
    quick: bool = False
    presolve: bool = False  # off: the greedy hint is used at once (see benchmarks)
    log: bool = False
    # Above this many companion choices the model is thinned (see reduce.py); below, it is exact.
    thin_above: int = 300_000
    companions_per_member: int = 10
    vehicles_per_trip: int = 4
    large_scale_above: int = 200_000  # departures x escorts
    lns_share: float = 0.8  # of the time left after the greedy, at programme scale
    stop: StopSignal | None = None  # set from another thread to end the solve early

    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


@dataclass
class Progress:
    stage: str
    elapsed: float
    objective: dict[str, float]
    bound: dict[str, float]
    gap: float | None


@dataclass
class Result:
    selection: Selection
    candidates: Candidates
    status: str  # OPTIMAL only when every level is proven; GREEDY for --quick
    objective: dict[str, float]
    bound: dict[str, float]
    gap: float | None  # relative gap of the levels 1+2 stage (None: that stage did not finish)
    wall_seconds: float
    first_plan_seconds: float
    stages: list[dict] = field(default_factory=list)
    model_size: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    stopped: bool = False  # the stop signal ended the solve before every level was proven


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Light progress reporting: objective and bound of each new solution."""

    def __init__(self, report: Callable[[float, float], None]):
        super().__init__()
        self.report = report

    def on_solution_callback(self) -> None:
        self.report(self.objective_value, self.best_objective_bound)


class _StageProgress:
    """Live progress of one stage in level terms, from new solutions and bound improvements.

    CP-SAT calls both from its worker threads, so state and reports are serialised by a lock;
    bound-only reports are throttled, as the bound may move hundreds of times a second.
    """

    def __init__(self, pm: PlanModel, stage: int, name: str, started: float, objective: dict[str, float],
                 bound: dict[str, float], on_progress: Callable[[Progress], None] | None):
        self.pm, self.stage, self.name, self.started = pm, stage, name, started
        self.on_progress = on_progress
        self.known_bound = dict(bound)  # of the stages already run
        self.objective = dict(objective)  # the incumbent in level terms: the hint until a solution comes
        # The incumbent in the stage's own terms, for the gap; exact for levels 1+2 (integers).
        self.obj: float | None = pm.weight * objective["planned_priority"] - objective["waiting_hours"] \
            if stage == 0 else None
        self.bnd: float | None = None
        self.last_report = 0.0
        self.lock = threading.Lock()
        self.best_l1 = objective["planned_priority"]
        self.level1_proven: float | None = None

    def solution(self, obj: float, bnd: float) -> None:
        with self.lock:
            self.obj = obj
            self.objective = _levels(self.pm, obj, self.stage, self.objective)
            if self.stage == 0:
                self.best_l1 = max(self.best_l1, self.objective["planned_priority"])
            self._bound(bnd)
            self._report()

    def bound(self, bnd: float) -> None:
        with self.lock:
            self._bound(bnd)
            if time.perf_counter() - self.last_report >= BOUND_REPORT_SECONDS:
                self._report()

    def _bound(self, bnd: float) -> None:
        # Keep the tightest bound: a solution's bound may be read before a newer callback's.
        if self.bnd is None or (bnd < self.bnd if self.stage == 0 else bnd > self.bnd):
            self.bnd = bnd
        if self.stage == 0 and self.level1_proven is None and -(-int(self.bnd) // self.pm.weight) <= self.best_l1:
            # Level 1 is proven once the combined bound leaves no room for one more unit of priority.
            self.level1_proven = time.perf_counter() - self.started

    def _report(self) -> None:
        self.last_report = time.perf_counter()
        if self.on_progress is None:
            return
        bound = dict(self.known_bound)
        if self.bnd is not None:
            bound.update(_bounds(self.pm, self.stage, self.bnd, self.objective))
        gap = None if self.obj is None or self.bnd is None else _gap(self.obj, self.bnd)
        self.on_progress(Progress(self.name, self.last_report - self.started, dict(self.objective), bound, gap))


def _gap(obj: float, bound: float) -> float:
    return abs(bound - obj) / max(1.0, abs(obj))


def is_large_scale(sc: Scenario, options: SolveOptions) -> bool:
    """Programme scale (hundreds of escorts times a thousand departures): search, not proof."""
    return len(sc.departures) * max(1, len(sc.escorts)) > options.large_scale_above


def solve(sc: Scenario, options: SolveOptions, on_progress: Callable[[Progress], None] | None = None,
          cands: Candidates | None = None) -> Result:
    started = time.perf_counter()
    stop = options.stop
    timings: dict[str, float] = {}
    large = is_large_scale(sc, options)
    # Companions take their earliest lawful return in the exact model; at programme scale they
    # may take one of the first three, as shared return seats then bind (see docs/planning.md).
    cands = cands or Candidates(sc, returns_per_companion=3 if large else 1)
    sel = greedy(cands)
    first_plan = time.perf_counter() - started
    objective = sel.objective(cands)
    if on_progress:
        on_progress(Progress("greedy", first_plan, dict(objective), {}, None))
    if options.quick:
        return Result(sel, cands, "GREEDY", objective, {}, None, time.perf_counter() - started, first_plan)

    def stopped_now(stages: list[dict], size: dict[str, int]) -> Result:
        # The greedy plan (or a better one) is complete and valid, so a stop always has a plan.
        return Result(sel, cands, "FEASIBLE", objective, {}, None, time.perf_counter() - started, first_plan,
                      stages, size, timings, stopped=True)

    stages: list[dict] = []
    if stop and stop.is_set:
        return stopped_now(stages, {})
    if large or choice_count(cands) > options.thin_above:
        thin(cands, sel, options.companions_per_member, options.vehicles_per_trip)
    if large:
        budget = options.lns_share * (options.time_limit - (time.perf_counter() - started))

        def improved(new: Selection) -> None:
            if on_progress:
                on_progress(Progress("targeted search", time.perf_counter() - started, new.objective(cands), {}, None))
        lns_start = time.perf_counter()
        sel = improve(cands, sel, budget, options.worker_count(), seed=options.seed, on_improve=improved, stop=stop)
        objective = sel.objective(cands)
        stages.append({"stage": "targeted search (levels 1+2)", "status": "FEASIBLE",
                       "seconds": round(time.perf_counter() - lns_start, 2),
                       "planned_priority": objective["planned_priority"]})
    if stop and stop.is_set:
        return stopped_now(stages, {})  # before building the model, which takes seconds at scale
    pm = PlanModel(cands)
    pm.lower_levels()
    size = pm.size()
    big_exact = not large and size["variables"] > 50_000
    bound: dict[str, float] = {}
    status_all = "OPTIMAL"
    overall_gap: float | None = 0.0
    stopped = False
    plan = [
        ("levels 1+2", lambda: pm.model.maximize(pm.l12), 0.6),
        ("level 3 cost", lambda: pm.model.minimize(pm.cost), 0.85),
        ("level 4 care", lambda: pm.model.minimize(pm.care), 0.5),
        ("level 5 fairness", lambda: pm.model.minimize(pm.most_missions), 1.0),
    ]
    for stage_index, (name, set_objective, share) in enumerate(plan):
        remaining = options.time_limit - (time.perf_counter() - started)
        if stop and stop.is_set:
            stopped = True
            status_all = "FEASIBLE"
            overall_gap = overall_gap if stage_index > 0 else None
            break
        if remaining <= 0.5:
            status_all = "FEASIBLE"
            overall_gap = None
            break
        set_objective()
        pm.hint(sel)
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.max_time_in_seconds = max(0.5, remaining * share)
        prm.num_workers = options.worker_count()
        prm.random_seed = options.seed
        prm.relative_gap_limit = options.gap
        # Presolve off lets a stage use the warm start at once. The cost stage of a big exact model
        # needs a proof more than a start, and there presolve pays (large: cost proven in 55 s with
        # it, 6 % gap after 52 s without); on medium it only costs time.
        prm.cp_model_presolve = options.presolve or (stage_index == 1 and big_exact)
        prm.log_search_progress = options.log
        live = _StageProgress(pm, stage_index, name, started, objective, bound, on_progress)
        solver.best_bound_callback = live.bound
        status = run(solver, pm.model, stop, _Watcher(live.solution))
        if stage_index == 0 and live.level1_proven is not None:
            timings.setdefault("level1_proven_seconds", round(live.level1_proven, 2))
        status_name = solver.status_name(status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # A stop before the first solution (UNKNOWN); otherwise cannot happen with a complete
            # valid hint. Keep the selection found so far rather than nothing.
            stages.append({"stage": name, "status": status_name, "seconds": solver.wall_time})
            status_all = "FEASIBLE"
            overall_gap = None if stage_index == 0 else overall_gap
            stopped = bool(stop and stop.is_set)
            break
        sel = pm.selection(lambda v: solver.boolean_value(v))
        objective = sel.objective(cands)
        obj, bnd = solver.objective_value, solver.best_objective_bound
        stage_gap = _gap(obj, bnd)
        stages.append({"stage": name, "status": status_name, "seconds": round(solver.wall_time, 2),
                       "ended_at": round(time.perf_counter() - started, 2),
                       "objective": obj, "bound": bnd, "gap": round(stage_gap, 6)})
        bound.update(_bounds(pm, stage_index, bnd, objective))
        if stage_index == 0 and bound["planned_priority"] == objective["planned_priority"]:
            timings.setdefault("level1_proven_seconds", stages[-1]["ended_at"])
        if status != cp_model.OPTIMAL:
            status_all = "FEASIBLE"
            overall_gap = stage_gap if overall_gap is not None and stage_index == 0 else overall_gap
            stopped = stopped or bool(stop and stop.is_set)
        if on_progress:
            on_progress(Progress(name, time.perf_counter() - started, dict(objective), dict(bound), stage_gap))
        # Hold this level (and those above) at least as good as found before the next one.
        if stage_index == 0 and status == cp_model.OPTIMAL:
            # Both levels proven: fix each exactly, which propagates far better than the sum.
            pm.model.add(pm.l1 == objective["planned_priority"])
            pm.model.add(pm.l2 == objective["waiting_hours"])
        elif stage_index == 0:
            pm.model.add(pm.l12 >= round(obj))
        elif stage_index == 1:
            pm.model.add(pm.cost <= round(obj))
        elif stage_index == 2:
            pm.model.add(pm.care <= round(obj))
    return Result(sel, cands, status_all, objective, bound, overall_gap, time.perf_counter() - started, first_plan,
                  stages, size, timings, stopped=stopped)


def _levels(pm: PlanModel, obj: float, stage: int, known: dict[str, float]) -> dict[str, float]:
    out = dict(known)
    if stage == 0:
        l1 = -(-round(obj) // pm.weight)
        out["planned_priority"] = l1
        out["waiting_hours"] = pm.weight * l1 - round(obj)
    elif stage == 1:
        out["cost_eur"] = round(obj / 100, 2)
    elif stage == 2:
        out["care_hours"] = round(obj / 60, 2)
    else:
        out["max_escort_missions"] = obj
    return out


def _bounds(pm: PlanModel, stage: int, bnd: float, objective: dict[str, float]) -> dict[str, float]:
    """Per-level bounds from a stage's bound (the combined level 1+2 bound splits exactly)."""
    if stage == 0:
        l1_bound = -(-int(bnd) // pm.weight)  # L2 < W, so L1 <= ceil(bound / W)
        out = {"planned_priority": l1_bound}
        if l1_bound == objective["planned_priority"]:
            out["waiting_hours"] = max(0, pm.weight * l1_bound - int(bnd))
        return out
    if stage == 1:
        return {"cost_eur": round(bnd / 100, 2)}
    if stage == 2:
        return {"care_hours": round(bnd / 60, 2)}
    return {"max_escort_missions": bnd}
