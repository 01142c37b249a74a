"""Re-planning against an earlier plan (the spec's "Re-planning and disruptions").

Departures whose earlier pickup lies before ``planning_time`` are underway: they are pinned as
they were, their seats, missions and vehicles still counted. Every other departure of the earlier
plan is *preferred*: the solve counts each of its assignments that changes, as the level between
planned priority and the spec's levels 2-5 (planner/hold.py, planner/solve.py); an earlier part that
is no longer lawful (an escort off sick, a vehicle off the road) counts as changed whatever happens,
and the rest of its departure is still kept where it can be. The earlier plan is the warm start: what
is still lawful of it is kept first, so a valid plan exists from the first second, and on unchanged
input the re-plan is the earlier plan.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

from .domain import Scenario
from .hold import Hold, hold_from_plan, underway
from .solve import Progress, Result, SolveOptions, candidates_for, solve


def replan(sc: Scenario, previous: dict, options: SolveOptions,
           on_progress: Callable[[Progress], None] | None = None,
           frozen: frozenset[str] | set[str] = frozenset()) -> tuple[Result, Hold]:
    """A new plan for ``sc`` that changes ``previous`` as little as the objective allows.

    ``frozen`` departures are pinned as ``previous`` has them, like underway ones: the service holds
    other units' published departures this way, so their seats, missions and vehicles stay taken."""
    started = time.perf_counter()
    cands = candidates_for(sc, options)
    cands.hold = hold_from_plan(cands, previous, pin=underway(cands, previous) | set(frozen))
    # The time limit is the whole re-plan's, building the candidates included.
    left = max(1.0, options.time_limit - (time.perf_counter() - started))
    return solve(sc, replace(options, time_limit=left), on_progress, cands=cands), cands.hold
