"""The planning service's calendar core: stored UIDs and SEQUENCE, feeds, iTIP mail, CalDAV.

Events come from the hand-made scenario of ``test_outputs`` (known times across the 2027
spring-forward night) and from hand-built ``CalEvent``s with non-Latin text. Outputs are read
back by independent parsers, a real SMTP server (aiosmtpd) and a real CalDAV server (Radicale).
"""
from __future__ import annotations

import copy
import email
import email.policy
import re
import shutil
import ssl
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from wsgiref.simple_server import WSGIRequestHandler, make_server
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar
from ical.calendar_stream import IcsCalendarStream

from api.calendars.events import CANCELLED, CONFIRMED, Changes, StoredEvent, fingerprint, reconcile
from api.calendars.feed import etag, not_modified, render_feed
from api.calendars.itip import SmtpSettings, invite, message, send
from planner.outputs import derive
from planner.outputs.derive import CalEvent
from planner.outputs.ics import build_calendar, event_uid
from publish_support import free_port
from test_ics import prop, unfold, vevents
from test_outputs import BIRTH_DATE, PERSON_REF, RECEPTION_CONTACT, exact, exact_plan  # noqa: F401

UTC = timezone.utc
AMS = ZoneInfo("Europe/Amsterdam")
KTM = ZoneInfo("Asia/Kathmandu")
STAMP = datetime(2027, 3, 20, 8, 0, 12, tzinfo=UTC)
NAMES = ("Çağlar Ödegård", "Ἀθηνᾶ Παπαδοπούλου", "محمد عبد الرحمن")
ORGANIZER = ("DT&V Regie Bijzonder Vertrek", "regie@dtv.example.org")
ATTENDEE = ("Çağlar Ödegård", "caglar@kmar.example.org")


def ev(key: str, start: datetime, hours: float = 1, owner: str = "escort:KMAR-1", **kw) -> CalEvent:
    fields = dict(summary=f"Dienst {key}", location="Schiphol (AMS)", description=f"Zaak: BV-2027-0001\nTaak: {key}")
    fields.update(kw)
    return CalEvent(owner, f"BV-2027-0001|{owner}|{key}|0", start=start, end=start + timedelta(hours=hours), **fields)


def fresh_set() -> list[CalEvent]:
    return [ev("mission", datetime(2027, 3, 28, 1, 0, tzinfo=AMS), 40),
            ev("flight", datetime(2027, 3, 28, 5, 30, tzinfo=AMS), 4),
            ev("handover", datetime(2027, 3, 29, 0, 0, tzinfo=KTM), 0.5)]


def counter():
    n = iter(range(1, 10**6))
    return lambda: str(uuid.UUID(int=next(n), version=4))


def by_key(changes: Changes) -> dict[str, StoredEvent]:
    return changes.events()


@pytest.fixture(scope="module")
def plan_events(exact) -> list[CalEvent]:
    return derive.plan_events(exact, derive.planned_views(exact, exact_plan()))


@pytest.fixture(scope="module")
def stored_plan(plan_events) -> dict[str, StoredEvent]:
    return reconcile({}, plan_events).events()


def owners(stored: dict[str, StoredEvent]) -> dict[str, list[StoredEvent]]:
    out = defaultdict(list)
    for e in stored.values():
        out[e.owner].append(e)
    return out


# --- reconcile ----------------------------------------------------------------------------------

def test_new_events_get_random_uids_and_sequence_zero(plan_events):
    ch = reconcile({}, plan_events)
    assert len(ch.created) == len(plan_events) > 20 and not (ch.updated or ch.cancelled or ch.unchanged)
    uids = [e.uid for e in ch.created]
    assert len(set(uids)) == len(uids)
    for e in ch.created:
        assert uuid.UUID(e.uid).version == 4 and str(uuid.UUID(e.uid)) == e.uid
        assert e.sequence == 0 and e.status == CONFIRMED
        assert "BV-" not in e.uid and "KMAR" not in e.uid
    assert [m for m, _ in ch.outgoing()] == ["REQUEST"] * len(plan_events)


