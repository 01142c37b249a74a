"""Calendar files of a re-plan: each event carried over from the previous plan's files.

``write_outputs(..., previous_dir=...)`` writes every calendar through ``write_updates``. Per
file, matched by UID (UUIDv5 of the event's key, so the same duty has the same UID in both):

- unchanged  the VEVENT built now with the previous SEQUENCE and DTSTAMP is byte for byte the
             previous one: it is written so, and a client sees nothing new
- changed    same UID, SEQUENCE + 1, the new plan's DTSTAMP (also an event cancelled earlier
             that comes back: CONFIRMED again)
- added      a new UID, SEQUENCE 0
- cancelled  a confirmed event of the previous file that the plan no longer has: the previous
             event with STATUS:CANCELLED, SEQUENCE + 1, the new DTSTAMP. It stays in the file
             (later re-plans carry it on unchanged), so a client that imported any earlier file
             learns it is cancelled; a person left with only cancellations still gets a file.

No METHOD, as before: the files are published snapshots (what a subscription fetches or a
person imports), not iTIP messages. An iTIP CANCEL needs ORGANIZER and ATTENDEE addresses,
which the CLI does not have, and a ``METHOD:REQUEST`` file would leave the cancelled events
standing in several clients (shared/notes/calendar.md). Removing an event from inboxes promptly
is the job of the planning service's CANCEL mails (``api.calendars.itip``).

Unchanged is decided on the bytes, not on chosen fields: every property but DTSTAMP and
SEQUENCE counts (times with their zone, texts, status, TRANSP), and nothing written the same can
be called changed. The price: after a change in how the builder writes (an icalendar upgrade),
every event counts as changed once, which raises SEQUENCE needlessly but harmlessly.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from icalendar import Calendar, Event

from .derive import CalEvent
from .ics import calendar_bytes, event_uid, feed_calendar, uid_namespace, vevent, write_calendar
from ..parallel import run_all

CHANGES = "changes.json"  # in calendars/: what the re-plan did to each file
CHANGES_FORMAT = "vertrekplanner/calendar-changes@1"
CONFIRMED, CANCELLED = "CONFIRMED", "CANCELLED"


class CalendarHistoryError(ValueError):
    """A previous calendar file cannot be read: guessing its SEQUENCEs would make clients
    ignore the updates (a lower or equal SEQUENCE is not news), so nothing is written."""


@dataclass(frozen=True)
class PreviousEvent:
    """One VEVENT of a previous file, with the fields ``vevent`` needs to write it again."""

    uid: str
    sequence: int
    dtstamp: datetime
    status: str
    start: datetime
    end: datetime
    summary: str
    location: str
    description: str
    busy: bool
    text: bytes  # the VEVENT as it stands in the file, BEGIN to END line


@dataclass
class FileChanges:
    """UIDs per outcome, in file order."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"added": self.added, "changed": self.changed, "cancelled": self.cancelled,
                "unchanged": self.unchanged}


@dataclass
class CalendarUpdate:
    paths: list[Path]
    changes: dict[str, FileChanges]  # by file name
    warnings: list[str]
    carried: list[tuple[str, str]]  # (file name, display name) of previous-only files
    record: dict  # what changes.json holds


def vevent_blocks(body: bytes) -> list[bytes]:
    """Each VEVENT's bytes as written. A folded line starts with a space, so a line that is
    exactly BEGIN:VEVENT or END:VEVENT can only be a real boundary."""
    blocks, start = [], None
    at = 0
    for line in body.splitlines(keepends=True):
        if line.rstrip(b"\r\n") == b"BEGIN:VEVENT":
            start = at
        elif line.rstrip(b"\r\n") == b"END:VEVENT" and start is not None:
            blocks.append(body[start:at + len(line)])
            start = None
        at += len(line)
    return blocks


def read_previous(path: Path) -> tuple[str, list[PreviousEvent]]:
    """The display name and events of a calendar file written by ``plan`` or ``replan``."""
    body = path.read_bytes()
    try:
        cal = Calendar.from_ical(body)
    except ValueError as exc:
        raise CalendarHistoryError(f"{path}: not a calendar file ({exc})") from exc
    broken = [f"{c.name}: {c.errors}" for c in cal.walk() if c.errors]
    if broken:
        raise CalendarHistoryError(f"{path}: " + "; ".join(broken))
    events = cal.walk("VEVENT")
    blocks = vevent_blocks(body)
    if len(blocks) != len(events):
        raise CalendarHistoryError(f"{path}: {len(events)} events but {len(blocks)} VEVENT blocks")
    out, seen = [], set()
    for ve, text in zip(events, blocks):
        try:
            uid = str(ve["UID"])
            event = PreviousEvent(
                uid=uid, sequence=int(ve.get("SEQUENCE", 0)), dtstamp=ve.decoded("DTSTAMP"),
                status=str(ve.get("STATUS", CONFIRMED)).upper(), start=ve.decoded("DTSTART"),
                end=ve.decoded("DTEND"), summary=str(ve.get("SUMMARY", "")),
                location=str(ve.get("LOCATION", "")), description=str(ve.get("DESCRIPTION", "")),
                busy=str(ve.get("TRANSP", "OPAQUE")).upper() == "OPAQUE", text=text)
        except (KeyError, ValueError) as exc:
            raise CalendarHistoryError(f"{path}: an event lacks a readable {exc}") from exc
        if uid in seen:
            raise CalendarHistoryError(f"{path}: UID {uid} occurs twice")
        if uid not in text.decode("utf-8", "replace"):
            raise CalendarHistoryError(f"{path}: events and VEVENT blocks out of step at {uid}")
        seen.add(uid)
        out.append(event)
    return str(cal.get("X-WR-CALNAME") or cal.get("NAME") or path.stem), out


