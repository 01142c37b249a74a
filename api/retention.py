"""Storage limitation (GDPR art. 5(1)(e)): a departure's personal fields are removed a set number of
days after its handover.

Publishing records each planned departure's handover instant in the book (``handover_at``). Once
it lies ``RETENTION_DAYS`` (default 90) in the past, the departure keeps only what planning history
needs — its id, unit, kind, priority, destination country and reception — and is marked purged:
it leaves every solve and list, while published plans, calendars and the audit log, which hold
ids and times only, stay as they were. The worker runs this every hour; ``vertrekplanner purge``
runs it at once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit
from .models import BookRecord, utcnow

KEPT_FIELDS = ("id", "kind", "priority", "destination_country", "reception")


def record_handovers(session: Session, document: dict) -> None:
    """Note the handover instant of every departure a published plan plans (in the caller's transaction)."""
    for dep in document.get("departures", []):
        if dep.get("planned") and (dep.get("handover") or {}).get("time"):
            at = datetime.fromisoformat(dep["handover"]["time"])
            session.execute(update(BookRecord).where(BookRecord.kind == "departures", BookRecord.key == dep["id"])
                            .values(handover_at=at))


def purge(session: Session, days: int, now: datetime | None = None, actor: str = "bewaartermijn") -> list[str]:
    """Remove the personal fields of departures handed over more than ``days`` ago; their ids."""
    limit = (now or utcnow()) - timedelta(days=days)
    due = list(session.scalars(select(BookRecord).where(BookRecord.kind == "departures",
                                                        BookRecord.purged_at.is_(None),
                                                        BookRecord.handover_at < limit)))
    stamp = now or utcnow()
    for rec in due:
        rec.data = {k: rec.data[k] for k in KEPT_FIELDS if k in rec.data}
        rec.purged_at = stamp
        rec.version += 1
        rec.updated_at, rec.updated_by = stamp, actor
    if due:
        audit.record(session, actor, "retention.purge", "departures", len(due), days=days,
                     ids=[r.key for r in due])
    return [r.key for r in due]