def test_republishing_the_same_plan_changes_nothing(plan_events, stored_plan):
    ch = reconcile(stored_plan, plan_events)
    assert ch.outgoing() == [] and not ch.created
    assert by_key(ch) == stored_plan
    assert all(a is stored_plan[a.key] for a in ch.unchanged)


def test_a_change_keeps_the_uid_and_raises_the_sequence_exactly_once():
    v0 = reconcile({}, fresh_set(), counter()).events()
    moved = fresh_set()
    moved[1] = replace(moved[1], start=moved[1].start + timedelta(hours=2), end=moved[1].end + timedelta(hours=2))
    moved[2] = replace(moved[2], location="Tribhuvan International (KTM), hal 2")
    ch = reconcile(v0, moved, counter())
    assert sorted(e.key for e in ch.updated) == sorted([moved[1].key, moved[2].key])
    assert [e.key for e in ch.unchanged] == [moved[0].key]
    for e in ch.updated:
        assert e.uid == v0[e.key].uid and e.sequence == 1 and e.status == CONFIRMED
    v1 = ch.events()
    assert v1[moved[1].key].start == datetime(2027, 3, 28, 7, 30, tzinfo=AMS)
    # The same plan again: no second raise.
    again = reconcile(v1, moved, counter())
    assert again.outgoing() == [] and again.events() == v1
    # A second change: one more.
    moved[1] = replace(moved[1], end=moved[1].end + timedelta(minutes=5))
    v2 = reconcile(v1, moved, counter()).events()
    assert v2[moved[1].key].sequence == 2 and v2[moved[1].key].uid == v0[moved[1].key].uid


@pytest.mark.parametrize("change", [
    {"description": "Zaak: BV-2027-0001\nTaak: flight\nCollega's:\n- Ἀθηνᾶ Παπαδοπούλου (KMar-escort)"},
    {"summary": "Vlucht QR275 AMS→DOH (BV-2027-0001)"},
    {"busy": False},
    {"location": "Schiphol (AMS), vertrekhal 3"},
])
def test_every_visible_field_raises_the_sequence(change):
    # Documented choice (api/calendars/events.py): summary, description and busy count too,
    # because they carry flight numbers, check-in times and colleagues.
    v0 = reconcile({}, fresh_set(), counter()).events()
    fresh = fresh_set()
    fresh[1] = replace(fresh[1], **change)
    ch = reconcile(v0, fresh, counter())
    assert [(e.key, e.sequence) for e in ch.updated] == [(fresh[1].key, 1)]
    assert ch.updated[0].uid == v0[fresh[1].key].uid
    assert [m for m, _ in ch.outgoing()] == ["REQUEST"]


def test_same_instant_in_another_zone_is_a_change():
    v0 = reconcile({}, fresh_set(), counter()).events()
    fresh = fresh_set()
    s = fresh[0].start
    fresh[0] = replace(fresh[0], start=s.astimezone(ZoneInfo("Europe/Brussels")))
    assert fresh[0].start == s  # the same instant ...
    assert [e.key for e in reconcile(v0, fresh, counter()).updated] == [fresh[0].key]  # ... shown differently


def test_removed_event_is_cancelled_once_and_reconfirmed_with_the_same_uid():
    v0 = reconcile({}, fresh_set(), counter()).events()
    fresh = fresh_set()
    gone = fresh.pop(1)
    ch = reconcile(v0, fresh, counter())
    assert [e.key for e in ch.cancelled] == [gone.key]
    c = ch.cancelled[0]
    assert c.status == CANCELLED and c.sequence == 1 and c.uid == v0[gone.key].uid
    assert replace(c, status=CONFIRMED, sequence=0) == v0[gone.key]  # nothing else touched
    assert ch.outgoing() == [("CANCEL", c)]
    v1 = ch.events()
    assert set(v1) == set(v0)  # the cancelled event stays stored, so its UID can never be reissued

    # Still absent: stays cancelled, not sent again, sequence not raised again.
    ch2 = reconcile(v1, fresh, counter())
    assert ch2.outgoing() == [] and ch2.events()[gone.key] == c

    # Back again (with a new time): same UID, raised sequence, confirmed.
    back = replace(gone, start=gone.start + timedelta(hours=1), end=gone.end + timedelta(hours=1))
    ch3 = reconcile(ch2.events(), fresh + [back], counter())
    assert [e.key for e in ch3.reconfirmed] == [gone.key] and not ch3.created and not ch3.updated
    r = ch3.reconfirmed[0]
    assert (r.uid, r.sequence, r.status, r.start) == (c.uid, 2, CONFIRMED, back.start)
    assert ch3.outgoing() == [("REQUEST", r)]


