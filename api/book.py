"""The planning book: the organisation's one record of every entity, and imports merged into it.

Escorts, medics, vehicles, locations, receptions, airlines, airports and flights have one
identity each across units and imports; a departure belongs to the unit that brought it and its
id is unique across the organisation. An import is previewed first (what it adds, changes and
removes, per entity and field) and then applied all at once or not at all; the same file twice
changes nothing. A known person's new name, sex or base is applied only when confirmed.

What a unit solves is a *view* of the book (``view``): the header of one of its imports (or the
planning time and horizon the job chose), every shared resource, and the unit's own departures.
Every view is validated with the planner's own ``parse_scenario``, so the book accepts exactly
what the CLI accepts, with the same messages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from planner.errors import Problem, ScenarioError
from planner.loading.scenario import parse_scenario

from . import audit
from .authz import CASE_KINDS, KINDS
from .models import BookRecord, BookState, ScenarioRow, utcnow

HEADER_FIELDS = ("format", "name", "planning_time", "horizon", "parameters")
IDENTITY_FIELDS = {"escorts": ("name", "sex", "base"), "medics": ("name", "sex", "base")}
SHOWN_VALUES = 200  # characters of a before/after value in a preview


class StaleWrite(Exception):
    """The caller edited an older version than the stored one (HTTP 412)."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        super().__init__(f"stale write: the stored version is {current_version}")


class IdentityUnconfirmed(Exception):
    """An import gives a known person another name, sex or base, and nobody confirmed it (HTTP 409)."""

    def __init__(self, changes: list["EntityChange"]):
        self.changes = changes
        listed = "; ".join(f"{c.kind}[{c.key}]: {', '.join(c.identity)}" for c in changes[:10])
        super().__init__(f"Het bestand geeft {len(changes)} bekende persoon/personen een andere naam, sekse of "
                         f"standplaats ({listed}); bevestig dat eerst (confirm_identity)")


def id_field(kind: str) -> str:
    return "iata" if kind == "airports" else "code" if kind == "airlines" else "id"


# ---- the book's revision: raised by every write, and the lock that serialises writers -------------

def revision(session: Session) -> int:
    return session.scalar(select(BookState.revision).where(BookState.id == 1)) or 0


def lock(session: Session) -> None:
    """Take the book's write lock for this transaction (a row lock on PostgreSQL, the database's
    write lock on SQLite): book writes and publications of every unit run one after the other."""
    _raise_by(session, 0)


def bump(session: Session) -> int:
    """Raise the book's revision (taking the lock); the new revision."""
    _raise_by(session, 1)
    return revision(session)


def _raise_by(session: Session, step: int) -> None:
    done = session.execute(update(BookState).where(BookState.id == 1).values(revision=BookState.revision + step))
    if done.rowcount == 0:  # the migration creates the row; a database emptied by hand may lack it
        session.add(BookState(id=1, revision=step))
        session.flush()


# ---- reading -----------------------------------------------------------------------------------------

def record(session: Session, kind: str, key: str) -> BookRecord | None:
    return session.scalar(select(BookRecord).where(BookRecord.kind == kind, BookRecord.key == key))


def departure_unit(session: Session, key: str) -> str | None:
    return session.scalar(select(BookRecord.unit).where(BookRecord.kind == "departures", BookRecord.key == key))


def unit_departures(session: Session, unit: str) -> list[str]:
    return list(session.scalars(select(BookRecord.key).where(BookRecord.kind == "departures", BookRecord.unit == unit,
                                                             BookRecord.purged_at.is_(None))
                                .order_by(BookRecord.position)))


def view(session: Session, header: dict, units: Iterable[str] | None,
         replace: dict[tuple[str, str], dict | None] | None = None) -> dict:
    """A scenario document of the book: ``header``, every shared resource, and the departures of
    ``units`` (every unit for None). ``replace`` swaps records (None drops one, a new key adds one)
    for validating a write before it is made. Departures whose personal data was removed after
    their handover are history, not work: they are left out."""
    doc: dict[str, Any] = {k: v for k, v in header.items() if k not in KINDS}
    for kind in KINDS:
        if kind != "airports":  # the one optional list
            doc.setdefault(kind, [])
    query = (select(BookRecord.kind, BookRecord.key, BookRecord.unit, BookRecord.data)
             .where(BookRecord.purged_at.is_(None)).order_by(BookRecord.kind, BookRecord.position))
    wanted = None if units is None else set(units)
    replace = dict(replace or {})
    for kind, key, unit, data in session.execute(query):
        if kind in CASE_KINDS and wanted is not None and unit not in wanted:
            continue
        if (kind, key) in replace:
            data = replace.pop((kind, key))
            if data is None:
                continue
        doc.setdefault(kind, []).append(data)
    for (kind, _key), data in replace.items():  # additions
        if data is not None:
            doc.setdefault(kind, []).append(data)
    return doc


