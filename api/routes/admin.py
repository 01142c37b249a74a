"""Users and contacts (planner-admin) and the audit log (inspector, planner-admin)."""
from __future__ import annotations


from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import accounts, audit, owners, passwords, throttle
from ..auth import Principal, db_session, hash_password, require
from ..deps import MAX_ID, NOT_FOUND, PROTECTED, UNREADABLE, IfMatch, PersonOwner, etag_of, expected_version, row_by_id
from ..models import AuditEntry, Contact, PendingChange, User
from ..scenarios import StaleWrite
from ..schemas import (AuditOut, ContactIn, ContactOut, ErrorOut, PendingOut, RequestInvalid, UserIn, UserOut,
                       UserUpdate)

router = APIRouter(prefix="/api", tags=["admin"], responses=PROTECTED)


def user_out(u: User) -> UserOut:
    return UserOut(id=u.id, username=u.username, role=u.role, unit=u.unit, owner=u.owner, email=u.email,
                   active=u.active, version=u.version)


@router.get("/users", response_model=list[UserOut])
def list_users(principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    return [user_out(u) for u in session.scalars(select(User).order_by(User.username))]


SECOND_ADMIN = {202: {"model": PendingOut, "description": "Waits for a second planner-admin (see /api/pending-changes)"}}


def pending_out(row: PendingChange) -> PendingOut:
    return PendingOut(id=row.id, action=row.action, user_id=row.user_id, username=row.username,
                      changes=accounts.shown_changes(row.payload), requested_by=row.requested_by,
                      requested_at=row.requested_at, status=row.status, decided_by=row.decided_by,
                      decided_at=row.decided_at)


def _outcome(result, response: Response, status: int):
    if isinstance(result, PendingChange):  # not a UserOut: answered as is, past the response model
        return JSONResponse(jsonable_encoder(pending_out(result)), status_code=202)
    response.status_code = status
    return user_out(result)


@router.post("/users", response_model=UserOut, status_code=201,
             responses={**UNREADABLE, **SECOND_ADMIN, 409: {"description": "Username taken"}})
def create_user(body: UserIn, response: Response, principal: Principal = Depends(require("users.manage")),
                session: Session = Depends(db_session)):
    try:
        with session.begin():
            result = accounts.create_user(session, body, principal.username)
            answer = _outcome(result, response, 201)
    except IntegrityError:
        raise HTTPException(409, f"Gebruikersnaam {body.username!r} bestaat al")
    return answer


@router.put("/users/{user_id}", response_model=UserOut,
            responses={**NOT_FOUND, **UNREADABLE, **SECOND_ADMIN, 412: {"description": "Stale write"},
                       428: {"description": "If-Match missing"}})
def update_user(user_id: int, body: UserUpdate, request: Request, response: Response, if_match: IfMatch = None,
                principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    version = expected_version(request)
    with session.begin():
        user = row_by_id(session, User, user_id)
        if user is None:
            raise HTTPException(404, f"Gebruiker {user_id} bestaat niet")
        if user.version != version:
            raise StaleWrite(user.version)
        values = dict(role=body.role, unit=body.unit, owner=body.owner, email=body.email, active=body.active)
        if body.password:
            found = passwords.problems(body.password, user.username)
            if found:
                raise HTTPException(422, "Wachtwoord geweigerd: " + "; ".join(found))
            values["password_hash"] = hash_password(body.password)
        try:
            result = accounts.update_user(session, user, values, principal.id, principal.username)
        except accounts.OwnAccount as exc:
            raise HTTPException(403, exc.message)
        answer = _outcome(result, response, 200)
    response.headers["ETag"] = etag_of(user.version)
    return answer


@router.post("/users/{user_id}/unlock", status_code=204, responses=NOT_FOUND)
def unlock_user(user_id: int, principal: Principal = Depends(require("users.manage")),
                session: Session = Depends(db_session)):
    """Lift the login lock of an account (after too many failed attempts) before it runs out."""
    with session.begin():
        user = row_by_id(session, User, user_id)
        if user is None:
            raise HTTPException(404, f"Gebruiker {user_id} bestaat niet")
        throttle.unlock(session, user, principal.username)
    return Response(status_code=204)


@router.get("/pending-changes", response_model=list[PendingOut])
def list_pending(principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    """Account changes waiting for a second planner-admin."""
    return [pending_out(row) for row in accounts.pending(session)]


def _decide(session: Session, change_id: int, principal: Principal, confirm: bool) -> PendingOut:
    try:
        with session.begin():
            row = accounts.decide(session, change_id, principal.username, confirm)
            return pending_out(row)
    except accounts.ChangeRefused as exc:
        raise HTTPException(exc.status, exc.message)
    except IntegrityError:
        raise HTTPException(409, "Gebruikersnaam bestaat al")


DECIDE = {**NOT_FOUND, 409: {"description": "Already decided, or the account changed since"}}


@router.post("/pending-changes/{change_id}/confirm", response_model=PendingOut, responses=DECIDE)
def confirm_change(change_id: int, principal: Principal = Depends(require("users.manage")),
                   session: Session = Depends(db_session)):
    """Apply the change; only a planner-admin other than the requester and the account's holder."""
    return _decide(session, change_id, principal, True)


@router.post("/pending-changes/{change_id}/reject", response_model=PendingOut, responses=DECIDE)
def reject_change(change_id: int, principal: Principal = Depends(require("users.manage")),
                  session: Session = Depends(db_session)):
    return _decide(session, change_id, principal, False)


@router.get("/contacts", response_model=list[ContactOut])
def list_contacts(principal: Principal = Depends(require("contacts.manage")), session: Session = Depends(db_session)):
    return [ContactOut(owner=c.owner, email=c.email, version=c.version)
            for c in session.scalars(select(Contact).order_by(Contact.owner))]


@router.put("/contacts/{owner}", response_model=ContactOut,
            responses={**UNREADABLE, 412: {"description": "Stale write"},
                       422: {"model": RequestInvalid | ErrorOut,
                             "description": "Not a person's owner key, or body invalid"},
                       428: {"description": "If-Match missing (replacing an address)"}})
def put_contact(owner: PersonOwner, body: ContactIn, request: Request, response: Response, if_match: IfMatch = None,
                principal: Principal = Depends(require("contacts.manage")), session: Session = Depends(db_session)):
    """Create (no If-Match needed) or replace (If-Match required) a person's invite address."""
    if not owners.is_person(owner):
        raise HTTPException(422, f"owner {owner!r}: verwacht {owners.PERSON_FORMAT}")
    with session.begin():
        contact = session.get(Contact, owner)
        if contact is None:
            contact = Contact(owner=owner, email=body.email, version=1)
            session.add(contact)
        else:
            version = expected_version(request)
            if version != contact.version:
                raise StaleWrite(contact.version)
            contact.email = body.email
            contact.version += 1
        audit.record(session, principal.username, "contact.put", "contact", owner)
    response.headers["ETag"] = etag_of(contact.version)
    return ContactOut(owner=contact.owner, email=contact.email, version=contact.version)


@router.get("/audit", response_model=list[AuditOut])
def audit_log(limit: int = Query(100, ge=1, le=1000), before_id: int | None = Query(None, ge=1, le=MAX_ID),
              action: str | None = Query(None, max_length=60),
              principal: Principal = Depends(require("audit.read")), session: Session = Depends(db_session)):
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    if action:
        query = query.where(AuditEntry.action == action)
    return [AuditOut(id=e.id, at=e.at, actor=e.actor, action=e.action, entity=e.entity, entity_id=e.entity_id,
                     detail=e.detail) for e in session.scalars(query)]


