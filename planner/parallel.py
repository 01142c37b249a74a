"""A pool of forked processes for CPU-bound work in pure Python: the outputs (PDF layout, calendar
text) and the diagnosis of unplanned departures (planner/fixes.py).

Results come back in task order, so a pooled run gives what a sequential one gives (the outputs'
tasks write their own files and return their paths, in the same order).
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def workers(tasks: int) -> int:
    """Processes for a batch: the work is pure Python, so cores help and threads do not.

    Only by fork (cheap, nothing re-imported) and only from a single-threaded process, where
    forking is safe; ``VERTREKPLANNER_PDF_WORKERS=1`` turns it off (the name predates calendars).
    """
    wanted = os.environ.get("VERTREKPLANNER_PDF_WORKERS")
    n = int(wanted) if wanted and wanted.isdigit() else min(os.cpu_count() or 1, 4)
    if (tasks < 8 or n < 2 or not sys.platform.startswith("linux")
            or "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1):
        return 1
    return n


def run_all(fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
    """``[fn(t) for t in tasks]``, spread over ``workers(len(tasks))`` processes."""
    n = workers(len(tasks))
    if n == 1:
        return [fn(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(fn, tasks, chunksize=max(1, len(tasks) // (4 * n))))
