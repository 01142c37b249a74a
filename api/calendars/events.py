"""Stored calendar events and their reconciliation with a freshly derived plan.

Each event the service has ever published is stored with a random UID (UUIDv4, no data in
it, RFC 7986 §5.3) under its ``key`` (departure, owner, event kind, index). A new
publication derives ``CalEvent``s again; ``reconcile`` says per key what happened:

- created     new key: fresh UID, SEQUENCE 0
- updated     same key, fingerprint differs: same UID, SEQUENCE + 1
- reconfirmed key cancelled earlier comes back: same UID, SEQUENCE + 1, CONFIRMED again
- cancelled   confirmed key no longer derived: STATUS CANCELLED, SEQUENCE + 1
- unchanged   nothing to send (includes events cancelled earlier that stay away)

UIDs are never regenerated for a key: a new UID for the same duty would give calendar
clients a duplicate next to the old entry.

Fingerprint decision: every field the person sees counts — start, end (with their zone),
location, status, and also summary, description and busy (TRANSP). calendar.md demands
start/end/location/status; summary and description are added because here they carry
operational content (flight number, check-in time, colleagues on the team, vehicle), and an
iTIP update without a higher SEQUENCE is ignored by several clients (RFC 5546 §2.1.5 lets a
CUA drop a REQUEST whose SEQUENCE is not newer). The price is an extra update mail when only
the wording changes, which is rare and harmless.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Iterable

from planner.outputs.derive import CalEvent

CONFIRMED = "CONFIRMED"
CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class StoredEvent:
    uid: str
    owner: str  # escort:<id> | medic:<id> | vehicle:<id> | regievoerder
    key: str
    sequence: int
    status: str  # CONFIRMED | CANCELLED
    start: datetime  # aware, in the zone of the place; the store must keep the zone name
    end: datetime
    summary: str
    location: str
    description: str
    busy: bool = True


def _instant(dt: datetime) -> str:
    # Wall time, offset and zone name: moving an event to another zone is a change the
    # client renders differently even when the instant is the same.
    return f"{dt.isoformat()}[{getattr(dt.tzinfo, 'key', None) or dt.tzname()}]"


def fingerprint(ev: StoredEvent | CalEvent) -> str:
    """Hex digest over every field whose change must raise SEQUENCE (see module doc).
    A ``CalEvent`` counts as CONFIRMED. Stable across processes, so it can be stored."""
    status = getattr(ev, "status", CONFIRMED)
    parts = (_instant(ev.start), _instant(ev.end), ev.location, status, ev.summary, ev.description,
             "busy" if ev.busy else "free")
    # Length-prefixed so no field's text can imitate a boundary between fields.
    raw = "".join(f"{len(p)}:{p}" for p in parts)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass
class Changes:
    created: list[StoredEvent] = field(default_factory=list)
    updated: list[StoredEvent] = field(default_factory=list)
    reconfirmed: list[StoredEvent] = field(default_factory=list)
    cancelled: list[StoredEvent] = field(default_factory=list)
    unchanged: list[StoredEvent] = field(default_factory=list)

    def outgoing(self) -> list[tuple[str, StoredEvent]]:
        """What to e-mail, as (iTIP method, event): REQUEST for new, changed and
        reconfirmed events, CANCEL for cancelled ones."""
        out = [("REQUEST", e) for e in self.created + self.updated + self.reconfirmed]
        return out + [("CANCEL", e) for e in self.cancelled]

    def events(self) -> dict[str, StoredEvent]:
        """The whole store afterwards, by key (every stored and every fresh key)."""
        every = self.created + self.updated + self.reconfirmed + self.cancelled + self.unchanged
        return {e.key: e for e in every}


def _new_uid() -> str:
    return str(uuid.uuid4())


def _from_fresh(ev: CalEvent, uid: str, sequence: int) -> StoredEvent:
    return StoredEvent(uid=uid, owner=ev.owner, key=ev.key, sequence=sequence, status=CONFIRMED,
                       start=ev.start, end=ev.end, summary=ev.summary, location=ev.location,
                       description=ev.description, busy=ev.busy)


def reconcile(stored: dict[str, StoredEvent], fresh: Iterable[CalEvent],
              new_uid: Callable[[], str] = _new_uid) -> Changes:
    """Compare the stored events of a scope with the events derived now for that same scope.

    ``stored`` must hold every event of the scope that ``fresh`` replaces (e.g. all events of
    the plan being published): a stored key missing from ``fresh`` is cancelled. Pure: the
    inputs are not modified; the caller persists ``Changes.events()`` and sends
    ``Changes.outgoing()``.
    """
    changes = Changes()
    seen: set[str] = set()
    for ev in fresh:
        if ev.key in seen:
            raise ValueError(f"duplicate calendar event key {ev.key!r}")
        seen.add(ev.key)
        old = stored.get(ev.key)
        if old is None:
            changes.created.append(_from_fresh(ev, new_uid(), 0))
        elif old.status == CANCELLED:
            changes.reconfirmed.append(_from_fresh(ev, old.uid, old.sequence + 1))
        elif fingerprint(old) != fingerprint(ev):
            changes.updated.append(_from_fresh(ev, old.uid, old.sequence + 1))
        else:
            changes.unchanged.append(old)
    for key, old in stored.items():
        if key in seen:
            continue
        if old.status == CANCELLED:
            changes.unchanged.append(old)  # cancelled before: nothing new to tell anyone
        else:
            changes.cancelled.append(replace(old, status=CANCELLED, sequence=old.sequence + 1))
    return changes
