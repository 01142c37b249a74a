"""Helpers the page modules share: the redirect after a form, the plan a page shows, and the
headers of a document about one person."""
from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ...deps import row_by_id
from ...models import PlanVersion
from .. import data
from ..render import PAGE_HEADERS


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _plan_for(session: Session, scenario_id: int, plan_id: int | None) -> PlanVersion | None:
    if plan_id is None:
        return data.shown_plan(session, scenario_id)
    plan = row_by_id(session, PlanVersion, plan_id)
    if plan is None or plan.scenario_id != scenario_id:
        raise HTTPException(404, "Dit plan bestaat niet bij dit scenario")
    return plan


# Documents about one person: never cached by a shared proxy or the browser's disk cache.
_DOCUMENT_HEADERS = PAGE_HEADERS
