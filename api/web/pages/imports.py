"""Importing a file into the planning book from the pages: a preview first, then "Toepassen".

``POST /scenarios/import/preview`` reads the upload (the API's reader, in a child process), asks the
book what importing it would do (``api.scenarios.preview``: per entity kind what it adds, changes
and removes, the departures kept because a published plan plans them, and the identity changes
of known people) and keeps the document on the server, in ``<data_dir>/imports/<token>.json``,
bound to the user and unit, for an hour. The page carries only the token and the previewed book
revision; the browser never sends the document back, so what is applied is what was previewed.

``POST /scenarios/import`` with that token applies it: in one transaction the preview is computed
again, and if the book (or what the preview says) changed since, nothing is applied and the new
preview is shown with a notice; an identity change is applied only when its own checkbox is ticked.
The same file twice previews as "Geen wijzigingen" and applying it leads to the existing scenario.
A file posted straight to ``POST /scenarios/import`` (no preview) is imported as before, unless it
changes a known person's identity: then its preview is shown to confirm that.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import book
from ... import scenarios as store
from ...auth import Principal, db_session, require
from ...authz import KINDS
from ...models import BookRecord, ScenarioRow
from ..render import page
from .common import _see_other

router = APIRouter(include_in_schema=False)

KEEP_SECONDS = 3600  # a preview not applied within the hour is forgotten
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
SHOWN_PER_LIST = 100  # ids per kind and action on the page: a first import of the eu scenario adds 9,000
SHOWN_FIELDS = 30  # changed (sub)fields per record
SHOWN_CHARS = 200

KIND_LABELS = {"departures": "Vertrekken", "airlines": "Luchtvaartmaatschappijen", "flights": "Vluchten",
               "locations": "Locaties", "vehicles": "Voertuigen", "escorts": "Escorts", "medics": "Medici",
               "reception": "Opvang", "airports": "Luchthavens"}
KIND_SINGULAR = {"departures": "vertrek", "airlines": "luchtvaartmaatschappij", "flights": "vlucht",
                 "locations": "locatie", "vehicles": "voertuig", "escorts": "escort", "medics": "medicus",
                 "reception": "opvang", "airports": "luchthaven"}
IDENTITY_LABELS = {"name": "naam", "sex": "sekse", "base": "standplaats"}
_MISSING = object()


# --- The previewed document, kept on the server ---------------------------------------------------

def _folder(request: Request) -> Path:
    folder = Path(request.app.state.settings.data_dir) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _forget_old(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:  # another request removed it first
            pass


def _digest(preview: book.ImportPreview) -> str:
    """What the preview says, as one value: applying checks that it still says exactly this."""
    text = json.dumps(preview.as_dict(), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _write(path: Path, content: dict, new: bool) -> None:
    data = json.dumps(content, ensure_ascii=False).encode()
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if new else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)  # case data: readable by the service alone
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _keep(request: Request, principal: Principal, doc: dict, source: str, revision: int,
          preview: book.ImportPreview) -> str:
    folder = _folder(request)
    _forget_old(folder)
    token = secrets.token_urlsafe(24)
    _write(folder / f"{token}.json", {"user": principal.username, "unit": principal.unit or "", "source": source,
                                      "revision": revision, "digest": _digest(preview), "doc": doc}, new=True)
    return token


def _kept(request: Request, principal: Principal, token: str) -> tuple[Path, dict]:
    gone = HTTPException(404, "Deze voorvertoning bestaat niet (meer): ze is al toegepast, of ouder dan een uur. "
                              "Kies het bestand opnieuw op het overzicht.")
    if not TOKEN.fullmatch(token or ""):
        raise gone
    folder = _folder(request)
    _forget_old(folder)
    path = folder / f"{token}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        raise gone
    if stored.get("user") != principal.username or stored.get("unit") != (principal.unit or ""):
        raise gone  # another user's preview is not there for this one
    return path, stored


def _drop(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# --- What the page shows ---------------------------------------------------------------------------

def _text(value) -> str:
    if value is _MISSING or value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def field_changes(before, after, path: str = "") -> list[tuple[str, str, str]]:
    """(field, before, after) of every value that differs, nested objects down to their own fields
    ("travel_document.valid_until"), lists and values as a whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after), key=str):
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if old != new:
                out += field_changes(old, new, f"{path}.{key}" if path else str(key))
        return out
    return [(path, _text(before), _text(after))]


