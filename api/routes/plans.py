"""Plan versions: list, review (the checker's verdict now, the diff against the published plan), publish."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import book, publishing
from ..auth import Principal, db_session, require
from ..deps import NOT_FOUND, PROTECTED, hidden, row_by_id, scenario_for
from ..models import PlanVersion

router = APIRouter(prefix="/api", tags=["plans"], responses=PROTECTED)


class PlanSummary(BaseModel):
    id: int
    scenario_id: int
    state: str
    job_id: int | None
    created_at: datetime
    created_by: str
    published_at: datetime | None
    published_by: str | None
    summary: dict[str, Any]


class PlanOut(PlanSummary):
    document: dict[str, Any]
    violations: list[str]
    scenario_changed: bool
    without_address: list[str] = Field(description="people in this plan with no e-mail address on file: "
                                                   "they get no invite, only their feed")


class DiffOut(BaseModel):
    plan_id: int
    against: int | None
    changes: list[dict[str, Any]]


class PublishOut(BaseModel):
    plan_id: int
    superseded: int | None
    events: dict[str, int]
    mails_queued: int
    people: int
    delivered: dict[str, int]


def summary_of(p: PlanVersion) -> dict:
    return dict(id=p.id, scenario_id=p.scenario_id, state=p.state, job_id=p.job_id, created_at=p.created_at,
                created_by=p.created_by, published_at=p.published_at, published_by=p.published_by,
                summary=p.summary or {})


PLAN = "Dit plan"


def plan_for(session: Session, principal: Principal, plan_id: int) -> PlanVersion:
    plan = row_by_id(session, PlanVersion, plan_id)
    if plan is None:
        raise hidden(PLAN)
    scenario_for(session, principal, plan.scenario_id, PLAN)  # the same 404 for another unit's plan
    return plan


verdict = publishing.verdict  # the one verdict, also the pages'


@router.get("/scenarios/{scenario_id}/plans", response_model=list[PlanSummary], responses=NOT_FOUND)
def list_plans(scenario_id: int, principal: Principal = Depends(require("plan.read")),
               session: Session = Depends(db_session)):
    scenario_for(session, principal, scenario_id)
    rows = session.scalars(select(PlanVersion).where(PlanVersion.scenario_id == scenario_id)
                           .order_by(PlanVersion.id.desc()).limit(100))
    return [PlanSummary(**summary_of(p)) for p in rows]


@router.get("/plans/{plan_id}", response_model=PlanOut, responses=NOT_FOUND)
def get_plan(plan_id: int, principal: Principal = Depends(require("plan.read")), session: Session = Depends(db_session)):
    plan = plan_for(session, principal, plan_id)
    scenario_for(session, principal, plan.scenario_id)
    return PlanOut(**summary_of(plan), document=plan.document, violations=verdict(session, plan),
                   scenario_changed=book.revision(session) != plan.scenario_version,
                   without_address=publishing.without_address(session, plan.document))


@router.get("/plans/{plan_id}/diff", response_model=DiffOut, responses=NOT_FOUND)
def plan_diff(plan_id: int, principal: Principal = Depends(require("plan.read")), session: Session = Depends(db_session)):
    plan = plan_for(session, principal, plan_id)
    current = publishing.published_plan(session, plan.unit)
    against = current if current is not None and current.id != plan.id else None
    return DiffOut(plan_id=plan.id, against=against.id if against else None,
                   changes=publishing.diff_plans(against.document if against else None, plan.document))


@router.post("/plans/{plan_id}/publish", response_model=PublishOut,
             responses={**NOT_FOUND,
                        409: {"description": "Not a draft, or the plan breaks a rule against the current scenario"}})
def publish(plan_id: int, request: Request, principal: Principal = Depends(require("plan.publish")),
            session: Session = Depends(db_session)):
    plan_for(session, principal, plan_id)
    session.close()
    try:
        outcome = publishing.publish(request.app.state.db, plan_id, principal.username, request.app.state.settings)
    except publishing.PublishRefused as exc:
        raise HTTPException(409, {"message": str(exc), "violations": exc.violations[:50]})
    return PublishOut(plan_id=outcome.plan_id, superseded=outcome.superseded, events=outcome.events,
                      mails_queued=outcome.mails_queued, people=outcome.people, delivered=outcome.delivered)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/plans/{plan_id}/plan.xlsx", responses={**NOT_FOUND, 200: {"content": {XLSX: {}},
                                                                      "description": "the plan as a workbook"}})
def plan_workbook(plan_id: int, principal: Principal = Depends(require("plan.read")),
                  session: Session = Depends(db_session)):
    """The plan as an Excel workbook: a sheet of departures (planned or not, reasons, pickup, flights,
    handover, team, medic, vehicle, cost) and one per kind of resource with its missions."""
    import tempfile
    from pathlib import Path

    from planner.outputs.workbook import write_plan_workbook

    plan = plan_for(session, principal, plan_id)
    sc = publishing.plan_scenario(session, plan)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.xlsx"
        write_plan_workbook(sc, publishing.as_of_now(sc, plan.document), path)
        body = path.read_bytes()
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="plan-{plan.id}.xlsx"', "Cache-Control": "no-store"})
