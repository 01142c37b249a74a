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


def run_mip(solver: pywraplp.Solver, stop: StopSignal | None, every: float = 0.1) -> int:
    """``solver.Solve()`` of a mixed-integer solver (SCIP), stoppable by ``stop`` while it runs.

    SCIP forgets an interrupt asked before its search starts, so a stop is not registered once but
    watched: while the solve runs, a set stop interrupts it (again) every ``every`` seconds.
    """
    if stop is None:
        return solver.Solve()
    if stop.is_set:
        return pywraplp.Solver.NOT_SOLVED
    done = threading.Event()

    def watch() -> None:
        while not done.wait(every):
            if stop.is_set:
                solver.InterruptSolve()

    watcher = threading.Thread(target=watch, name="mip-stop", daemon=True)
    watcher.start()
    try:
        return solver.Solve()
    finally:
        done.set()
        watcher.join()
