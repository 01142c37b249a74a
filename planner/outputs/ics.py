"""Calendar files (RFC 5545) for escorts, medics, vehicles and the planning unit.

UIDs are UUIDv5 over a namespace and the key (departure, calendar owner, event kind,
index): the same plan yields the same UIDs on every run, so a client that fetches the
file again updates its events instead of duplicating them, and the UID itself carries no
case number or name. The namespace can be made secret per deployment
(``VERTREKPLANNER_UID_SECRET``) so that nobody holding the source can confirm a guessed
case number from a UID.

DTSTAMP is the plan's ``generated_at`` (UTC), so the same plan gives byte-identical files.
Times carry the zone of the place (TZID) with a VTIMEZONE per zone; never ``Z`` as well.
"""
from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from icalendar import Calendar, Event

from .derive import CalEvent

PRODID = "-//DT&V//vertrekplanner//NL"
PROJECT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:vertrekplanner:calendar")
REFRESH = "PT1H"


def uid_namespace() -> uuid.UUID:
    secret = os.environ.get("VERTREKPLANNER_UID_SECRET")
    return uuid.uuid5(PROJECT_NAMESPACE, secret) if secret else PROJECT_NAMESPACE


def event_uid(key: str, namespace: uuid.UUID | None = None) -> str:
    return str(uuid.uuid5(namespace or uid_namespace(), key))


def build_calendar(name: str, events: list[CalEvent], dtstamp: datetime) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    # Subscribed feeds: tell clients how often to refetch (RFC 7986 and the Outlook variant).
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    stamp = dtstamp.astimezone(timezone.utc)
    namespace = uid_namespace()
    for ev in sorted(events, key=lambda e: (e.start, e.key)):
        ve = Event()
        ve.add("uid", event_uid(ev.key, namespace))
        ve.add("dtstamp", stamp)
        ve.add("sequence", 0)
        ve.add("dtstart", ev.start)
        ve.add("dtend", ev.end)
        ve.add("summary", ev.summary)
        ve.add("location", ev.location)
        ve.add("description", ev.description)
        ve.add("status", "CONFIRMED")
        ve.add("transp", "OPAQUE" if ev.busy else "TRANSPARENT")
        cal.add_component(ve)
    if events:
        # VTIMEZONE only over the years the events span: the full 1970–2038 default bloats files.
        years = [d.year for e in events for d in (e.start, e.end)]
        cal.add_missing_timezones(first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1))
    return cal


def write_calendar(path: Path, name: str, events: list[CalEvent], dtstamp: datetime) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_calendar(name, events, dtstamp).to_ical())
    return path
