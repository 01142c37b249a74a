"""Recommend a fit in the service: the best ways to plan one departure into the unit's published plan
without moving anything else, and a draft that adds just the one chosen.

Everything planned stays pinned: the unit's published departures and every other unit's (the
same held scenario a solve uses, api/solving.py). Each option is a whole plan the checker accepts
against the unit's view; the draft is the published plan with only the departure (and its family)
replaced by the option's entries.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from planner.checker import check_plan
from planner.plan import ADDED_LATER, NOT_YET, build_plan, unlisted
from planner.recommend import fit_summary, recommend
from planner.solve import Result

from . import audit, book, solving
from .models import PlanVersion


@dataclass
class Options:
    departure: str
    members: list[str]
    base_plan: int | None  # the published plan fitted into (None: nothing published yet)
    options: list[dict] = field(default_factory=list)  # fit_summary of each, ranked
    drafts: list[dict] = field(default_factory=list)  # the plan document each would make
    reasons_nl: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    already_planned: bool = False
    seconds: float = 0.0
    header: dict = field(default_factory=dict)  # the planning time and horizon the options were made for


def base_document(setup: solving.Setup) -> dict:
    """The unit's published plan (every departure listed), with the other units' held entries."""
    plan = {"format": "vertrekplanner/plan@1", "scenario": setup.scenario.name, "departures": []}
    if setup.previous_doc is not None:
        plan = {**setup.previous_doc, "scenario": setup.own.name, "departures": list(setup.previous_doc["departures"])}
    plan["departures"] += unlisted(setup.own, plan, ADDED_LATER if setup.previous_doc is not None else NOT_YET)
    plan["departures"] = [d for d in plan["departures"] if d["id"] in setup.own.departures]
    return plan


def options(session: Session, scenario_id: int, departure: str, top: int = 5) -> Options:
    """Ranked options for ``departure``; KeyError if it is not one of the import's unit."""
    setup = solving.prepare(session, scenario_id, {})
    if departure not in setup.own.departures:
        raise KeyError(departure)
    started = time.perf_counter()
    base = base_document(setup)
    fitted = {**base, "departures": base["departures"] + list(setup.held.values())}
    rec = recommend(setup.scenario, fitted, departure, top=top)
    out = Options(departure, rec.members, setup.previous.id if setup.previous is not None else None,
                  already_planned=rec.already_planned, header=setup.header)
    for fit in rec.fits:
        whole = build_plan(setup.scenario, Result(fit.selection, rec.candidates, "FEASIBLE",
                                                  fit.selection.objective(rec.candidates), {}, None, 0.0, 0.0))
        entries = {d["id"]: d for d in whole["departures"] if d["id"] in rec.members}
        draft = {**base, "solver": {**base.get("solver", {}), "mode": "recommend", "option": len(out.options) + 1},
                 "departures": [entries.get(d["id"], d) for d in base["departures"]]}
        if check_plan(setup.own, draft, setup.previous_doc):
            continue  # never offered: a plan that breaks a rule is worse than none
        out.options.append(fit_summary(setup.scenario, len(out.options) + 1, fit))
        out.drafts.append(draft)
    out.reasons_nl, out.reasons = (rec.reasons_nl, rec.reasons) if not out.options else ([], [])
    out.seconds = round(time.perf_counter() - started, 3)
    return out


def choose(session: Session, scenario_id: int, departure: str, rank: int, actor: str) -> PlanVersion:
    """A draft that only adds option ``rank`` (1-based) to the published plan; IndexError if none."""
    found = options(session, scenario_id, departure)
    if not 1 <= rank <= len(found.drafts):
        raise IndexError(rank)
    draft = found.drafts[rank - 1]
    planned = sum(1 for d in draft["departures"] if d.get("planned"))
    row = PlanVersion(scenario_id=scenario_id, scenario_version=book.revision(session), state="draft",
                      document=draft, violations=[], created_by=actor,
                      summary={"planned": planned, "departures": len(draft["departures"]), "mode": "recommend",
                               "against": found.base_plan, "added": found.members, "header": found.header, "changed_departures":
                               len(found.members), "option": found.options[rank - 1]})
    session.add(row)
    session.flush()
    audit.record(session, actor, "plan.recommend", "plan", row.id, scenario=scenario_id, departure=departure,
                 option=rank, against=found.base_plan)
    return row
