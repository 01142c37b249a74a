"""Stopping a running CP-SAT search from another thread.

Its own module so that ``solve`` and ``lns`` (which ``solve`` imports) can both use it.
"""
from __future__ import annotations

import threading

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model


class StopSignal:
    """Asks a running ``solve()`` to stop, from any thread; the solve keeps its best plan so far.

    ``solve()`` registers each CP-SAT solver it runs, so that ``stop()`` can end the search in
    progress at once rather than at the next stage boundary.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()  # orders stop() against register(): no solver escapes a stop
        self._solver: cp_model.CpSolver | pywraplp.Solver | None = None

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def stop(self) -> None:
        with self._lock:
            self._event.set()
            if self._solver is not None:
                _halt(self._solver)

    def register(self, solver: cp_model.CpSolver | pywraplp.Solver) -> None:
        """Call after setting the solver's parameters, just before it solves."""
        with self._lock:
            self._solver = solver
            if self._event.is_set():
                _halt(solver)

    def unregister(self) -> None:
        with self._lock:
            self._solver = None


def run_mip(solver: pywraplp.Solver, stop: StopSignal | None) -> int:
    """``solver.Solve()`` of a linear-programming solver, stoppable by ``stop`` while it runs."""
    if stop is None:
        return solver.Solve()
    stop.register(solver)
    try:
        return solver.Solve()
    finally:
        stop.unregister()


def _halt(solver) -> None:
    if isinstance(solver, pywraplp.Solver):
        solver.InterruptSolve()  # SCIP stops at its next check, keeping its best bound
        return
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
