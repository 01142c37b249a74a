"""Scenarios: imports into the planning book (preview, then all or nothing), the unit's view of the
book, and edits of one entity with If-Match."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import book
from .. import scenarios as store
from ..auth import Principal, db_session, require
from ..authz import REGIE, read_permission, write_permission, allowed
from ..deps import NOT_FOUND, PROTECTED, UNREADABLE, IfMatch, etag_of, expected_version, scenario_for
from ..authz import CASE_KINDS
from ..models import BookRecord, ScenarioRow
from ..schemas import Kind, RecordOut, RequestInvalid, ScenarioOut, ValidationFailure

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
router = APIRouter(prefix="/api/scenarios", tags=["scenarios"], responses=PROTECTED)
INVALID = {422: {"model": ValidationFailure | RequestInvalid,
                 "description": "The scenario breaks a validation rule, or the request does not fit its parameters"}}


def _in_view(row: ScenarioRow):
    """The book's records an import's unit sees: every shared resource and its own departures."""
    return ((BookRecord.kind.not_in(CASE_KINDS)) | (BookRecord.unit == row.unit)) & BookRecord.purged_at.is_(None)


def scenario_out(session: Session, row: ScenarioRow) -> ScenarioOut:
    counts = dict(session.execute(select(BookRecord.kind, func.count()).where(_in_view(row))
                                  .group_by(BookRecord.kind)).all())
    return ScenarioOut(id=row.id, name=row.name, unit=row.unit, version=book.revision(session),
                       created_at=row.created_at, created_by=row.created_by, source=row.source,
                       planning_time=row.header.get("planning_time"), counts=counts, changes=row.changes or {})


def record_out(record: BookRecord) -> RecordOut:
    return RecordOut(kind=record.kind, key=record.key, version=record.version, data=record.data,
                     updated_at=record.updated_at, updated_by=record.updated_by)


@router.get("", response_model=list[ScenarioOut])
def list_scenarios(principal: Principal = Depends(require("scenario.read")), session: Session = Depends(db_session)):
    query = select(ScenarioRow).order_by(ScenarioRow.id.desc())
    if principal.role == REGIE:
        query = query.where(ScenarioRow.unit == principal.unit)
    return [scenario_out(session, row) for row in session.scalars(query)]


@router.post("", response_model=ScenarioOut, status_code=201,
             responses={**INVALID, **UNREADABLE, 413: {"description": "Larger than MAX_REQUEST_BYTES"}},
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"encoding": {"file": {
                 "contentType": f"application/json, {XLSX}"}}}}}})
async def import_scenario(file: UploadFile = File(..., description="the scenario: a JSON document or an Excel "
                                                                   "workbook (.xlsx) of the planner's template"),
                          revision: int | None = Query(None, ge=0, description="the book revision you previewed: "
                                                       "412 if the book changed since"),
                          confirm_identity: bool = Query(False, description="take the new name, sex or base of "
                                                         "known people the preview listed"),
                          principal: Principal = Depends(require("scenario.import")),
                          session: Session = Depends(db_session)):
    """Merge the file into the planning book: all of it or nothing. The same file twice changes nothing
    and answers the same scenario. 409 if it renames a known person (or changes their sex or base)
    without ``confirm_identity``."""
    doc = await store.read_upload(file)  # parsed off the event loop, in a child process
    with session.begin():
        if revision is not None and revision != book.revision(session):
            raise HTTPException(412, f"Het planningsboek is gewijzigd sinds de voorvertoning (revisie {revision}, "
                                     f"nu {book.revision(session)}); bekijk de voorvertoning opnieuw")
        try:
            row = store.import_scenario(session, doc, principal.unit or "", principal.username, file.filename or "",
                                        confirm_identity)
        except book.IdentityUnconfirmed as exc:
            raise HTTPException(409, {"message": str(exc), "identity_changes": [c.as_dict() for c in exc.changes]})
    return scenario_out(session, row)


@router.get("/{scenario_id}", response_model=ScenarioOut, responses=NOT_FOUND)
def get_scenario(scenario_id: int, principal: Principal = Depends(require("scenario.read")),
                 session: Session = Depends(db_session)):
    return scenario_out(session, scenario_for(session, principal, scenario_id))


def _may(principal: Principal, permission: str) -> None:
    if not allowed(principal.role, permission):
        raise HTTPException(403, f"Geen toegang: rol '{principal.role}' mist recht '{permission}'")


@router.get("/{scenario_id}/{kind}", response_model=list[RecordOut], responses=NOT_FOUND)
def list_records(scenario_id: int, kind: Kind, principal: Principal = Depends(require("scenario.read")),
                 session: Session = Depends(db_session)):
    _may(principal, read_permission(kind))
    row = scenario_for(session, principal, scenario_id)
    rows = session.scalars(select(BookRecord).where(_in_view(row), BookRecord.kind == kind)
                           .order_by(BookRecord.position))
    return [record_out(r) for r in rows]


@router.get("/{scenario_id}/{kind}/{key}", response_model=RecordOut, responses=NOT_FOUND)
def get_record(scenario_id: int, kind: Kind, key: str, response: Response,
               principal: Principal = Depends(require("scenario.read")), session: Session = Depends(db_session)):
    _may(principal, read_permission(kind))
    scenario_for(session, principal, scenario_id)
    record = store.get_record(session, scenario_id, kind, key)
    if record is None:
        raise HTTPException(404, f"{kind}[{key}] bestaat niet in scenario {scenario_id}")
    response.headers["ETag"] = etag_of(record.version)
    return record_out(record)


@router.put("/{scenario_id}/{kind}/{key}", response_model=RecordOut,
            responses={**INVALID, **NOT_FOUND, **UNREADABLE,
                       412: {"description": "Stale write: someone changed it first"},
                       428: {"description": "If-Match missing"}},
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "description": "the whole record, its id unchanged"}}}}})
def put_record(scenario_id: int, kind: Kind, key: str, request: Request, response: Response, if_match: IfMatch = None,
               principal: Principal = Depends(require("scenario.read")),
               data: dict[str, Any] = Depends(store.json_body),  # after the login check: strict JSON, like uploads
               session: Session = Depends(db_session)):
    _may(principal, write_permission(kind))
    version = expected_version(request)
    with session.begin():
        scenario_for(session, principal, scenario_id)
        try:
            record = store.update_record(session, scenario_id, kind, key, data, version, principal.username)
        except KeyError:
            raise HTTPException(404, f"{kind}[{key}] bestaat niet in scenario {scenario_id}")
    response.headers["ETag"] = etag_of(record.version)
    return record_out(record)
