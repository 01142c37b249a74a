"""Small shared pieces of the routes: scenario lookup with unit scope, ETag handling."""
from __future__ import annotations

import re

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from .auth import Principal
from .authz import sees_unit
from .models import ScenarioRow

# Statuses for the OpenAPI document, so every status a route can answer is declared.
PROTECTED = {401: {"description": "Not logged in"},
             403: {"description": "The role lacks the permission, or the CSRF token is missing or wrong"}}
NOT_FOUND = {404: {"description": "Does not exist, or belongs to another unit"}}
UNREADABLE = {400: {"description": "The request body could not be read (e.g. not UTF-8)"}}

MAX_ID = 2**31 - 1  # ids are INTEGER columns; SQLite cannot even bind an int beyond 64 bits


def row_by_id(session: Session, model, row_id: int):
    """``session.get``, but None for an id no row can have (instead of an OverflowError: 500)."""
    return session.get(model, row_id) if 0 < row_id <= MAX_ID else None


def scenario_for(session: Session, principal: Principal, scenario_id: int) -> ScenarioRow:
    """The scenario if this principal may see it; 404 otherwise (existence is not disclosed)."""
    row = row_by_id(session, ScenarioRow, scenario_id)
    if row is None or not sees_unit(principal.role, principal.unit, row.unit):
        raise HTTPException(404, f"Scenario {scenario_id} bestaat niet of is niet van uw eenheid")
    return row


def etag_of(version: int) -> str:
    return f'"v{version}"'


_IF_MATCH = re.compile(r'^\s*(?:W/)?"v(\d+)"\s*$')


def expected_version(request: Request, form_version: int | None = None) -> int:
    """The version the client edited: If-Match (API) or a form's hidden version field (pages)."""
    header = request.headers.get("if-match")
    if header is None:
        if form_version is not None:
            return form_version
        raise HTTPException(428, 'If-Match ontbreekt: stuur de ETag van de versie die u bewerkte (bijv. "v3")')
    match = _IF_MATCH.match(header)
    if not match:
        raise HTTPException(412, f"If-Match {header!r} is geen ETag van deze dienst (verwacht bijv. \"v3\")")
    return int(match.group(1))
