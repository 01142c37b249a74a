"""Scenarios as the routes and pages know them: an import into the planning book (api/book.py)
and the view of the book its unit plans. Uploads are read here; the book does the merging."""
from __future__ import annotations

from fastapi import Request, UploadFile
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from planner.errors import Problem, ScenarioError
from planner.limits import BAD_TEXT
from planner.loading.isolated import read_isolated
from planner.loading.reader import json_text, parse_json_text
from planner.scenario import Scenario, parse_scenario

from . import book
from .authz import CASE_KINDS
from .book import StaleWrite, id_field  # noqa: F401 (the routes' names for them)
from .models import BookRecord, ScenarioRow



def source_name(filename: str | None) -> str:
    """The uploaded file's name as stored (ScenarioRow.source is String(200)): printable, cut to fit."""
    name = BAD_TEXT.sub("", filename or "")
    return name if len(name) <= 200 else name[:199] + "…"


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


def planned_in_published(session: Session, unit: str) -> set[str]:
    """The unit's departures its published plan plans: an import without them keeps them."""
    from .publishing import published_plan

    plan = published_plan(session, unit)
    return {d["id"] for d in plan.document.get("departures", []) if d.get("planned")} if plan else set()


def preview(session: Session, doc: dict, unit: str) -> book.ImportPreview:
    return book.preview_import(session, doc, unit, planned_in_published(session, unit))


def import_scenario(session: Session, doc: dict, unit: str, actor: str, source: str = "",
                    confirm_identity: bool = False) -> ScenarioRow:
    """Merge a file into the planning book in the caller's transaction (nothing on error); the import."""
    row, _new = book.apply_import(session, preview(session, doc, unit), actor, source_name(source),
                                  confirm_identity)
    return row


def assemble(session: Session, scenario_id: int, replace: tuple[str, str, dict] | None = None) -> dict:
    """The scenario document an import's unit plans, optionally with one entity replaced."""
    return book.scenario_view(session, scenario_id, {(replace[0], replace[1]): replace[2]} if replace else None)


def load(session: Session, scenario_id: int) -> Scenario:
    return parse_scenario(assemble(session, scenario_id))


def get_record(session: Session, scenario_id: int, kind: str, key: str) -> BookRecord | None:
    """The entity as the import's unit sees it: shared resources, and only its own departures."""
    row = session.get(ScenarioRow, scenario_id)
    stored = book.record(session, kind, key)
    if row is None or stored is None or stored.purged_at is not None:
        return None
    if kind in CASE_KINDS and stored.unit != row.unit:
        return None
    return stored


def update_record(session: Session, scenario_id: int, kind: str, key: str, data: dict, expected_version: int,
                  actor: str) -> BookRecord:
    return book.update_record(session, scenario_id, kind, key, data, expected_version, actor)
