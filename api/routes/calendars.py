"""Calendar feeds (by secret token, no login) and a person's own schedule and feed link."""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .. import feedtokens
from ..auth import Principal, db_session, require
from ..authz import REGIE
from ..calendars.feed import not_modified
from .. import owners
from ..deps import PROTECTED
from ..models import CalendarEvent, Feed, utcnow
from ..publishing import rebuild_feed
from ..schemas import ErrorOut, RequestInvalid

router = APIRouter(tags=["calendars"])
FEED_CACHE = "private, max-age=0, must-revalidate"
OWN = {**PROTECTED, 404: {"description": "No person or vehicle is linked to this account"}}
ANYONES = {**PROTECTED, 409: {"description": "The person already has a live link: revoke it first"},
           422: {"model": RequestInvalid | ErrorOut, "description": "Not an owner key"}}


class FeedLink(BaseModel):
    owner: str
    url: str | None
    created_at: datetime | None


class EventOut(BaseModel):
    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str
    sequence: int


def own_calendar(principal: Principal) -> str:
    if principal.role == REGIE:
        return owners.unit_owner(principal.unit or "")
    if not principal.owner:
        raise HTTPException(404, "Aan uw account is geen persoon of voertuig gekoppeld")
    return principal.owner


def own_feed_owner(principal: Principal) -> str | None:
    """The calendar a person's own feed link belongs to, or None (admins, inspectors, no link)."""
    if principal.role == REGIE:
        return owners.unit_owner(principal.unit or "")
    return principal.owner


def feed_url(request: Request, token: str) -> str:
    return f"{request.app.state.settings.public_url}/feeds/{token}.ics"


def link(request: Request, session: Session, owner: str) -> FeedLink:
    row = feedtokens.current(session, owner)
    if row is None:
        return FeedLink(owner=owner, url=None, created_at=None)
    return FeedLink(owner=owner, url=feed_url(request, feedtokens.token_text(request.app.state.settings.secret_key, row)),
                    created_at=row.created_at)


