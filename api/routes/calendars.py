"""Calendar feeds (by secret token, no login) and a person's own schedule and feed link."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import feedtokens
from ..auth import Principal, db_session, require
from ..authz import REGIE
from ..calendars.feed import not_modified
from ..models import CalendarEvent, Feed, utcnow
from ..publishing import owner_key, rebuild_feed

router = APIRouter(tags=["calendars"])
FEED_CACHE = "private, max-age=0, must-revalidate"


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
        return owner_key("regievoerder", principal.unit or "")
    if not principal.owner:
        raise HTTPException(404, "Aan uw account is geen persoon of voertuig gekoppeld")
    return principal.owner


def feed_url(request: Request, token: str) -> str:
    return f"{request.app.state.settings.public_url}/feeds/{token}.ics"


def link(request: Request, session: Session, owner: str) -> FeedLink:
    row = feedtokens.current(session, owner)
    if row is None:
        return FeedLink(owner=owner, url=None, created_at=None)
    return FeedLink(owner=owner, url=feed_url(request, feedtokens.token_text(request.app.state.settings.secret_key, row)),
                    created_at=row.created_at)


@router.get("/feeds/{token}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}, 304: {"description": "Not modified"},
                       404: {"description": "Unknown or revoked"}})
def feed(token: str, request: Request, session: Session = Depends(db_session)):
    owner = feedtokens.owner_of(session, request.app.state.settings.secret_key, token)
    if owner is None:
        raise HTTPException(404, "Onbekende of ingetrokken agenda-link")
    row = session.get(Feed, owner)
    if row is None:  # nobody published anything for this person yet: an empty, valid calendar
        row = rebuild_feed(session, owner, None, utcnow())
        session.commit()
    headers = {"ETag": row.etag, "Cache-Control": FEED_CACHE}
    if not_modified(request.headers.get("if-none-match"), row.etag):
        return Response(status_code=304, headers=headers)
    return Response(row.body, media_type="text/calendar; charset=utf-8",
                    headers={**headers, "Content-Disposition": 'inline; filename="vertrekplanner.ics"'})


@router.get("/api/me/feed", response_model=FeedLink)
def my_feed(request: Request, principal: Principal = Depends(require("feed.own")),
            session: Session = Depends(db_session)):
    return link(request, session, own_calendar(principal))


@router.post("/api/me/feed-token", response_model=FeedLink, status_code=201)
def rotate_my_feed(request: Request, principal: Principal = Depends(require("feed.own")),
                   session: Session = Depends(db_session)):
    owner = own_calendar(principal)
    with session.begin():
        feedtokens.rotate(session, owner, principal.username)
    return link(request, session, owner)


@router.delete("/api/me/feed-token", status_code=204)
def revoke_my_feed(principal: Principal = Depends(require("feed.own")), session: Session = Depends(db_session)):
    with session.begin():
        feedtokens.revoke(session, own_calendar(principal), principal.username)
    return Response(status_code=204)


@router.get("/api/me/events", response_model=list[EventOut])
def my_events(principal: Principal = Depends(require("feed.own")), session: Session = Depends(db_session)):
    rows = session.scalars(select(CalendarEvent).where(CalendarEvent.owner == own_calendar(principal),
                                                       CalendarEvent.status == "CONFIRMED")
                           .order_by(CalendarEvent.start))
    return [EventOut(uid=r.uid, start=r.start, end=r.end, summary=r.summary, location=r.location,
                     sequence=r.sequence) for r in rows]


@router.get("/api/me/calendar.ics", response_class=Response, responses={200: {"content": {"text/calendar": {}}}})
def my_calendar(principal: Principal = Depends(require("feed.own")), session: Session = Depends(db_session)):
    owner = own_calendar(principal)
    row = session.get(Feed, owner) or rebuild_feed(session, owner, None, utcnow())
    return Response(row.body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="mijn-diensten.ics"'})


_OWNER = r"^(escort|medic|vehicle|regie):[^\s/]+$"


@router.post("/api/people/{owner}/feed-token", response_model=FeedLink, status_code=201)
def rotate_feed(owner: str, request: Request, principal: Principal = Depends(require("feeds.manage")),
                session: Session = Depends(db_session)):
    _check_owner(owner)
    with session.begin():
        feedtokens.rotate(session, owner, principal.username)
    return link(request, session, owner)


@router.delete("/api/people/{owner}/feed-token", status_code=204)
def revoke_feed(owner: str, principal: Principal = Depends(require("feeds.manage")),
                session: Session = Depends(db_session)):
    _check_owner(owner)
    with session.begin():
        feedtokens.revoke(session, owner, principal.username)
    return Response(status_code=204)


def _check_owner(owner: str) -> None:
    import re
    if not re.match(_OWNER, owner):
        raise HTTPException(422, f"owner {owner!r}: verwacht escort:<id>, medic:<id>, vehicle:<id> of regie:<eenheid>")
