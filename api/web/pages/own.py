"""The field roles' own page: /ik (upcoming missions, changes), the feed link and the agenda download."""
from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import timeutil
from planner.outputs import derive

from ... import owners
from ...auth import Principal, db_session, require
from ...models import CalendarEvent, Feed, utcnow
from ...routes.session import own_changes
from .. import pages
from ..render import page
from .common import _DOCUMENT_HEADERS, _see_other

router = APIRouter(include_in_schema=False)


def now():
    """The instant from which missions count as upcoming (a seam for tests of a dated scenario)."""
    return utcnow()


@router.get("/ik")
def my_page(request: Request, nieuw: int | None = Query(None), principal: Principal = Depends(require("schedule.own")),
            session: Session = Depends(db_session)):
    events, feed_url = [], None
    if principal.owner:
        # ``now`` looked up on the package when called: tests replace api.web.pages.now.
        rows = session.scalars(select(CalendarEvent).where(
            CalendarEvent.owner == principal.owner, CalendarEvent.status == "CONFIRMED",
            CalendarEvent.end >= pages.now()).order_by(CalendarEvent.start).limit(100))
        events = [_event_row(e) for e in rows]
        feed_url = _feed_url(request, session, principal.owner)
    return page(request, "ik.html", principal, events=events, feed_url=feed_url, rotated=nieuw,
                changes=own_changes(session, principal), webcal_url=webcal(feed_url) if feed_url else None,
                qr_svg=qr_svg(webcal(feed_url)) if feed_url else None)


def webcal(url: str) -> str:
    """The feed link with the webcal scheme: a phone or desktop opens it in its calendar app and
    offers to subscribe (the same link, so it is just as secret)."""
    _scheme, sep, rest = url.partition("://")
    return "webcal://" + rest if sep else url


def qr_svg(url: str) -> Markup:
    """The link as a QR code, an inline SVG (no image request, nothing from elsewhere), to scan with a phone."""
    import segno

    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                  title="QR-code van uw agenda-link", svgclass="qr"))


def _event_row(e: CalendarEvent) -> dict:
    """An event as its owner reads it: in the zone of the place where it starts (and ends)."""
    start_tz, end_tz = ZoneInfo(e.tzid), ZoneInfo(e.end_tzid)
    start, end = derive.local(timeutil.minutes(e.start), start_tz), derive.local(timeutil.minutes(e.end), end_tz)
    return {"summary": e.summary, "location": e.location, "description": e.description,
            "start": start, "end": end, "span": derive.span_text(start, end), "one_zone": start.zone == end.zone,
            "itinerary": _itinerary_link(e)}


def _itinerary_link(e: CalendarEvent) -> str | None:
    """The itinerary of the departure a mission (or a vehicle's trip) belongs to: the team may open it
    (``authz.on_team``). Event keys are "<departure>|<owner>|<kind>|<n>" (planner/outputs/derive.py)."""
    dep_id, _owner, kind, *_rest = (e.key.split("|") + ["", "", ""])[:4]
    if kind not in ("mission", "trip") or not dep_id:
        return None
    return f"/scenarios/{e.scenario_id}/departures/{quote(dep_id)}/itinerary"


def _feed_url(request: Request, session: Session, owner: str) -> str | None:
    """The person's live feed link, or None before they made one (a GET never creates it)."""
    from ... import feedtokens
    from ...routes.calendars import link

    return link(request, session, owner).url if feedtokens.current(session, owner) else None


def _own(principal: Principal) -> str:
    if not principal.owner:
        raise HTTPException(409, "Uw account is nog niet aan een escort, medicus of voertuig gekoppeld. "
                                 "Vraag de beheerder om de koppeling.")
    return principal.owner


@router.post("/ik/feed-token")
def my_feed_rotate(request: Request, principal: Principal = Depends(require("schedule.own")),
                   session: Session = Depends(db_session)):
    """A new secret link; the old one stops working at once (a leaked link is closed this way)."""
    from ... import feedtokens

    owner = _own(principal)
    with session.begin():
        replaced = feedtokens.current(session, owner) is not None
        feedtokens.rotate(session, owner, principal.username)
    # 1: the first link; 2: a new link in place of one that now no longer works.
    return _see_other("/ik?nieuw=2" if replaced else "/ik?nieuw=1")


@router.get("/ik/agenda.ics")
def my_calendar(request: Request, principal: Principal = Depends(require("schedule.own")),
                session: Session = Depends(db_session)):
    from ...publishing import rebuild_feed

    owner = _own(principal)
    # The feed as published; before any publication, an empty valid calendar (not stored).
    row = session.get(Feed, owner) or rebuild_feed(session, owner, None, utcnow())
    body = row.body
    session.rollback()
    filename = "agenda-" + derive.safe_name(owners.file_stem(owner)) + ".ics"
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={**_DOCUMENT_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'})
