"""Editing the planning book from the pages: one record at a time (a departure, an escort or medic, a
vehicle, a reception, or any other record as JSON), a new departure, and the list of resources.

Every write goes through the book's services (``update_record``, ``add_record``): validated as a
whole by the planner's ``parse_scenario``, written with the version the form was made from (a stale
one is refused with the app's 412 page), and audited. A refused edit shows every problem on the
form itself, which keeps what was typed; nothing is stored. Permissions are those of the JSON API:
departures the unit's regievoerder, receptions the regievoerder and the planner-admin, everything
else the planner-admin.
"""
from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from planner.errors import Problem, ScenarioError
from planner.loading.reader import parse_json_text

from ... import book
from ... import scenarios as store
from ...auth import Principal, db_session, require
from ...authz import KINDS, REGIE, allowed, write_permission
from ...deps import expected_version, scenario_for
from ...models import BookRecord, ScenarioRow
from .. import data, recordforms
from ..problems_nl import dutch
from ..recordforms import FORM_KINDS, KIND_LABELS, FormState
from ..render import page
from .common import _see_other

router = APIRouter(include_in_schema=False)

JSON_FIELD = "Alle velden (JSON)"
SHOWN_KINDS = ("escorts", "medics", "vehicles", "reception", "airlines", "locations", "airports")  # not flights


def edit_url(scenario_id: int, kind: str, key: str) -> str:
    return f"/scenarios/{scenario_id}/{kind}/{quote(key, safe='')}/bewerken"


def _title(kind: str) -> str:
    label = KIND_LABELS.get(kind, kind)
    return label[:1].upper() + label[1:]


def _may_write(principal: Principal, kind: str) -> None:
    if kind not in KINDS:
        raise HTTPException(404, "Dit soort gegevens bestaat niet")
    permission = write_permission(kind)
    if not allowed(principal.role, permission):
        raise HTTPException(403, f"Geen toegang: rol '{principal.role}' mist recht '{permission}'")


def _target(session: Session, principal: Principal, scenario_id: int, kind: str, key: str):
    _may_write(principal, kind)
    row = scenario_for(session, principal, scenario_id)
    record = store.get_record(session, scenario_id, kind, key)
    if record is None:
        raise HTTPException(404, f"{_title(kind)} {key} bestaat niet in dit scenario")
    return row, record


def _problem_rows(problems: list[Problem], kind: str, key: str) -> list[dict]:
    rows = []
    for p in problems[:500]:  # a bounded page
        own = p.entity == kind and str(p.id) == key
        rows.append({"where": "" if own else f"{p.entity}[{p.id}]" if p.id is not None else p.entity,
                     "field": p.field, "value": _value(p.value), "expected": dutch(p.expected)[0],
                     "input": recordforms.input_for(str(p.field)) if own else None})
    return rows


def _value(value: Any) -> str:
    from . import _shown_value  # the problems page's rendering of a value: bounded, printable

    return "(leeg)" if value == "" else _shown_value(value)


def _render(request: Request, principal: Principal, row: ScenarioRow, record: BookRecord, state: FormState,
            json_text: str, problems: list[Problem] = (), mode: str = "", saved: int | None = None,
            sc=None):
    kind, key = record.kind, record.key
    status = 422 if problems else 200
    state.problems = [p for p in problems if p.entity == kind and str(p.id) == key]
    context: dict[str, Any] = {}
    if kind in ("escorts", "medics") and sc is not None:
        people = sc.escorts if kind == "escorts" else sc.medics
        context["known_skills"] = sorted({s for c in people.values() for s in c.skills}
                                         | ({s for d in sc.departures.values() if d.medical
                                             for s in d.medical.medic_skills} if kind == "medics" else set()))
    if kind == "departures":
        context["departure_url"] = f"/scenarios/{row.id}/departures/{quote(key, safe='')}"
    return page(request, "edit.html", principal, status_code=status, scenario=row, record=record, rec=record.data,
                kind=kind, key=key, kind_label=KIND_LABELS.get(kind, kind), kind_title=_title(kind), form_kind=kind in FORM_KINDS,
                state=state, v=state.values, json_text=json_text, problems=_problem_rows(list(problems), kind, key),
                mode=mode, saved=saved, action=edit_url(row.id, kind, key), weekdays=recordforms.WEEKDAYS,
                wheelchairs=recordforms.WHEELCHAIRS, medic_roles=recordforms.MEDIC_ROLES, json_field=JSON_FIELD,
                **context)


def _scenario(session: Session, row: ScenarioRow):
    try:
        return data.scenario(session, row)
    except ScenarioError:  # the book is valid by construction; the form still works in the home zone
        return None


