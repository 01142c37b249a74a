"""Small shared pieces of the routes: scenario lookup with unit scope, ETag handling."""
from __future__ import annotations

import re

from typing import Annotated

from fastapi import Header, HTTPException, Path, Request
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


def hidden(what: str) -> HTTPException:
    """The one 404 for "does not exist" and "not yours": the same status and body either way, naming
    neither the id asked for nor anything about the hidden object (such as its scenario)."""
    return HTTPException(404, f"{what} bestaat niet of is niet van uw eenheid")


def scenario_for(session: Session, principal: Principal, scenario_id: int, what: str = "Dit scenario") -> ScenarioRow:
    """The scenario if this principal may see it; ``hidden(what)`` otherwise (existence is not disclosed).
    ``what`` names the object asked for when the scenario is reached through it (a plan, a job)."""
    row = row_by_id(session, ScenarioRow, scenario_id)
    if row is None or not sees_unit(principal.role, principal.unit, row.unit):
        raise hidden(what)
    return row


def etag_of(version: int) -> str:
    return f'"v{version}"'


ETAG_PATTERN = r'^\s*(W/)?"v\d+"\s*$'
_IF_MATCH = re.compile(r'^\s*(?:W/)?"v(\d+)"\s*$')
# Declares in the OpenAPI document what ``expected_version`` reads (FastAPI checks the pattern);
# optional there, because a missing one is answered 428, not 422.
IfMatch = Annotated[str | None, Header(alias="If-Match", pattern=ETAG_PATTERN,
                                       description='The ETag of the version you edited, e.g. "v3"; '
                                                   'without it: 428')]
# A person's or vehicle's calendar/contact key, as the routes that take one in the path check it.
PERSON_OWNER = r"^(escort|medic|vehicle):.*\S.*$"
PersonOwner = Annotated[str, Path(pattern=PERSON_OWNER, description="escort:<id>, medic:<id> or vehicle:<id>")]


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
