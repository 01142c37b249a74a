"""Re-planning benchmark: a full solve, then a re-plan after the busiest planned flight is cancelled,
then recommending a fit for unplanned departures — all in one process, one run.

Usage: python benchmarks/replan.py SCENARIO.json PLAN_SECONDS REPLAN_SECONDS; prints one JSON line.
"Changed" departures are compared with the ones that may change: those that flew on the cancelled
flight, and those sharing a companion or a vehicle with them in the earlier plan.
"""
from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from collections import Counter

from planner.changes import plan_changes
from planner.checker import check_plan
from planner.disruptions import apply_disruptions
from planner.hold import entries_of
from planner.loading.reader import read_path
from planner.plan import build_plan
from planner.recommend import recommend
from planner.replan import replan
from planner.scenario import parse_scenario
from planner.solve import SolveOptions, solve


def touched(previous: dict, flight: str) -> set[str]:
    """Departures on the flight, and those sharing a companion or a vehicle with them."""
    entries = entries_of(previous)
    hit = {d for d, e in entries.items() if flight in e["flights"]}
    people = {c["id"] for d in hit for c in entries[d]["escorts"] + entries[d]["medics"]}
    vehicles = {entries[d]["pickup"]["vehicle"] for d in hit}
    return hit | {d for d, e in entries.items()
                  if people & {c["id"] for c in e["escorts"] + e["medics"]} or e["pickup"]["vehicle"] in vehicles}


def main() -> None:
    path, plan_seconds, replan_seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    doc = read_path(path)
    sc = parse_scenario(doc)
    started = time.perf_counter()
    first = solve(sc, SolveOptions(time_limit=plan_seconds))
    previous = build_plan(sc, first)
    solve_seconds = time.perf_counter() - started
    assert check_plan(sc, previous) == []
    busiest, riders = Counter(f for e in entries_of(previous).values() for f in e["flights"]).most_common(1)[0]
    disrupted = apply_disruptions(doc, {"format": "vertrekplanner/disruptions@1",
                                        "disruptions": [{"kind": "flight_cancelled", "flight": busiest}]})
    started = time.perf_counter()
    sc2 = parse_scenario(disrupted)
    result, hold = replan(sc2, previous, SolveOptions(time_limit=replan_seconds))
    plan = build_plan(sc2, result)
    replan_seconds_taken = time.perf_counter() - started
    violations = check_plan(sc2, plan, earlier=previous)
    changes = plan_changes(sc2, previous, plan)
    changed = {d["id"] for d in changes["departures"]}
    allowed = touched(previous, busiest)
    planned_before = {d["id"] for d in previous["departures"] if d["planned"]}
    # Recommend for departures that do fit somewhere: the planned ones, each as if it were new
    # (its own place freed, everything else held) — unplanned ones without any lawful option
    # answer at once and would flatter the figure.
    timings, fitted = [], 0
    for did in sorted(planned_before)[:: max(1, len(planned_before) // 5)][:5]:
        t = time.perf_counter()
        rec = recommend(sc, previous, did)
        timings.append(time.perf_counter() - t)
        fitted += bool(rec.fits)
    print(json.dumps({
        "departures": len(sc.departures),
        "solve_seconds": round(solve_seconds, 2),
        "solve_status": first.status,
        "planned_priority": first.objective["planned_priority"],
        "cancelled_flight": busiest, "departures_on_it": riders,
        "replan_seconds": round(replan_seconds_taken, 2),
        "replan_status": result.status, "replan_proven": result.proven,
        "replan_planned_priority": result.objective["planned_priority"],
        "changed_assignments": result.objective.get("changed_assignments"),
        "departures_changed": sorted(changed), "may_change": len(allowed),
        "only_touched_changed": changed <= allowed | {d for d in changed if d not in planned_before},
        "violations": len(violations),
        "recommend_seconds_median": round(statistics.median(timings), 3) if timings else None,
        "recommend_runs": len(timings), "recommend_fitted": fitted,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }))


if __name__ == "__main__":
    main()