class FeedBodies:
    """Feed bodies kept in this process, per owner with the ETag they were read under.

    The ETag is a hash of the body, so a body cached under the ETag that the database shows now is
    exactly the stored body: a publication (new ETag) is seen by the next request, and the token is
    checked in the database on every request, so a revoked token stops working at once. Bounded to
    ``max_bytes`` (least recently used out first)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, owner: str, etag: str) -> bytes | None:
        with self._lock:
            item = self._items.get(owner)
            if item is None or item[0] != etag:
                return None
            self._items.move_to_end(owner)
            return item[1]

    def put(self, owner: str, etag: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(owner, None)
            self.size += len(body) - (len(old[1]) if old else 0)
            self._items[owner] = (etag, body)
            while self.size > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= len(dropped)


def feed_bodies(app) -> FeedBodies:
    bodies = getattr(app.state, "feed_bodies", None)
    if bodies is None:
        bodies = app.state.feed_bodies = FeedBodies()
    return bodies


_BODY = select(Feed.body, Feed.etag).where(Feed.owner == bindparam("owner"))


@router.get("/feeds/{token}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}, 304: {"description": "Not modified"},
                       404: {"description": "Unknown or revoked"}})
def feed(token: str, request: Request):
    # Hot path (calendar apps poll it): one indexed query, outside a transaction, for the token and
    # the current ETag; the body only on a miss of the in-process cache; no ORM session.
    state = request.app.state
    with state.db.autocommit.connect() as connection:
        found = feedtokens.resolve(connection, state.settings.secret_key, token)
        if found is None:
            raise HTTPException(404, "Onbekende of ingetrokken agenda-link")
        owner, tag = found
        body = None
        if tag is not None and not not_modified(request.headers.get("if-none-match"), tag):
            body = feed_bodies(request.app).get(owner, tag)
            if body is None:
                # Read body and ETag together: a publication since the first query gives a newer pair.
                row = connection.execute(_BODY, {"owner": owner}).first()
                body, tag = row if row is not None else (None, None)
                if row is not None:
                    feed_bodies(request.app).put(owner, tag, body)
    if tag is None:  # nobody published anything for this person yet: an empty, valid calendar
        with state.db.sessions() as session:
            row = session.get(Feed, owner) or rebuild_feed(session, owner, None, utcnow())
            session.commit()
            body, tag = row.body, row.etag
    headers = {"ETag": tag, "Cache-Control": FEED_CACHE}
    if not_modified(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={**headers, "Content-Disposition": 'inline; filename="vertrekplanner.ics"'})


@router.get("/api/me/feed", response_model=FeedLink, responses=OWN)
def my_feed(request: Request, principal: Principal = Depends(require("feed.own")),
            session: Session = Depends(db_session)):
    return link(request, session, own_calendar(principal))


@router.post("/api/me/feed-token", response_model=FeedLink, status_code=201, responses=OWN)
def rotate_my_feed(request: Request, principal: Principal = Depends(require("feed.own")),
                   session: Session = Depends(db_session)):
    owner = own_calendar(principal)
    with session.begin():
        feedtokens.rotate(session, owner, principal.username)
    return link(request, session, owner)


@router.delete("/api/me/feed-token", status_code=204, responses=OWN)
def revoke_my_feed(principal: Principal = Depends(require("feed.own")), session: Session = Depends(db_session)):
    with session.begin():
        feedtokens.revoke(session, own_calendar(principal), principal.username)
    return Response(status_code=204)


@router.get("/api/me/events", response_model=list[EventOut], responses=OWN)
def my_events(principal: Principal = Depends(require("feed.own")), session: Session = Depends(db_session)):
    rows = session.scalars(select(CalendarEvent).where(CalendarEvent.owner == own_calendar(principal),
                                                       CalendarEvent.status == "CONFIRMED")
                           .order_by(CalendarEvent.start))
    return [EventOut(uid=r.uid, start=r.start, end=r.end, summary=r.summary, location=r.location,
                     sequence=r.sequence) for r in rows]


@router.get("/api/me/calendar.ics", response_class=Response,
            responses={**OWN, 200: {"content": {"text/calendar": {}}}})
def my_calendar(principal: Principal = Depends(require("feed.own")), session: Session = Depends(db_session)):
    owner = own_calendar(principal)
    row = session.get(Feed, owner) or rebuild_feed(session, owner, None, utcnow())
    return Response(row.body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="mijn-diensten.ics"'})


_OWNER = r"^(escort|medic|vehicle|regie):[^\s/]+$"
# In the OpenAPI document too, so clients (and the fuzzer) know what the server takes.
AnyOwner = Annotated[str, Path(pattern=_OWNER, description="escort:<id>, medic:<id> or vehicle:<id>")]


@router.post("/api/people/{owner}/feed-token", response_model=FeedLink, status_code=201, responses=ANYONES)
def rotate_feed(owner: AnyOwner, request: Request, principal: Principal = Depends(require("feeds.manage")),
                session: Session = Depends(db_session)):
    _check_owner(owner)
    with session.begin():
        # Never silently: a person's live link is only replaced after an explicit, audited DELETE,
        # which the person sees among the changes to their account.
        if feedtokens.current(session, owner) is not None:
            raise HTTPException(409, "Deze persoon heeft al een agenda-link. Trek die eerst in (DELETE); "
                                     "de persoon ziet dat bij de wijzigingen aan het eigen account.")
        feedtokens.rotate(session, owner, principal.username)
    return link(request, session, owner)


@router.delete("/api/people/{owner}/feed-token", status_code=204, responses=ANYONES)
def revoke_feed(owner: AnyOwner, principal: Principal = Depends(require("feeds.manage")),
                session: Session = Depends(db_session)):
    _check_owner(owner)
    with session.begin():
        feedtokens.revoke(session, owner, principal.username)
    return Response(status_code=204)


def _check_owner(owner: str) -> None:
    import re
    if owners.is_unit(owner):
        # A unit's task feed lists every case and its medical tasks: only its regievoerders
        # (through /api/me/feed-token) hand it out, never the account administration.
        raise HTTPException(403, "De takenagenda van een eenheid bevat zaakgegevens: alleen de regievoerder "
                                 "van die eenheid maakt of trekt die link in (via de eigen agenda-pagina)")
    if not re.match(_OWNER, owner):
        raise HTTPException(422, f"owner {owner!r}: verwacht {owners.PERSON_FORMAT}")