def _records(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = {}
    for kind in {k for k, _ in keys}:
        wanted = [key for k, key in keys if k == kind]
        for i in range(0, len(wanted), 500):
            out.update({(kind, key): data for key, data in session.execute(
                select(BookRecord.key, BookRecord.data).where(BookRecord.kind == kind,
                                                              BookRecord.key.in_(wanted[i:i + 500])))})
    return out


def _view(session: Session, preview: book.ImportPreview) -> dict:
    """The preview per entity kind, in the book's order of kinds, bounded for the page."""
    incoming = {(k, str(item[book.id_field(k)])): item for k in KINDS for item in preview.doc.get(k) or []}
    changed: dict[str, list] = {}
    for c in preview.changes:
        if c.action == "change" and len(changed.setdefault(c.kind, [])) < SHOWN_PER_LIST:
            changed[c.kind].append(c)
    stored = _records(session, [(c.kind, c.key) for cs in changed.values() for c in cs])
    kinds = []
    counts = preview.counts()
    for kind in KINDS:
        if kind not in counts:
            continue
        of_kind = [c for c in preview.changes if c.kind == kind]
        rows = []
        for c in changed.get(kind, []):
            fields = field_changes(stored.get((kind, c.key), {}), incoming.get((kind, c.key), {}))
            rows.append({"id": c.key, "fields": fields[:SHOWN_FIELDS], "more": max(0, len(fields) - SHOWN_FIELDS),
                         "identity": c.identity})
        kinds.append({"kind": kind, "label": KIND_LABELS.get(kind, kind), "counts": counts[kind],
                      "added": [c.key for c in of_kind if c.action == "add"][:SHOWN_PER_LIST],
                      "removed": [c.key for c in of_kind if c.action == "remove"][:SHOWN_PER_LIST],
                      "changed": rows})
    identity = [{"key": f"{c.kind}/{c.key}", "kind": KIND_SINGULAR.get(c.kind, c.kind), "id": c.key,
                 "fields": [(IDENTITY_LABELS.get(f, f), _text(c.before.get(f)), _text(c.after.get(f)))
                            for f in c.identity]}
                for c in preview.identity_changes]
    # The header (name, planning time, horizon, parameters) against the unit's newest import; with no
    # changes to the data, a header the unit imported before leads to that import (book.apply_import).
    imports = list(session.scalars(select(ScenarioRow).where(ScenarioRow.unit == preview.unit)
                                   .order_by(ScenarioRow.id.desc())))
    latest = imports[0] if imports else None
    same = next((r for r in imports if r.header == preview.header), None) if not preview.changes else None
    return {"kinds": kinds, "identity": identity, "kept": preview.kept, "unchanged": not preview.changes,
            "shown_per_list": SHOWN_PER_LIST, "latest": latest, "existing": same,
            "header_changes": field_changes(latest.header, preview.header) if latest is not None else []}


def _preview_page(request: Request, principal: Principal, session: Session, preview: book.ImportPreview,
                  token: str, revision: int, source: str, status_code: int = 200, notice: str | None = None,
                  errors: list[str] | None = None, confirmed: set[str] = frozenset()):
    return page(request, "import_preview.html", principal, status_code=status_code, token=token, revision=revision,
                source=source, notice=notice, errors=errors or [], confirmed=confirmed, unit=preview.unit,
                kind_labels=KIND_LABELS, **_view(session, preview))


# --- The routes --------------------------------------------------------------------------------------

@router.post("/scenarios/import/preview")
async def import_preview(request: Request, file: UploadFile = File(...),
                         principal: Principal = Depends(require("scenario.import")),
                         session: Session = Depends(db_session)):
    """What the file would do to the planning book; nothing is written to the book."""
    # Parsed off the event loop, in a child process. A ScenarioError (here or from the preview) is
    # shown by render_problems (the app's handler); nothing is kept.
    doc = await store.read_upload(file)
    source = store.source_name(file.filename)
    with session.begin():
        revision = book.revision(session)
        preview = store.preview(session, doc, principal.unit or "")
    token = _keep(request, principal, doc, source, revision, preview)
    return _preview_page(request, principal, session, preview, token, revision, source)


@router.post("/scenarios/import")
async def import_apply(request: Request, file: UploadFile | None = File(None),
                       token: str | None = Form(None, max_length=64), revision: int | None = Form(None, ge=0),
                       confirm: list[str] = Form([]),
                       principal: Principal = Depends(require("scenario.import")),
                       session: Session = Depends(db_session)):
    """Apply a previewed import (``token`` and ``revision``), or import a file straight away."""
    if token is None:
        if file is None:
            raise HTTPException(422, "Kies een bestand, of pas een voorvertoning toe.")
        return await _import_file(request, file, principal, session)
    path, stored = _kept(request, principal, token)
    doc, source, unit = stored["doc"], stored["source"], stored["unit"]
    confirmed = set(confirm)
    with session.begin():
        current = book.revision(session)
        preview = store.preview(session, doc, unit)
        if revision != stored["revision"] or current != stored["revision"] or _digest(preview) != stored["digest"]:
            # The book changed since the preview: show what the file does now; nothing is applied.
            _write(path, {**stored, "revision": current, "digest": _digest(preview)}, new=False)
            notice = (f"Het planningsboek is gewijzigd sinds de voorvertoning (revisie {stored['revision']}, nu "
                      f"{current}). Er is niets toegepast. Hieronder staat wat het bestand nu zou doen; controleer "
                      f"het en pas het opnieuw toe.")
            return _preview_page(request, principal, session, preview, token, current, source, 409, notice=notice,
                                 confirmed=confirmed)
        needed = {f"{c.kind}/{c.key}": c for c in preview.identity_changes}
        missing = [c for key, c in needed.items() if key not in confirmed]
        if missing:
            errors = [f"Bevestigen {KIND_SINGULAR.get(c.kind, c.kind)} {c.key}: vink aan dat de nieuwe "
                      f"{', '.join(IDENTITY_LABELS.get(f, f) for f in c.identity)} klopt, of pas het bestand aan."
                      for c in missing]
            return _preview_page(request, principal, session, preview, token, current, source, 422, errors=errors,
                                 confirmed=confirmed)
        row, new = book.apply_import(session, preview, principal.username, source, bool(needed))
    _drop(path)
    return _see_other(f"/?scenario={row.id}&imported={1 if new else 2}")


async def _import_file(request: Request, file: UploadFile, principal: Principal, session: Session):
    """A file posted without a preview: imported at once, as before; a change of a known person's
    name, sex or base is not applied but shown as a preview to confirm."""
    doc = await store.read_upload(file)
    source = store.source_name(file.filename)
    try:
        with session.begin():
            row = store.import_scenario(session, doc, principal.unit or "", principal.username, file.filename or "")
    except book.IdentityUnconfirmed:
        row = None
    if row is not None:
        return _see_other(f"/?scenario={row.id}&imported=1")
    with session.begin():
        revision = book.revision(session)
        preview = store.preview(session, doc, principal.unit or "")
    token = _keep(request, principal, doc, source, revision, preview)
    errors = [f"Bevestigen {KIND_SINGULAR.get(c.kind, c.kind)} {c.key}: het bestand geeft een bekend persoon een "
              f"andere {', '.join(IDENTITY_LABELS.get(f, f) for f in c.identity)}; vink aan dat dit klopt en pas "
              f"het bestand dan toe." for c in preview.identity_changes]
    return _preview_page(request, principal, session, preview, token, revision, source, 409, errors=errors)
