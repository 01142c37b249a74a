"""The invite outbox: /uitnodigingen lists what each publication sent to whom, when, how often it was
tried and what failed, newest first (table ``outbox``, api/publishing.py).

Read-only for everyone who may see it (``invites.read``): planner-admins and inspectors see every
unit's publications, a regievoerder only their own unit's. ``?mislukt=1`` shows only the invites
that have not gone out and failed at least once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as email_policy
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...auth import Principal, db_session, require
from ...authz import REGIE, allowed
from ...deps import MAX_ID
from ...models import OutboxMail, PlanVersion
from ...publishing import MAX_ATTEMPTS
from ..render import page

router = APIRouter(include_in_schema=False)

PAGE = 100
METHOD_LABELS = {"REQUEST": "uitnodiging of wijziging", "CANCEL": "afzegging"}


@dataclass
class Invite:
    id: int
    plan_id: int
    unit: str
    owner: str
    recipient: str
    subject: str
    method: str
    method_label: str
    sequence: int
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    error: str | None
    status: str
    css: str


def _subject(message: bytes) -> str:
    """The invite's subject line (what was sent), read from the stored message's headers only."""
    try:
        return str(BytesHeaderParser(policy=email_policy).parsebytes(message or b"").get("Subject") or "")
    except Exception:  # a stored message that cannot be read is still listed
        return ""


def _status(row: OutboxMail) -> tuple[str, str]:
    if row.sent_at is not None:
        return ("verzonden" if row.attempts <= 1 else f"verzonden na {row.attempts} pogingen"), "planned"
    if row.error and row.attempts >= MAX_ATTEMPTS:
        return f"mislukt, opgegeven na {row.attempts} pogingen", "error"
    if row.error:
        return "mislukt, wordt opnieuw geprobeerd", "unplanned"
    return "in de wachtrij", "draft"


@router.get("/uitnodigingen")
def invites_page(request: Request, mislukt: int | None = Query(None, ge=0, le=1),
                 before: int | None = Query(None, ge=1, le=MAX_ID),
                 principal: Principal = Depends(require("invites.read")), session: Session = Depends(db_session)):
    query = (select(OutboxMail, PlanVersion.unit).outerjoin(PlanVersion, PlanVersion.id == OutboxMail.plan_id)
             .order_by(OutboxMail.id.desc()).limit(PAGE + 1))
    if principal.role == REGIE:  # their unit's publications only
        query = query.where(PlanVersion.unit == principal.unit)
    if mislukt:
        query = query.where(OutboxMail.sent_at.is_(None), OutboxMail.error.is_not(None))
    if before:
        query = query.where(OutboxMail.id < before)
    rows = session.execute(query).all()
    more = len(rows) > PAGE
    invites = []
    for row, unit in rows[:PAGE]:
        status, css = _status(row)
        invites.append(Invite(id=row.id, plan_id=row.plan_id, unit=unit or "", owner=row.owner,
                              recipient=row.recipient, subject=_subject(row.message), method=row.method,
                              method_label=METHOD_LABELS.get(row.method, row.method), sequence=row.sequence,
                              created_at=row.created_at, sent_at=row.sent_at, attempts=row.attempts,
                              error=row.error, status=status, css=css))
    older = None
    if more:
        query = {k: v for k, v in (("mislukt", mislukt), ("before", invites[-1].id)) if v}
        older = "/uitnodigingen?" + urlencode(query)
    return page(request, "invites.html", principal, invites=invites, failed_only=bool(mislukt), older=older,
                show_unit=principal.role != REGIE, plan_links=allowed(principal.role, "plan.read"),
                max_attempts=MAX_ATTEMPTS)
