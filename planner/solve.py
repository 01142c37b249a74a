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

from .candidates import Candidates, ReturnPolicy
from .greedy import greedy
from .lns import improve
from .model import PlanModel
from .reduce import choice_count, thin
from .relaxation import Relaxation, relaxation, solve_relaxation
from .hold import count_changes
from .repair import overfull_legs, repair_returns
from .domain import Scenario
from .selection import Selection, cost_cents
from .stopping import StopSignal, run  # StopSignal: re-exported, the service imports it from here

LEVELS = ("planned_priority", "waiting_hours", "cost_eur", "care_hours", "max_escort_missions")
BOUND_REPORT_SECONDS = 0.5  # bound-only progress reports come at most this often


@dataclass
class SolveOptions:
    time_limit: float = 60.0
    workers: int = 0  # 0: the cores present
    seed: int = 0
    gap: float = 0.0
    quick: bool = False
    presolve: bool = False  # off: the greedy hint is used at once (see benchmarks)
    log: bool = False
    # Where the model is restricted, at most this long for a bound of the scenario (relaxation.py);
    # 0: the ceiling stays the units' own.
    bound_seconds: float = 30.0
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
    proven: list[str] = field(default_factory=list)  # levels proven optimal for the scenario as given
    restrictions: list[str] = field(default_factory=list)  # where the model is smaller than the scenario
    ceiling: dict[str, float] = field(default_factory=dict)  # bounds of the scenario no plan can exceed


