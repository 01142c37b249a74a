"""Time of all outputs of a plan, each run in a fresh process, and of PDFs on demand.

    python benchmarks/outputs.py SCENARIO [PLAN] [--repeats 3] [--all-repeats 1] [--markdown FILE]

Without PLAN the scenario is planned with ``--quick`` first (not timed).

*on-demand*: ``write_outputs(..., pdf="on-demand")``, what ``plan --out`` writes at programme scale
(HTML, calendars, index; no PDF). *pdf, one departure*: the whole ``vertrekplanner pdf OUT ID``
process (start-up and loading included: what a regievoerder waits for), in the on-demand folder.
*all*: ``write_outputs(..., pdf="all")``, every PDF as well, for reference. Runs alternate
(on-demand, pdf, on-demand, ...) so that they see the same load of a shared machine; the *all*
runs follow. Figures are medians; pool of processes as ``write_outputs`` picks it (all cores, ≤ 4).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE = """
import json, sys, time
from pathlib import Path
from planner.loading.scenario import load_scenario
from planner.outputs import write_outputs
sc = load_scenario(sys.argv[1])
plan = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
t = time.perf_counter()
files = write_outputs(sc, plan, sys.argv[4], pdf=sys.argv[3], scenario_file="scenario.json")
print(json.dumps({"seconds": time.perf_counter() - t, "files": len(files)}))
"""


def outputs(scenario: str, plan: str, mode: str, out: Path) -> dict:
    """``write_outputs`` into a fresh ``out`` laid out as ``plan --out`` leaves it."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copyfile(plan, out / "plan.json")
    shutil.copyfile(scenario, out / "scenario.json")
    done = subprocess.run([sys.executable, "-c", ONE, scenario, plan, mode, str(out)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def one_pdf(out: Path, departure: str) -> dict:
    for old in out.glob("*/*.pdf"):
        old.unlink()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "planner.cli", "pdf", str(out), departure],
                   capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "files": len(list(out.glob("*/*.pdf")))}


def quick_plan(scenario: str) -> str:
    """The scenario's quick plan, checked, in a file that lives as long as this process."""
    from planner.checker import check_plan
    from planner.loading.scenario import load_scenario
    from planner.plan import build_plan
    from planner.solve import SolveOptions, solve

    sc = load_scenario(scenario)
    plan = build_plan(sc, solve(sc, SolveOptions(quick=True)))
    assert check_plan(sc, plan) == []
    path = Path(tempfile.mkdtemp(prefix="vertrekplanner-bench-")) / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return str(path)


def _median(rs: list[dict]) -> float:
    return statistics.median(r["seconds"] for r in rs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("plan", nargs="?")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--all-repeats", type=int, default=1, help="runs with every PDF (minutes each at eu)")
    parser.add_argument("--markdown", help="write the result as a Markdown section here")
    args = parser.parse_args()
    if args.plan is None:
        args.plan = quick_plan(args.scenario)
    plan = json.loads(Path(args.plan).read_text(encoding="utf-8"))
    departure = next(d["id"] for d in plan["departures"] if d["planned"])
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    runs: dict[str, list[dict]] = {"on-demand": [], "pdf": [], "all": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        for _ in range(args.repeats):
            runs["on-demand"].append(outputs(args.scenario, args.plan, "on-demand", out))
            print("on-demand", runs["on-demand"][-1], flush=True)
            runs["pdf"].append(one_pdf(out, departure))
            print("pdf", runs["pdf"][-1], flush=True)
        for _ in range(args.all_repeats):
            runs["all"].append(outputs(args.scenario, args.plan, "all", out))
            print("all", runs["all"][-1], flush=True)
    labels = {"on-demand": "`plan --pdf on-demand` outputs (`write_outputs`)",
              "pdf": f"`vertrekplanner pdf OUT {departure}` (whole process)",
              "all": "`plan --pdf all` outputs (`write_outputs`), reference"}
    lines = ["## Outputs", "",
             f"{Path(args.scenario).name}, plan {Path(args.plan).name} ({sum(d['planned'] for d in plan['departures'])} "
             f"departures planned); wall seconds, loading excluded except for `pdf`. All figures from one run of "
             f"`benchmarks/outputs.py` on a shared machine ({os.cpu_count()} cores, other jobs beside it; load average "
             f"{load} at the start), side by side; medians of the runs shown. Pool of processes as `write_outputs` "
             "picks it (all cores, ≤ 4).", "",
             "| what | runs | files | median s | runs s |", "|---|---|---|---|---|"]
    for code, rs in runs.items():
        if rs:
            lines.append(f"| {labels[code]} | {len(rs)} | {rs[-1]['files']:,} | {_median(rs):.1f} | "
                         + ", ".join(f"{r['seconds']:.1f}" for r in rs) + " |")
    if runs["all"]:
        lines += ["", f"*all* ÷ *on-demand*: {_median(runs['all']) / _median(runs['on-demand']):.0f}×; "
                      f"one departure's PDFs ÷ *all*: {_median(runs['pdf']) / _median(runs['all']):.3f}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