def test_reconcile_is_pure_and_rejects_duplicate_keys():
    v0 = reconcile({}, fresh_set(), counter()).events()
    before = copy.deepcopy(v0)
    fresh = fresh_set()[:1]
    reconcile(v0, fresh, counter())
    assert v0 == before and fresh == fresh_set()[:1]
    with pytest.raises(ValueError, match="duplicate"):
        reconcile({}, fresh_set() + fresh_set()[:1])


def test_fingerprint_counts_what_the_person_sees_and_nothing_else():
    e = reconcile({}, fresh_set(), counter()).created[0]
    base = fingerprint(e)
    assert re.fullmatch(r"[0-9a-f]{64}", base)
    assert fingerprint(CalEvent(e.owner, e.key, e.summary, e.start, e.end, e.location, e.description, e.busy)) == base
    assert fingerprint(replace(e, uid="other", sequence=7)) == base
    for change in ({"status": CANCELLED}, {"start": e.start + timedelta(minutes=1)},
                   {"end": e.end - timedelta(minutes=1)}, {"summary": e.summary + "!"}):
        assert fingerprint(replace(e, **change)) != base, change
    # Field boundaries cannot be imitated by moving text between fields.
    assert fingerprint(replace(e, location="a", summary="bc")) != fingerprint(replace(e, location="ab", summary="c"))


def test_a_real_plan_change_touches_only_that_departure(exact, plan_events, stored_plan):
    plan = exact_plan()
    plan["departures"][1]["pickup"]["time"] = "2027-03-30T05:30:00+02:00"
    moved = derive.plan_events(exact, derive.planned_views(exact, plan))
    ch = reconcile(stored_plan, moved)
    assert ch.updated and not ch.created and not ch.cancelled
    assert all("BV-2027-000002" in e.key for e in ch.updated)
    assert {e.owner for e in ch.updated} >= {"vehicle:DVO-BUS-9", "escort:KMAR-903"}
    assert all(e.uid == stored_plan[e.key].uid and e.sequence == 1 for e in ch.updated)

    plan["departures"][1] = {"id": "BV-2027-000002", "planned": False, "reasons": ["geannuleerd"]}
    dropped = derive.plan_events(exact, derive.planned_views(exact, plan))
    ch = reconcile(stored_plan, dropped)
    gone = {k for k in stored_plan if "BV-2027-000002" in k}
    assert {e.key for e in ch.cancelled} == gone and len(gone) >= 4
    assert len(ch.unchanged) == len(stored_plan) - len(gone)


# --- feed ---------------------------------------------------------------------------------------

def unicode_events() -> list[StoredEvent]:
    long = " · ".join(NAMES * 3)
    fresh = [
        ev("spring", datetime(2027, 3, 28, 1, 30, tzinfo=AMS), 2, summary=f"Missie {NAMES[0]} → {NAMES[2]}",
           location=f"Ἀθήνα ({NAMES[1]}) — Schiphol", description=f"Collega's: {long}\nVoertuig: DVO-AMB-9"),
        ev("kathmandu", datetime(2027, 3, 28, 23, 15, tzinfo=KTM), 0.75, summary=f"Overdracht {NAMES[2]}"),
        ev("free", datetime(2027, 3, 27, 9, 0, tzinfo=AMS), 0.25, busy=False, summary="Taak"),
    ]
    return reconcile({}, fresh).created