class _StageProgress:
    """Live progress of one stage in level terms, from new solutions and bound improvements.

    CP-SAT calls both from its worker threads, so state and reports are serialised by a lock;
    bound-only reports are throttled, as the bound may move hundreds of times a second.
    """

    def __init__(self, pm: PlanModel, expr: str, sense: str, name: str, started: float, objective: dict[str, float],
                 bound: dict[str, float], on_progress: Callable[[Progress], None] | None):
        self.pm, self.expr, self.sense, self.name, self.started = pm, expr, sense, name, started
        self.combined = expr in COMBINED  # level 1 weighted above the next level, in one objective
        self.weight = _weight(pm, expr)
        self.on_progress = on_progress
        self.known_bound = dict(bound)  # of the stages already run
        self.objective = dict(objective)  # the incumbent in level terms: the hint until a solution comes
        # The incumbent in the stage's own terms, for the gap; exact for the combined levels (integers).
        second = COMBINED.get(expr)
        self.obj: float | None = self.weight * objective["planned_priority"] - objective.get(second, 0) \
            if self.combined else None
        self.bnd: float | None = None
        self.last_report = 0.0
        self.lock = threading.Lock()
        self.best_l1 = objective["planned_priority"]
        self.level1_proven: float | None = None

    def solution(self, obj: float, bnd: float) -> None:
        with self.lock:
            self.obj = obj
            self.objective = _levels(self.weight, obj, self.expr, self.objective)
            if self.combined and self.pm.cands.policy.counted is None:
                # A relaxation's solution may book a return seat too many: only a model that
                # counts every seat proves level 1 by its own solutions.
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
        if self.bnd is None or (bnd < self.bnd if self.sense == "max" else bnd > self.bnd):
            self.bnd = bnd
        if self.combined and self.level1_proven is None and -(-int(self.bnd) // self.weight) <= self.best_l1:
            # Level 1 is proven once the combined bound leaves no room for one more unit of priority.
            self.level1_proven = time.perf_counter() - self.started

    def _report(self) -> None:
        self.last_report = time.perf_counter()
        if self.on_progress is None:
            return
        bound = dict(self.known_bound)
        if self.bnd is not None:
            bound.update(_bounds(self.weight, self.expr, self.bnd, self.objective))
        gap = None if self.obj is None or self.bnd is None else _gap(self.obj, self.bnd)
        self.on_progress(Progress(self.name, self.last_report - self.started, dict(self.objective), bound, gap))


def _gap(obj: float, bound: float) -> float:
    return abs(bound - obj) / max(1.0, abs(obj))


def candidates_for(sc: Scenario, options: SolveOptions) -> Candidates:
    """The candidates a solve of ``sc`` plans over (re-plans and recommendations use the same)."""
    if is_large_scale(sc, options):
        # Programme scale: companions take one of their first three lawful returns (shared return
        # seats bind there); the model is a restriction and says so (see docs/planning.md).
        return Candidates(sc, returns=ReturnPolicy(first=3))
    # Exact: a relaxation that counts no return seats yet, tightened leg by leg (_exact_stage).
    return Candidates(sc, returns=ReturnPolicy(counted=frozenset()))


def is_large_scale(sc: Scenario, options: SolveOptions) -> bool:
    """Programme scale (hundreds of escorts times a thousand departures): search, not proof."""
    return len(sc.departures) * max(1, len(sc.escorts)) > options.large_scale_above


def level1_gap(objective: dict, bound: dict) -> float | None:
    """How far planned priority may still be from the best possible, as a share of that bound."""
    best, ceiling = objective.get("planned_priority"), bound.get("planned_priority")
    if best is None or ceiling is None:
        return None
    return max(0.0, ceiling - best) / max(1.0, ceiling)


def scenario_bound(solver: dict) -> float | None:
    """From a plan's ``solver`` block, the tightest bound on planned priority that holds for the
    scenario: the solver's own bound or the ceiling, whichever is lower (None: neither is there)."""
    found = [b for b in ((solver.get("bound") or {}).get("planned_priority"),
                         (solver.get("ceiling") or {}).get("planned_priority")) if b is not None]
    return min(found) if found else None


def _in_level1_terms(on_progress, ceiling: dict[str, float], restrictions: list[str]):
    """Progress as people read it: the priority bound never above the ceiling (which may tighten as
    the solve goes on), the gap in priority, and no bound of a restricted model (it does not hold
    for the scenario)."""
    if on_progress is None:
        return None

    def report(progress: Progress) -> None:
        bound = {} if restrictions else dict(progress.bound)
        most = ceiling["planned_priority"]
        bound["planned_priority"] = min(bound.get("planned_priority", most), most)
        on_progress(Progress(progress.stage, progress.elapsed, progress.objective, bound,
                             level1_gap(progress.objective, bound)))
    return report


def unit_bound(cands: Candidates) -> float:
    """Planned priority no plan can exceed: every unit with at least one lawful option, and in a
    re-plan every pinned unit as it stands (an underway departure often has no option left).

    The options are complete (every itinerary its own facts allow, staffable with everyone
    free), so this bounds the scenario itself, also where the model is restricted.
    """
    pinned = cands.hold.pinned if cands.hold is not None else {}
    total = 0
    for u in cands.units:
        if u.index in pinned:
            total += sum(m.dep.priority for m in pinned[u.index].option.members)
        elif u.options:
            total += u.priority
    return total


# Stages: name, objective expression, sense, share of the time left, whether the returns' cost
# matters, and the levels the stage proves when it ends optimal.
STAGES = (
    ("levels 1+2", "l12", "max", 0.6, False, ("planned_priority", "waiting_hours")),
    ("level 3 cost", "cost", "min", 0.85, True, ("cost_eur",)),
    ("level 4 care", "care", "min", 0.5, True, ("care_hours",)),
    ("level 5 fairness", "most_missions", "min", 1.0, True, ("max_escort_missions",)),
)
# A re-plan: planned priority, then the number of changed assignments, then the spec's levels 2-5.
REPLAN_STAGES = (
    ("level 1 + changes", "l1c", "max", 0.5, False, ("planned_priority", "changed_assignments")),
    ("level 2 waiting", "l2", "min", 0.5, False, ("waiting_hours",)),
) + STAGES[1:]
COMBINED = {"l12": "waiting_hours", "l1c": "changed_assignments"}  # expression -> its second level
PROBE_STAGE = "level 1 (is more priority possible?)"
BOUND_STAGE = "priority bound (relaxation of the scenario)"


def _weight(pm: PlanModel, expr: str) -> int:
    return pm.change_weight if expr == "l1c" else pm.weight


def solve(sc: Scenario, options: SolveOptions, on_progress: Callable[[Progress], None] | None = None,
          cands: Candidates | None = None) -> Result:
    """Plan ``sc``. Candidates held still (``cands.hold``, planner/hold.py) make it a re-plan: pinned
    units stay as they are, and each change to a preferred unit's assignments is counted as a level
    between planned priority and waiting hours."""
    started = time.perf_counter()
    stop = options.stop
    timings: dict[str, float] = {}
    large = is_large_scale(sc, options)
    restrictions: list[str] = []
    cands = cands or candidates_for(sc, options)
    if cands.policy.restricted:
        restrictions.append(f"companions: first {cands.policy.first} lawful returns")
    replanning = cands.hold is not None and bool(cands.hold.preferred or cands.hold.lost)
    stage_list = REPLAN_STAGES if replanning else STAGES
    levels = LEVELS[:1] + ("changed_assignments",) + LEVELS[1:] if replanning else LEVELS
    sel = greedy(cands)
    first_plan = time.perf_counter() - started
    objective = objective_of(cands, sel)
    ceiling = {"planned_priority": unit_bound(cands)}
    on_progress = _in_level1_terms(on_progress, ceiling, restrictions)
    if on_progress:
        on_progress(Progress("greedy", first_plan, dict(objective), dict(ceiling), None))

    def result(status: str, bound: dict, gap, stages, size, proven=(), stopped=False) -> Result:
        return Result(sel, cands, status, objective, bound, gap, time.perf_counter() - started, first_plan,
                      stages, size, timings, stopped=stopped, proven=sorted(proven, key=levels.index),
                      restrictions=list(restrictions), ceiling=ceiling)

    if options.quick:
        return result("GREEDY", {}, None, [], {})
    stages: list[dict] = []
    if stop and stop.is_set:
        return result("FEASIBLE", {}, None, stages, {}, stopped=True)
    relaxed = None
    if large or choice_count(cands) > options.thin_above:
        if cands.hold is None and options.bound_seconds > 0:
            relaxed = relaxation(cands)  # before thinning: its pools hold every lawful companion
        thin(cands, sel, options.companions_per_member, options.vehicles_per_trip)
        restrictions.append(f"at most {options.companions_per_member} companions per returnee and "
                            f"{options.vehicles_per_trip} vehicles per pickup")
    if large:
        budget = options.lns_share * (options.time_limit - (time.perf_counter() - started))

        def improved(new: Selection) -> None:
            if on_progress:
                on_progress(Progress("targeted search", time.perf_counter() - started, new.objective(cands), {}, None))
        lns_start = time.perf_counter()
        sel = improve(cands, sel, budget, options.worker_count(), seed=options.seed, on_improve=improved, stop=stop)
        objective = objective_of(cands, sel)
        stages.append({"stage": "targeted search (levels 1+2)", "status": "FEASIBLE",
                       "seconds": round(time.perf_counter() - lns_start, 2),
                       "planned_priority": objective["planned_priority"]})
    if relaxed is not None and not (stop and stop.is_set):
        _tighten_ceiling(relaxed, ceiling, options, started, stages, timings, objective, on_progress)
    if stop and stop.is_set:
        return result("FEASIBLE", {}, None, stages, {}, stopped=True)  # before building the model
    bound: dict[str, float] = {}
    proven: set[str] = set()
    holds: list[tuple[str, str, int]] = []  # levels held as found: (expression, "==" | ">=" | "<=", value)
    gap: float | None = None
    size: dict[str, int] = {}
    stopped = False
    for stage_index, (name, expr, sense, share, by_cost, proves) in enumerate(stage_list):
        remaining = options.time_limit - (time.perf_counter() - started)
        if stop and stop.is_set:
            stopped = True
            break
        if remaining <= 0.5:
            break
        if not cands.policy.restricted and cands.policy.by_cost != by_cost:
            cands.restaff(ReturnPolicy(counted=cands.policy.counted, by_cost=by_cost), keep=sel)
        if stage_index == 0 and cands.policy.counted is not None:
            probe = _prove_level1(cands, options, sel, started, started + options.time_limit * 0.35, on_progress)
            stages.extend(probe.rounds)
            sel, objective = probe.selection, objective_of(cands, probe.selection)
            if probe.proven:
                timings["level1_proven_seconds"] = probe.rounds[-1]["ended_at"]
                holds.append(("l1", "==", round(objective["planned_priority"])))
                bound["planned_priority"] = objective["planned_priority"]
                proven.add("planned_priority")
            remaining = options.time_limit - (time.perf_counter() - started)
        stage = _exact_stage(cands, options, expr, name, sense, holds, sel, objective, bound,
                             started, time.perf_counter() + remaining * share, on_progress)
        stages.extend(stage.rounds)
        size = stage.size or size
        if stage.level1_proven is not None and not restrictions:
            timings.setdefault("level1_proven_seconds", round(stage.level1_proven, 2))
        if stage.selection is None:  # stopped before any solution: keep the plan we have
            stopped = bool(stop and stop.is_set)
            break
        sel = stage.selection
        objective = objective_of(cands, sel)
        if stage.bound is not None and not restrictions:
            # A restricted model's bound holds for that model only: it is not reported as one.
            bound.update(_bounds(stage.weight, expr, stage.bound, objective))
        if stage_index == 0 and not restrictions:
            gap = _gap(stage.value, stage.bound) if stage.bound is not None else None
        exact = stage.optimal and not restrictions
        if stage_index == 0 and bound.get("planned_priority") == objective["planned_priority"] and not restrictions:
            proven.add("planned_priority")
            timings.setdefault("level1_proven_seconds", stage.rounds[-1]["ended_at"] if stage.rounds else 0.0)
        if exact:
            proven.update(proves)
        if on_progress:
            on_progress(Progress(name, time.perf_counter() - started, dict(objective), dict(bound),
                                 gap if stage_index == 0 else None))
        stopped = stopped or bool(stop and stop.is_set)
        # Hold this level (and those above) at least as good as found before the next one.
        if expr in COMBINED and exact:
            # Both levels proven: fix each exactly, which propagates far better than the sum.
            second = {"l12": "l2", "l1c": "changes"}[expr]
            holds += [("l1", "==", round(objective["planned_priority"])),
                      (second, "==", round(objective[COMBINED[expr]]))]
        else:
            holds.append((expr, ">=" if sense == "max" else "<=", stage.value))
    status = "OPTIMAL" if len(proven) == len(levels) else "FEASIBLE"
    return result(status, bound, gap, stages, size, proven, stopped)


def _tighten_ceiling(relaxed: Relaxation, ceiling: dict, options: SolveOptions, started: float, stages: list,
                     timings: dict, objective: dict, on_progress) -> None:
    """The relaxation's bound on planned priority, where the model is restricted (relaxation.py).

    It runs after the targeted search and before the restricted model's stages, whose bound says
    nothing of the scenario: half the time left at most, and never more than ``bound_seconds``."""
    remaining = options.time_limit - (time.perf_counter() - started)
    found = solve_relaxation(relaxed, min(options.bound_seconds, 0.5 * remaining), options.stop)
    ceiling["planned_priority"] = min(ceiling["planned_priority"], found.value)
    timings["ceiling_seconds"] = found.seconds
    stages.append({"stage": BOUND_STAGE, "status": "OPTIMAL" if found.optimal else "FEASIBLE",
                   "seconds": found.seconds, "ended_at": round(time.perf_counter() - started, 2),
                   "planned_priority": found.value, "relaxation": found.size})
    if on_progress:
        on_progress(Progress(BOUND_STAGE, time.perf_counter() - started, dict(objective), dict(ceiling), None))


@dataclass
class _StageOutcome:
    selection: Selection | None  # the best valid selection (every seat counted)
    value: int  # its value of the stage's objective
    bound: float | None  # a bound on the stage's objective for the scenario (None: none found)
    optimal: bool  # the selection is proven optimal for the stage over the offered candidates
    weight: int
    rounds: list[dict]
    size: dict[str, int]
    level1_proven: float | None


class _RelaxationWatcher(cp_model.CpSolverSolutionCallback):
    """Progress, and the lazy half of a relaxed round: each new solution better than the valid
    incumbent (at most one per ``CHECK_SECONDS``) is made valid by ``_validate``. One that is valid
    as it stands, or after moving companions to other returns, becomes the incumbent; the legs of
    one whose value no valid plan reaches are noted, and counted after the round unless its last
    solution is valid. The round goes on meanwhile: on large, ending it at the first such leg took
    three or four rounds to prove levels 1+2, where going on to the relaxation's optimum and counting
    every noted leg at once took two (levels 1+2 proven within 120 s in 5 of 8 runs, against 1 of 4)."""

    CHECK_SECONDS = 0.5

    def __init__(self, pm: PlanModel, live: "_StageProgress", sense: str, expr: str, holds: list, best_value: int):
        super().__init__()
        self.pm, self.live, self.sense, self.expr, self.holds = pm, live, sense, expr, holds
        self.relaxed = pm.cands.policy.counted is not None
        self.best_value = best_value
        self.valid: Selection | None = None
        self.over: set[str] = set()
        self.last_check = 0.0

    def on_solution_callback(self) -> None:
        self.live.solution(self.objective_value, self.best_objective_bound)
        if not self.relaxed or time.perf_counter() - self.last_check < self.CHECK_SECONDS:
            return
        self.last_check = time.perf_counter()
        value = round(self.objective_value)
        if not _better(value, self.best_value, self.sense):
            return
        valid, over = _validate(self.pm, self.pm.selection(self.boolean_value), value, self.expr, self.holds)
        if valid is not None:
            valid_value = _value(self.pm, self.expr, valid, self.pm.cands)
            if _better(valid_value, self.best_value, self.sense):
                self.valid, self.best_value = valid, valid_value
        self.over |= over


def _better(value: int, than: int | None, sense: str) -> bool:
    return than is None or (value > than if sense == "max" else value < than)


def _validate(pm: PlanModel, found: Selection, value: int, expr: str, holds: list) -> tuple[Selection | None, set[str]]:
    """A relaxed solution as a valid plan: (the plan or None, the legs the relaxation must count).

    The legs come back empty when the plan keeps ``value``: the relaxation's solution is then
    reached by a valid plan, so nothing needs counting.
    """
    cands = pm.cands
    over = overfull_legs(cands, found)
    if not over:
        return found, set()
    repaired = repair_returns(cands, found, over)
    if repaired is None:
        return None, over
    for attr, op, held in holds:
        v = _value(pm, attr, repaired, cands)
        if not (v == held if op == "==" else v >= held if op == ">=" else v <= held):
            return None, over
    return repaired, (set() if _value(pm, expr, repaired, cands) == value else over)


@dataclass
class _Probe:
    selection: Selection
    proven: bool
    rounds: list[dict]


class _ProbeWatcher(cp_model.CpSolverSolutionCallback):
    """Ends a level-1 probe at its first informative solution: a valid plan with more priority,
    or legs whose return seats the relaxation must count."""

    def __init__(self, pm: PlanModel, best_l1: int):
        super().__init__()
        self.pm, self.best_l1 = pm, best_l1
        self.valid: Selection | None = None
        self.over: set[str] = set()

    def on_solution_callback(self) -> None:
        found = self.pm.selection(self.boolean_value)
        valid, over = _validate(self.pm, found, round(self.objective_value), "l12", [])
        if valid is not None and valid.objective(self.pm.cands)["planned_priority"] > self.best_l1:
            self.valid = valid
        self.over = over
        if self.valid is not None or over:
            self.stop_search()


def _prove_level1(cands: Candidates, options: SolveOptions, incumbent: Selection, started: float, deadline: float,
                  on_progress) -> _Probe:
    """Level 1 asked as a question: can the relaxation plan more priority than the valid plan has?

    Each round adds "planned priority > the incumbent's" to the relaxation. Infeasible: no plan of
    the scenario has more, so level 1 is proven. A solution is either a valid plan with more
    priority (the new incumbent) or names legs whose return seats must be counted.
    """
    stop = options.stop
    rounds: list[dict] = []
    best = incumbent
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.2 or (stop and stop.is_set):
            return _Probe(best, False, rounds)
        best_l1 = round(best.objective(cands)["planned_priority"])
        pm = PlanModel(cands)
        pm.model.add(pm.l1 >= best_l1 + 1)
        pm.model.maximize(pm.l12)
        # The incumbent breaks "more priority", but as a hint it finds the first answer in seconds
        # (large: 3 s, against 13 s without a hint and 25-28 s with presolve on).
        pm.hint(best)
        if stop and stop.is_set:  # asked to stop while the model was built: do not start the search
            return _Probe(best, False, rounds)
        if on_progress:  # reported as the search starts: "searching" means CP-SAT is running
            on_progress(Progress(PROBE_STAGE, time.perf_counter() - started, objective_of(cands, best), {}, None))
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.cp_model_presolve = options.presolve
        prm.max_time_in_seconds = remaining
        prm.num_workers = options.worker_count()
        prm.random_seed = options.seed
        prm.log_search_progress = options.log
        watcher = _ProbeWatcher(pm, best_l1)
        status = run(solver, pm.model, stop, watcher)
        record = {"stage": PROBE_STAGE, "status": solver.status_name(status),
                  "seconds": round(solver.wall_time, 2), "ended_at": round(time.perf_counter() - started, 2),
                  "planned_priority": best_l1}
        rounds.append(record)
        if status == cp_model.INFEASIBLE:
            return _Probe(best, True, rounds)
        if watcher.valid is not None:
            best = watcher.valid
            continue
        if watcher.over:
            record["return_seats_counted_on"] = sorted(watcher.over)
            policy = cands.policy
            cands.restaff(ReturnPolicy(counted=(policy.counted or frozenset()) | watcher.over, by_cost=policy.by_cost),
                          keep=best, touching=watcher.over)
            continue
        return _Probe(best, False, rounds)  # out of time (or stopped) without an answer


def _exact_stage(cands: Candidates, options: SolveOptions, expr: str, name: str, sense: str,
                 holds: list, incumbent: Selection, objective: dict, known_bound: dict, started: float,
                 deadline: float, on_progress) -> _StageOutcome:
    """One level, solved over a relaxation that is tightened until its optimum is a valid plan.

    The model counts return seats only on the legs the policy names; it is a relaxation of the
    scenario (see ReturnPolicy), so its bound holds for the scenario. When a solution books a
    leg beyond its seats, that leg's return seats are counted from then on and the stage is
    solved again from the best valid plan. A solution that books no leg beyond its seats is a
    valid plan; once one is optimal for the relaxation, it is optimal for the scenario.
    """
    stop = options.stop
    rounds: list[dict] = []
    best, best_value = incumbent, None
    bound: float | None = None
    size: dict[str, int] = {}
    level1_proven = None
    weight = 1
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.2 or (stop and stop.is_set):
            break
        pm = PlanModel(cands)
        pm.lower_levels()
        size = pm.size()
        weight = _weight(pm, expr)
        for attr, op, value in holds:
            e = getattr(pm, attr)
            pm.model.add(e == value if op == "==" else e >= value if op == ">=" else e <= value)
        (pm.model.maximize if sense == "max" else pm.model.minimize)(getattr(pm, expr))
        best_value = _value(pm, expr, best, cands)
        pm.hint(best)
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.max_time_in_seconds = max(0.2, remaining)
        prm.num_workers = options.worker_count()
        prm.random_seed = options.seed
        prm.relative_gap_limit = options.gap
        # Presolve off lets a stage use the warm start at once, the cost stage too: with levels 1
        # and 2 held exactly, large's cost stage was proven in 29 s + 10 s without presolve, and
        # ended with no solution after 45-48 s with it (presolve alone took about 25 s).
        prm.cp_model_presolve = options.presolve
        prm.log_search_progress = options.log
        live = _StageProgress(pm, expr, sense, name, started, objective, known_bound, on_progress)
        solver.best_bound_callback = live.bound
        watcher = _RelaxationWatcher(pm, live, sense, expr, holds, best_value)
        status = run(solver, pm.model, stop, watcher)
        if expr in COMBINED and live.level1_proven is not None and level1_proven is None:
            level1_proven = live.level1_proven
        record = {"stage": name, "status": solver.status_name(status), "seconds": round(solver.wall_time, 2),
                  "ended_at": round(time.perf_counter() - started, 2)}
        rounds.append(record)
        if watcher.valid is not None:
            best, best_value = watcher.valid, watcher.best_value
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break  # stopped before a first solution (a complete valid hint makes anything else impossible)
        stage_bound = solver.best_objective_bound
        if bound is None or (stage_bound < bound if sense == "max" else stage_bound > bound):
            bound = stage_bound  # every round's model relaxes the scenario: each bound holds for it
        if expr in COMBINED and not any(h[0] == "l1" for h in holds) and \
                -(-int(bound) // weight) <= best.objective(cands)["planned_priority"]:
            # Level 1 is proven: later rounds only look for fewer waiting hours, at that priority.
            holds = holds + [("l1", "==", round(best.objective(cands)["planned_priority"]))]
        record.update(objective=solver.objective_value, bound=stage_bound)
        value = round(solver.objective_value)
        found, final_over = _validate(pm, pm.selection(lambda v: solver.boolean_value(v)), value, expr, holds)
        # The round's last solution, if a valid plan keeps its value, settles the round whatever
        # earlier solutions booked; otherwise every leg they overbooked is counted from now on.
        over = set() if found is not None and not final_over else watcher.over | final_over
        if found is not None:
            found_value = _value(pm, expr, found, cands)
            if not _better(best_value, found_value, sense):
                best, best_value = found, found_value
        if over:
            record["return_seats_counted_on"] = sorted(over)
            policy = cands.policy
            cands.restaff(ReturnPolicy(counted=(policy.counted or frozenset()) | over, by_cost=policy.by_cost),
                          keep=best, touching=over)
            continue
        record["gap"] = round(_gap(best_value, bound), 6)
        return _StageOutcome(best, best_value, bound, status == cp_model.OPTIMAL and best_value == value, weight,
                             rounds, size, level1_proven)
    if best_value is None:
        return _StageOutcome(None, 0, bound, False, weight, rounds, size, level1_proven)
    return _StageOutcome(best, best_value, bound, False, weight, rounds, size, level1_proven)


def objective_of(cands: Candidates, sel: Selection) -> dict[str, float]:
    """The spec's five levels of a selection, and its changed assignments when re-planning."""
    objective = sel.objective(cands)
    if cands.hold is not None and (cands.hold.preferred or cands.hold.lost):
        objective["changed_assignments"] = count_changes(cands.hold, sel)
    return objective


def _value(pm: PlanModel, expr: str, sel: Selection, cands: Candidates) -> int:
    """A valid selection's value of a stage objective (or held level), in the model's own units."""
    o = sel.objective(cands)
    if expr == "l12":
        return pm.weight * round(o["planned_priority"]) - round(o["waiting_hours"])
    if expr in ("l1c", "changes"):
        changes = count_changes(cands.hold, sel) if cands.hold is not None else 0
        return pm.change_weight * round(o["planned_priority"]) - changes if expr == "l1c" else changes
    if expr in ("l1", "l2"):
        return round(o["planned_priority" if expr == "l1" else "waiting_hours"])
    if expr == "cost":
        return sum(cost_cents(c.option.fare) + sum(cost_cents(ch.cost) for team in c.escorts + c.medics for ch in team)
                   for c in sel.chosen.values())
    if expr == "care":
        return sum(c.option.care_minutes for c in sel.chosen.values())
    return round(o["max_escort_missions"])


def _levels(weight: int, obj: float, expr: str, known: dict[str, float]) -> dict[str, float]:
    """A stage's objective value in level terms (a combined one splits exactly: the second < weight)."""
    out = dict(known)
    if expr in COMBINED:
        l1 = -(-round(obj) // weight)
        out["planned_priority"] = l1
        out[COMBINED[expr]] = weight * l1 - round(obj)
    elif expr == "l2":
        out["waiting_hours"] = round(obj)
    elif expr == "cost":
        out["cost_eur"] = round(obj / 100, 2)
    elif expr == "care":
        out["care_hours"] = round(obj / 60, 2)
    else:
        out["max_escort_missions"] = obj
    return out


def _bounds(weight: int, expr: str, bnd: float, objective: dict[str, float]) -> dict[str, float]:
    """Per-level bounds from a stage's bound (a combined bound splits exactly)."""
    if expr in COMBINED:
        l1_bound = -(-int(bnd) // weight)  # the second level < W, so L1 <= ceil(bound / W)
        out = {"planned_priority": l1_bound}
        if l1_bound == objective["planned_priority"]:
            out[COMBINED[expr]] = max(0, weight * l1_bound - int(bnd))
        return out
    if expr == "l2":
        return {"waiting_hours": bnd}
    if expr == "cost":
        return {"cost_eur": round(bnd / 100, 2)}
    if expr == "care":
        return {"care_hours": round(bnd / 60, 2)}
    return {"max_escort_missions": bnd}