def scenario_view(session: Session, scenario_id: int, replace: dict | None = None,
                  header: dict | None = None) -> dict:
    """The view an import's unit plans: that import's header (or ``header``) and the unit's departures."""
    row = session.get(ScenarioRow, scenario_id)
    if row is None:
        raise KeyError(scenario_id)
    return view(session, header or row.header, [row.unit], replace)


# ---- imports: preview, then apply --------------------------------------------------------------------

@dataclass
class EntityChange:
    kind: str
    key: str
    action: str  # add | change | remove
    fields: list[str] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    identity: list[str] = field(default_factory=list)  # name/sex/base of a known person: to confirm

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.key, "action": self.action, "fields": self.fields,
                "before": self.before, "after": self.after, "identity": self.identity}


@dataclass
class ImportPreview:
    unit: str
    header: dict
    doc: dict
    changes: list[EntityChange]
    kept: list[str]  # the unit's departures absent from the file, kept because a published plan plans them

    @property
    def identity_changes(self) -> list[EntityChange]:
        return [c for c in self.changes if c.identity]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for c in self.changes:
            out.setdefault(c.kind, {"add": 0, "change": 0, "remove": 0})[c.action] += 1
        return out

    def as_dict(self) -> dict:
        return {"unit": self.unit, "counts": self.counts(), "changes": [c.as_dict() for c in self.changes],
                "identity_changes": [c.as_dict() for c in self.identity_changes], "kept": self.kept,
                "unchanged": not self.changes}


def _shown(value: Any) -> Any:
    text = value if isinstance(value, (int, float, bool)) or value is None else str(value)
    return text[:SHOWN_VALUES] if isinstance(text, str) else text


def _compare(kind: str, key: str, old: dict, new: dict) -> EntityChange | None:
    fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if not fields:
        return None
    return EntityChange(kind, key, "change", fields, {f: _shown(old.get(f)) for f in fields},
                        {f: _shown(new.get(f)) for f in fields},
                        [f for f in IDENTITY_FIELDS.get(kind, ()) if f in fields])


def preview_import(session: Session, doc: dict, unit: str, planned: set[str] = frozenset()) -> ImportPreview:
    """What importing ``doc`` for ``unit`` would do to the book; ScenarioError if it may not.

    The file must be valid on its own and the unit's view of the merged book too. The file is the
    unit's list of departures: the unit's departures missing from it are removed, except those a
    published plan plans (``planned``): they stay, and are cancelled with a disruption instead.
    Resources missing from a file stay: they are the organisation's, and one unit's file need
    not list everything the others use."""
    parse_scenario(doc)  # every problem of the file itself, with the CLI's messages
    header = {k: doc[k] for k in doc if k not in KINDS}
    stored = {(kind, key): (u, data) for kind, key, u, data in session.execute(
        select(BookRecord.kind, BookRecord.key, BookRecord.unit, BookRecord.data))}
    problems, changes, incoming = [], [], set()
    for kind in KINDS:
        for item in doc.get(kind) or []:
            key = str(item[id_field(kind)])
            incoming.add((kind, key))
            if (kind, key) not in stored:
                changes.append(EntityChange(kind, key, "add"))
                continue
            owner, old = stored[(kind, key)]
            if kind in CASE_KINDS and owner != unit:
                problems.append(Problem(kind, key, "id", key, f"an id no other unit uses: this departure is "
                                                             f"planned by unit {owner}"))
                continue
            change = _compare(kind, key, old, item)
            if change:
                changes.append(change)
    if problems:
        raise ScenarioError(problems)
    kept = []
    for (kind, key), (owner, _data) in stored.items():
        if kind in CASE_KINDS and owner == unit and (kind, key) not in incoming:
            if key in planned:
                kept.append(key)
            else:
                changes.append(EntityChange(kind, key, "remove"))
    preview = ImportPreview(unit, header, doc, changes, sorted(kept))
    # The unit's view after the merge must be a valid scenario too (references across the book).
    replace = {(c.kind, c.key): None for c in changes if c.action == "remove"}
    replace.update({(k, str(i[id_field(k)])): i for k in KINDS for i in doc.get(k) or []})
    parse_scenario(view(session, header, [unit], replace))
    return preview


