"""The departure page and its documents: the itinerary and the handover letters, as HTML and PDF."""
from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from planner import timeutil
from planner.outputs import derive, generated_at, render_itinerary, render_letter
from planner.outputs.pdf import html_to_pdf

from ... import scenarios as store
from ...auth import Principal, db_session, require
from ...authz import FIELD_ROLES, on_team
from ...deps import row_by_id, scenario_for
from ...models import PlanVersion, ScenarioRow
from .. import data, pages
from ..render import page
from .common import _DOCUMENT_HEADERS, _plan_for

router = APIRouter(include_in_schema=False)


def _departure(session: Session, principal: Principal, scenario_id: int, dep_id: str, plan_id: int | None):
    row = scenario_for(session, principal, scenario_id)
    record = store.get_record(session, scenario_id, "departures", dep_id)
    if record is None:
        raise HTTPException(404, f"Vertrek {dep_id} bestaat niet in dit scenario")
    plan = _plan_for(session, scenario_id, plan_id)
    entry = data.plan_entries(plan).get(dep_id)
    return row, record, plan, entry


TEAM_ONLY = ("Dit reisplan is alleen voor het team van dit vertrek en de regie. U ziet de reisplannen van de "
             "vertrekken waarop u bent ingepland onder Mijn planning.")


def _itinerary_departure(session: Session, principal: Principal, scenario_id: int, dep_id: str,
                         plan_id: int | None):
    """As ``_departure`` for the case readers. A field role reads the itinerary of a departure whose
    team they are on in its unit's published plan (``authz.on_team``), and of no other plan; every
    other case is the same refusal, so nothing about other departures or scenarios is disclosed."""
    if principal.role not in FIELD_ROLES:
        return _departure(session, principal, scenario_id, dep_id, plan_id)
    from ...publishing import published_plan

    row = row_by_id(session, ScenarioRow, scenario_id)
    record = store.get_record(session, scenario_id, "departures", dep_id) if row is not None else None
    plan = published_plan(session, row.unit) if record is not None else None
    entry = data.plan_entries(plan).get(dep_id)
    if plan is None or (plan_id is not None and plan_id != plan.id) or not on_team(principal.role, principal.owner,
                                                                                    entry):
        raise HTTPException(403, TEAM_ONLY)
    return row, record, plan, entry


def _view(session: Session, row: ScenarioRow, plan: PlanVersion | None, entry: dict | None):
    if plan is None or entry is None or not entry.get("planned"):
        raise HTTPException(404, "Dit vertrek is in dit plan niet gepland: er is geen reisplan of brief")
    sc = data.scenario(session, row)
    created = generated_at(sc, plan.document)
    return sc, derive.departure_view(sc, entry), timeutil.minutes(created), created


@router.get("/scenarios/{scenario_id}/departures/{dep_id}")
def departure_page(request: Request, scenario_id: int, dep_id: str, plan: int | None = Query(None, ge=1),
                   principal: Principal = Depends(require("case.read")), session: Session = Depends(db_session)):
    row, record, plan_row, entry = _departure(session, principal, scenario_id, dep_id, plan)
    label, css = data.status_of(entry, plan_row)
    view = None
    if entry and entry.get("planned"):
        _sc, view, _gen, _created = _view(session, row, plan_row, entry)
    names = data.departure_names(data.scenario(session, row), record.data, view.vehicle_id if view else None)
    # ``now`` looked up on the package when called: tests replace api.web.pages.now.
    past = plan_row is not None and data.pickup_in_past(entry, data.past_limit(session, plan_row, pages.now()))
    base = f"/scenarios/{scenario_id}/departures/{quote(dep_id)}"
    query = f"?plan={plan_row.id}" if plan_row is not None else ""
    return page(request, "departure.html", principal, scenario=row, dep=record.data, record=record,
                plan=plan_row, entry=entry, status_label=label, status_css=css, view=view, base=base, query=query,
                kind_label=derive.DEPARTURE_KIND.get(record.data.get("kind"), record.data.get("kind")),
                risk_labels=data.RISK_LABELS, sex_labels=data.SEX_LABELS,
                medic_roles={k: v["nl"] for k, v in derive.MEDIC_ROLE.items()},
                when=data.when_text, state_labels=data.STATE_LABELS, names=names, past_pickup=past,
                past_pickup_text=data.PAST_PICKUP)


