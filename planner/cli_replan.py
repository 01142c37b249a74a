"""``vertrekplanner replan`` and ``vertrekplanner recommend``: changing a plan a little.

replan    SCENARIO --previous PLAN [--disruptions FILE] --out DIR   a new plan, minimal change
recommend SCENARIO --plan PLAN --departure ID --out DIR [--top 5]  ways to fit one departure in
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from rich.markup import escape

from .errors import Problem, ScenarioError
from .loading.reader import read_path
from .loading.scenario import parse_scenario


def add_commands(sub, solver_args) -> None:
    r = sub.add_parser("replan", help="re-plan against an earlier plan, changing as little as possible")
    r.add_argument("scenario", help="scenario (JSON, .xlsx workbook or folder of CSV files)")
    r.add_argument("--previous", required=True, metavar="PLAN", help="the earlier plan.json (its folder's calendars are updated)")
    r.add_argument("--disruptions", metavar="FILE", help="disruptions to apply first (vertrekplanner/disruptions@1)")
    solver_args(r)
    c = sub.add_parser("recommend", help="the best ways to fit one departure into a plan without moving anything else")
    c.add_argument("scenario", help="scenario (JSON, .xlsx workbook or folder of CSV files)")
    c.add_argument("--plan", required=True, metavar="PLAN", help="the plan to fit the departure into")
    c.add_argument("--departure", required=True, metavar="ID", help="a departure of the scenario")
    c.add_argument("--out", required=True, help="folder for options.json and option-N.plan.json")
    c.add_argument("--top", type=int, default=5, metavar="N", help="at most this many options (default 5)")


def read_plan(path: str | Path, what: str = "plan") -> dict:
    doc = read_path(path)
    if doc.get("format") != "vertrekplanner/plan@1" or not isinstance(doc.get("departures"), list):
        raise ScenarioError([Problem(what, None, "format", doc.get("format"), '"vertrekplanner/plan@1" with departures')])
    return doc


def reject(console, plan: dict, out: Path, violations: list, headline: str) -> int:
    """A plan that breaks a rule is worse than no plan: kept aside as plan.rejected.json for diagnosis."""
    from .plan import write_plan

    write_plan(plan, out / "plan.rejected.json")
    console.print(f"[bold red]{headline} breaks {len(violations)} hard rule(s); not written as plan.json:[/]")
    for v in violations[:20]:
        console.print(f"  - {v}", markup=False)
    return 1


def cmd_replan(args, console, progress_view, summary) -> int:
    from rich.live import Live

    from .changes import plan_changes
    from .changes import summary as changes_text
    from .checker import check_plan
    from .plan import build_plan, write_plan
    from .replan import replan
    from .solve import SolveOptions

    from .outputs import recorded_contact
    from .contact import read_contact

    # --contact, else the block the earlier plan's documents were written with, else the scenario's.
    contact = read_contact(args.contact) if args.contact else None
    doc = read_path(args.scenario)
    if args.disruptions:
        from .disruptions import apply_disruptions, read_disruptions

        doc = apply_disruptions(doc, read_disruptions(args.disruptions))
    sc = parse_scenario(doc)
    previous = read_plan(args.previous, "previous plan")
    options = SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed, gap=args.gap,
                           quick=args.quick)
    console.print(f"Herplannen van [bold]{escape(sc.name)}[/] tegen {escape(args.previous)}")
    view = progress_view(options)
    with Live(view.render(), console=console, refresh_per_second=4, transient=False) as live:
        view.live = live
        result, hold = replan(sc, previous, options, on_progress=view.update)
        live.update(view.render(final=True))
    plan = build_plan(sc, result, settings={"mode": "replan", "previous": str(args.previous),
                                            "disruptions": args.disruptions, "time_limit": args.time_limit,
                                            "workers": options.worker_count(), "seed": args.seed,
                                            "underway": sorted(d.id for c in hold.pinned.values()
                                                               for d in (m.dep for m in c.option.members))},
                      fixes=not args.no_fixes)
    violations = check_plan(sc, plan, earlier=previous)
    out = Path(args.out)
    if violations:
        return reject(console, plan, out, violations, "The re-plan")
    from .outputs.workbook import write_plan_workbook

    written = [write_plan(plan, out / "plan.json"), write_plan_workbook(sc, plan, out / "plan.xlsx")]
    (out / "scenario.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    changes = plan_changes(sc, previous, plan)
    changes["changed_assignments"] = result.objective.get("changed_assignments")
    # Earlier assignments that are no longer lawful: per departure whether it is lost whole (no option
    # on its legs), which parts, why, and the changes that forces; every re-plan counts at least those.
    changes["lost"] = hold.report()
    changes["unavoidable_changes"] = hold.lost_changes()
    written.append(write_plan(changes, out / "changes.json"))
    for lang in ("nl", "en"):
        path = out / f"changes.{lang}.md"
        path.write_text(changes_text(changes, lang), encoding="utf-8")
        written.append(path)
    if not args.no_documents:
        from .outputs import write_outputs

        previous_dir = Path(args.previous).resolve().parent
        written += write_outputs(sc, plan, out, contact or recorded_contact(previous_dir), pdf=args.pdf or "all",
                                 scenario_file="scenario.json", previous_dir=previous_dir)
    summary(sc, plan, result)
    console.print(changes_text(changes, "nl"), markup=False)
    console.print(f"Plan checked against the scenario and the earlier plan: no rule broken. {len(written)} files "
                  f"written to {out}/", markup=False)
    return 0


def cmd_recommend(args, console) -> int:
    from .checker import check_plan
    from .plan import build_plan, unlisted, write_plan
    from .recommend import fit_summary, recommend
    from .solve import Result

    sc = parse_scenario(read_path(args.scenario))
    plan = read_plan(args.plan)
    # A departure added to the scenario after the plan was made is simply not planned in it yet.
    plan["departures"] += unlisted(sc, plan)
    violations = check_plan(sc, plan)
    if violations:
        console.print(f"[bold red]The plan breaks {len(violations)} hard rule(s) against this scenario;[/] "
                      "a recommendation needs a valid plan to fit into.")
        for v in violations[:20]:
            console.print(f"  - {v}", markup=False)
        return 1
    if args.departure not in sc.departures:
        raise ScenarioError([Problem("recommend", None, "departure", args.departure, "a departure of the scenario")])
    started = time.perf_counter()
    rec = recommend(sc, plan, args.departure, top=max(1, args.top))
    seconds = time.perf_counter() - started
    out = Path(args.out)
    listed = []
    for rank, fit in enumerate(rec.fits, start=1):
        whole = build_plan(sc, Result(fit.selection, rec.candidates, "FEASIBLE", fit.selection.objective(rec.candidates),
                                      {}, None, seconds, seconds), settings={"mode": "recommend", "option": rank})
        problems = check_plan(sc, whole)
        if problems:  # never offered: a plan that breaks a rule is worse than none
            console.print(f"option {rank} dropped by the checker: {problems[0]}", markup=False)
            continue
        write_plan(whole, out / f"option-{len(listed) + 1}.plan.json")
        listed.append(fit_summary(sc, len(listed) + 1, fit))
    document = {"format": "vertrekplanner/options@1", "departure": args.departure, "members": rec.members,
                "already_planned": rec.already_planned, "seconds": round(seconds, 3), "options": listed,
                "reasons_nl": rec.reasons_nl if not listed else [], "reasons": rec.reasons if not listed else []}
    write_plan(document, out / "options.json")
    if not listed:
        console.print(f"[bold]Geen passende optie voor {escape(args.departure)}[/] / no option fits:")
        for nl, en in zip(rec.reasons_nl, rec.reasons):
            console.print(f"  - {nl} / {en}", markup=False)
        return 0
    console.print(f"{len(listed)} optie(s) voor {escape(args.departure)} in {seconds:.2f} s → {out / 'options.json'}")
    for o in listed:
        console.print(f"  {o['rank']}. {' '.join(o['flights'])} ({o['route']}), wachturen {o['waiting_hours']}, "
                      f"kosten EUR {o['cost_eur']:,.2f}, overdracht {o['members'][0]['handover']}", markup=False)
    return 0