def check_parsers(text: str) -> Calendar:
    n = len(vevents(text))
    assert len(IcsCalendarStream.calendar_from_ics(text).events) == n
    card = vobject.readOne(text, validate=True)
    assert len(getattr(card, "vevent_list", [])) == n
    lenient = Calendar.from_ical(text)
    for component in lenient.walk():
        assert component.errors == [], (component.name, component.errors)
    # ``ical`` fills a missing UID or DTSTAMP itself: count them in the text.
    for lines in vevents(text):
        assert len(prop(lines, "UID")) == 1 and len(prop(lines, "DTSTAMP")) == 1, lines
        assert len(prop(lines, "SEQUENCE")) == 1 and len(prop(lines, "STATUS")) == 1
    return lenient


def test_feed_of_a_real_plan_passes_three_parsers_with_stored_uids(stored_plan):
    for owner, events in owners(stored_plan).items():
        bumped = [replace(e, sequence=i % 3) for i, e in enumerate(events)]
        body = render_feed(f"Vertrekplanner — {owner}", bumped, STAMP)
        text = body.decode("utf-8")
        cal = check_parsers(text)
        got = {str(e["UID"]): int(e["SEQUENCE"]) for e in cal.events}
        assert got == {e.uid: e.sequence for e in bumped}, owner
        assert all(prop(lines, "DTSTAMP") == ["DTSTAMP:20270320T080012Z"] for lines in vevents(text))
        flat = "".join(unfold(text))
        for secret in (PERSON_REF, BIRTH_DATE, RECEPTION_CONTACT, "P-MINOR-0815", "2011-02-03"):
            assert secret not in flat


def test_feed_headers_and_cancelled_events_left_out():
    events = unicode_events()
    events[0] = replace(events[0], status=CANCELLED, sequence=1)
    text = render_feed(f"Vertrekplanner — {NAMES[0]}", events, STAMP).decode()
    lines = unfold(text)
    head = lines[: lines.index("BEGIN:VEVENT")]
    assert prop(head, "NAME") == [f"NAME:Vertrekplanner — {NAMES[0]}"]
    assert prop(head, "X-WR-CALNAME") == [f"X-WR-CALNAME:Vertrekplanner — {NAMES[0]}"]
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in head and "X-PUBLISHED-TTL:PT1H" in head
    assert not prop(lines, "METHOD")  # a feed is not a scheduling message
    uids = [prop(v, "UID")[0][4:] for v in vevents(text)]
    assert events[0].uid not in text and uids == [events[2].uid, events[1].uid]  # sorted by start
    assert all(prop(v, "STATUS") == ["STATUS:CONFIRMED"] for v in vevents(text))
    check_parsers(text)
    # Nothing confirmed: still a valid, empty calendar.
    empty = render_feed("leeg", [replace(e, status=CANCELLED) for e in events], STAMP).decode()
    assert vevents(empty) == [] and "BEGIN:VTIMEZONE" not in empty
    vobject.readOne(empty, validate=True)
    assert IcsCalendarStream.calendar_from_ics(empty).events == []


def test_feed_timezones_defined_sorted_limited_and_never_with_z():
    text = render_feed("tz", unicode_events(), STAMP).decode()
    lines = unfold(text)
    used = {m.group(1) for ln in lines for m in [re.search(r";TZID=([^:;]+)", ln)] if m}
    defined = [ln.split(":", 1)[1] for ln in lines if ln.startswith("TZID:")]
    assert used == set(defined) == {"Europe/Amsterdam", "Asia/Kathmandu"}
    assert defined == sorted(defined)  # fixed order: the same events give the same bytes
    assert not [ln for ln in lines if ";TZID=" in ln and ln.endswith("Z")]
    # VTIMEZONE only around the events' years, not 1970–2038.
    zone_starts = [int(ln.split(":")[1][:4]) for ln in lines if ln.startswith("DTSTART:")]
    assert zone_starts and min(zone_starts) >= 2026 and max(zone_starts) <= 2029