def update_calendar(name: str, events: list[CalEvent], dtstamp: datetime,
                    previous: list[PreviousEvent]) -> tuple[bytes, FileChanges]:
    """The new file's bytes and what changed against ``previous`` (see the module doc)."""
    before = {e.uid: e for e in previous}
    changes = FileChanges()
    placed: list[tuple[tuple, Event]] = []
    namespace = uid_namespace()
    # Sorted as build_calendar sorts: an unchanged plan gives the previous bytes.
    for ev in sorted(events, key=lambda e: (e.start, e.key)):
        uid = event_uid(ev.key, namespace)
        old = before.pop(uid, None)
        if old is None:
            ve, outcome = vevent(ev, uid, dtstamp), changes.added
        else:
            ve = vevent(ev, uid, old.dtstamp, old.sequence)
            if ve.to_ical() == old.text:
                outcome = changes.unchanged
            else:
                ve, outcome = vevent(ev, uid, dtstamp, old.sequence + 1), changes.changed
        outcome.append(uid)
        placed.append(((ev.start, 0, ev.key), ve))
    gone = list(before.values())  # in the plan no more
    for old in gone:
        if old.status == CANCELLED:  # cancelled before: carried on as it was
            ve, outcome = vevent(old, old.uid, old.dtstamp, old.sequence, CANCELLED), changes.unchanged
        else:
            ve, outcome = vevent(old, old.uid, dtstamp, old.sequence + 1, CANCELLED), changes.cancelled
        outcome.append(old.uid)
        placed.append(((old.start, 1, old.uid), ve))
    cal = feed_calendar(name)
    for _, ve in sorted(placed, key=lambda p: p[0]):
        cal.add_component(ve)
    return calendar_bytes(cal, [*events, *gone]), changes


def _update_task(task: tuple) -> tuple[Path, FileChanges]:
    path, name, events, dtstamp, previous = task
    body, changes = update_calendar(name, events, dtstamp, previous)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path, changes


def write_updates(tasks: list[tuple[Path, str, list[CalEvent], datetime]], previous_dir: Path) -> CalendarUpdate:
    """Write each calendar of ``tasks`` (as for ``write_calendar``) against the same file in
    ``previous_dir/calendars``, plus each previous file the plan no longer has (its events all
    cancelled), and ``calendars/changes.json``. Without a previous calendars folder the files
    are written as new, with a warning.

    Every previous file is read before any is written, so ``previous_dir`` may be the output
    folder itself."""
    if not tasks:
        raise ValueError("no calendars to write")  # write_outputs always has the planning unit's
    out = tasks[0][0].parent
    old_dir = Path(previous_dir) / "calendars"
    warnings: list[str] = []
    changes: dict[str, FileChanges] = {}
    if not old_dir.is_dir():
        warnings.append(f"{old_dir} not found: calendars written as new (SEQUENCE 0, no cancellations); "
                        "clients holding earlier files keep their old events")
        paths = run_all(_write_calendar_task, tasks)
        namespace = uid_namespace()
        for path, _, events, _ in tasks:
            changes[path.name] = FileChanges(added=[event_uid(e.key, namespace)
                                                    for e in sorted(events, key=lambda e: (e.start, e.key))])
        carried: list[tuple[str, str]] = []
    else:
        previous = {p.name: read_previous(p) for p in sorted(old_dir.glob("*.ics"))}
        current = {path.name for path, *_ in tasks}
        carried = [(fname, name) for fname, (name, _) in previous.items() if fname not in current]
        jobs = [(path, name, events, created, previous.get(path.name, ("", []))[1])
                for path, name, events, created in tasks]
        jobs += [(out / fname, name, [], tasks[0][3], previous[fname][1]) for fname, name in carried]
        done = run_all(_update_task, jobs)
        paths = [p for p, _ in done]
        changes = {p.name: c for p, c in done}
    record = {"format": CHANGES_FORMAT, "warnings": warnings,
              "calendars": {fname: changes[fname].as_json() for fname in sorted(changes)}}
    (out / CHANGES).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return CalendarUpdate(paths + [out / CHANGES], changes, warnings, carried, record)


def _write_calendar_task(task: tuple) -> Path:
    return write_calendar(*task)


class Written(list):
    """``write_outputs``' paths (a plain list to every caller), with what a re-plan reports:
    warnings to show and the ``changes.json`` record (None without ``previous_dir``)."""

    def __init__(self, paths=(), warnings: list[str] | None = None, calendar_changes: dict | None = None):
        super().__init__(paths)
        self.warnings = warnings or []
        self.calendar_changes = calendar_changes
