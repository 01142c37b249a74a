"""Secret feed URLs: one live token per person, rotatable and revocable.

A token is ``<nonce>.<mac>``: the nonce is stored, the MAC is HMAC-SHA256 of owner and nonce
under the service's secret key. The database alone cannot rebuild a URL, yet the person's page
can show their link again at any time (calendar apps cannot log in, so the link is the key).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from . import audit
from .models import Feed, FeedToken, utcnow


def _mac(secret: str, owner: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"{owner}\x00{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def token_text(secret: str, row: FeedToken) -> str:
    return f"{row.nonce}.{_mac(secret, row.owner, row.nonce)}"


def current(session: Session, owner: str) -> FeedToken | None:
    return session.scalar(select(FeedToken).where(FeedToken.owner == owner, FeedToken.revoked_at.is_(None))
                          .order_by(FeedToken.id.desc()))


def rotate(session: Session, owner: str, actor: str) -> FeedToken:
    """Revoke every live token of the person and issue a new one."""
    revoke(session, owner, actor, audit_it=False)
    row = FeedToken(owner=owner, nonce=secrets.token_urlsafe(18), created_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, actor, "feed.rotate", "feed", owner)
    return row


def revoke(session: Session, owner: str, actor: str, audit_it: bool = True) -> int:
    done = session.execute(update(FeedToken).where(FeedToken.owner == owner, FeedToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    if audit_it:
        audit.record(session, actor, "feed.revoke", "feed", owner)
    return done.rowcount or 0


def owner_of(session: Session, secret: str, token: str) -> str | None:
    """The person a presented token belongs to, or None (unknown, forged or revoked)."""
    nonce, _, mac = token.partition(".")
    if not nonce or not mac or len(token) > 200:
        return None
    row = session.scalar(select(FeedToken).where(FeedToken.nonce == nonce))
    if row is None or row.revoked_at is not None:
        return None
    return row.owner if hmac.compare_digest(mac, _mac(secret, row.owner, nonce)) else None


# The feed route's one query per request: the live token's owner and that person's feed ETag.
_LIVE_TOKEN = (select(FeedToken.owner, Feed.etag).outerjoin(Feed, Feed.owner == FeedToken.owner)
               .where(FeedToken.nonce == bindparam("nonce"), FeedToken.revoked_at.is_(None)))


def resolve(connection: Connection, secret: str, token: str) -> tuple[str, str | None] | None:
    """``(owner, ETag of their feed or None if none is stored yet)`` for a presented token, or None
    (unknown, forged or revoked), read in one query on every call: revocation takes effect at once."""
    nonce, _, mac = token.partition(".")
    if not nonce or not mac or len(token) > 200:
        return None
    row = connection.execute(_LIVE_TOKEN, {"nonce": nonce}).first()
    if row is None or not hmac.compare_digest(mac, _mac(secret, row.owner, nonce)):
        return None
    return row.owner, row.etag
