"""JSON login for API clients. Pages log in through /login (api/web/pages/session.py)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from .. import accounts, audit, passwords, throttle
from ..auth import (SESSION_COOKIE, Principal, attempt_login, db_session, end_other_sessions, end_session,
                    hash_password, require, start_session, verify_password)
from ..deps import PROTECTED, UNREADABLE
from ..models import User
from ..schemas import AccountChange, Credentials, Me, PasswordChange

router = APIRouter(prefix="/api/session", tags=["session"])


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_hours * 3600, httponly=True,
                        samesite="lax", secure=settings.secure_cookies, path="/")


@router.post("", response_model=Me, responses={**UNREADABLE, 401: {"description": "Wrong username or password"},
                                               429: {"description": "Too many failed attempts: wait Retry-After seconds"},
                                               415: {"description": "Not JSON"}})
def login(credentials: Credentials, request: Request, response: Response, session: Session = Depends(db_session)):
    # Browsers cannot send application/json across sites without a preflight: no login CSRF here.
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise HTTPException(415, "Inloggen via de API vraagt Content-Type: application/json")
    with session.begin():
        try:
            user = attempt_login(session, credentials.username, credentials.password, throttle.address_of(request))
        except throttle.Throttled as exc:
            session.commit()
            raise HTTPException(429, exc.message, headers={"Retry-After": str(exc.seconds)})
        if user is None:
            audit.record(session, credentials.username[:80], "login.failed", "user", credentials.username[:80])
            session.commit()
            raise HTTPException(401, "Onbekende gebruiker of onjuist wachtwoord")
        token, csrf = start_session(session, user, request.app.state.settings.session_hours)
        me = Me(username=user.username, role=user.role, unit=user.unit, owner=user.owner, csrf_token=csrf)
    set_session_cookie(response, request, token)
    return me


def own_changes(session: Session, principal: Principal) -> list[AccountChange]:
    """Changes others made to this account (and to the person's feed link), newest first."""
    from ..routes.calendars import own_feed_owner

    rows = accounts.changes_for(session, principal.id, principal.username, own_feed_owner(principal))
    return [AccountChange(at=e.at, by=e.actor, action=e.action, detail=e.detail) for e in rows]


@router.get("", response_model=Me, responses={401: PROTECTED[401]})
def whoami(principal: Principal = Depends(require("authenticated")), session: Session = Depends(db_session)):
    return Me(username=principal.username, role=principal.role, unit=principal.unit, owner=principal.owner,
              csrf_token=principal.csrf, changes=own_changes(session, principal))


@router.put("/password", status_code=204,
            responses={**PROTECTED, **UNREADABLE, 422: {"description": "Current password wrong, or new one refused"}})
def change_password(body: PasswordChange, request: Request, principal: Principal = Depends(require("authenticated")),
                    session: Session = Depends(db_session)):
    """Change one's own password; every other session of the account ends."""
    found = passwords.problems(body.new_password, principal.username)
    with session.begin():
        user = session.get(User, principal.id)
        if not verify_password(user.password_hash, body.current_password):
            audit.record(session, principal.username, "password.change_failed", "user", user.id)
            session.commit()
            raise HTTPException(422, "Het huidige wachtwoord klopt niet")
        if found:
            raise HTTPException(422, "Wachtwoord geweigerd: " + "; ".join(found))
        user.password_hash = hash_password(body.new_password)
        user.version += 1
        end_other_sessions(session, user.id, keep_token=request.cookies.get(SESSION_COOKIE))
        audit.record(session, principal.username, "password.change", "user", user.id)
    return Response(status_code=204)


@router.delete("", status_code=204, responses=PROTECTED)
def logout(request: Request, response: Response, principal: Principal = Depends(require("authenticated")),
           session: Session = Depends(db_session)):
    with session.begin():
        end_session(session, request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response
