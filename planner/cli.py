"""Command line: ``vertrekplanner plan|demo|check|validate|generate|template``.

Exit codes: 0 success; 1 the plan breaks a hard rule (check) or the solver's plan failed
the independent checker (plan); 2 bad input (every problem is listed).
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.markup import escape  # a scenario name is data, not markup
from rich.table import Table

from .errors import ScenarioError
from .scenario import Scenario, load_scenario, parse_scenario

console = Console()
SHOWN_PROBLEMS = 200  # printed; a file with a million bad rows must not print a million lines
LEVEL_LABELS = {
    "planned_priority": "1 geplande prioriteit (max)",
    "waiting_hours": "2 wachturen x prioriteit (min)",
    "cost_eur": "3 kosten EUR (min)",
    "care_hours": "4 zorguren medisch (min)",
    "max_escort_missions": "5 meeste missies per escort (min)",
}


def _solver_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="out", help="folder for plan.json, itineraries, letters and calendars")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS", help="total solver time (default 60)")
    p.add_argument("--workers", type=int, default=0, metavar="N", help="solver threads (default: the cores present)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="solver random seed")
    p.add_argument("--gap", type=float, default=0.0, metavar="FRACTION", help="stop a level at this relative gap")
    p.add_argument("--quick", action="store_true", help="greedy construction only, no CP-SAT")
    p.add_argument("--no-documents", action="store_true", help="write plan.json only")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vertrekplanner", description="Plans special departures.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plan", help="plan a scenario (JSON, .xlsx workbook or folder of CSV files)")
    p.add_argument("scenario")
    _solver_args(p)
    d = sub.add_parser("demo", help="plan the bundled demo scenario")
    _solver_args(d)
    d.set_defaults(time_limit=20.0)
    c = sub.add_parser("check", help="re-verify every hard rule on a plan")
    c.add_argument("scenario")
    c.add_argument("plan")
    v = sub.add_parser("validate", help="load a scenario and list every input error")
    v.add_argument("scenario")
    g = sub.add_parser("generate", help="write a synthetic scenario")
    g.add_argument("--size", choices=("small", "medium", "large", "eu"), default="small")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("-o", "--output", help="file to write (default: <size>-<seed>.json)")
    t = sub.add_parser("template", help="write an empty Excel workbook to fill in")
    t.add_argument("path", nargs="?", default="scenario-template.xlsx")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"plan": cmd_plan, "demo": cmd_demo, "check": cmd_check, "validate": cmd_validate,
                "generate": cmd_generate, "template": cmd_template}[args.command](args)
    except ScenarioError as exc:
        console.print(f"[bold red]Invoer afgekeurd / input rejected[/]: {len(exc.problems)} problem(s)")
        for p in exc.problems[:SHOWN_PROBLEMS]:  # each value is cut short (Problem.__str__)
            console.print(f"  - {p}", markup=False, highlight=False, soft_wrap=True)
        if len(exc.problems) > SHOWN_PROBLEMS:
            console.print(f"  … and {len(exc.problems) - SHOWN_PROBLEMS} more", markup=False, highlight=False)
        return 2


# --- plan ---------------------------------------------------------------------------------

def cmd_demo(args) -> int:
    from .generator import generate

    data = generate("small", 2026)
    data["name"] = "demo"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "demo-scenario.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    console.print(f"Demo scenario (synthetic, 'small') written to {out / 'demo-scenario.json'}")
    return _plan(parse_scenario(data), args)


def cmd_plan(args) -> int:
    return _plan(load_scenario(args.scenario), args)


def _plan(sc: Scenario, args) -> int:
    from .checker import check_plan
    from .plan import build_plan, write_plan
    from .solve import SolveOptions, solve

    options = SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed, gap=args.gap,
                           quick=args.quick)
    console.print(f"Scenario [bold]{escape(sc.name)}[/]: {len(sc.departures)} vertrekken, {len(sc.escorts)} escorts, "
                  f"{len(sc.medics)} medici, {len(sc.vehicles)} voertuigen, {len(sc.flights)} vluchten")
    view = _ProgressView(options)
    with Live(view.render(), console=console, refresh_per_second=4, transient=False) as live:
        view.live = live
        result = solve(sc, options, on_progress=view.update)
        live.update(view.render(final=True))
    settings = {"mode": "quick" if args.quick else "cp-sat", "time_limit": args.time_limit,
                "workers": options.worker_count(), "seed": args.seed, "gap_limit": args.gap}
    plan = build_plan(sc, result, settings=settings)
    violations = check_plan(sc, plan)
    out = Path(args.out)
    if violations:
        # A plan that breaks a rule is worse than no plan: keep it aside for diagnosis only.
        write_plan(plan, out / "plan.rejected.json")
        console.print(f"[bold red]The plan breaks {len(violations)} hard rule(s); not published:[/]")
        for v in violations[:20]:
            console.print(f"  - {v}", markup=False)
        return 1
    path = write_plan(plan, out / "plan.json")
    written = [path]
    if not args.no_documents:
        from .outputs import write_outputs

        written += write_outputs(sc, plan, out)
    _summary(sc, plan, result)
    console.print(f"Plan checked: no rule broken. {len(written)} files written to {out}/ (open {out / 'index.html'})")
    return 0


class _ProgressView:
    """Terminal progress: elapsed time, incumbent per objective level, bound and gap."""

    def __init__(self, options):
        self.lock = threading.Lock()
        self.stage, self.elapsed, self.objective, self.bound, self.gap = "start", 0.0, {}, {}, None
        self.live = None
        self.limit = options.time_limit

    def update(self, progress) -> None:
        with self.lock:
            self.stage, self.elapsed, self.gap = progress.stage, progress.elapsed, progress.gap
            self.objective.update(progress.objective)
            self.bound.update(progress.bound)
        if self.live is not None:
            self.live.update(self.render())

    def render(self, final: bool = False) -> Table:
        with self.lock:
            title = f"{'klaar' if final else self.stage} — {self.elapsed:.1f} s van max {self.limit:.0f} s"
            if self.gap is not None:
                title += f" — gap {self.gap:.2%}"
            table = Table(title=title, title_justify="left")
            table.add_column("niveau")
            table.add_column("beste plan", justify="right")
            table.add_column("grens", justify="right")
            for key, label in LEVEL_LABELS.items():
                table.add_row(label, _fmt(self.objective.get(key)), _fmt(self.bound.get(key)))
        return table


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}" if isinstance(value, float) and not float(value).is_integer() else f"{value:,.0f}"


def _summary(sc: Scenario, plan: dict, result) -> None:
    deps = plan["departures"]
    planned = [d for d in deps if d["planned"]]
    total_priority = sum(dep.priority for dep in sc.departures.values())
    solver = plan["solver"]
    console.print(f"\n[bold]Gepland[/]: {len(planned)} van {len(deps)} vertrekken; prioriteit "
                  f"{solver['objective'].get('planned_priority', 0)} van {total_priority}; kosten "
                  f"EUR {solver['objective'].get('cost_eur', 0):,.2f}; status {solver['status']}; "
                  f"gap {'-' if solver['gap'] is None else format(solver['gap'], '.2%')}; "
                  f"eerste plan na {result.first_plan_seconds:.2f} s, totaal {result.wall_seconds:.1f} s")
    proven = solver.get("proven") or []
    console.print("Bewezen optimaal voor dit scenario: " + (", ".join(LEVEL_LABELS[k] for k in proven) or "geen niveau"),
                  markup=False)
    for restriction in solver.get("restrictions") or []:
        console.print(f"[yellow]Beperkt model[/] (niets daarvan heet optimaal): {restriction}")
    limits = {k: v for k, v in (solver.get("limits") or {}).items() if v is not None}
    if limits:
        console.print("Grenzen uit het scenario: " + ", ".join(f"{k} {v}" for k, v in limits.items()), markup=False)
    unplanned = [d for d in deps if not d["planned"]]
    if unplanned:
        table = Table(title=f"Niet gepland ({len(unplanned)})", title_justify="left")
        table.add_column("vertrek")
        table.add_column("reden")
        for d in unplanned:
            table.add_row(d["id"], "\n".join(d.get("reasons_nl") or d["reasons"]))
        console.print(table)


# --- other commands -------------------------------------------------------------------------

def cmd_check(args) -> int:
    from .checker import check_plan_file

    violations = check_plan_file(args.scenario, args.plan)
    if not violations:
        console.print("[green]Plan valid: no hard rule broken.[/]")
        return 0
    console.print(f"[bold red]{len(violations)} violation(s):[/]")
    for v in violations:
        console.print(f"  - {v}", markup=False, highlight=False)
    return 1


def cmd_validate(args) -> int:
    sc = load_scenario(args.scenario)
    console.print(f"[green]Scenario {escape(sc.name)} is valid[/]: {len(sc.departures)} departures, {len(sc.flights)} flights.")
    return 0


def cmd_generate(args) -> int:
    from .generator import write_scenario

    path = Path(args.output or f"{args.size}-{args.seed}.json")
    write_scenario(args.size, args.seed, path)
    console.print(f"Wrote {path}")
    return 0


def cmd_template(args) -> int:
    from .loading.tabular import write_template

    write_template(args.path)
    console.print(f"Wrote {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