def test_feed_folds_at_75_octets_and_keeps_non_latin_text_intact():
    events = unicode_events()
    name = f"Vertrekplanner — {' '.join(NAMES)}"
    raw = render_feed(name, events, STAMP)
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    physical = raw.split(b"\r\n")
    for line in physical:
        assert len(line) <= 75, line
        line.decode("utf-8")  # no UTF-8 sequence split across a fold
    assert sum(line.startswith(b" ") for line in physical) > 5  # long lines were really folded
    text = raw.decode()
    want = {e.summary for e in events}
    assert {str(e["SUMMARY"]) for e in Calendar.from_ical(text).events} == want
    assert {e.summary for e in IcsCalendarStream.calendar_from_ics(text).events} == want
    assert {e.location for e in IcsCalendarStream.calendar_from_ics(text).events} == {e.location for e in events}
    card = vobject.readOne(text, validate=True)
    assert {v.description.value for v in card.vevent_list} == {e.description for e in events}
    assert card.x_wr_calname.value == name


def test_feed_times_across_the_spring_forward_night():
    text = render_feed("dst", unicode_events(), STAMP).decode()
    occ = {str(e["SUMMARY"]): (e.start.astimezone(UTC), e.end.astimezone(UTC))
           for e in recurring_ical_events.of(Calendar.from_ical(text)).between(
               datetime(2027, 3, 27, tzinfo=UTC), datetime(2027, 3, 30, tzinfo=UTC))}
    # 01:30 CET (00:30 UTC) to 03:30 CEST (01:30 UTC): two hours on the wall clock, one real hour.
    spring = occ[f"Missie {NAMES[0]} → {NAMES[2]}"]
    assert spring == (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), datetime(2027, 3, 28, 1, 30, tzinfo=UTC))
    assert "DTSTART;TZID=Europe/Amsterdam:20270328T013000" in unfold(text)
    assert "DTEND;TZID=Europe/Amsterdam:20270328T033000" in unfold(text)
    assert occ[f"Overdracht {NAMES[2]}"][0] == datetime(2027, 3, 28, 17, 30, tzinfo=UTC)  # +05:45
    assert occ["Taak"][0] == datetime(2027, 3, 27, 8, 0, tzinfo=UTC)  # still CET the day before
    # A naive reading (03:30 as CET, 02:30 UTC) would still show it in this window; it has ended.
    after = recurring_ical_events.of(Calendar.from_ical(text)).between(
        datetime(2027, 3, 28, 1, 45, tzinfo=UTC), datetime(2027, 3, 28, 2, 15, tzinfo=UTC))
    assert list(after) == []


def test_feed_bytes_and_etag_are_stable_and_change_with_the_content():
    events = unicode_events()
    a, b = render_feed("x", events, STAMP), render_feed("x", list(reversed(events)), STAMP)
    assert a == b and etag(a) == etag(b)
    assert re.fullmatch(r'"[0-9a-f]{40}"', etag(a))
    c = render_feed("x", [replace(events[0], sequence=1)] + events[1:], STAMP)
    assert etag(c) != etag(a)
    tag = etag(a)
    assert not_modified(tag, tag) and not_modified(f'"zzz", W/{tag}', tag) and not_modified("*", tag)
    assert not not_modified(None, tag) and not not_modified(etag(c), tag)


def test_cli_files_and_service_feed_share_one_vevent_builder(plan_events):
    # The same events with the CLI's UIDv5 and sequence 0 give the CLI's exact bytes.
    mine = [e for e in plan_events if e.owner == "escort:KMAR-901"]
    stored = [StoredEvent(event_uid(e.key), e.owner, e.key, 0, CONFIRMED, e.start, e.end, e.summary, e.location,
                          e.description, e.busy) for e in mine]
    assert render_feed("KMAR-901", stored, STAMP) == build_calendar("KMAR-901", mine, STAMP).to_ical()
    # VTIMEZONEs in a fixed order (icalendar adds them in hash-seed dependent set order).
    tzids = [ln[5:] for ln in unfold(build_calendar("x", plan_events, STAMP).to_ical().decode())
             if ln.startswith("TZID:")]
    assert len(tzids) >= 3 and tzids == sorted(tzids)


# --- iTIP ---------------------------------------------------------------------------------------

