"""Large neighbourhood search with problem-shaped neighbourhoods, for levels 1 and 2.

On large instances CP-SAT's generic neighbourhoods improve slowly. Departures compete for
resources that are local in time (seats and airline caps on a day's flights, escorts and
medics between their rest periods) and in place (flights to one destination, visas for one
country). So a neighbourhood here is every unit with an option departing in a window of a few
days, or every unit bound for one destination country; it is re-planned exactly by CP-SAT
around the fixed rest of the plan, starting from the current plan as a complete hint, and
kept when it plans more priority (or the same priority earlier).
"""
from __future__ import annotations

import random
import time
from collections import defaultdict
from typing import Callable, Iterator

from ortools.sat.python import cp_model

from .candidates import Candidates
from .hold import count_changes
from .model import PlanModel
from .selection import Selection
from .stopping import StopSignal, run


def replanning(cands: Candidates) -> bool:
    """A re-plan counts changes to the earlier plan right after planned priority."""
    return cands.hold is not None and bool(cands.hold.preferred or cands.hold.lost)


def score(cands: Candidates, sel: Selection) -> tuple[int, int]:
    """The first two levels as one comparable key: more priority first, then fewer waiting hours —
    or, in a re-plan, fewer changed assignments (planner/hold.py)."""
    o = sel.objective(cands)
    if replanning(cands):
        return o["planned_priority"], -count_changes(cands.hold, sel)
    return o["planned_priority"], -o["waiting_hours"]


Neighbourhood = tuple[str, set[int], "dict[int, set[int]] | None"]


def _neighbourhoods(cands: Candidates, rng: random.Random, window_days: float) -> Iterator[Neighbourhood]:
    units = [u for u in cands.units if u.options]
    if not units:
        return
    starts = {u.index: [o.first_departs for o in u.options] for u in units}
    lo = min(min(s) for s in starts.values())
    hi = max(max(s) for s in starts.values())
    span = int(window_days * 24 * 60)
    by_country: dict[str, set[int]] = defaultdict(set)
    for u in units:
        by_country[u.members[0].destination_country].add(u.index)
    countries = sorted(by_country)
    while True:
        # A sweep of overlapping time windows from a random offset, then a few destinations.
        offset = rng.randrange(0, max(1, span // 2))
        t = lo - offset
        while t <= hi:
            # Units may move to options inside the window (or keep their own): small, exact sub-models.
            allowed = {i: {k for k, x in enumerate(s) if t <= x < t + span} for i, s in starts.items()}
            allowed = {i: ks for i, ks in allowed.items() if ks}
            if allowed:
                yield f"window {t}", set(allowed), allowed
            t += span // 2
        for country in rng.sample(countries, k=min(len(countries), 6)):
            yield f"country {country}", set(by_country[country]), None


def _around_unplanned(cands: Candidates, state: dict, rng: random.Random, max_free: int,
                      attempts: dict[int, int]) -> Iterator[Neighbourhood]:
    """An unplanned unit with every planned unit holding a leg or a companion it could use.

    Units are drawn by priority, less often the more attempts for them have failed, so the
    search does not keep knocking on a flight whose airline cap is spoken for.
    """
    rest = 12 * 60  # generous: missions within half a day may compete through rest time
    near = 3 * 24 * 60
    while True:
        sel = state["sel"]
        waiting = [u for u in cands.units if u.options and u.index not in sel.chosen]
        if not waiting:
            return
        weights = [u.priority / (1 + attempts.get(u.index, 0)) for u in waiting]
        for unit in rng.choices(waiting, weights=weights, k=min(8, len(waiting))):
            sel = state["sel"]
            if unit.index in sel.chosen:
                continue
            attempts[unit.index] = attempts.get(unit.index, 0) + 1
            legs = {leg.id for o in unit.options for leg in o.legs}
            wanted: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for o in unit.options:
                for team in o.escorts + o.medics:
                    for c in team:
                        wanted[c.companion.id].append((c.start, c.end))
            holders = []
            for u, ch in sel.chosen.items():
                if legs & {leg.id for leg in ch.option.legs}:
                    holders.append(u)
                    continue
                for team in ch.escorts + ch.medics:
                    if any(any(s - rest < c.end and c.start < e + rest for s, e in wanted.get(c.companion.id, ()))
                           for c in team):
                        holders.append(u)
                        break
            rng.shuffle(holders)
            holders = holders[: max_free - 1]
            # The unplanned unit may take any option; holders move within a few days of their own.
            allowed = {unit.index: {o.index for o in unit.options}}
            for u in holders:
                now = sel.chosen[u].option.first_departs
                allowed[u] = {o.index for o in cands.units[u].options if abs(o.first_departs - now) <= near}
            yield f"around {unit.name}", {unit.index, *holders}, allowed


def improve(cands: Candidates, sel: Selection, budget: float, workers: int, seed: int = 0,
            window_days: float = 3.0, max_free: int = 120, step_seconds: float = 4.0,
            on_improve: Callable[[Selection], None] | None = None, stop: StopSignal | None = None) -> Selection:
    """Improve levels 1 and 2 of ``sel`` within ``budget`` seconds, or until ``stop`` is set."""
    rng = random.Random(seed)
    deadline = time.perf_counter() + budget
    best = score(cands, sel)
    state = {"sel": sel}
    attempts: dict[int, int] = {}
    targeted = _around_unplanned(cands, state, rng, max_free=40, attempts=attempts)
    windows = _neighbourhoods(cands, rng, window_days)

    def alternate():
        # Targeted repairs first and most often; time windows to move planned ones earlier.
        while True:
            for source in (targeted, targeted, targeted, windows):
                item = next(source, None)
                if item is not None:
                    yield item
    for _name, free, allowed in alternate():
        remaining = deadline - time.perf_counter()
        if remaining < 1.0 or (stop is not None and stop.is_set):
            break
        if cands.hold is not None:
            free = free - set(cands.hold.pinned)  # held units never move
        if len(free) > max_free:
            free = set(rng.sample(sorted(free), max_free))
        if allowed is not None:
            allowed = {u: allowed[u] | ({sel.chosen[u].option.index} if u in sel.chosen else set()) for u in free}
        fixed = Selection({u: c for u, c in sel.chosen.items() if u not in free})
        pm = PlanModel(cands, free=free, fixed=fixed, allowed=allowed)
        pm.model.maximize(pm.l1c if replanning(cands) else pm.l12)
        pm.hint(sel)
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.max_time_in_seconds = min(step_seconds, remaining)
        prm.num_workers = workers
        prm.random_seed = rng.randrange(1 << 30)
        prm.cp_model_presolve = False
        status = run(solver, pm.model, stop)  # a stopped step still yields its best, valid sub-plan
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        part = pm.selection(lambda v: solver.boolean_value(v))
        candidate = Selection({**fixed.chosen, **part.chosen})
        new = score(cands, candidate)
        if new > best:
            sel, best = candidate, new
            state["sel"] = sel
            if on_improve:
                on_improve(sel)
    return sel