@router.get("/scenarios/{scenario_id}/{kind}/{key}/bewerken")
def edit_page(request: Request, scenario_id: int, kind: str, key: str,
              opgeslagen: int | None = Query(None, ge=1, le=2**31 - 1),
              principal: Principal = Depends(require("scenario.read")), session: Session = Depends(db_session)):
    """The edit form of one record (departure, escort, medic, vehicle, reception; others as JSON)."""
    row, record = _target(session, principal, scenario_id, kind, key)
    sc = _scenario(session, row)
    state = recordforms.initial_state(sc, kind, record.data) if kind in FORM_KINDS else FormState({})
    saved = opgeslagen if opgeslagen is not None and opgeslagen <= record.version else None
    return _render(request, principal, row, record, state, recordforms.pretty(record.data), saved=saved, sc=sc)


@router.post("/scenarios/{scenario_id}/{kind}/{key}/bewerken")
async def edit_save(request: Request, scenario_id: int, kind: str, key: str,
                    principal: Principal = Depends(require("scenario.read")),
                    session: Session = Depends(db_session)):
    """Save the form (``modus=velden``) or the whole record as JSON (``modus=json``) of the version the
    form was made from (hidden field ``version``, or If-Match)."""
    _may_write(principal, kind)
    form = await request.form()  # already read for the CSRF check
    # Validating the unit's view parses the whole scenario: off the event loop.
    return await run_in_threadpool(_save, request, principal, session, scenario_id, kind, key, form)


