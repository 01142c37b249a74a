"""Command line: ``vertrekplanner plan|demo|pdf|check|validate|generate|template|disrupt|replan|recommend``.

Exit codes: 0 success; 1 the plan breaks a hard rule (check) or the solver's plan failed
the independent checker (plan); 2 bad input (every problem is listed).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.markup import escape  # a scenario name is data, not markup
from rich.table import Table

from .errors import ScenarioError
from .contact import ContactError
from .domain import Scenario
from .loading.scenario import load_scenario, parse_scenario

console = Console()
SHOWN_PROBLEMS = 200  # printed; a file with a million bad rows must not print a million lines
LEVEL_LABELS = {
    "planned_priority": "1 geplande prioriteit (max)",
    "changed_assignments": "1b gewijzigde toewijzingen (min; herplannen)",
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
    p.add_argument("--no-documents", action="store_true", help="write plan.json and plan.xlsx only")
    p.add_argument("--no-fixes", action="store_true",
                   help="do not search verified fixes for unplanned departures")
    p.add_argument("--contact", metavar="FILE",
                   help="the planning unit's contact block for letters and itineraries (JSON or TOML: organisation, "
                        "unit, phone, email, signatory, signatory_role); default: the scenario's planning_unit "
                        "block, else the letters say the contact details are missing")
    p.add_argument("--pdf", choices=("all", "on-demand"),
                   help="write every PDF now, or leave them to `vertrekplanner pdf` (default: all, "
                        "on-demand at programme scale)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vertrekplanner", description="Plans special departures.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plan", help="plan a scenario (JSON, .xlsx workbook or folder of CSV files)")
    p.add_argument("scenario")
    _solver_args(p)
    d = sub.add_parser("demo", help="plan the bundled demo scenario")
    _solver_args(d)
    d.set_defaults(time_limit=20.0)
    f = sub.add_parser("pdf", help="write the PDFs of planned departures into a plan's --out folder")
    f.add_argument("out", metavar="OUT", help="the folder `plan --out` wrote")
    f.add_argument("departures", nargs="*", metavar="DEPARTURE_ID", help="departures whose PDFs to write")
    f.add_argument("--all", action="store_true", help="every planned departure")
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
    x = sub.add_parser("disrupt", help="apply a disruptions file to a scenario and write the new scenario")
    x.add_argument("scenario", help="scenario (JSON, .xlsx workbook or folder of CSV files)")
    x.add_argument("disruptions", help="disruptions file (JSON, format vertrekplanner/disruptions@1)")
    x.add_argument("-o", "--output", required=True, metavar="OUT", help="scenario JSON file to write")
    from .cli_replan import add_commands

    add_commands(sub, _solver_args)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"plan": cmd_plan, "demo": cmd_demo, "pdf": cmd_pdf, "check": cmd_check, "validate": cmd_validate,
                "generate": cmd_generate, "template": cmd_template, "disrupt": cmd_disrupt,
                "replan": cmd_replan, "recommend": cmd_recommend}[args.command](args)
    except ScenarioError as exc:
        console.print(f"[bold red]Invoer afgekeurd / input rejected[/]: {len(exc.problems)} problem(s)")
        for p in exc.problems[:SHOWN_PROBLEMS]:  # each value is cut short (Problem.__str__)
            console.print(f"  - {p}", markup=False, highlight=False, soft_wrap=True)
        if len(exc.problems) > SHOWN_PROBLEMS:
            console.print(f"  … and {len(exc.problems) - SHOWN_PROBLEMS} more", markup=False, highlight=False)
        return 2
    except ContactError as exc:
        console.print(f"[bold red]Contactblok afgekeurd / contact block rejected[/]: {escape(str(exc))}")
        return 2


# --- plan ---------------------------------------------------------------------------------

def cmd_replan(args) -> int:
    from .cli_replan import cmd_replan as run

    return run(args, console, _ProgressView, _summary)


def cmd_recommend(args) -> int:
    from .cli_replan import cmd_recommend as run

    return run(args, console)


def cmd_demo(args) -> int:
    from .generator import generate
    from .contact import demo_contact_toml

    data = generate("small", 2026)
    data["name"] = "demo"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "demo-scenario.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    console.print(f"Demo scenario (synthetic, 'small') written to {out / 'demo-scenario.json'}")
    if args.contact is None:  # the demo's letters show a (fictitious) contact block, from a file to copy
        (out / "demo-contact.toml").write_text(demo_contact_toml(), encoding="utf-8")
        args.contact = str(out / "demo-contact.toml")
        console.print(f"Demo contact block (--contact) written to {out / 'demo-contact.toml'}")
    return _plan(parse_scenario(data), args, out / "demo-scenario.json")


def cmd_plan(args) -> int:
    return _plan(load_scenario(args.scenario), args, Path(args.scenario))


def contact_option(args):
    """``--contact FILE`` read (a bad file stops the command before any solving), or None."""
    from .contact import read_contact

    return read_contact(args.contact) if getattr(args, "contact", None) else None


def _keep_scenario(source: Path, out: Path) -> str:
    """The scenario's path relative to ``out``, copied there unless it is inside already, so that
    `vertrekplanner pdf` later reads what was planned even if the original has changed."""
    try:
        return source.resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        pass
    if source.is_dir():  # a folder of CSV files
        target = out / "scenario"
        if target.is_dir():
            shutil.rmtree(target)  # our own earlier copy: no stale tables
        shutil.copytree(source, target)
    else:
        target = out / f"scenario{source.suffix.lower()}"
        shutil.copyfile(source, target)
    return target.name


def _plan(sc: Scenario, args, source: Path) -> int:
    from .checker import check_plan
    from .plan import build_plan, write_plan
    from .solve import SolveOptions, is_large_scale, solve

    contact = contact_option(args)
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
    plan = build_plan(sc, result, settings=settings, fixes=not args.no_fixes)
    violations = check_plan(sc, plan)
    out = Path(args.out)
    if violations:
        from .cli_replan import reject

        return reject(console, plan, out, violations, "The plan")
    from .outputs.workbook import write_plan_workbook

    path = write_plan(plan, out / "plan.json")
    written = [path, write_plan_workbook(sc, plan, out / "plan.xlsx")]
    if not args.no_documents:
        from .outputs import write_outputs

        # One definition of programme scale, the solver's (its defaults, whatever this run's options).
        mode = args.pdf or ("on-demand" if is_large_scale(sc, SolveOptions()) else "all")
        written += write_outputs(sc, plan, out, contact, pdf=mode, scenario_file=_keep_scenario(source, out))
        if mode == "on-demand":
            console.print(f"PDF's op verzoek: [bold]vertrekplanner pdf {escape(str(out))} VERTREK-ID …[/] "
                          "(of --all); zie index.html")
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
                if key == "changed_assignments" and key not in self.objective:
                    continue  # only a re-plan counts changes
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
    from .solve import level1_gap, scenario_bound

    ceiling = scenario_bound(solver)
    if ceiling is not None:
        best = solver["objective"].get("planned_priority", 0)
        gap = level1_gap(solver["objective"], {"planned_priority": ceiling})
        console.print(f"Bovengrens voor het scenario: geen plan haalt meer dan prioriteit {ceiling:g} "
                      f"(dit plan {best:g}, afstand {gap:.1%})", markup=False)
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
    from .actions import summary_nl

    for line in summary_nl(plan):
        console.print(line, markup=False)


# --- other commands -------------------------------------------------------------------------

def cmd_pdf(args) -> int:
    from .outputs import PdfSourceError, write_pdfs

    if bool(args.departures) == args.all:
        console.print("Name one or more departures, or give --all (not both).")
        return 2
    try:
        written = write_pdfs(args.out, None if args.all else args.departures)
    except PdfSourceError as exc:
        console.print(f"[bold red]No PDFs written[/]: {escape(str(exc))}")
        return 2
    console.print(f"{len(written)} PDF's geschreven in {escape(str(args.out))}/")
    return 0


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


def cmd_disrupt(args) -> int:
    from .disruptions import apply_disruptions, read_disruptions, summary
    from .loading.reader import read_path

    read, problems = {}, []
    for key, reader, path in (("disruptions", read_disruptions, args.disruptions), ("scenario", read_path, args.scenario)):
        try:
            read[key] = reader(path)
        except ScenarioError as exc:  # an unreadable scenario and disruptions file are named together
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    disruptions = read["disruptions"]
    doc = apply_disruptions(read["scenario"], disruptions)  # ScenarioError: nothing is written
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(out)  # never a half-written scenario
    finally:
        tmp.unlink(missing_ok=True)
    for line in summary(disruptions):
        console.print(f"  {line}", markup=False, highlight=False)
    console.print(f"Wrote {escape(str(out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