def test_invite_request_and_cancel_objects():
    e = unicode_events()[0]
    req = invite("REQUEST", e, ORGANIZER, ATTENDEE, STAMP).decode()
    check_parsers(req)
    lines = unfold(req)
    assert "METHOD:REQUEST" in lines and "STATUS:CONFIRMED" in lines and "SEQUENCE:0" in lines
    (org,) = prop(lines, "ORGANIZER")
    (att,) = prop(lines, "ATTENDEE")
    assert org.endswith(":mailto:regie@dtv.example.org") and 'CN="DT&V Regie Bijzonder Vertrek"' in org
    for p in ("ROLE=REQ-PARTICIPANT", "PARTSTAT=ACCEPTED", "RSVP=FALSE", f'CN="{ATTENDEE[0]}"'):
        assert p in att, p
    assert "BEGIN:VTIMEZONE" in lines and "NAME" not in {ln.split(":")[0] for ln in lines}
    c = replace(e, status=CANCELLED, sequence=1)
    cancel = invite("CANCEL", c, ORGANIZER, ATTENDEE, STAMP).decode()
    check_parsers(cancel)
    assert {"METHOD:CANCEL", "STATUS:CANCELLED", "SEQUENCE:1", f"UID:{e.uid}"} <= set(unfold(cancel))
    # The status must match the method: never a REQUEST that leaves a cancelled event in place.
    with pytest.raises(ValueError):
        invite("REQUEST", c, ORGANIZER, ATTENDEE, STAMP)
    with pytest.raises(ValueError):
        invite("CANCEL", e, ORGANIZER, ATTENDEE, STAMP)
    with pytest.raises(ValueError):
        invite("REQUEST", e, ORGANIZER, ("x", "not an address\r\nBcc: y@z.org"), STAMP)


class Collector:
    """aiosmtpd handler: keeps every envelope and session; refuses recipients named reject*."""

    def __init__(self):
        self.envelopes, self.sessions = [], []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 Geen postbus"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        if not any(s is session for s in self.sessions):
            self.sessions.append(session)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = Collector()
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    yield handler, ctl.port
    ctl.stop()


def settings(port: int, **kw) -> SmtpSettings:
    base = dict(host="127.0.0.1", port=port, security="none", sender_name=ORGANIZER[0],
                sender_address=ORGANIZER[1], timeout=5, helo_name="localhost")
    base.update(kw)
    return SmtpSettings(**base)


def parse_mail(raw: bytes):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    plain, calpart = list(msg.iter_parts())
    assert plain.get_content_type() == "text/plain" and calpart.get_content_type() == "text/calendar"
    body = calpart.get_payload(decode=True)
    assert calpart.get_param("charset").upper() == "UTF-8"
    text = body.decode("utf-8")
    (method,) = prop(unfold(text), "METHOD")
    assert calpart.get_param("method") == method.split(":", 1)[1]
    vobject.readOne(text, validate=True)
    cal = Calendar.from_ical(text)
    for component in cal.walk():
        assert component.errors == []
    return msg, plain.get_content(), text, cal


def test_request_update_and_cancel_over_real_smtp(smtp_server):
    handler, port = smtp_server
    v0 = reconcile({}, fresh_set()[:1]).created[0]
    v1 = replace(v0, start=v0.start + timedelta(hours=1), sequence=1)
    v2 = replace(v1, status=CANCELLED, sequence=2)
    mails = [message("REQUEST", v0, ORGANIZER, ATTENDEE, STAMP),
             message("REQUEST", v0, ORGANIZER, ("Onbekend", "reject@kmar.example.org"), STAMP),
             message("REQUEST", v1, ORGANIZER, ATTENDEE, STAMP + timedelta(hours=1)),
             message("CANCEL", v2, ORGANIZER, ATTENDEE, STAMP + timedelta(hours=2))]
    results = send(settings(port), mails)
    assert [r.ok for r in results] == [True, False, True, True]
    assert results[1].refused["reject@kmar.example.org"][0] == 550 and results[1].error
    assert results[0].recipients == (ATTENDEE[1],) and results[0].message_id == mails[0]["Message-ID"]
    assert len(handler.envelopes) == 3 and len(handler.sessions) == 1  # one connection for the batch

    seen = []
    for env, want in zip(handler.envelopes, ("Nieuw", "Gewijzigd", "Geannuleerd")):
        assert env.mail_from == ORGANIZER[1] and env.rcpt_tos == [ATTENDEE[1]]
        msg, plain, text, cal = parse_mail(env.content)
        assert str(msg["Subject"]).startswith(f"{want}: Dienst mission, ")
        assert msg["From"].addresses[0].addr_spec == ORGANIZER[1]
        assert msg["To"].addresses[0].display_name == ATTENDEE[0]
        assert msg["Auto-Submitted"] == "auto-generated"
        assert "dienst" in plain.lower() and "antwoorden is niet nodig" in plain
        (vev,) = cal.events
        assert str(vev["ORGANIZER"]) == f"mailto:{ORGANIZER[1]}" and str(vev["ATTENDEE"]) == f"mailto:{ATTENDEE[1]}"
        seen.append((str(vev["UID"]), int(vev["SEQUENCE"]), str(vev["STATUS"]), str(cal["METHOD"])))
    assert seen == [(v0.uid, 0, "CONFIRMED", "REQUEST"), (v0.uid, 1, "CONFIRMED", "REQUEST"),
                    (v0.uid, 2, "CANCELLED", "CANCEL")]
    assert "gaat niet door" in parse_mail(handler.envelopes[2].content)[1]


