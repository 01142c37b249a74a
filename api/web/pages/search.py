"""Search: /zoeken?q= finds departures by id or person reference, and escorts and medics by id or name.

For the case readers (``case.read``): a regievoerder finds only their own unit's departures, an
inspector every unit's. Escorts and medics are the organisation's, so both find every one; a
person links to their lane on the planning board of the newest import the reader sees (and to
their edit page for whoever may edit people). Removed personal data (storage limitation) is not
searched: a purged departure is found by nobody.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.outputs import derive

from ...auth import Principal, db_session, require
from ...authz import REGIE, allowed, sees_unit, write_permission
from ...models import BookRecord, ScenarioRow
from .. import data
from ..render import page
from .edit import edit_url

router = APIRouter(include_in_schema=False)

MIN_CHARS = 2  # a single character would list nearly everything
MAX_RESULTS = 50  # per group; the page says when there are more
PEOPLE_KINDS = {"escorts": "escort", "medics": "medicus"}


@dataclass
class DepartureHit:
    id: str
    unit: str
    ref: str
    kind: str
    status: str
    css: str
    href: str | None


@dataclass
class PersonHit:
    id: str
    name: str
    kind: str  # Dutch
    base: str
    board_href: str | None
    edit_href: str | None


def _newest_scenarios(session: Session, principal: Principal) -> dict[str, int]:
    """Per unit the reader sees: the id of its newest import (where a departure's page lives)."""
    newest: dict[str, int] = {}
    for sid, unit in session.execute(select(ScenarioRow.id, ScenarioRow.unit).order_by(ScenarioRow.id.desc())):
        if unit not in newest and sees_unit(principal.role, principal.unit, unit):
            newest[unit] = sid
    return newest


def _matches(needle: str, *texts) -> bool:
    return any(isinstance(t, str) and needle in t.casefold() for t in texts)


def find_departures(session: Session, principal: Principal, q: str,
                    scenarios: dict[str, int]) -> tuple[list[DepartureHit], int]:
    needle = q.casefold()
    query = select(BookRecord.key, BookRecord.unit, BookRecord.data).where(
        BookRecord.kind == "departures", BookRecord.purged_at.is_(None)).order_by(BookRecord.position)
    if principal.role == REGIE:
        query = query.where(BookRecord.unit == principal.unit)
    found = [(key, unit, doc) for key, unit, doc in session.execute(query)
             if sees_unit(principal.role, principal.unit, unit or "")
             and _matches(needle, key, ((doc or {}).get("person") or {}).get("ref"))]
    units = {unit for _k, unit, _d in found[:MAX_RESULTS]}
    plans = {unit: data.shown_plan(session, sid) for unit, sid in scenarios.items() if unit in units}
    entries = {unit: data.plan_entries(plan) for unit, plan in plans.items()}
    hits = []
    for key, unit, doc in found[:MAX_RESULTS]:
        sid = scenarios.get(unit)
        label, css = data.status_of((entries.get(unit) or {}).get(key), plans.get(unit))
        hits.append(DepartureHit(
            id=key, unit=unit or "", ref=((doc or {}).get("person") or {}).get("ref") or "",
            kind=derive.DEPARTURE_KIND.get((doc or {}).get("kind"), (doc or {}).get("kind") or ""),
            status=label, css=css,
            href=f"/scenarios/{sid}/departures/{quote(key)}" if sid is not None else None))
    return hits, len(found)


def find_people(session: Session, principal: Principal, q: str,
                scenarios: dict[str, int]) -> tuple[list[PersonHit], int]:
    needle = q.casefold()
    own = scenarios.get(principal.unit) if principal.unit else None
    board_sid = own if own is not None else (max(scenarios.values()) if scenarios else None)
    found = []
    for kind, key, doc in session.execute(
            select(BookRecord.kind, BookRecord.key, BookRecord.data)
            .where(BookRecord.kind.in_(tuple(PEOPLE_KINDS))).order_by(BookRecord.kind, BookRecord.position)):
        if _matches(needle, key, (doc or {}).get("name")):
            found.append((kind, key, doc or {}))
    hits = []
    for kind, key, doc in found[:MAX_RESULTS]:
        board = None
        if board_sid is not None:
            board = f"/scenarios/{board_sid}/board?" + urlencode({"persoon": key})
        edit = edit_url(board_sid, kind, key) if board_sid is not None and allowed(
            principal.role, write_permission(kind)) else None
        hits.append(PersonHit(id=key, name=str(doc.get("name") or ""), kind=PEOPLE_KINDS[kind],
                              base=str(doc.get("base") or ""), board_href=board, edit_href=edit))
    return hits, len(found)


@router.get("/zoeken")
def search_page(request: Request, q: str = Query("", max_length=100),
                principal: Principal = Depends(require("case.read")), session: Session = Depends(db_session)):
    q = q.strip()
    context: dict = {"q": q, "min_chars": MIN_CHARS, "searched": len(q) >= MIN_CHARS, "max_results": MAX_RESULTS}
    if context["searched"]:
        scenarios = _newest_scenarios(session, principal)
        context["departures"], context["departures_total"] = find_departures(session, principal, q, scenarios)
        context["people"], context["people_total"] = find_people(session, principal, q, scenarios)
        context["show_unit"] = principal.role != REGIE
    return page(request, "search.html", principal, **context)
