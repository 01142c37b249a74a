"""JSON login for API clients. Pages log in through /login (api/web/pages.py)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from .. import audit
from ..auth import SESSION_COOKIE, Principal, authenticate, db_session, end_session, require, start_session
from ..deps import PROTECTED, UNREADABLE
from ..schemas import Credentials, Me

router = APIRouter(prefix="/api/session", tags=["session"])


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_hours * 3600, httponly=True,
                        samesite="lax", secure=settings.secure_cookies, path="/")


@router.post("", response_model=Me, responses={**UNREADABLE, 401: {"description": "Wrong username or password"},
                                               415: {"description": "Not JSON"}})
def login(credentials: Credentials, request: Request, response: Response, session: Session = Depends(db_session)):
    # Browsers cannot send application/json across sites without a preflight: no login CSRF here.
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise HTTPException(415, "Inloggen via de API vraagt Content-Type: application/json")
    with session.begin():
        user = authenticate(session, credentials.username, credentials.password)
        if user is None:
            audit.record(session, credentials.username[:80], "login.failed", "user", credentials.username[:80])
            session.commit()
            raise HTTPException(401, "Onbekende gebruiker of onjuist wachtwoord")
        token, csrf = start_session(session, user, request.app.state.settings.session_hours)
        me = Me(username=user.username, role=user.role, unit=user.unit, owner=user.owner, csrf_token=csrf)
    set_session_cookie(response, request, token)
    return me


@router.get("", response_model=Me, responses={401: PROTECTED[401]})
def whoami(principal: Principal = Depends(require("authenticated"))):
    return Me(username=principal.username, role=principal.role, unit=principal.unit, owner=principal.owner,
              csrf_token=principal.csrf)


@router.delete("", status_code=204, responses=PROTECTED)
def logout(request: Request, response: Response, principal: Principal = Depends(require("authenticated")),
           session: Session = Depends(db_session)):
    with session.begin():
        end_session(session, request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response
