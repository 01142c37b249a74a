"""Login and logout pages: /login (with login CSRF and throttling) and /logout."""
from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ... import audit, throttle
from ...auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    attempt_login,
    db_session,
    end_session,
    principal_from_cookie,
    require,
    start_session,
)
from ...routes.session import set_session_cookie
from ..render import home_for, page
from .common import _see_other

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never '//host' or 'https://host' (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _login_form(request: Request, next_: str | None, error: str | None = None, status_code: int = 200,
                username: str = "") -> HTMLResponse:
    # Login CSRF, double submit: the same random value in a cookie and in the form; a forged
    # cross-site POST can send neither that cookie's value nor read it.
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", None, status_code=status_code, csrf_login=token, next=next_ or "",
                    error=error, username=username)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies, path="/login")
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = Query(None, max_length=500),
               session: Session = Depends(db_session)):
    principal = principal_from_cookie(session, request.cookies.get(SESSION_COOKIE))
    if principal is not None:
        return _see_other(_safe_next(next) or home_for(principal.role))
    return _login_form(request, _safe_next(next))


@router.post("/login")
def login(request: Request, username: str = Form("", max_length=80), password: str = Form("", max_length=200),
          csrf_token: str = Form(""), next: str = Form("", max_length=500), session: Session = Depends(db_session)):
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not csrf_token or not hmac.compare_digest(cookie, csrf_token):
        return _login_form(request, _safe_next(next), "Het inlogformulier is verlopen of niet via deze site "
                                                      "verstuurd. Probeer het opnieuw.", 403, username)
    with session.begin():
        try:
            user = attempt_login(session, username, password, throttle.address_of(request))
        except throttle.Throttled as exc:
            session.commit()
            response = _login_form(request, _safe_next(next), exc.message, 429, username)
            response.headers["Retry-After"] = str(exc.seconds)
            return response
        if user is None:
            audit.record(session, username[:80] or "?", "login.failed", "user", username[:80] or "?")
            session.commit()
            return _login_form(request, _safe_next(next), "Onbekende gebruikersnaam of onjuist wachtwoord.",
                               401, username)
        token, _csrf = start_session(session, user, request.app.state.settings.session_hours)
        role = user.role
    response = _see_other(_safe_next(next) or home_for(role))
    set_session_cookie(response, request, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, principal: Principal = Depends(require("authenticated")),
           session: Session = Depends(db_session)):
    with session.begin():
        end_session(session, request.cookies.get(SESSION_COOKIE))
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
