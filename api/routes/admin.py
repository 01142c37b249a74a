"""Users and contacts (planner-admin) and the audit log (inspector, planner-admin)."""
from __future__ import annotations


from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import accounts, audit
from ..auth import Principal, db_session, hash_password, require
from ..deps import MAX_ID, NOT_FOUND, PROTECTED, UNREADABLE, etag_of, expected_version, row_by_id
from ..models import AuditEntry, Contact, User
from ..scenarios import StaleWrite
from ..schemas import AuditOut, ContactIn, ContactOut, ErrorOut, RequestInvalid, UserIn, UserOut, UserUpdate

router = APIRouter(prefix="/api", tags=["admin"], responses=PROTECTED)


def user_out(u: User) -> UserOut:
    return UserOut(id=u.id, username=u.username, role=u.role, unit=u.unit, owner=u.owner, email=u.email,
                   active=u.active, version=u.version)


@router.get("/users", response_model=list[UserOut])
def list_users(principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    return [user_out(u) for u in session.scalars(select(User).order_by(User.username))]


@router.post("/users", response_model=UserOut, status_code=201,
             responses={**UNREADABLE, 409: {"description": "Username taken"}})
def create_user(body: UserIn, principal: Principal = Depends(require("users.manage")),
                session: Session = Depends(db_session)):
    try:
        with session.begin():
            user = accounts.create_user(session, body, principal.username)
    except IntegrityError:
        raise HTTPException(409, f"Gebruikersnaam {body.username!r} bestaat al")
    return user_out(user)


@router.put("/users/{user_id}", response_model=UserOut,
            responses={**NOT_FOUND, **UNREADABLE, 412: {"description": "Stale write"},
                       428: {"description": "If-Match missing"}})
def update_user(user_id: int, body: UserUpdate, request: Request, response: Response,
                principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    version = expected_version(request)
    with session.begin():
        user = row_by_id(session, User, user_id)
        if user is None:
            raise HTTPException(404, f"Gebruiker {user_id} bestaat niet")
        values = dict(role=body.role, unit=body.unit, owner=body.owner, email=body.email, active=body.active,
                      version=version + 1)
        if body.password:
            values["password_hash"] = hash_password(body.password)
        done = session.execute(update(User).where(User.id == user_id, User.version == version).values(**values))
        if done.rowcount != 1:
            raise StaleWrite(user.version)
        audit.record(session, principal.username, "user.update", "user", user_id,
                     fields=sorted(k for k in values if k not in ("version", "password_hash")),
                     password_changed=bool(body.password))
    session.refresh(user)
    response.headers["ETag"] = etag_of(user.version)
    return user_out(user)


@router.get("/contacts", response_model=list[ContactOut])
def list_contacts(principal: Principal = Depends(require("contacts.manage")), session: Session = Depends(db_session)):
    return [ContactOut(owner=c.owner, email=c.email, version=c.version)
            for c in session.scalars(select(Contact).order_by(Contact.owner))]


@router.put("/contacts/{owner}", response_model=ContactOut,
            responses={**UNREADABLE, 412: {"description": "Stale write"},
                       422: {"model": RequestInvalid | ErrorOut,
                             "description": "Not a person's owner key, or body invalid"},
                       428: {"description": "If-Match missing (replacing an address)"}})
def put_contact(owner: str, body: ContactIn, request: Request, response: Response,
                principal: Principal = Depends(require("contacts.manage")), session: Session = Depends(db_session)):
    """Create (no If-Match needed) or replace (If-Match required) a person's invite address."""
    if not owner.partition(":")[0] in ("escort", "medic", "vehicle") or not owner.partition(":")[2].strip():
        raise HTTPException(422, f"owner {owner!r}: verwacht escort:<id>, medic:<id> of vehicle:<id>")
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


