"""Per-person subscribed feeds: a full snapshot of the confirmed events on every fetch.

Cancelled events are left out (a snapshot drops them; the CANCEL mail is what removes them
promptly). The VEVENTs are built by ``planner.outputs.ics.vevent``, the same code as the
CLI's files, with the stored UID and SEQUENCE.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from planner.outputs.ics import calendar_bytes, feed_calendar, vevent

from .events import CONFIRMED, StoredEvent


def render_feed(calendar_name: str, events: list[StoredEvent], dtstamp: datetime) -> bytes:
    """The feed's bytes. Pass as ``dtstamp`` the time of the publication that produced the
    stored events, not the request time: the same stored state then gives the same bytes, so
    the ETag holds and clients polling with If-None-Match get 304s."""
    shown = sorted((e for e in events if e.status == CONFIRMED), key=lambda e: (e.start, e.key))
    cal = feed_calendar(calendar_name)
    for ev in shown:
        cal.add_component(vevent(ev, ev.uid, dtstamp, ev.sequence, ev.status))
    return calendar_bytes(cal, shown)


def etag(body: bytes) -> str:
    """Strong ETag (quoted) of a feed body."""
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def not_modified(if_none_match: str | None, current: str) -> bool:
    """Whether an If-None-Match header matches ``current``: weak comparison (RFC 9110
    §13.1.2), a list of tags or ``*``."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = current.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))