def apply_import(session: Session, preview: ImportPreview, actor: str, source: str,
                 confirm_identity: bool = False) -> tuple[ScenarioRow, bool]:
    """Merge a previewed import in the caller's transaction; (the import row, whether it is new).

    An import that changes nothing and carries the header of an earlier import of the unit is that
    import: the same file twice gives the same scenario, so it cannot be planned twice."""
    if preview.identity_changes and not confirm_identity:
        raise IdentityUnconfirmed(preview.identity_changes)
    lock(session)
    if not preview.changes:
        for row in session.scalars(select(ScenarioRow).where(ScenarioRow.unit == preview.unit)
                                   .order_by(ScenarioRow.id.desc())):
            if row.header == preview.header:
                audit.record(session, actor, "scenario.import.unchanged", "scenario", row.id, unit=preview.unit,
                             source=source)
                return row, False
    now = utcnow()
    positions = dict(session.execute(select(BookRecord.kind, func.max(BookRecord.position))
                                     .group_by(BookRecord.kind)).all())
    by_key = {(c.kind, c.key): c for c in preview.changes}
    adds = []
    for kind in KINDS:
        for item in preview.doc.get(kind) or []:
            key = str(item[id_field(kind)])
            change = by_key.get((kind, key))
            if change is None:
                continue
            if change.action == "add":
                positions[kind] = positions.get(kind, -1) + 1
                adds.append({"kind": kind, "key": key, "unit": preview.unit if kind in CASE_KINDS else None,
                             "position": positions[kind], "data": item, "version": 1, "updated_at": now,
                             "updated_by": actor})
            elif change.action == "change":
                session.execute(update(BookRecord).where(BookRecord.kind == kind, BookRecord.key == key)
                                .values(data=item, version=BookRecord.version + 1, updated_at=now, updated_by=actor))
    book_revision = bump(session)
    if adds:
        session.execute(insert(BookRecord), adds)  # one executemany: the eu scenario has ~20k rows
    for c in preview.changes:
        if c.action == "remove":
            session.execute(delete(BookRecord).where(BookRecord.kind == c.kind, BookRecord.key == c.key))
    row = ScenarioRow(unit=preview.unit, name=str(preview.doc.get("name") or source or "scenario"),
                      header=preview.header, created_by=actor, source=source, version=book_revision,
                      changes=preview.counts())
    session.add(row)
    session.flush()
    audit.record(session, actor, "scenario.import", "scenario", row.id, unit=preview.unit, source=source,
                 counts=preview.counts(), kept=len(preview.kept),
                 identity_confirmed=[f"{c.kind}/{c.key}" for c in preview.identity_changes])
    return row, True


# ---- one record at a time ----------------------------------------------------------------------------

def update_record(session: Session, scenario_id: int, kind: str, key: str, data: dict, expected_version: int,
                  actor: str) -> BookRecord:
    """Replace one entity if the caller saw its current version; the unit's view must stay valid."""
    row = session.get(ScenarioRow, scenario_id)
    stored = record(session, kind, key)
    if row is None or stored is None or (kind in CASE_KINDS and stored.unit != row.unit):
        raise KeyError(key)
    if stored.version != expected_version:
        raise StaleWrite(stored.version)
    if str(data.get(id_field(kind))) != key:
        raise ScenarioError([Problem(kind, key, id_field(kind), data.get(id_field(kind)),
                                     f"the same id as the record edited ({key}); ids cannot be renamed")])
    parse_scenario(scenario_view(session, scenario_id, replace={(kind, key): data}))
    before = stored.data
    bump(session)
    # Compare-and-set on the version in SQL, so two concurrent writers cannot both pass the check.
    done = session.execute(update(BookRecord).where(BookRecord.id == stored.id, BookRecord.version == expected_version)
                           .values(data=data, version=expected_version + 1, updated_at=utcnow(), updated_by=actor))
    if done.rowcount != 1:
        session.rollback()
        raise StaleWrite(expected_version + 1)
    audit.record(session, actor, f"{kind}.update", kind, key, scenario=scenario_id,
                 changed=sorted(k for k in set(before) | set(data) if before.get(k) != data.get(k)),
                 version=expected_version + 1)
    session.refresh(stored)
    return stored


def add_record(session: Session, scenario_id: int, kind: str, data: dict, actor: str) -> BookRecord:
    """A new entity (a departure of the import's unit, say), validated in the unit's view."""
    row = session.get(ScenarioRow, scenario_id)
    if row is None:
        raise KeyError(scenario_id)
    key = str(data.get(id_field(kind)) or "")
    if not key:
        raise ScenarioError([Problem(kind, None, id_field(kind), data.get(id_field(kind)), "an id")])
    if record(session, kind, key) is not None:
        raise ScenarioError([Problem(kind, key, id_field(kind), key, "an id not yet in the planning book")])
    parse_scenario(scenario_view(session, scenario_id, replace={(kind, key): data}))
    bump(session)
    position = (session.scalar(select(func.max(BookRecord.position)).where(BookRecord.kind == kind)) or 0) + 1
    stored = BookRecord(kind=kind, key=key, unit=row.unit if kind in CASE_KINDS else None, position=position,
                        data=data, version=1, updated_by=actor)
    session.add(stored)
    session.flush()
    audit.record(session, actor, f"{kind}.add", kind, key, scenario=scenario_id)
    return stored
