"""Plan review and publishing: the plan page (objective, checker verdict, changes) and its publish form."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session


from ...auth import Principal, db_session, require
from ...deps import hidden, row_by_id, scenario_for
from ...models import PlanVersion, ScenarioRow
from ...routes.plans import PLAN
from .. import data, pages, replanning
from ..render import page
from .common import _see_other

router = APIRouter(include_in_schema=False)


def _plan(session: Session, principal: Principal, plan_id: int) -> tuple[PlanVersion, ScenarioRow]:
    plan = row_by_id(session, PlanVersion, plan_id)
    if plan is None:
        raise hidden(PLAN)
    return plan, scenario_for(session, principal, plan.scenario_id, PLAN)  # the same 404 for another unit's


@router.get("/plans/{plan_id}")
def plan_page(request: Request, plan_id: int, published: int | None = Query(None, ge=0),
              sent: int | None = Query(None, ge=0), principal: Principal = Depends(require("plan.read")),
              session: Session = Depends(db_session)):
    plan, row = _plan(session, principal, plan_id)
    doc = plan.document
    solver = doc.get("solver") or {}
    entries = doc.get("departures", [])
    return page(request, "plan.html", principal, plan=plan, scenario=row, solver=solver,
                planned=sum(1 for e in entries if e.get("planned")), total=len(entries),
                objective=data.objective_rows(solver.get("objective"), solver.get("bound")),
                gap=data.gap_text(solver.get("gap")), violations=_verdict(session, plan, row),
                solver_status=data.SOLVER_STATUS.get(solver.get("status"), solver.get("status") or "—"),
                solver_seconds=data.seconds_text(solver.get("wall_seconds")),
                diff=data.plan_diff(session, plan), state_labels=data.STATE_LABELS, published=published, sent=sent,
                outdated=plan.scenario_version != _revision(session), unreachable=_unreachable(session, plan, row),
                review=replanning.review_for(session, plan, row),
                past_pickups=data.past_pickups(session, plan, pages.now()), past_pickup_text=data.PAST_PICKUP)


def _revision(session: Session) -> int:
    from ... import book

    return book.revision(session)


def _unreachable(session: Session, plan: PlanVersion, row: ScenarioRow) -> list[tuple[str, str]]:
    """(owner, name) of the people in the plan that no invite can reach."""
    from ...publishing import owner_name, without_address

    owners = without_address(session, plan.document)
    sc = data.scenario(session, row) if owners else None
    return [(o, owner_name(sc, o)) for o in owners]


def _verdict(session: Session, plan: PlanVersion, row: ScenarioRow) -> list[str]:
    """The checker's verdict against the scenario as it is now, as publishing will judge it.

    The stored verdict holds while the scenario is unchanged since the solve; after an edit the
    plan is checked again (the parsed scenario is cached per version).
    """
    from ... import book, publishing

    if plan.scenario_version == book.revision(session) or plan.state != "draft":
        return [_violation(v) for v in plan.violations or []]
    header = (plan.summary or {}).get("header")
    cached = data.scenario(session, row) if header in (None, row.header) else None  # else: solved with another
    return publishing.verdict(session, plan, cached)


def _violation(v) -> str:
    if isinstance(v, dict):
        where = ", ".join(str(v[k]) for k in ("departure", "resource") if v.get(k))
        head = f"regel {v.get('rule', '?')}" + (f" [{where}]" if where else "")
        return f"{head}: {v.get('message', '')}"
    return str(v)


@router.post("/plans/{plan_id}/publish")
def plan_publish(request: Request, plan_id: int, principal: Principal = Depends(require("plan.publish")),
                 session: Session = Depends(db_session)):
    from ... import publishing

    plan, row = _plan(session, principal, plan_id)
    session.commit()  # end this read before publishing writes in its own transaction
    try:
        outcome = publishing.publish(request.app.state.db, plan.id, principal.username, request.app.state.settings)
    except publishing.PublishRefused as exc:
        return page(request, "refused.html", principal, status_code=409, plan=plan, scenario=row,
                    message=str(exc), violations=exc.violations)
    sent = outcome.delivered.get("sent", 0)
    return _see_other(f"/plans/{plan_id}?published={outcome.mails_queued}&sent={sent}")
