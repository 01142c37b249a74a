"""Changing the plan a little: disruptions recorded in the book, a departure added, and the planner's
recommended fits for one departure (each a draft that only adds it)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from .. import book, jobs, recommending
from .. import disruptions as recorded
from .. import scenarios as store
from ..auth import Principal, db_session, require
from ..deps import NOT_FOUND, PROTECTED, UNREADABLE, etag_of, scenario_for
from ..schemas import ImportPreviewOut, RecordOut, RequestInvalid, ValidationFailure
from .scenarios import record_out

router = APIRouter(prefix="/api/scenarios", tags=["book"], responses=PROTECTED)
imports = APIRouter(prefix="/api/book", tags=["book"], responses=PROTECTED)
INVALID = {422: {"model": ValidationFailure | RequestInvalid, "description": "The change breaks a validation rule"}}


@imports.post("/preview", response_model=ImportPreviewOut,
              responses={**INVALID, **UNREADABLE, 413: {"description": "Larger than MAX_REQUEST_BYTES"}})
async def preview_import(file: UploadFile = File(..., description="the scenario file to preview"),
                         principal: Principal = Depends(require("scenario.import")),
                         session: Session = Depends(db_session)):
    """What importing the file (``POST /api/scenarios``) would add, change and remove in the planning
    book, per entity and field; nothing is written. Pass the answer's ``revision`` to the import to
    apply exactly what was previewed."""
    doc = await store.read_upload(file)
    preview = store.preview(session, doc, principal.unit or "")
    return ImportPreviewOut(revision=book.revision(session), **preview.as_dict())


class DisruptionsOut(BaseModel):
    changed: list[str] = Field(description="the book's records written, as kind/id")
    affected: list[dict[str, Any]] = Field(description="planned departures of every unit's published plan that use "
                                                       "what the disruptions touch: {departure, unit, plan_id, why}")
    job_id: int | None = Field(None, description="the re-plan started for this unit (replan=true)")


class RecordedOut(BaseModel):
    at: datetime
    actor: str
    scenario_id: int
    kinds: list[str]
    changed: list[str]
    affected: list[str]


@router.get("/{scenario_id}/disruptions", response_model=list[RecordedOut], responses=NOT_FOUND)
def list_disruptions(scenario_id: int, principal: Principal = Depends(require("solve.read")),
                     session: Session = Depends(db_session)):
    """The disruptions the import's unit recorded, newest first (from the audit log)."""
    row = scenario_for(session, principal, scenario_id)
    return [RecordedOut(at=e.at, actor=e.actor, scenario_id=int(e.entity_id), kinds=e.detail.get("kinds", []),
                        changed=e.detail.get("changed", []), affected=e.detail.get("affected", []))
            for e in recorded.recorded_for(session, row.unit)]


@router.post("/{scenario_id}/disruptions", response_model=DisruptionsOut,
             responses={**NOT_FOUND, **INVALID, **UNREADABLE},
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "description": "a vertrekplanner/disruptions@1 document"}}}}})
def record_disruptions(scenario_id: int, replan: bool = Query(True, description="start a re-plan of this unit"),
                       time_limit: float = Query(30.0, ge=1, le=3600),
                       principal: Principal = Depends(require("disruption.record")),
                       doc: dict[str, Any] = Depends(store.json_body), session: Session = Depends(db_session)):
    """Apply a disruptions document (the spec's format) to the planning book, all or nothing, and by
    default start a re-plan against the unit's published plan (with its planning_time, if given)."""
    with session.begin():
        scenario_for(session, principal, scenario_id)
        done = recorded.record(session, scenario_id, doc, principal.username)
        job_id = None
        if replan:
            options = {"time_limit": time_limit}
            if done.planning_time:
                options["planning_time"] = done.planning_time
            job_id = jobs.start_job(session, scenario_id, principal.username, options).id
    return DisruptionsOut(changed=done.changed, affected=[a.as_dict() for a in done.affected], job_id=job_id)


@router.post("/{scenario_id}/departures", response_model=RecordOut, status_code=201,
             responses={**NOT_FOUND, **INVALID, **UNREADABLE},
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "description": "a departure as in the scenario format"}}}}})
def add_departure(scenario_id: int, response: Response, principal: Principal = Depends(require("case.write")),
                  data: dict[str, Any] = Depends(store.json_body), session: Session = Depends(db_session)):
    """A new departure of the import's unit, validated like an import (its id new to the whole book)."""
    with session.begin():
        scenario_for(session, principal, scenario_id)
        record = book.add_record(session, scenario_id, "departures", data, principal.username)
    response.headers["ETag"] = etag_of(record.version)
    return record_out(record)


class OptionsOut(BaseModel):
    departure: str
    members: list[str]
    base_plan: int | None = Field(description="the published plan the options fit into")
    already_planned: bool
    seconds: float
    options: list[dict[str, Any]] = Field(description="ranked: flights, route, pickup, handover, team, medic, "
                                                      "vehicle, waiting hours, cost")
    reasons_nl: list[str]
    reasons: list[str]


@router.get("/{scenario_id}/departures/{departure}/options", response_model=OptionsOut, responses=NOT_FOUND)
def fit_options(scenario_id: int, departure: str, top: int = Query(5, ge=1, le=10),
                principal: Principal = Depends(require("plan.read")), session: Session = Depends(db_session)):
    """The best ways to plan one departure into the unit's published plan without moving anything else."""
    scenario_for(session, principal, scenario_id)
    try:
        found = recommending.options(session, scenario_id, departure, top)
    except KeyError:
        raise HTTPException(404, f"Vertrek {departure} bestaat niet of is niet van uw eenheid")
    return OptionsOut(departure=found.departure, members=found.members, base_plan=found.base_plan,
                      already_planned=found.already_planned, seconds=found.seconds, options=found.options,
                      reasons_nl=found.reasons_nl, reasons=found.reasons)


class ChosenOut(BaseModel):
    plan_id: int
    against: int | None


@router.post("/{scenario_id}/departures/{departure}/options/{rank}", response_model=ChosenOut, status_code=201,
             responses={**NOT_FOUND, 409: {"description": "No such option (any more)"}})
def choose_option(scenario_id: int, departure: str, rank: int, request: Request,
                  principal: Principal = Depends(require("solve.run")), session: Session = Depends(db_session)):
    """A draft plan that only adds option ``rank`` for this departure, ready for review and publishing."""
    with session.begin():
        scenario_for(session, principal, scenario_id)
        try:
            row = recommending.choose(session, scenario_id, departure, rank, principal.username)
        except KeyError:
            raise HTTPException(404, f"Vertrek {departure} bestaat niet of is niet van uw eenheid")
        except IndexError:
            raise HTTPException(409, f"Optie {rank} is er (niet meer); vraag de opties opnieuw op")
    return ChosenOut(plan_id=row.id, against=row.summary.get("against"))
