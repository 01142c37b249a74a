"""Dashboard and scenario pages: the unit's scenarios with the shown plan's departures, and the import."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...auth import Principal, db_session, require
from ...authz import REGIE, allowed
from ...deps import scenario_for
from ...models import ScenarioRow, SolveJob
from .. import data, pages, replanning
from ..render import home_for, page
from .common import _see_other
from .jobs import JOB_STATUS, QUICK_SECONDS

router = APIRouter(include_in_schema=False)


def _scenario_rows(session: Session, principal: Principal) -> list[ScenarioRow]:
    query = select(ScenarioRow).order_by(ScenarioRow.id.desc()).limit(50)
    if principal.role == REGIE:
        query = query.where(ScenarioRow.unit == principal.unit)
    return list(session.scalars(query))


@router.get("/")
def dashboard(request: Request, scenario: int | None = Query(None, ge=1), page_: int = Query(1, ge=1, alias="page"),
              status: str | None = Query(None, max_length=20), imported: int | None = Query(None),
              principal: Principal = Depends(require("authenticated")), session: Session = Depends(db_session)):
    if not allowed(principal.role, "case.read"):
        return _see_other(home_for(principal.role))  # the dashboard is about cases; others have their own home
    scenario_list = _scenario_rows(session, principal)
    selected = None
    if scenario is not None:
        selected = scenario_for(session, principal, scenario)
    elif scenario_list:
        selected = scenario_list[0]
    context: dict = {"scenarios": scenario_list, "selected": selected, "status": status, "imported": imported}
    if selected is not None:
        plan = data.shown_plan(session, selected.id)
        context.update(
            plan=plan, departures=data.departure_list(session, selected.id, plan, page_, status, now=pages.now()),
            plans=data.plans_of(session, selected.id, 10),
            jobs=list(session.scalars(select(SolveJob).where(SolveJob.scenario_id == selected.id)
                                      .order_by(SolveJob.id.desc()).limit(5))),
            job_status=JOB_STATUS, state_labels=data.STATE_LABELS, quick_seconds=QUICK_SECONDS,
            default_seconds=request.app.state.settings.solve_time_limit,
            published_plan=_published(session, selected.unit), past_pickup_text=data.PAST_PICKUP)
        context["unplanned"], context["unplanned_total"] = replanning.unplanned(plan, UNPLANNED_SHOWN)
    return page(request, "dashboard.html", principal, **context)


UNPLANNED_SHOWN = 50  # on the dashboard; the filter "niet gepland" lists them all


def _published(session: Session, unit: str):
    """The unit's published plan: a solve re-plans against it unless asked to plan from scratch."""
    from ...publishing import published_plan

    return published_plan(session, unit)


@router.get("/scenarios/{scenario_id}")
def scenario_page(scenario_id: int, principal: Principal = Depends(require("case.read")),
                  session: Session = Depends(db_session)):
    scenario_for(session, principal, scenario_id)
    return _see_other(f"/?scenario={scenario_id}")

# The import (preview, then apply) is in imports.py.
