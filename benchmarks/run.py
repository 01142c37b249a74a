"""`make bench`: plans the reference scenarios with fixed time limits and writes RESULTS.md,
times all outputs of the eu quick plan (``benchmarks/outputs.py``, section "Outputs"), re-plans
(section "Re-planning"), diagnoses the unplanned departures with verified fixes (``benchmarks/fixes.py``,
section "Fixes"; ``--fixes-only`` runs just that), then runs the service benchmarks (``benchmarks/service.py``: feeds under load, scenario import,
publishing) and appends their "Service" section. ``--skip-service`` / ``--service-only`` run one part;
the other part's section already in RESULTS.md is kept.

Per size: time to the first valid plan, when level 1 and levels 1-3 were proven optimal,
objective and bound per level, gap, planned/total and peak memory, beside the same figures for
``--quick``, all measured in this one run. Runs of one size go side by side (CP-SAT, then quick),
repeated where cheap; figures are medians. Every plan is re-checked by the plan checker.
Scenarios come from ../shared/scenarios when present, else from the project's generator.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import ortools

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "scenarios"
LIMITS = {"small": 30, "medium": 30, "large": 120, "eu": 180}
REPEATS = {"small": 3, "medium": 3, "large": 1, "eu": 1}
LEVELS = ("planned_priority", "waiting_hours", "cost_eur", "care_hours", "max_escort_missions")


def scenario_path(size: str, workdir: Path) -> tuple[Path, str]:
    shared = SHARED / f"{size}.json"
    if shared.exists():
        return shared, f"shared/scenarios/{size}.json"
    from planner.generator import write_scenario

    target = workdir / f"{size}.json"
    write_scenario(size, 1, target)
    return target, f"generated {size}, seed 1"


def run(path: Path, mode: str, limit: float) -> dict:
    out = subprocess.run([sys.executable, str(HERE / "one.py"), str(path), mode, str(limit)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def priority_bound(run: dict):
    """The tightest bound on planned priority that holds for the scenario (None: none computed)."""
    from planner.solve import scenario_bound

    return scenario_bound(run) if run["status"] != "GREEDY" else None


def median(runs: list[dict], key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def hardware() -> str:
    """CPU, cores, memory and Python: the part every benchmark report starts with."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}"


def machine() -> str:
    return (f"{hardware()}, "
            f"OR-Tools {ortools.__version__}, {platform.system()} {platform.release()}")


def fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.2f}" if not v.is_integer() else f"{v:,.0f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


SERVICE_HEADING = "## Service"


def split_results(text: str) -> tuple[str, str]:
    """RESULTS.md as (solver part, service section)."""
    at = text.find("\n" + SERVICE_HEADING + "\n")
    return (text, "") if at < 0 else (text[:at + 1], text[at + 1:])


def service(extra: list[str]) -> str:
    """The service benchmarks in their own process; their Markdown section."""
    with tempfile.TemporaryDirectory() as tmp:
        section = Path(tmp) / "service.md"
        subprocess.run([sys.executable, str(HERE / "service.py"), "--markdown", str(section), *extra], check=True)
        living = Path(tmp) / "book.md"  # the planning book: preview, re-plan after a disruption, recommend
        subprocess.run([sys.executable, str(HERE / "book.py"), "--markdown", str(living)], check=True)
        return section.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + living.read_text(encoding="utf-8")


def outputs() -> str:
    """All outputs of the eu scenario's quick plan (``benchmarks/outputs.py``): its Markdown section."""
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = scenario_path("eu", Path(tmp))
        section = Path(tmp) / "outputs.md"
        subprocess.run([sys.executable, str(HERE / "outputs.py"), str(path), "--markdown", str(section)], check=True)
        return section.read_text(encoding="utf-8")


REPLAN = {"large": (120, 6), "eu": (180, 50)}  # plan seconds, re-plan seconds (the re-plan's whole budget)


def replanning() -> str:
    """A full solve, a re-plan after its busiest flight is cancelled and recommendations, side by side
    per scenario (``benchmarks/replan.py``, one process each): the section "Re-planning"."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size, (plan_s, replan_s) in REPLAN.items():
            path, source = scenario_path(size, Path(tmp))
            out = subprocess.run([sys.executable, str(HERE / "replan.py"), str(path), str(plan_s), str(replan_s)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(f"| {size} | {r['solve_seconds']} ({r['solve_status']}, {r['planned_priority']}) | "
                        f"{r['cancelled_flight']} ({r['departures_on_it']}) | {r['replan_seconds']} "
                        f"({r['replan_status']}, {r['replan_planned_priority']}) | {r['changed_assignments']} | "
                        f"{len(r['departures_changed'])} of {r['may_change']} that may | "
                        f"{'yes' if r['only_touched_changed'] else 'NO'} | {r['recommend_seconds_median']} "
                        f"({r['recommend_runs']}) | {r['peak_rss_mb']:,} | {r['violations']} |")
    return "\n".join([
        "## Re-planning", "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on: {hardware()}. Per scenario, in one "
        "process: a full solve (time limit as in the table above), then the busiest planned flight is "
        "cancelled (`flight_cancelled`) and `replan` runs against that plan with the whole budget shown "
        f"({', '.join(f'{k} {v[1]} s' for k, v in REPLAN.items())}, building its candidates included), then "
        "`recommend` for five planned departures, each as if it were new (its own place freed, everything else "
        "held; median wall seconds, runs in brackets). *may change*: the "
        "departures that flew on the flight or shared a companion or a vehicle with one that did.", "",
        "| scenario | full solve s (status, priority) | cancelled flight (departures on it) | re-plan s (status, "
        "priority) | changed assignments | departures changed | only those that may | recommend s | peak MB "
        "| viol. |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows, ""])


# Diagnosis targets: large < 60 s, eu < 300 s. Fixes re-checked per scenario: each re-check is a whole
# re-plan (on eu about a minute, most of it building the candidates).
FIXES = {"large": 60, "eu": 5}


def fixes_section() -> str:
    """Diagnosis with verified fixes for every unplanned departure of the quick plan, and how many
    fixes work when re-applied independently (``benchmarks/fixes.py``): the section "Fixes"."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size, recheck in FIXES.items():
            path, _ = scenario_path(size, Path(tmp))
            out = subprocess.run([sys.executable, str(HERE / "fixes.py"), str(path), "--recheck", str(recheck)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            share = 100 * r["with_fix"] / r["unplanned"] if r["unplanned"] else 100
            works = 100 * r["works"] / r["rechecked"] if r["rechecked"] else 100
            sizes = ", ".join(f"{n}: {k}" for n, k in sorted(r["fix_sizes"].items(), key=lambda kv: int(kv[0])))
            rows.append(f"| {size} | {r['unplanned']} of {r['departures']} | {r['with_fix']} ({share:.0f} %) | "
                        f"{r['fixes']} ({sizes}) | {r['diagnosis_seconds']} | {r['works']} of {r['rechecked']} "
                        f"({works:.0f} %) | {r['peak_rss_mb']:,} |")
    return "\n".join([
        "## Fixes", "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on: {hardware()}. Per scenario, in one process "
        "(`benchmarks/fixes.py`): the quick plan, then the diagnosis with verified fixes of every unplanned "
        "departure (`attach_fixes`, as `plan` runs it; wall seconds). Then some of the fixes (large 60, eu 5), spread "
        "evenly, are applied with `jsonpatch` to a fresh copy of the scenario and re-planned against the plan "
        "(underway kept, the others preferred as they were; greedy, then CP-SAT with 30 s where the greedy one "
        "does not plan it); a fix *works* when its departure "
        "is planned and the checker accepts the re-plan. *fields changed: fixes* counts fixes by the number "
        "of fields their patch changes. Targets: large < 60 s, eu < 300 s, ≥ 80 % of unplanned with a fix, "
        "≥ 95 % of fixes working.", "",
        "| scenario | unplanned | with a fix | fixes (fields changed: fixes) | diagnosis s | work when re-applied | peak MB |",
        "|---|---|---|---|---|---|---|",
        *rows, ""])


def replace_section(text: str, title: str, section: str) -> str:
    """``text`` with its section ``## title`` (up to the next ``## ``) replaced, or ``section`` appended."""
    head = f"## {title}\n"
    if head not in text:
        return text.rstrip("\n") + "\n\n" + section
    start = text.index(head)
    nxt = text.find("\n## ", start + len(head))
    return text[:start] + section.rstrip("\n") + "\n" + ("" if nxt < 0 else text[nxt:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="small,medium,large,eu")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    part = parser.add_mutually_exclusive_group()
    part.add_argument("--skip-service", action="store_true", help="only the solver benchmarks")
    part.add_argument("--service-only", action="store_true", help="only the service benchmarks (benchmarks/service.py)")
    part.add_argument("--fixes-only", action="store_true", help="only the section Fixes (benchmarks/fixes.py)")
    part.add_argument("--solver-only", action="store_true", help="only the first section (plans of each size)")
    parser.add_argument("--service-args", default="", help="passed on to benchmarks/service.py, e.g. '--db sqlite'")
    args = parser.parse_args()
    out = Path(args.out)
    solver_text, service_text = split_results(out.read_text(encoding="utf-8") if out.exists() else "")
    if args.fixes_only:
        write_results(out, replace_section(solver_text, "Fixes", fixes_section()), service_text)
        return
    if args.solver_only:
        rest = solver_text[solver_text.index("\n## "):] if "\n## " in solver_text else ""
        write_results(out, solver(args).rstrip("\n") + "\n" + rest, service_text)
        return
    if not args.service_only:
        solver_text = solver(args) + "\n" + outputs() + "\n" + replanning() + "\n" + fixes_section()
        write_results(out, solver_text, service_text)
    if not args.skip_service:
        service_text = service(shlex.split(args.service_args))
        write_results(out, solver_text or "# Benchmark results\n", service_text)


def write_results(out: Path, solver_text: str, service_text: str) -> None:
    text = solver_text.rstrip("\n") + "\n" + ("\n" + service_text.rstrip("\n") + "\n" if service_text else "")
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")


def solver(args) -> str:
    rows, details = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            path, source = scenario_path(size, Path(tmp))
            cp = [run(path, "cp-sat", LIMITS[size]) for _ in range(REPEATS[size])]
            quick = [run(path, "quick", LIMITS[size]) for _ in range(REPEATS[size])]
            for mode, runs in (("cp-sat", cp), ("quick", quick)):
                last = runs[-1]
                rows.append((size, mode, len(runs), runs, last))
                print(f"{size:7s} {mode:7s} L1={last['objective']['planned_priority']} bound="
                      f"{priority_bound(last)} first={median(runs, 'first_plan_seconds')}s "
                      f"L1-proven={median(runs, 'level1_proven_seconds')}s rss={median(runs, 'peak_rss_mb')}MB "
                      f"violations={last['violations']}", flush=True)
            details.append((size, source, LIMITS[size]))
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `make bench` on: {machine()}.",
        "Times are wall seconds from the start of the process (loading included); medians over the runs",
        "shown; CP-SAT and `--quick` of one size ran one after the other in this run. Every plan was",
        "re-checked by the independent plan checker (column *viol.*: violations found).",
        "",
        "| size | mode | runs | planned | status | first valid plan s | L1 proven s | L1–3 proven s | wall s | gap | peak MB | viol. |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, mode, n, runs, last in rows:
        lines.append(f"| {size} | {mode} | {n} | {last['planned']}/{last['departures']} | {last['status']} | "
                     f"{fmt(median(runs, 'first_plan_seconds'))} | {fmt(median(runs, 'level1_proven_seconds'))} | "
                     f"{fmt(median(runs, 'levels_1_3_proven_seconds'))} | {fmt(median(runs, 'wall_seconds'))} | "
                     f"{fmt(None if last['gap'] is None else round(last['gap'], 6))} | "
                     f"{fmt(median(runs, 'peak_rss_mb'))} | {last['violations']} |")
    lines += ["", "Objective (best plan) and bound per level, last run of each:", "",
              "| size | mode | " + " | ".join(LEVELS) + " |", "|---|---|" + "---|" * len(LEVELS)]
    for size, mode, n, runs, last in rows:
        cells = [f"{fmt(last['objective'].get(k))} (≤ {fmt(priority_bound(last))})" if k == "planned_priority"
                 else f"{fmt(last['objective'].get(k))} / {fmt(last['bound'].get(k))}" for k in LEVELS]
        lines.append(f"| {size} | {mode} | " + " | ".join(cells) + " |")
    lines += ["", "Level 1 is maximised (bound is an upper bound for the scenario as given: the model's own, or",
              "where the model is restricted, the relaxation of `planner/relaxation.py`; `--quick` computes none);",
              "levels 2–5 are minimised (bound is a lower bound). Scenarios and time limits:", ""]
    lines += [f"- {size}: {source}, time limit {limit} s" for size, source, limit in details]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
