"""The append-only audit log: who changed what, and when."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .models import AuditEntry


def record(session: Session, actor: str, action: str, entity: str, entity_id: object, **detail) -> None:
    """Add an entry in the caller's transaction, so the log and the change commit together."""
    session.add(AuditEntry(actor=actor, action=action, entity=entity, entity_id=str(entity_id), detail=detail))
