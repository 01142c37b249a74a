"""Small shared pieces of the routes: scenario lookup with unit scope, ETag handling."""
from __future__ import annotations

import re

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from .auth import Principal
from .authz import sees_unit
from .models import ScenarioRow


def scenario_for(session: Session, principal: Principal, scenario_id: int) -> ScenarioRow:
    """The scenario if this principal may see it; 404 otherwise (existence is not disclosed)."""
    row = session.get(ScenarioRow, scenario_id)
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