@router.get("/scenarios/{scenario_id}/departures/{dep_id}/itinerary.html")
def itinerary_html(request: Request, scenario_id: int, dep_id: str, plan: int | None = Query(None, ge=1),
                   principal: Principal = Depends(require("itinerary.read")), session: Session = Depends(db_session)):
    row, _record, plan_row, entry = _itinerary_departure(session, principal, scenario_id, dep_id, plan)
    sc, view, generated, _created = _view(session, row, plan_row, entry)
    return HTMLResponse(render_itinerary(sc, view, generated, _contact(request, row, sc)),
                        headers=_DOCUMENT_HEADERS)


@router.get("/scenarios/{scenario_id}/departures/{dep_id}/itinerary.pdf")
def itinerary_pdf(request: Request, scenario_id: int, dep_id: str, plan: int | None = Query(None, ge=1),
                  principal: Principal = Depends(require("itinerary.read")), session: Session = Depends(db_session)):
    row, _record, plan_row, entry = _itinerary_departure(session, principal, scenario_id, dep_id, plan)
    sc, view, generated, created = _view(session, row, plan_row, entry)
    html = render_itinerary(sc, view, generated, _contact(request, row, sc), pdf=True)
    return _pdf(html, f"Reisplan {view.id}", created, f"{view.id} — vertrouwelijk",
                f"reisplan-{view.file_stem()}.pdf")


def _letter_view(session, principal, scenario_id, dep_id, plan, lang):
    row, _record, plan_row, entry = _departure(session, principal, scenario_id, dep_id, plan)
    sc, view, generated, created = _view(session, row, plan_row, entry)
    if lang not in view.letter_languages:
        raise HTTPException(404, f"Geen overdrachtsbrief in taal {lang!r} voor dit vertrek "
                                 f"(wel: {', '.join(view.letter_languages)})")
    return row, sc, view, generated, created


def _contact(request: Request, row, sc):
    """The unit's contact block for its documents (api/units.py)."""
    from ...units import contact_for

    return contact_for(request.app.state.settings, row.unit, sc)


@router.get("/scenarios/{scenario_id}/departures/{dep_id}/letter.{lang}.html")
def letter_html(request: Request, scenario_id: int, dep_id: str, lang: str, plan: int | None = Query(None, ge=1),
                principal: Principal = Depends(require("case.read")), session: Session = Depends(db_session)):
    row, sc, view, generated, _created = _letter_view(session, principal, scenario_id, dep_id, plan, lang)
    return HTMLResponse(render_letter(sc, view, lang, generated, _contact(request, row, sc)),
                        headers=_DOCUMENT_HEADERS)


@router.get("/scenarios/{scenario_id}/departures/{dep_id}/letter.{lang}.pdf")
def letter_pdf(request: Request, scenario_id: int, dep_id: str, lang: str, plan: int | None = Query(None, ge=1),
               principal: Principal = Depends(require("case.read")), session: Session = Depends(db_session)):
    row, sc, view, generated, created = _letter_view(session, principal, scenario_id, dep_id, plan, lang)
    html = render_letter(sc, view, lang, generated, _contact(request, row, sc), pdf=True)
    return _pdf(html, f"Handover {view.id}", created, view.id, f"brief-{view.file_stem()}.{lang}.pdf")


def _pdf(html: str, title: str, created, footer: str, filename: str) -> Response:
    # The planner's PDF writer takes a path; a private temporary folder keeps nothing behind.
    with tempfile.TemporaryDirectory() as folder:
        path = html_to_pdf(html, Path(folder) / "document.pdf", title, created, footer)
        body = path.read_bytes()
    return Response(body, media_type="application/pdf",
                    headers={**_DOCUMENT_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'})
