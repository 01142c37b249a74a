"""Administration and audit pages: /beheer (accounts, second-admin confirmations, unlocks, contacts) and /audit."""
from __future__ import annotations

from typing import Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import accounts, audit, owners, throttle
from ...auth import Principal, db_session, require
from ...authz import ROLES
from ...deps import MAX_ID, row_by_id
from ...models import AuditEntry, Contact, PendingChange, User
from ...scenarios import StaleWrite
from ...schemas import ContactIn, UserIn
from .. import auditview
from ..render import page
from .common import _see_other

router = APIRouter(include_in_schema=False)


def _admin_context(session: Session) -> dict:
    users = list(session.scalars(select(User).order_by(User.username)))
    return {"locked": {u.id: throttle.locked(session, u.username) for u in users},
            "pending": [(row, accounts.shown_changes(row.payload)) for row in accounts.pending(session)],
            "users": users,
            "contacts": list(session.scalars(select(Contact).order_by(Contact.owner))), "roles": ROLES}


@router.get("/beheer")
def admin_page(request: Request, done: str | None = Query(None, max_length=40),
               principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    return page(request, "beheer.html", principal, done=done, form={}, errors=[], **_admin_context(session))


def _form_errors(exc: ValidationError) -> list[str]:
    labels = {"username": "gebruikersnaam", "password": "wachtwoord", "role": "rol", "unit": "eenheid",
              "owner": "koppeling", "email": "e-mail"}
    return [f"{labels.get(str(e['loc'][-1]), e['loc'][-1])}: {_pydantic_nl(e)}" for e in exc.errors()]


def _pydantic_nl(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "password_policy":
        return error["msg"]
    if kind == "string_too_short":
        return f"minstens {ctx.get('min_length')} tekens"
    if kind == "string_too_long":
        return f"hoogstens {ctx.get('max_length')} tekens"
    if kind == "string_pattern_mismatch":
        return "vorm klopt niet"
    if kind in ("literal_error", "enum"):
        return "kies een van de mogelijkheden"
    return "ongeldige waarde"


@router.post("/beheer/users")
def admin_create_user(request: Request, username: str = Form("", max_length=200),
                      password: str = Form("", max_length=400), role: str = Form("", max_length=40),
                      unit: str = Form("", max_length=200), owner: str = Form("", max_length=200),
                      email: str = Form("", max_length=400),
                      principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    form = {"username": username, "role": role, "unit": unit, "owner": owner, "email": email}
    try:
        body = UserIn(username=username, password=password, role=role, unit=unit or None, owner=owner or None,
                      email=email or None)
    except ValidationError as exc:
        return page(request, "beheer.html", principal, status_code=422, form=form, errors=_form_errors(exc),
                    **_admin_context(session))
    try:
        with session.begin():
            result = accounts.create_user(session, body, principal.username)
    except IntegrityError:
        session.rollback()
        return page(request, "beheer.html", principal, status_code=409, form=form,
                    errors=[f"Gebruikersnaam {body.username!r} bestaat al."], **_admin_context(session))
    done = "aanvraag" if isinstance(result, PendingChange) else "gebruiker"
    return _see_other(f"/beheer?done={done}")


@router.post("/beheer/pending/{change_id}/{decision}")
def admin_decide(request: Request, change_id: int, decision: Literal["bevestigen", "afwijzen"],
                 principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    """A second planner-admin confirms or rejects an account change (see api/accounts.py)."""
    try:
        with session.begin():
            accounts.decide(session, change_id, principal.username, decision == "bevestigen")
    except accounts.ChangeRefused as exc:
        raise HTTPException(exc.status, exc.message)
    except IntegrityError:
        raise HTTPException(409, "Gebruikersnaam bestaat al")
    return _see_other(f"/beheer?done={'bevestigd' if decision == 'bevestigen' else 'afgewezen'}")


@router.post("/beheer/users/{user_id}/unlock")
def admin_unlock(request: Request, user_id: int, principal: Principal = Depends(require("users.manage")),
                 session: Session = Depends(db_session)):
    with session.begin():
        user = row_by_id(session, User, user_id)
        if user is None:
            raise HTTPException(404, "Deze gebruiker bestaat niet")
        throttle.unlock(session, user, principal.username)
    return _see_other("/beheer?done=ontgrendeld")


@router.post("/beheer/contacts")
def admin_put_contact(request: Request, owner: str = Form("", max_length=200), email: str = Form("", max_length=400),
                      version: int | None = Form(None), principal: Principal = Depends(require("contacts.manage")),
                      session: Session = Depends(db_session)):
    owner = owner.strip()
    errors = []
    if not owners.is_person(owner):
        errors.append(f"koppeling: verwacht {owners.PERSON_FORMAT}")
    try:
        body = ContactIn(email=email.strip())
    except ValidationError:
        errors.append("e-mail: vorm klopt niet")
    if errors:
        return page(request, "beheer.html", principal, status_code=422, form={}, errors=errors,
                    contact_form={"owner": owner, "email": email}, **_admin_context(session))
    with session.begin():
        contact = session.get(Contact, owner)
        if contact is None:
            session.add(Contact(owner=owner, email=body.email, version=1))
        else:
            # The form carries the version it showed; an older one would overwrite someone's change.
            if version is not None and version != contact.version:
                raise StaleWrite(contact.version)
            contact.email = body.email
            contact.version += 1
        audit.record(session, principal.username, "contact.put", "contact", owner)
    return _see_other(f"/beheer?done={quote('contact')}")


AUDIT_PAGE = 100


@router.get("/audit")
def audit_page(request: Request, before: int | None = Query(None, ge=1, le=MAX_ID),
               action: str | None = Query(None, max_length=60),
               principal: Principal = Depends(require("audit.read")), session: Session = Depends(db_session)):
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE + 1)
    if before:
        query = query.where(AuditEntry.id < before)
    if action:
        query = query.where(AuditEntry.action == action)
    entries = list(session.scalars(query))
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    older = None
    if more:
        older = "/audit?" + urlencode({k: v for k, v in (("before", entries[-1].id), ("action", action)) if v})
    return page(request, "audit.html", principal, entries=entries, action=action or "", older=older,
                detail_lines=auditview.detail_lines, action_text=auditview.action_text,
                entity_text=auditview.entity_text)
