"""Brute-force protection for logging in: failed attempts per account and per client address.

The count lives in the database, so every web process sees the same attempts. Over a sliding
window of 15 minutes an account is locked after 5 failures and an address after 20 (many people
can share one address, e.g. an office's proxy). While locked, every attempt is answered with 429
and Retry-After, even with the right password; attempts made while locked do not count. A
successful login clears the account's failures (not the address's: one valid account must not
reset a guessing run against others); a planner-admin can lift an account's lock early.
"""
from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import audit
from .models import LoginFailure, utcnow

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5
PER_ADDRESS = 20


class Throttled(Exception):
    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.seconds / 60))
        return (f"Te veel mislukte inlogpogingen. Probeer het over {minutes} "
                f"{'minuut' if minutes == 1 else 'minuten'} opnieuw, of vraag de beheerder de blokkade op te heffen.")


def _wait(session: Session, column, value: str, limit: int) -> int:
    """Seconds until fewer than ``limit`` failures of ``value`` remain in the window (0: not locked)."""
    now = utcnow()
    nth = session.scalars(select(LoginFailure.at).where(column == value, LoginFailure.at > now - WINDOW)
                          .order_by(LoginFailure.at.desc()).offset(limit - 1).limit(1)).first()
    return 0 if nth is None else max(1, math.ceil((nth + WINDOW - now).total_seconds()))


def check(session: Session, username: str, address: str) -> None:
    """Raise Throttled (and audit it) if the account or the address is locked now."""
    seconds = max(_wait(session, LoginFailure.username, username, PER_ACCOUNT),
                  _wait(session, LoginFailure.address, address, PER_ADDRESS))
    if seconds:
        audit.record(session, username or "?", "login.throttled", "user", username or "?", address=address,
                     retry_after=seconds)
        raise Throttled(seconds)


def failed(session: Session, username: str, address: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at <= utcnow() - WINDOW))  # keep the table small
    session.add(LoginFailure(username=username, address=address))


def succeeded(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))


def unlock(session: Session, user, actor: str) -> int:
    done = session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    audit.record(session, actor, "login.unlock", "user", user.id, username=user.username, cleared=done.rowcount or 0)
    return done.rowcount or 0


def locked(session: Session, username: str) -> int:
    """Seconds the account stays locked (0: not locked), for the admin page."""
    return _wait(session, LoginFailure.username, username, PER_ACCOUNT)


def address_of(request) -> str:
    return (request.client.host if request.client else "?")[:64]