def test_a_batch_of_a_real_plan_goes_over_one_connection(smtp_server, stored_plan):
    handler, port = smtp_server
    events = list(stored_plan.values())
    built = [message("REQUEST", e, ORGANIZER, (f"Persoon {i}", f"p{i}@kmar.example.org"), STAMP)
             for i, e in enumerate(events)]
    mails = built * 10  # the same objects again: this measures the connection, not MIME building
    t = time.perf_counter()
    results = send(settings(port), mails)
    assert all(r.ok for r in results) and len(results) == len(mails) >= 250
    assert time.perf_counter() - t < 10
    assert len(handler.envelopes) == len(mails) and len(handler.sessions) == 1
    for env in handler.envelopes[: len(events)]:
        raw = env.content.decode("ascii")  # 7-bit clean: no 8BITMIME needed on the way
        _, plain, text, _ = parse_mail(env.content)
        for secret in (PERSON_REF, BIRTH_DATE, RECEPTION_CONTACT, "P-MINOR-0815"):
            assert secret not in plain and secret not in text and secret not in raw


def test_unreachable_server_fails_every_message_without_raising():
    e = unicode_events()[0]
    mails = [message("REQUEST", e, ORGANIZER, ATTENDEE, STAMP) for _ in range(3)]
    results = send(settings(free_port()), mails)
    assert [r.ok for r in results] == [False] * 3
    assert all("connection failed" in r.error for r in results)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl not available to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


def test_starttls_and_auth(tls_files):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = tls_files
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))

    def authenticator(server, session, envelope, mechanism, data):
        good = isinstance(data, LoginPassword) and (data.login, data.password) == (b"vertrek", b"geheim")
        return AuthResult(success=good, handled=False)  # handled=False: the server answers 535

    handler = Collector()
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=server_ctx,
                     require_starttls=True, authenticator=authenticator, auth_required=True)
    ctl.start()
    try:
        e = unicode_events()[0]
        mails = [message("REQUEST", e, ORGANIZER, ATTENDEE, STAMP) for _ in range(2)]
        good = settings(ctl.port, security="starttls", username="vertrek", password="geheim", ssl_context=client_ctx)
        assert [r.ok for r in send(good, mails)] == [True, True]
        assert len(handler.envelopes) == 2 and len(handler.sessions) == 1
        wrong = send(replace(good, password="fout"), mails)
        assert [r.ok for r in wrong] == [False, False] and all("535" in r.error for r in wrong)
        # Plain text to a server that demands STARTTLS: refused per message, reported, not raised.
        plain = send(settings(ctl.port), mails)
        assert [r.ok for r in plain] == [False, False] and all(r.error for r in plain)
        # The certificate is checked: an unknown CA fails.
        untrusted = replace(good, ssl_context=ssl.create_default_context())
        assert [r.ok for r in send(untrusted, mails[:1])] == [False]
        assert len(handler.envelopes) == 2
    finally:
        ctl.stop()
    assert "geheim" not in repr(good)


