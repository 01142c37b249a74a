"""The plan document (``vertrekplanner/plan@1``) built from a solved selection."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import ortools

from . import rules, timeutil
from .breakdown import breakdown
from .explain import unplanned_reasons
from .domain import Scenario
from .solve import Result

PLAN_FORMAT = "vertrekplanner/plan@1"


ADDED_LATER = ("added after this plan was made", "toegevoegd nadat dit plan gemaakt is")
NOT_YET = ("not yet planned", "nog niet gepland")


def unlisted(sc: Scenario, plan: dict, reason: tuple[str, str] = ADDED_LATER) -> list[dict]:
    """Entries for the scenario's departures that ``plan`` does not list (added after it was made):
    not planned, with ``reason`` (English, Dutch), so the plan can be checked against the scenario."""
    listed = {d.get("id") for d in plan.get("departures", []) if isinstance(d, dict)}
    return [{"id": did, "planned": False, "reasons": [reason[0]], "reasons_nl": [reason[1]], "reason_rules": [0]}
            for did in sc.departures if did not in listed]


def build_plan(sc: Scenario, result: Result, generated_at: datetime | None = None,
               settings: dict | None = None, fixes: bool | str = False, actions: str | None = None) -> dict:
    """``fixes``: True (or "always") adds verified fixes to unplanned departures (planner/fixes.py);
    solve-only callers skip them. With fixes, "where to act first" (planner/actions.py) is added
    too, unless ``actions`` gives the reason it is not (then recorded in its place) or the scenario
    is at programme scale, where each action's verifying re-plan would rebuild every candidate."""
    cands, selection = result.candidates, result.selection
    generated_at = generated_at or datetime.now(sc.home_tz)
    by_dep: dict[str, dict] = {}
    for chosen in selection.chosen.values():
        opt = chosen.option
        trip_of = opt.trip_of()
        for i, member in enumerate(opt.members):
            dep = member.dep
            rec = sc.reception[dep.reception]
            by_dep[dep.id] = {
                "id": dep.id,
                "planned": True,
                "flights": [leg.id for leg in opt.legs],
                "pickup": {
                    "location": dep.pickup_location,
                    "vehicle": chosen.vehicles[trip_of[i]],
                    "time": timeutil.iso(member.pickup, sc.tz(member.airport)),
                    "airport": member.airport,
                },
                "escorts": [{"id": c.companion.id, "return_flights": [leg.id for leg in c.ret]}
                            for c in chosen.escorts[i]],
                "medics": [{"id": c.companion.id, "return_flights": [leg.id for leg in c.ret]}
                           for c in chosen.medics[i]],
                "handover": {"reception": rec.id,
                             "time": timeutil.iso(rules.handover_time(rec, opt.arrival), sc.tz(rec.airport))},
            }
    reasons = unplanned_reasons(cands, selection)
    departures = []
    for dep in sc.departures.values():
        if dep.id in by_dep:
            departures.append(by_dep[dep.id] | breakdown(sc, by_dep[dep.id]))  # cost and soft goals
        else:
            rs = reasons.get(dep.id, [])
            departures.append({"id": dep.id, "planned": False, "reasons": [r.en for r in rs],
                               "reasons_nl": [r.nl for r in rs], "reason_rules": [r.rule for r in rs]})
    plan = {
        "format": PLAN_FORMAT,
        "scenario": sc.name,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "solver": {
            "status": result.status,
            "wall_seconds": round(result.wall_seconds, 2),
            "first_plan_seconds": round(result.first_plan_seconds, 3),
            **result.timings,
            "objective": result.objective,
            # Bounds hold for the scenario as given; "proven" lists the levels proven optimal for it.
            "bound": result.bound,
            "proven": result.proven,
            "gap": None if result.gap is None else round(result.gap, 6),
            # Limits in force beyond the spec's rules (scenario parameters), and where the model
            # offered fewer choices than the scenario allows (then nothing is called optimal).
            "limits": {"max_layover_minutes": rules.max_layover_minutes(sc)},
            "restrictions": result.restrictions,
            "ceiling": result.ceiling,
            "ortools": ortools.__version__,
            "stages": result.stages,
            "model": result.model_size,
            **(settings or {}),
        },
        "departures": departures,
    }
    if fixes:
        _add_fixes(sc, plan, result, fixes, actions)
    return plan


def _add_fixes(sc: Scenario, plan: dict, result: Result, fixes: bool | str, skip_actions: str | None) -> None:
    import time

    from .fixes import attach_fixes
    from .solve import SolveOptions, is_large_scale

    if is_large_scale(sc, SolveOptions()) and not skip_actions:
        skip_actions = "programme scale (a re-plan per action)"
    started = time.perf_counter()
    outcomes = attach_fixes(sc, plan, result.candidates)
    plan["solver"]["fixes_seconds"] = round(time.perf_counter() - started, 2)
    plan["solver"]["fixes_tried"] = sum(o.tried for o in {id(o): o for o in outcomes.values()}.values())
    if skip_actions:
        plan["solver"]["actions"] = f"skipped: {skip_actions}"
        return
    from .actions import attach_actions  # where to act first: the fixes grouped, each verified by a re-plan

    attach_actions(sc, plan, outcomes)


def write_plan(plan: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(plan, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # never leave a half-written plan behind
    return path
