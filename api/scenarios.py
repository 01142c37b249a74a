"""Scenarios in the database: import (all or nothing), read back, and edit one entity at a time.

The scenario document is split into a header and one row per entity; ``assemble`` puts the
same document back together for the planner. Every write validates the whole resulting
scenario with the planner's own ``parse_scenario``, so the service accepts exactly what the
CLI accepts and rejects it with the same messages.
"""
from __future__ import annotations

from typing import Any

from fastapi import Request, UploadFile
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from planner.errors import Problem, ScenarioError
from planner.limits import BAD_TEXT
from planner.loading.isolated import read_isolated
from planner.loading.reader import json_text, parse_json_text
from planner.scenario import Scenario, parse_scenario

from . import audit
from .authz import KINDS
from .models import Record, ScenarioRow, utcnow

HEADER_FIELDS = ("format", "name", "planning_time", "horizon", "parameters")


class StaleWrite(Exception):
    """The caller edited an older version than the stored one (HTTP 412)."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        super().__init__(f"stale write: the stored version is {current_version}")


def id_field(kind: str) -> str:
    return "iata" if kind == "airports" else "code" if kind == "airlines" else "id"


async def read_upload(file: UploadFile) -> dict:
    """The scenario document of an uploaded JSON or Excel file; ScenarioError if unreadable.

    The planner's one reader runs in a child process with a memory ceiling and a time limit,
    called from a worker thread: a hostile workbook never blocks the event loop (other requests,
    feeds and pages keep answering) and never exhausts the service's memory."""
    content = await file.read()
    return await run_in_threadpool(read_isolated, content, file.filename or "")


async def json_body(request: Request) -> dict:
    """A request's JSON object, read as strictly as an uploaded file (the same reader): no NaN or
    Infinity, no duplicate keys, bounded nesting and numbers. ScenarioError (422) otherwise."""
    content = await request.body()
    doc = await run_in_threadpool(lambda: parse_json_text(json_text(content, "request body"), "request body"))
    if not isinstance(doc, dict):
        raise ScenarioError([Problem("request", None, "body", type(doc).__name__, "a JSON object")])
    return doc


def source_name(filename: str | None) -> str:
    """The uploaded file's name as stored (ScenarioRow.source is String(200)): printable, cut to fit."""
    name = BAD_TEXT.sub("", filename or "")
    return name if len(name) <= 200 else name[:199] + "…"


def import_scenario(session: Session, doc: dict, unit: str, actor: str, source: str = "") -> ScenarioRow:
    """Validate, then store the whole scenario in the caller's transaction (nothing on error)."""
    parse_scenario(doc)  # raises ScenarioError listing every problem; nothing is written before this
    header = {k: doc[k] for k in doc if k not in KINDS}
    source = source_name(source)
    row = ScenarioRow(unit=unit, name=str(doc.get("name") or source or "scenario"), header=header,
                      created_by=actor, source=source)
    session.add(row)
    session.flush()
    now = utcnow()
    rows = [
        {"scenario_id": row.id, "kind": kind, "key": str(item[id_field(kind)]), "position": position,
         "data": item, "version": 1, "updated_at": now, "updated_by": actor}
        for kind in KINDS for position, item in enumerate(doc.get(kind) or [])
    ]
    if rows:
        session.execute(insert(Record), rows)  # one executemany: the eu scenario has ~20k rows
    audit.record(session, actor, "scenario.import", "scenario", row.id, name=row.name, unit=unit, source=source,
                 counts={k: len(doc.get(k) or []) for k in KINDS})
    return row


def assemble(session: Session, scenario_id: int, replace: tuple[str, str, dict] | None = None) -> dict:
    """The scenario document as stored, optionally with one entity replaced (for validation)."""
    row = session.get(ScenarioRow, scenario_id)
    if row is None:
        raise KeyError(scenario_id)
    doc: dict[str, Any] = dict(row.header)
    for kind in KINDS:
        if kind != "airports":  # the one optional list
            doc.setdefault(kind, [])
    records = session.execute(select(Record.kind, Record.key, Record.data).where(Record.scenario_id == scenario_id)
                              .order_by(Record.kind, Record.position))
    for kind, key, data in records:
        if replace and replace[0] == kind and replace[1] == key:
            data = replace[2]
        doc.setdefault(kind, []).append(data)
    return doc


def load(session: Session, scenario_id: int) -> Scenario:
    return parse_scenario(assemble(session, scenario_id))


def get_record(session: Session, scenario_id: int, kind: str, key: str) -> Record | None:
    return session.scalar(select(Record).where(Record.scenario_id == scenario_id, Record.kind == kind,
                                               Record.key == key))


def update_record(session: Session, scenario_id: int, kind: str, key: str, data: dict, expected_version: int,
                  actor: str) -> Record:
    """Replace one entity if the caller saw the current version; the whole scenario must stay valid."""
    record = get_record(session, scenario_id, kind, key)
    if record is None:
        raise KeyError(key)
    if record.version != expected_version:
        raise StaleWrite(record.version)
    if str(data.get(id_field(kind))) != key:
        raise ScenarioError([Problem(kind, key, id_field(kind), data.get(id_field(kind)),
                                     f"the same id as the record edited ({key}); ids cannot be renamed")])
    parse_scenario(assemble(session, scenario_id, replace=(kind, key, data)))
    before = record.data
    # Compare-and-set on the version in SQL, so two concurrent writers cannot both pass the check.
    done = session.execute(update(Record).where(Record.id == record.id, Record.version == expected_version)
                           .values(data=data, version=expected_version + 1, updated_at=utcnow(), updated_by=actor))
    if done.rowcount != 1:
        session.rollback()
        raise StaleWrite(expected_version + 1)
    session.execute(update(ScenarioRow).where(ScenarioRow.id == scenario_id)
                    .values(version=ScenarioRow.version + 1))
    audit.record(session, actor, f"{kind}.update", kind, f"{scenario_id}/{key}",
                 changed=sorted(k for k in set(before) | set(data) if before.get(k) != data.get(k)),
                 version=expected_version + 1)
    session.refresh(record)
    return record