def _form_version(form) -> int | None:
    text = str(form.get("version") or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise HTTPException(422, f"De versie in het formulier ({text[:20]!r}) is geen geheel getal.")
    return int(text)


def _save(request: Request, principal: Principal, session: Session, scenario_id: int, kind: str, key: str, form):
    version = expected_version(request, _form_version(form))
    mode = "json" if form.get("modus") == "json" or kind not in FORM_KINDS else "velden"
    with session.begin():
        row, record = _target(session, principal, scenario_id, kind, key)
        if record.version != version:
            raise book.StaleWrite(record.version)  # before reading the form: its base is gone
        sc = _scenario(session, row)
        stored = copy.deepcopy(record.data)
        if mode == "json":
            json_text = str(form.get("json") or "")
            state = recordforms.initial_state(sc, kind, stored) if kind in FORM_KINDS else FormState({})
            new, problems = _json_record(json_text, kind, key)
        else:
            state = recordforms.submitted_state(sc, kind, stored, form)
            json_text = recordforms.pretty(stored)
            new, problems = recordforms.record_from(kind, key, stored, state)
        if not problems:
            try:
                saved = store.update_record(session, scenario_id, kind, key, new, version, principal.username)
            except ScenarioError as exc:
                problems = exc.problems  # update_record validates before it writes: nothing stored
            except KeyError:
                raise HTTPException(404, f"{_title(kind)} {key} bestaat niet in dit scenario")
            else:
                return _see_other(edit_url(scenario_id, kind, key) + f"?opgeslagen={saved.version}")
    return _render(request, principal, row, record, state, json_text, problems, mode, sc=sc)


def _json_record(text: str, kind: str, key: str) -> tuple[dict, list[Problem]]:
    """The textarea's record: strict JSON (the upload reader's rules), an object."""
    if not text.strip():
        return {}, [Problem(kind, key, JSON_FIELD, "", "het hele record als JSON-object")]
    try:
        value = parse_json_text(text, JSON_FIELD)
    except ScenarioError as exc:
        return {}, exc.problems
    if not isinstance(value, dict):
        return {}, [Problem(kind, key, JSON_FIELD, type(value).__name__, "een JSON-object { ... }")]
    return value, []


# --- A new departure ---------------------------------------------------------------------------

def suggest_id(session: Session, template: str) -> str:
    """An id for a new departure, new to the whole book: the template's number raised past every id
    with its prefix (BV-2026-0012 -> BV-2026-0013 when 0012 is the highest)."""
    taken = set(session.scalars(select(BookRecord.key).where(BookRecord.kind == "departures")))
    match = re.fullmatch(r"(.*?)(\d+)", template)
    if match:
        prefix, digits = match.groups()
        numbers = [int(k[len(prefix):]) for k in taken if k.startswith(prefix) and k[len(prefix):].isdigit()]
        n = max(numbers, default=int(digits)) + 1
        candidate = f"{prefix}{n:0{len(digits)}d}"
    else:
        n, candidate = 2, f"{template}-2"
    while candidate in taken or len(candidate) > 64:
        n += 1
        candidate = f"{prefix}{n:0{len(digits)}d}" if match else f"{template[:50]}-{n}"
    return candidate


def _template(session: Session, row: ScenarioRow) -> dict:
    """A new departure to start from: a copy of the unit's first departure, without its family."""
    keys = book.unit_departures(session, row.unit)
    record = store.get_record(session, row.id, "departures", keys[0]) if keys else None
    if record is not None:
        doc = copy.deepcopy(record.data)
        doc.pop("family_group", None)
        doc["id"] = suggest_id(session, record.key)
        return doc
    header = row.header or {}
    start, end = (header.get("horizon") or ["2026-12-01T00:00:00+01:00", "2026-12-29T00:00:00+01:00"])[:2]
    return {"id": suggest_id(session, "BV-0001"), "kind": "other", "person": {"ref": "P-0001", "sex": "X"},
            "priority": 3, "risk": "low", "pickup": {"location": "", "window": [start, end]}, "ready_from": start,
            "deadline": end, "destination_country": "", "destination_airports": [], "reception": "",
            "travel_document": {"kind": "laissez-passer", "valid_from": start[:10], "valid_until": end[:10]}}


def _new_page(request: Request, principal: Principal, row: ScenarioRow, new_id: str, json_text: str,
              problems: list[Problem] = ()):
    return page(request, "departure_new.html", principal, status_code=422 if problems else 200, scenario=row,
                new_id=new_id, json_text=json_text, json_field=JSON_FIELD,
                problems=_problem_rows(list(problems), "departures", new_id))


@router.get("/scenarios/{scenario_id}/departures/nieuw")
def new_departure_page(request: Request, scenario_id: int, principal: Principal = Depends(require("case.write")),
                       session: Session = Depends(db_session)):
    row = scenario_for(session, principal, scenario_id)
    doc = _template(session, row)
    return _new_page(request, principal, row, doc["id"], recordforms.pretty(doc))


@router.post("/scenarios/{scenario_id}/departures/nieuw")
async def new_departure_save(request: Request, scenario_id: int, principal: Principal = Depends(require("case.write")),
                             session: Session = Depends(db_session)):
    form = await request.form()
    return await run_in_threadpool(_add, request, principal, session, scenario_id, form)


def _add(request: Request, principal: Principal, session: Session, scenario_id: int, form):
    new_id = str(form.get("id") or "").strip()
    json_text = str(form.get("json") or "")
    with session.begin():
        row = scenario_for(session, principal, scenario_id)
        doc, problems = _json_record(json_text, "departures", new_id)
        if not problems:
            if new_id:
                doc["id"] = new_id  # the id field wins over the JSON's
            new_id = str(doc.get("id") or "")
            try:
                book.add_record(session, scenario_id, "departures", doc, principal.username)
            except ScenarioError as exc:
                problems = exc.problems  # validated before anything is written
            else:
                return _see_other(f"/scenarios/{scenario_id}/departures/{quote(new_id, safe='')}")
    return _new_page(request, principal, row, new_id, json_text, problems)


# --- The resources of the book, with links to edit them ----------------------------------------

@router.get("/middelen")
def resources_home(request: Request, principal: Principal = Depends(require("resource.read")),
                   session: Session = Depends(db_session)):
    """The resources as seen from the newest scenario the user may see (they are the organisation's)."""
    query = select(ScenarioRow).order_by(ScenarioRow.id.desc()).limit(1)
    if principal.role == REGIE:
        query = query.where(ScenarioRow.unit == principal.unit)
    row = session.scalar(query)
    if row is None:
        return page(request, "resources.html", principal, scenario=None, groups=[])
    return _see_other(f"/scenarios/{row.id}/middelen")


@router.get("/scenarios/{scenario_id}/middelen")
def resources_page(request: Request, scenario_id: int, principal: Principal = Depends(require("resource.read")),
                   session: Session = Depends(db_session)):
    """Escorts, medics, vehicles and receptions (and the smaller reference lists), with edit links."""
    row = scenario_for(session, principal, scenario_id)
    records = session.execute(select(BookRecord.kind, BookRecord.key, BookRecord.version, BookRecord.data)
                              .where(BookRecord.kind.in_(SHOWN_KINDS), BookRecord.purged_at.is_(None))
                              .order_by(BookRecord.kind, BookRecord.position)).all()
    groups = []
    for kind in SHOWN_KINDS:
        may = allowed(principal.role, write_permission(kind))
        items = [{"key": key, "version": version, "name": _label(kind, d),
                  "href": edit_url(row.id, kind, key) if may else None}
                 for k, key, version, d in records if k == kind]
        groups.append({"kind": kind, "label": KIND_LABELS[kind], "records": items})
    return page(request, "resources.html", principal, scenario=row, groups=groups)


def _label(kind: str, d: dict) -> str:
    if kind in ("escorts", "medics"):
        return f"{d.get('name', '')} · standplaats {d.get('base', '')}"
    if kind == "vehicles":
        return f"{d.get('kind', '')} · {d.get('seats', '?')} plaatsen{' · brancard' if d.get('stretcher') else ''}"
    if kind == "reception":
        state = "bevestigd" if d.get("confirmed") else "niet bevestigd"
        return f"{d.get('name', '')} · {d.get('airport', '')} · {state}"
    if kind == "airports":
        return str(d.get("timezone", ""))
    return str(d.get("name", ""))
