"""Diagnosis with verified fixes for every unplanned departure, timed and re-checked, in one process.

Usage: python benchmarks/fixes.py SCENARIO.json [--mode quick|cp-sat] [--seconds N] [--recheck K]

The scenario is planned (``--mode``; the quick greedy plan by default, so that the figure is the
diagnosis's own), then ``attach_fixes`` runs over the plan as ``build_plan(fixes="always")`` runs
it: its wall seconds are the diagnosis time. Then, independently of the code that verified them,
up to ``--recheck`` fixes (evenly spread over the unplanned departures) are applied with
``jsonpatch`` to a fresh copy of the scenario document, which is parsed anew and re-planned
against the plan (planner/replan.py: underway departures kept, every other planned one preferred
as it was; the greedy re-plan, and CP-SAT's with 30 s where the greedy one does not plan the
departure); a fix *works* when the departure is planned and the checker accepts the re-plan.
Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter

import jsonpatch

from planner.checker import check_plan
from planner.fixes import attach_fixes
from planner.plan import build_plan
from planner.replan import replan
from planner.scenario import load_scenario, parse_scenario
from planner.solve import SolveOptions, solve


def _plans(patched, plan: dict, did: str, options: SolveOptions) -> bool:
    """Re-planned against ``plan``, ``patched`` plans ``did`` and the checker accepts the re-plan."""
    replanned, _ = replan(patched, plan, options)
    after = build_plan(patched, replanned)
    entry = next(e for e in after["departures"] if e["id"] == did)
    return entry["planned"] and not check_plan(patched, after, plan)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("--mode", choices=("quick", "cp-sat"), default="quick")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--recheck", type=int, default=60)
    args = parser.parse_args()
    sc = load_scenario(args.scenario)
    started = time.perf_counter()
    result = solve(sc, SolveOptions(time_limit=args.seconds, quick=args.mode == "quick"))
    solve_seconds = time.perf_counter() - started
    plan = build_plan(sc, result)
    assert check_plan(sc, plan) == []
    started = time.perf_counter()
    attach_fixes(sc, plan, result.candidates)
    diagnosis_seconds = time.perf_counter() - started
    unplanned = [e for e in plan["departures"] if not e["planned"]]
    with_fix = [e for e in unplanned if e.get("fixes")]
    fixes = [(e["id"], f) for e in with_fix for f in e["fixes"]]
    kinds = Counter(len(f["patch"]) for _, f in fixes)  # fields changed per fix
    print(f"{sc.name}: diagnosis {diagnosis_seconds:.1f} s, {len(with_fix)} of {len(unplanned)} unplanned "
          f"with a fix", file=sys.stderr, flush=True)
    step = max(1, len(fixes) // max(1, args.recheck))
    sample = fixes[::step][: args.recheck]
    works, failed = 0, []
    recheck_started = time.perf_counter()
    for did, fix in sample:
        patched = parse_scenario(jsonpatch.apply_patch(sc.raw, fix["patch"]))
        # The greedy re-plan first; where it does not plan the departure, CP-SAT's (30 s).
        if any(_plans(patched, plan, did, SolveOptions(time_limit=30, quick=quick)) for quick in (True, False)):
            works += 1
        else:
            failed.append((did, fix["what"]))
    print(json.dumps({
        "scenario": sc.name,
        "departures": len(sc.departures),
        "mode": args.mode,
        "solve_seconds": round(solve_seconds, 1),
        "unplanned": len(unplanned),
        "with_fix": len(with_fix),
        "fixes": len(fixes),
        "fix_sizes": dict(kinds),
        "diagnosis_seconds": round(diagnosis_seconds, 1),
        "rechecked": len(sample),
        "works": works,
        "failed": failed[:5],
        "recheck_seconds": round(time.perf_counter() - recheck_started, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }))


if __name__ == "__main__":
    main()
