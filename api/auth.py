"""Passwords (argon2), login sessions in a cookie, CSRF tokens and permission checks.

The session cookie holds a random token; the database keeps only its SHA-256, so a copy of
the database cannot be replayed as a login. Every unsafe request (POST, PUT, PATCH, DELETE)
carries the session's CSRF token, as the ``X-CSRF-Token`` header or the ``csrf_token`` form
field; the cookie is also SameSite=Lax and HttpOnly.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import audit, throttle
from .authz import allowed
from .models import LoginSession, User, utcnow

SESSION_COOKIE = "vp_session"
LOGIN_CSRF_COOKIE = "vp_login_csrf"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    role: str
    unit: str | None
    owner: str | None
    csrf: str


def db_session(request: Request):
    """A database session per request; routes commit their own unit of work."""
    with request.app.state.db.sessions() as session:
        yield session


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)  # same work either way: no user enumeration by timing
        return None
    return user if verify_password(user.password_hash, password) else None


def attempt_login(session: Session, username: str, password: str, address: str) -> User | None:
    """``authenticate`` behind the throttle: raises ``throttle.Throttled`` while the account or the
    address is locked (commit before answering, so the audit entry stays); counts a failure."""
    throttle.check(session, username, address)
    user = authenticate(session, username, password) if username and password else None
    if user is None:
        throttle.failed(session, username, address)
    else:
        throttle.succeeded(session, username)
    return user


def end_other_sessions(session: Session, user_id: int, keep_token: str | None = None) -> None:
    """After a password change: every session of the user ends, except the one making the change."""
    query = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep_token:
        query = query.where(LoginSession.token_hash != _digest(keep_token))
    session.execute(query)


def start_session(session: Session, user: User, hours: int) -> tuple[str, str]:
    """Create a login session; returns (cookie token, CSRF token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_digest(token), user_id=user.id, csrf_token=csrf,
                             expires_at=utcnow() + timedelta(hours=hours)))
    audit.record(session, user.username, "login", "user", user.id)
    return token, csrf


def end_session(session: Session, token: str | None) -> None:
    if token:
        row = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
        if row is not None:
            user = session.get(User, row.user_id)
            audit.record(session, user.username if user else "?", "logout", "user", row.user_id)
            session.delete(row)


def principal_from_cookie(session: Session, token: str | None) -> Principal | None:
    if not token:
        return None
    row = session.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == _digest(token))).first()
    if row is None:
        return None
    login, user = row
    if login.expires_at <= utcnow() or not user.active:
        return None
    return Principal(user.id, user.username, user.role, user.unit, user.owner, login.csrf_token)


async def _submitted_csrf(request: Request) -> str | None:
    token = request.headers.get("x-csrf-token")
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # cached by Starlette: the route reads the same form
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


class NotLoggedIn(Exception):
    """Raised for a request without a valid session: 401 for the API, a redirect for pages."""


def require(permission: str):
    """Dependency: the logged-in principal, allowed ``permission``; CSRF checked on unsafe methods."""
    async def dependency(request: Request) -> Principal:
        # Its own short session, so the route's session starts with no transaction open.
        with request.app.state.db.sessions() as session:
            principal = principal_from_cookie(session, request.cookies.get(SESSION_COOKIE))
        if principal is None:
            raise NotLoggedIn()
        if request.method in UNSAFE:
            sent = await _submitted_csrf(request)
            if not sent or not hmac.compare_digest(sent, principal.csrf):
                raise HTTPException(403, "CSRF-token ontbreekt of klopt niet (csrf_token)")
        if not allowed(principal.role, permission):
            raise HTTPException(403, f"Geen toegang: rol '{principal.role}' mist recht '{permission}'")
        request.state.principal = principal
        return principal
    dependency.permission = permission  # read by the authorization-matrix test
    return dependency


def optional_principal(request: Request, session: Session) -> Principal | None:
    return principal_from_cookie(session, request.cookies.get(SESSION_COOKIE))
