"""One benchmark run in its own process, so that peak memory is this run's alone.

Usage: python benchmarks/one.py SCENARIO.json MODE TIME_LIMIT  (MODE: cp-sat | quick); prints JSON.
"""
from __future__ import annotations

import json
import resource
import sys
import time

from planner.checker import check_plan
from planner.plan import build_plan
from planner.scenario import load_scenario
from planner.solve import SolveOptions, solve


def main() -> None:
    path, mode, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
    started = time.perf_counter()
    sc = load_scenario(path)
    loaded = time.perf_counter() - started
    result = solve(sc, SolveOptions(time_limit=limit, quick=mode == "quick"))
    plan = build_plan(sc, result)
    violations = check_plan(sc, plan)
    stage_end = {st["stage"]: st for st in result.stages}
    levels_1_3 = None
    if {"planned_priority", "waiting_hours", "cost_eur"} <= set(result.proven):
        levels_1_3 = stage_end["level 3 cost"]["ended_at"] + loaded
    print(json.dumps({
        "departures": len(sc.departures),
        "planned": sum(1 for d in plan["departures"] if d["planned"]),
        "status": result.status,
        "load_seconds": round(loaded, 2),
        "first_plan_seconds": round(loaded + result.first_plan_seconds, 2),
        "level1_proven_seconds": (None if "level1_proven_seconds" not in result.timings
                                  else round(loaded + result.timings["level1_proven_seconds"], 2)),
        "levels_1_3_proven_seconds": None if levels_1_3 is None else round(levels_1_3, 2),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "objective": result.objective,
        "bound": result.bound,
        "ceiling": result.ceiling,  # what no plan of the scenario can exceed (a relaxation where restricted)
        "ceiling_seconds": result.timings.get("ceiling_seconds"),
        "gap": result.gap,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "violations": len(violations),
        "model": result.model_size,
    }))


if __name__ == "__main__":
    main()
