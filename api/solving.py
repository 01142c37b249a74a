"""What a solve job plans: the unit's view of the book, against its published plan, beside the others'.

Once a unit has published a plan, a solve is a re-plan against it (planner/replan.py): the
smallest change the objective allows, underway departures kept exactly. "Plan from scratch"
(``from_scratch``) is the explicit exception. Every other unit's published departures are in the
solved scenario too, pinned as published, so the unit's plan never takes their seats, people or
vehicles; they are removed from the stored plan again (planner/commitments.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.changes import plan_changes
from planner.checker import check_plan
from planner.commitments import own_plan
from planner.plan import build_plan
from planner.replan import replan
from planner.scenario import Scenario, parse_scenario
from planner.solve import Result, SolveOptions, solve

from . import book
from .models import PlanVersion, ScenarioRow
from .publishing import other_published, published_plan


@dataclass
class Setup:
    """Everything a job needs, read in one short transaction before the long solve."""
    unit: str
    header: dict
    scenario: Scenario  # the unit's departures and the held ones of other units
    own: Scenario  # the unit's view alone: the plan is checked against it
    previous: PlanVersion | None  # the published plan re-planned against (None: from scratch)
    previous_doc: dict | None
    held: dict[str, dict] = field(default_factory=dict)  # other units' published entries, by departure
    held_from: list[int] = field(default_factory=list)  # their plan ids

    @property
    def mode(self) -> str:
        return "replan" if self.previous is not None else "scratch"


def header_for(session: Session, row: ScenarioRow, options: dict) -> dict:
    """The planning time, horizon and parameters of the unit's latest import (so that an imported
    file plans as it does in the CLI), with the planning time and horizon the job chose, if any."""
    latest = session.scalar(select(ScenarioRow).where(ScenarioRow.unit == row.unit)
                            .order_by(ScenarioRow.id.desc()).limit(1)) or row
    header = dict(latest.header)
    if options.get("planning_time"):
        header["planning_time"] = options["planning_time"]
    if options.get("horizon"):
        header["horizon"] = list(options["horizon"])
    return header


def prepare(session: Session, scenario_id: int, options: dict) -> Setup:
    row = session.get(ScenarioRow, scenario_id)
    header = header_for(session, row, options)
    previous = None if options.get("from_scratch") else published_plan(session, row.unit)
    held: dict[str, dict] = {}
    held_from = []
    others = other_published(session, row.unit)
    for plan in others:
        entries = {d["id"]: d for d in plan.document.get("departures", []) if d.get("planned")}
        if entries:
            held.update(entries)
            held_from.append(plan.id)
    units = [row.unit] + sorted({p.unit for p in others if p.id in held_from})
    doc = book.view(session, header, units)
    # Only the other units' departures their published plans plan are held; the rest are theirs to plan.
    # The unit's departures first, in the order of its own view, so that a fix's JSON Patch paths
    # (/departures/3/...) point at the same departure in the unit's scenario document.
    mine = set(book.unit_departures(session, row.unit))
    doc["departures"] = ([d for d in doc["departures"] if d["id"] in mine]
                         + [d for d in doc["departures"] if d["id"] in held and d["id"] not in mine])
    own_doc = book.view(session, header, [row.unit])  # = book.scenario_view(session, row.id, header=header)
    return Setup(row.unit, header, parse_scenario(doc), parse_scenario(own_doc), previous,
                 previous.document if previous is not None else None, held, held_from)


def run(setup: Setup, options: SolveOptions, on_progress=None) -> Result:
    """The solve itself (long; no database session held)."""
    if setup.previous_doc is None and not setup.held:
        return solve(setup.scenario, options, on_progress)
    earlier = dict(setup.previous_doc or {"departures": []})
    earlier["departures"] = list(earlier.get("departures", [])) + list(setup.held.values())
    result, _hold = replan(setup.scenario, earlier, options, on_progress, frozen=set(setup.held))
    return result


def plan_document(setup: Setup, result: Result, job_id: int, settings: dict, fixes: bool) -> dict:
    """The unit's plan: built from the result, without the held departures, with what it changes."""
    sc = setup.scenario
    plan = build_plan(sc, result, generated_at=datetime.now(sc.home_tz),
                      settings={**settings, "job": job_id, "mode": settings.get("mode"), "planning": setup.mode,
                                "against": setup.previous.id if setup.previous is not None else None,
                                "held_from": setup.held_from},
                      # Asked to stop: the best plan so far is stored at once, without the search for fixes.
                      fixes=fixes and not result.stopped,
                      # Actions are verified by a re-plan that may move any departure: beside other units'
                      # published plans it could count gains that take their people or seats. Not offered there.
                      actions="other units' published plans are held" if setup.held else None)
    plan = own_plan(plan, result, set(setup.held))
    if setup.previous_doc is not None:
        plan["changes"] = plan_changes(setup.own, setup.previous_doc, plan)
    return plan


def violations(setup: Setup, plan: dict) -> list:
    """The checker on the unit's own view, with the re-planned plan as the earlier plan."""
    return check_plan(setup.own, plan, setup.previous_doc)


def draft(setup: Setup, plan: dict, scenario_id: int, revision: int, job_id: int | None, created_by: str,
          stopped: bool = False) -> PlanVersion:
    """The draft plan row of a solve (the caller adds it in its transaction)."""
    solver = plan["solver"]
    planned = sum(1 for d in plan["departures"] if d["planned"])
    return PlanVersion(scenario_id=scenario_id, unit=setup.unit, scenario_version=revision, job_id=job_id,
                       state="draft", document=plan, violations=[], created_by=created_by,
                       summary={"planned": planned, "departures": len(plan["departures"]),
                                "objective": solver["objective"], "status": solver["status"], "stopped": stopped,
                                "mode": setup.mode,
                                "against": setup.previous.id if setup.previous is not None else None,
                                "changed_departures": len((plan.get("changes") or {}).get("departures") or []),
                                "held": len(setup.held), "header": setup.header})
