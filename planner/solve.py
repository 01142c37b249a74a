"""Solving a scenario: candidates, greedy warm start, then CP-SAT level by level.

Levels 1 and 2 (planned priority, early departure) are solved together as one exact
objective W * L1 - L2 with W larger than any possible L2, so no waiting hour can ever buy
back a unit of priority. Each later level is optimised with the earlier ones held at least as
good as found, so a lower level never trades a higher one away.
"""
from __future__ import annotations

import os
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


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Light progress reporting: objective and bound of each new solution."""

    def __init__(self, report: Callable[[float, float, float], None]):
        super().__init__()
        self.report = report

    def on_solution_callback(self) -> None:
        self.report(self.objective_value, self.best_objective_bound, self.wall_time)


def _gap(obj: float, bound: float) -> float:
    return abs(bound - obj) / max(1.0, abs(obj))


def is_large_scale(sc: Scenario, options: SolveOptions) -> bool:
    """Programme scale (hundreds of escorts times a thousand departures): search, not proof."""
    return len(sc.departures) * max(1, len(sc.escorts)) > options.large_scale_above


def solve(sc: Scenario, options: SolveOptions, on_progress: Callable[[Progress], None] | None = None,
          cands: Candidates | None = None) -> Result:
    started = time.perf_counter()
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

    stages: list[dict] = []
    if large or choice_count(cands) > options.thin_above:
        thin(cands, sel, options.companions_per_member, options.vehicles_per_trip)
    if large:
        budget = options.lns_share * (options.time_limit - (time.perf_counter() - started))

        def improved(new: Selection) -> None:
            if on_progress:
                on_progress(Progress("targeted search", time.perf_counter() - started, new.objective(cands), {}, None))
        lns_start = time.perf_counter()
        sel = improve(cands, sel, budget, options.worker_count(), seed=options.seed, on_improve=improved)
        objective = sel.objective(cands)
        stages.append({"stage": "targeted search (levels 1+2)", "status": "FEASIBLE",
                       "seconds": round(time.perf_counter() - lns_start, 2),
                       "planned_priority": objective["planned_priority"]})
    pm = PlanModel(cands)
    pm.lower_levels()
    size = pm.size()
    big_exact = not large and size["variables"] > 50_000
    bound: dict[str, float] = {}
    status_all = "OPTIMAL"
    overall_gap: float | None = 0.0
    plan = [
        ("levels 1+2", lambda: pm.model.maximize(pm.l12), 0.6),
        ("level 3 cost", lambda: pm.model.minimize(pm.cost), 0.85),
        ("level 4 care", lambda: pm.model.minimize(pm.care), 0.5),
        ("level 5 fairness", lambda: pm.model.minimize(pm.most_missions), 1.0),
    ]
    for stage_index, (name, set_objective, share) in enumerate(plan):
        remaining = options.time_limit - (time.perf_counter() - started)
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

        def report(obj, bnd, wall, name=name, stage_index=stage_index):
            if stage_index == 0:
                best_l1[0] = max(best_l1[0], -(-round(obj) // pm.weight))
            if on_progress:
                on_progress(Progress(name, time.perf_counter() - started, _levels(pm, obj, stage_index, objective),
                                     {}, _gap(obj, bnd)))
        if stage_index == 0:
            def on_bound(value: float) -> None:
                # Level 1 is proven once the combined bound leaves no room for one more unit of priority.
                if "level1_proven_seconds" not in timings and -(-int(value) // pm.weight) <= best_l1[0]:
                    timings["level1_proven_seconds"] = round(time.perf_counter() - started, 2)
            best_l1 = [objective["planned_priority"]]
            solver.best_bound_callback = on_bound
        status = solver.solve(pm.model, _Watcher(report))
        status_name = solver.status_name(status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # Cannot happen with a complete valid hint; keep the greedy selection rather than nothing.
            stages.append({"stage": name, "status": status_name, "seconds": solver.wall_time})
            status_all = "FEASIBLE"
            overall_gap = None
            break
        sel = pm.selection(lambda v: solver.boolean_value(v))
        objective = sel.objective(cands)
        obj, bnd = solver.objective_value, solver.best_objective_bound
        stage_gap = _gap(obj, bnd)
        stages.append({"stage": name, "status": status_name, "seconds": round(solver.wall_time, 2),
                       "ended_at": round(time.perf_counter() - started, 2),
                       "objective": obj, "bound": bnd, "gap": round(stage_gap, 6)})
        bound.update(_bounds(pm, stage_index, obj, bnd, objective))
        if stage_index == 0 and bound["planned_priority"] == objective["planned_priority"]:
            timings.setdefault("level1_proven_seconds", stages[-1]["ended_at"])
        if status != cp_model.OPTIMAL:
            status_all = "FEASIBLE"
            overall_gap = stage_gap if overall_gap is not None and stage_index == 0 else overall_gap
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
                  stages, size, timings)


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


def _bounds(pm: PlanModel, stage: int, obj: float, bnd: float, objective: dict[str, float]) -> dict[str, float]:
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
