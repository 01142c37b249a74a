"""Calendar objects (RFC 5545) for escorts, medics, vehicles and the planning unit.

One VEVENT builder (``vevent``) and one set of calendar headers serve both the CLI's files
and the planning service's feeds and iTIP invitations (``api.calendars``), so the rules of
``shared/notes/calendar.md`` are written down once.

CLI files: UIDs are UUIDv5 over a namespace and the key (departure, calendar owner, event
kind, index): the same plan yields the same UIDs on every run, so a client that fetches the
file again updates its events instead of duplicating them, and the UID itself carries no
case number or name. The namespace can be made secret per deployment
(``VERTREKPLANNER_UID_SECRET``) so that nobody holding the source can confirm a guessed
case number from a UID. The service instead stores a random UID per event (it must survive
plan changes that the CLI never sees).

DTSTAMP is the plan's ``generated_at`` (UTC), so the same plan gives byte-identical files.
Times carry the zone of the place (TZID) with a VTIMEZONE per zone; never ``Z`` as well; only a
time in the repeated hour of a night when clocks go back is written in UTC (``_unambiguous``).
"""
from __future__ import annotations

import copy
import os
import uuid
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Protocol

from icalendar import Calendar, Event, Timezone

from .derive import CalEvent

PRODID = "-//DT&V//vertrekplanner//NL"
PROJECT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:vertrekplanner:calendar")
REFRESH = "PT1H"


class EventText(Protocol):
    """What a VEVENT shows; both ``CalEvent`` and the service's stored events have it."""

    start: datetime
    end: datetime
    summary: str
    location: str
    description: str
    busy: bool


def uid_namespace() -> uuid.UUID:
    secret = os.environ.get("VERTREKPLANNER_UID_SECRET")
    return uuid.uuid5(PROJECT_NAMESPACE, secret) if secret else PROJECT_NAMESPACE


def event_uid(key: str, namespace: uuid.UUID | None = None) -> str:
    return str(uuid.uuid5(namespace or uid_namespace(), key))


def new_calendar(method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def feed_calendar(name: str) -> Calendar:
    """Headers of a subscribed feed (no METHOD: a snapshot, not a scheduling message)."""
    cal = new_calendar()
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    # Subscribed feeds: tell clients how often to refetch (RFC 7986 and the Outlook variant).
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    return cal


def vevent(ev: EventText, uid: str, dtstamp: datetime, sequence: int = 0, status: str = "CONFIRMED") -> Event:
    """The one VEVENT of an event; property order is fixed so equal input gives equal bytes."""
    ve = Event()
    ve.add("uid", uid)
    ve.add("dtstamp", dtstamp.astimezone(timezone.utc))  # DTSTAMP must be UTC (RFC 5545 §3.8.7.2)
    ve.add("sequence", sequence)
    ve.add("dtstart", _unambiguous(ev.start))
    ve.add("dtend", _unambiguous(ev.end))
    ve.add("summary", ev.summary)
    ve.add("location", ev.location)
    ve.add("description", ev.description)
    ve.add("status", status)
    ve.add("transp", "OPAQUE" if ev.busy else "TRANSPARENT")
    return ve


def _unambiguous(dt: datetime) -> datetime:
    """The time as written: local with its TZID, except in the repeated hour when clocks go back.

    There every local time occurs twice. RFC 5545 §3.3.5 says a TZID time means the first, but
    readers differ (ical.js, in Thunderbird, takes the second), so a time in that hour, either
    occurrence, is written in UTC, which every reader takes the same way."""
    if dt.utcoffset() != dt.replace(fold=1 - dt.fold).utcoffset():
        return dt.astimezone(timezone.utc)
    return dt


def _zone_years(events: Iterable[EventText]) -> tuple[date, date] | None:
    """VTIMEZONEs cover only the years the events span (the full 1970–2038 default bloats every
    file and mail)."""
    years = [d.year for e in events for d in (e.start, e.end)]
    return (date(min(years) - 1, 1, 1), date(max(years) + 2, 1, 1)) if years else None


def add_timezones(cal: Calendar, events: Iterable[EventText]) -> Calendar:
    """A VTIMEZONE for every TZID used, in TZID order."""
    span = _zone_years(events)
    if span is None:
        return cal
    # Not icalendar's add_missing_timezones: it adds them in set order, which changes with
    # each process's hash seed (the same plan must give the same bytes and ETag), and it
    # rebuilds each zone at ~50 ms, far too slow for thousands of invitation mails.
    added = [copy.deepcopy(z) for tzid in cal.get_missing_tzids() if (z := _vtimezone(tzid, *span)) is not None]
    zones = sorted([c for c in cal.subcomponents if c.name == "VTIMEZONE"] + added, key=lambda c: str(c["TZID"]))
    cal.subcomponents[:] = zones + [c for c in cal.subcomponents if c.name != "VTIMEZONE"]
    return cal


def calendar_bytes(cal: Calendar, events: Iterable[EventText]) -> bytes:
    """The bytes of ``add_timezones(cal, events).to_ical()`` for a calendar without VTIMEZONEs of
    its own, with each zone serialised once and reused: one zone serves thousands of mails."""
    span = _zone_years(events)
    body = cal.to_ical()
    if span is None:
        return body
    zones = b"".join(_vtimezone_bytes(tzid, *span) for tzid in sorted(cal.get_missing_tzids()))
    # The zones go first among the components: before the first BEGIN line after the calendar's own.
    first_component = body.find(b"\r\nBEGIN:", len(b"BEGIN:VCALENDAR"))
    at = first_component + 2 if first_component >= 0 else body.rindex(b"END:VCALENDAR\r\n")
    return body[:at] + zones + body[at:]


@lru_cache(maxsize=512)
def _vtimezone(tzid: str, first: date, last: date) -> Timezone | None:
    """The cached zone: callers copy it before putting it in a calendar."""
    try:
        return Timezone.from_tzid(tzid, first_date=first, last_date=last)
    except ValueError:  # unknown to the zone database: nothing to add (as icalendar does)
        return None


@lru_cache(maxsize=512)
def _vtimezone_bytes(tzid: str, first: date, last: date) -> bytes:
    zone = _vtimezone(tzid, first, last)
    return zone.to_ical() if zone is not None else b""


def _events_calendar(name: str, events: list[CalEvent], dtstamp: datetime) -> Calendar:
    cal = feed_calendar(name)
    namespace = uid_namespace()
    for ev in sorted(events, key=lambda e: (e.start, e.key)):
        cal.add_component(vevent(ev, event_uid(ev.key, namespace), dtstamp))
    return cal


def build_calendar(name: str, events: list[CalEvent], dtstamp: datetime) -> Calendar:
    """The CLI's file: every event confirmed, sequence 0, UIDv5 from the key."""
    return add_timezones(_events_calendar(name, events, dtstamp), events)


def write_calendar(path: Path, name: str, events: list[CalEvent], dtstamp: datetime) -> Path:
    """``build_calendar(...).to_ical()`` into ``path``, each zone serialised once per process
    (``calendar_bytes``): a programme's hundreds of calendars share a handful of zones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(calendar_bytes(_events_calendar(name, events, dtstamp), events))
    return path