def test_smtp_settings_reject_nonsense():
    with pytest.raises(ValueError):
        SmtpSettings(host="x", security="tls")
    with pytest.raises(ValueError):
        SmtpSettings(host="x", username="u")


# --- CalDAV (Radicale) --------------------------------------------------------------------------

class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def radicale_url(tmp_path):
    import radicale
    from radicale import config

    conf = config.load()
    conf.update({"storage": {"filesystem_folder": str(tmp_path / "collections")},
                 "auth": {"type": "none"}, "logging": {"level": "critical"}}, "test")
    server = make_server("127.0.0.1", 0, radicale.Application(conf), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def one_event_objects(feed: bytes) -> list[str]:
    """CalDAV stores one UID per resource: split a feed into single-event calendars."""
    full = Calendar.from_ical(feed)
    out = []
    for vev in full.events:
        cal = Calendar()
        for k in ("PRODID", "VERSION", "CALSCALE"):
            cal.add(k, full[k])
        for tz in full.timezones:
            cal.add_component(tz)
        cal.add_component(vev)
        out.append(cal.to_ical().decode())
    return out


def test_radicale_stores_the_feed_events_with_their_uids_and_sequences(radicale_url, stored_plan):
    import caldav

    events = [replace(e, sequence=i % 4) for i, e in enumerate(owners(stored_plan)["escort:KMAR-901"])]
    events += unicode_events()
    feed = render_feed("Vertrekplanner — KMAR-901", events, STAMP)
    client = caldav.DAVClient(url=radicale_url, username="kmar-901", password="x")
    cal = client.principal().make_calendar(name=f"Vertrekplanner — {NAMES[0]}")
    for obj in one_event_objects(feed):
        cal.add_event(obj, increase_seqno=False)  # keep our SEQUENCE as is
    back = {}
    for item in cal.events():
        comp = item.icalendar_component
        back[str(comp["UID"])] = int(comp["SEQUENCE"])
    assert back == {e.uid: e.sequence for e in events}
    summaries = {str(i.icalendar_component["SUMMARY"]) for i in cal.events()}
    assert f"Overdracht {NAMES[2]}" in summaries

    # An update (same UID, higher SEQUENCE) replaces the stored event instead of adding one.
    moved = replace(events[0], sequence=events[0].sequence + 1, location="Schiphol (AMS), hal 4")
    (obj,) = one_event_objects(render_feed("x", [moved], STAMP))
    cal.add_event(obj, increase_seqno=False)
    again = {str(i.icalendar_component["UID"]): i.icalendar_component for i in cal.events()}
    assert len(again) == len(events) and int(again[moved.uid]["SEQUENCE"]) == moved.sequence
    assert str(again[moved.uid]["LOCATION"]) == moved.location

    # The server really validates: a malformed event is refused with 400.
    bad = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//NL\r\nBEGIN:VEVENT\r\nUID:kapot\r\n"
           "DTSTAMP:20270320T080012Z\r\nDTSTART:morgenochtend\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    response = client.request(str(cal.url) + "kapot.ics", "PUT", bad, {"Content-Type": "text/calendar"})
    assert response.status == 400
    assert "kapot" not in {str(i.icalendar_component["UID"]) for i in cal.events()}


def test_calendar_bytes_equal_the_calendar_with_its_zones_added():
    # Feeds and invites splice ready-serialised VTIMEZONEs in; the result must be exactly the
    # calendar that icalendar writes with the zones added as components.
    from planner.outputs.ics import add_timezones, calendar_bytes, feed_calendar, new_calendar, vevent

    events = unicode_events()
    for cal in (feed_calendar("x"), new_calendar("REQUEST")):
        for chosen in (events, events[:1], []):
            for e in chosen:
                cal.add_component(vevent(e, e.uid, STAMP))
            fresh = Calendar.from_ical(cal.to_ical())
            assert calendar_bytes(cal, chosen) == add_timezones(fresh, chosen).to_ical()
            cal.subcomponents.clear()
    assert calendar_bytes(feed_calendar("leeg"), []) == feed_calendar("leeg").to_ical()
