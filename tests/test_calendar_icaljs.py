"""Feeds and invites read by ical.js, the iCalendar parser inside Thunderbird, under Node.

The other calendar tests read the same output with three Python parsers; ical.js is written
independently of all of them, and here it resolves every TZID with the VTIMEZONE the project put
in the file (not with a zone database of its own), so the UTC instants it reports check the zone
definitions as well as the times, across both daylight saving nights.

``make test`` installs ical.js (``npm ci`` in tests/js). Without Node.js the tests are skipped;
with Node but without ical.js they fail, so a missing install step cannot pass silently.
"""
from __future__ import annotations

import email
import email.policy
import json
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from api.calendars.events import CANCELLED, StoredEvent, reconcile
from api.calendars.feed import render_feed
from api.calendars.itip import message
from api.models import CalendarEvent
from publish_support import make_draft, owners_in
from service import upload_demo
from test_calendar_core import (AMS, ATTENDEE, KTM, NAMES, ORGANIZER, STAMP, ev, owners,  # noqa: F401
                                plan_events, stored_plan, unicode_events)
from test_outputs import exact  # noqa: F401

JS = Path(__file__).resolve().parent / "js"
UTC = timezone.utc


def icaljs(tmp_path: Path, *bodies: bytes) -> list[dict]:
    """What ical.js reads from each body (see tests/js/read_ics.mjs)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed; the ical.js checks need it")
    if not (JS / "node_modules" / "ical.js" / "package.json").exists():
        pytest.fail("ical.js is not installed: run `make test`, or `npm ci` in tests/js")
    paths = []
    for i, body in enumerate(bodies):
        path = tmp_path / f"calendar-{i}.ics"
        path.write_bytes(body)
        paths.append(str(path))
    done = subprocess.run([node, str(JS / "read_ics.mjs"), *paths], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_same_events(read: dict, events: list[StoredEvent]) -> None:
    by_uid = {e["uid"]: e for e in read["events"]}
    assert sorted(by_uid) == sorted(e.uid for e in events), read["path"]
    for want in events:
        got = by_uid[want.uid]
        assert (got["sequence"], got["status"], got["summary"], got["location"], got["description"]) == \
            (want.sequence, want.status, want.summary, want.location, want.description), want.key
        assert got["transp"] == ("OPAQUE" if want.busy else "TRANSPARENT")
        # In UTC: Python never calls a time in a repeated hour equal to one in another zone (PEP 495).
        assert (instant(got["start"]), instant(got["end"])) == (want.start.astimezone(UTC), want.end.astimezone(UTC)), \
            want.key


def test_icaljs_reads_every_feed_of_a_real_plan(tmp_path, stored_plan):
    people = owners(stored_plan)
    bodies = [render_feed(f"Vertrekplanner — {owner}", events, STAMP) for owner, events in people.items()]
    reads = icaljs(tmp_path, *bodies)
    for read, (owner, events) in zip(reads, people.items()):
        assert read["method"] is None and read["name"] == f"Vertrekplanner — {owner}"
        assert_same_events(read, events)
        assert read["zones"] == sorted(read["zones"]) and read["zones"]


def dst_events() -> list[StoredEvent]:
    """Both daylight saving nights of 2027 in Amsterdam, and a zone 45 minutes off the hour."""
    first = datetime(2027, 10, 31, 0, 30, tzinfo=UTC).astimezone(AMS)   # 02:30 CEST
    second = datetime(2027, 10, 31, 1, 30, tzinfo=UTC).astimezone(AMS)  # 02:30 CET, the repeated hour
    assert (first.fold, second.fold) == (0, 1) and first.replace(tzinfo=None) == second.replace(tzinfo=None)
    fresh = [
        ev("spring", datetime(2027, 3, 28, 1, 30, tzinfo=AMS), 2),
        ev("kathmandu", datetime(2027, 3, 28, 23, 15, tzinfo=KTM), 0.75),
        ev("autumn-first", first, 0.5),
        ev("autumn-second", second, 0.5),
        ev("ends-in-repeat", datetime(2027, 10, 31, 0, 0, tzinfo=AMS), 3.5),  # ends 02:30 CET
        ev("night", datetime(2027, 10, 30, 23, 0, tzinfo=AMS), 5),
    ]
    # ``ev`` adds wall-clock hours (aware arithmetic in one zone); these durations are real hours.
    return reconcile({}, [replace(e, end=(e.start.astimezone(UTC) + (e.end - e.start)).astimezone(e.start.tzinfo))
                          for e in fresh])


def test_icaljs_times_across_both_daylight_saving_nights(tmp_path):
    events = dst_events().created
    body = render_feed("dst", events, STAMP)
    (read,) = icaljs(tmp_path, body)
    assert_same_events(read, events)
    got = {e["uid"]: (instant(e["start"]), instant(e["end"])) for e in read["events"]}
    by_key = {e.key.split("|")[2]: e for e in events}
    # The repeated hour: 02:30 twice on the wall clock, one hour apart in fact.
    assert got[by_key["autumn-second"].uid][0] - got[by_key["autumn-first"].uid][0] == timedelta(hours=1)
    assert got[by_key["ends-in-repeat"].uid][1] == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    assert got[by_key["night"].uid][1] - got[by_key["night"].uid][0] == timedelta(hours=5)
    assert got[by_key["spring"].uid] == (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), datetime(2027, 3, 28, 2, 30, tzinfo=UTC))
    # icalendar, reading the same bytes, agrees on every instant.
    python = {str(e["UID"]): (e.start.astimezone(UTC), e.end.astimezone(UTC)) for e in Calendar.from_ical(body).events}
    assert python == got
    # Only the times in the repeated hour are written in UTC; every other one keeps its zone.
    lines = body.decode().split("\r\n")
    assert sorted(ln for ln in lines if ln.startswith(("DTSTART:", "DTEND:")) and ln.endswith("Z")) == [
        "DTEND:20271031T010000Z", "DTEND:20271031T013000Z", "DTSTART:20271031T003000Z", "DTSTART:20271031T013000Z"]


def test_icaljs_reads_request_and_cancel_mails(tmp_path):
    event = unicode_events()[0]
    cancelled = replace(event, status=CANCELLED, sequence=event.sequence + 1)
    parts = []
    for method, e in (("REQUEST", event), ("CANCEL", cancelled)):
        raw = message(method, e, ORGANIZER, ATTENDEE, STAMP).as_bytes()
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        (calpart,) = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
        assert calpart.get_param("method") == method
        parts.append(calpart.get_payload(decode=True))
    request, cancel = icaljs(tmp_path, *parts)
    assert request["method"] == "REQUEST" and cancel["method"] == "CANCEL"
    assert_same_events(request, [event])
    assert_same_events(cancel, [cancelled])
    for read in (request, cancel):
        (e,) = read["events"]
        assert e["organizer"] == f"mailto:{ORGANIZER[1]}" and e["attendees"] == [f"mailto:{ATTENDEE[1]}"]
    assert request["events"][0]["summary"] == f"Missie {NAMES[0]} → {NAMES[2]}"


def test_icaljs_reads_the_published_feeds_of_the_service(tmp_path, service):
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    draft, plan = make_draft(service, sid)
    assert regie.post(f"/api/plans/{draft}/publish").status_code == 200
    people = sorted(owners_in(plan))
    admin, bodies = service.client("admin"), []
    for owner in people:
        url = admin.post(f"/api/people/{owner}/feed-token").json()["url"]
        response = service.client().get("/" + url.split("://", 1)[1].split("/", 1)[1])
        assert response.status_code == 200
        bodies.append(response.content)
    with service.db.sessions() as session:
        rows = list(session.scalars(select(CalendarEvent)))
    assert rows
    for owner, read in zip(people, icaljs(tmp_path, *bodies)):
        mine = {r.uid: r for r in rows if r.owner == owner}
        assert mine and sorted(e["uid"] for e in read["events"]) == sorted(mine)
        for e in read["events"]:
            row = mine[e["uid"]]
            assert (instant(e["start"]), instant(e["end"]), e["sequence"]) == (row.start, row.end, row.sequence)
            assert e["tzid"] in (row.tzid, "UTC")  # UTC only for a time in the repeated hour
