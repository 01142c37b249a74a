"""A bound on planned priority for the scenario as given, where the model itself is restricted.

At programme scale the plan is searched over a restriction (companions' first returns, thinned
choices), whose bound says nothing of the scenario. This module relaxes the scenario instead:
every complete option stays, but who goes is counted, not chosen. Per option it keeps

- its outbound seats: the returnees' seats and each companion's, on every leg (rule 4);
- the carrier's cap on escorted returnees per leg (rule 4);
- people and vehicles as pools: at any moment, the options whose missions all cover it need no
  more escorts, medics or vehicles than the people and vehicles that could serve any of them
  (rules 6, 5 and 11 read as counts; rule 7's overlap and rest kept only where every lawful
  companion's mission must cover that moment).

Each constraint holds for every valid plan, so the best this model can plan is an upper bound
on planned priority; SCIP's bound on it is one too, also when the search is cut short.
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from . import rules
from .candidates import Candidates
from .model import clique_cover
from .stopping import StopSignal, run_mip


@dataclass
class Bound:
    value: int  # no valid plan of the scenario plans more priority
    optimal: bool  # the relaxation was solved to optimality (else SCIP's bound when it stopped)
    seconds: float
    size: dict[str, int]


@dataclass(slots=True)
class _Demand:
    """An option's need of a pool during a span every lawful choice covers."""

    x: int  # the option's column
    start: int
    end: int
    need: int
    pool: frozenset[str]  # who (or which vehicles) could serve it


def _people_demand(x: int, start: int, choices, need: int, rest: int) -> _Demand | None:
    """Every lawful companion's mission starts at the pickup and ends no earlier than the earliest return."""
    if not choices or not need:
        return None
    end = min([c.end for c in choices])
    return _Demand(x, start, end + rest, need, frozenset([c.companion.id for c in choices]))


@dataclass
class Relaxation:
    """The relaxation as a 0-1 programme: a column per option, rows of (columns, weights, at most)."""

    priority: list[int]  # per column: its unit's priority
    units: list[list[int]]  # per unit with options: its columns (at most one is chosen)
    rows: list[tuple[list[int], list[int], int]]

    @property
    def ceiling(self) -> int:
        return sum(self.priority[cols[0]] for cols in self.units)


def relaxation(cands: Candidates) -> Relaxation:
    """The relaxation of the scenario over every option of ``cands`` (build it before thinning)."""
    sc = cands.sc
    rest = rules.rest_minutes(sc)
    seats: dict[str, list] = defaultdict(list)
    escorted: dict[str, list] = defaultdict(list)
    demands: dict[str, list[_Demand]] = defaultdict(list)  # per pool kind
    priority: list[int] = []
    units: list[list[int]] = []
    for unit in cands.units:
        if not unit.options:
            continue
        cols = []
        for opt in unit.options:
            x = len(priority)
            priority.append(unit.priority)
            cols.append(x)
            for i, member in enumerate(opt.members):
                dep = member.dep
                for leg in opt.legs:
                    seats[leg.id].append((x, rules.party_seats(sc, dep)))
                    if rules.escorted(sc, dep):
                        escorted[leg.id].append((x, 1))
                need, medic = rules.required_escorts(sc, dep), 1 if dep.medic_role else 0
                for kind, d in (("escorts", _people_demand(x, member.pickup, opt.escorts[i], need, rest)),
                                ("medics", _people_demand(x, member.pickup, opt.medics[i], medic, rest))):
                    if d is not None:
                        demands[kind].append(d)
            for trip in opt.trips:
                if trip.vehicles:
                    demands["vehicles"].append(_Demand(x, trip.busy[0], trip.busy[1], 1, frozenset(trip.vehicles)))
        units.append(cols)
    rows = []
    for leg_id, terms in seats.items():
        rows.append(_row(terms, sc.flights[leg_id].seats))
    for leg_id, terms in escorted.items():
        rows.append(_row(terms, rules.escorted_cap(sc, sc.flights[leg_id])))
    for ds in demands.values():
        for clique in clique_cover([(d.start, d.end, d) for d in ds]):
            rows += _pool_limits(clique)
    # A row that cannot bind (all of its columns together fit) says nothing.
    return Relaxation(priority, units, [r for r in rows if sum(r[1]) > r[2]])


def _row(terms: list[tuple[int, int]], most: int):
    return [x for x, _ in terms], [w for _, w in terms], most


def _pool_limits(clique: list[_Demand]) -> list:
    """Hall's condition at one moment: the demands whose pools lie within a pool F need at most |F|.

    F ranges over the clique's own pools and their union.
    """
    by_pool: dict[frozenset[str], list[_Demand]] = defaultdict(list)
    for d in clique:
        by_pool[d.pool].append(d)
    total = sum(d.need for d in clique)
    rows = []
    for f in set(by_pool) | {frozenset().union(*by_pool)}:
        if len(f) >= total:
            continue  # even the whole clique fits: this F cannot bind
        inside = [d for p, ds in by_pool.items() if len(p) <= len(f) and p <= f for d in ds]
        rows.append(_row([(d.x, d.need) for d in inside], len(f)))
    return rows


def priority_bound(cands: Candidates, time_limit: float, stop: StopSignal | None = None) -> Bound:
    """The relaxation's bound on planned priority (see the module's docstring)."""
    started = time.perf_counter()
    r = relaxation(cands)
    return solve_relaxation(r, time_limit - (time.perf_counter() - started), stop)


def solve_relaxation(r: Relaxation, time_limit: float, stop: StopSignal | None = None) -> Bound:
    """The relaxation's optimum, or SCIP's bound on it when time runs out, as a bound by SCIP.

    A 0-1 programme with knapsack rows is what a MIP solver's cuts are for: on eu (12,706 options,
    about 9,000 rows) SCIP proves the relaxation's optimum in about 10 s, where CP-SAT's bound
    stayed above the units' own ceiling after 60 s.
    """
    started = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver("SCIP")
    xs = [solver.BoolVar(f"x{i}") for i in range(len(r.priority))]
    for cols in r.units:
        solver.Add(solver.Sum([xs[c] for c in cols]) <= 1)
    for cols, weights, most in r.rows:
        solver.Add(solver.Sum([w * xs[c] for c, w in zip(cols, weights)]) <= most)
    solver.Maximize(solver.Sum([p * x for p, x in zip(r.priority, xs)]))
    solver.SetTimeLimit(max(100, int(1000 * (time_limit - (time.perf_counter() - started)))))
    status = run_mip(solver, stop)
    value, optimal = r.ceiling, False
    if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        # The best bound of a maximisation holds whatever the search reached; priorities are whole.
        value = min(r.ceiling, math.floor(solver.Objective().BestBound() + 1e-6))
        optimal = status == pywraplp.Solver.OPTIMAL
    size = {"options": len(xs), "rows": len(r.rows)}
    return Bound(value, optimal, round(time.perf_counter() - started, 2), size)
