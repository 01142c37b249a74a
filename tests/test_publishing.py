"""Publishing: atomic, checked, calendar events with stable UIDs and rising SEQUENCE, iTIP mail
over real SMTP, and per-person feeds with ETag/304 and rotatable tokens."""
from __future__ import annotations

import email
from email.policy import default as default_policy

import icalendar
import pytest
import vobject
from sqlalchemy import func, select

from api.models import CalendarEvent, OutboxMail, PlanVersion
from publish_support import SmtpServer, add_contacts, make_draft, owners_in
from service import make_service, upload_demo


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def svc(tmp_path, smtp):
    service = make_service(tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none",
                           mail_from_address="regie-bv@dtv.example")
    yield service
    service.db.dispose()


def calendar_parts(envelope):
    msg = email.message_from_bytes(envelope.content, policy=default_policy)
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p for p in msg.iter_parts() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1 and msg.get_body(("plain",)) is not None
    part = parts[0]
    text = part.get_content()
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return msg, part, text


def parse_invite(envelope) -> dict:
    msg, part, text = calendar_parts(envelope)
    cal = icalendar.Calendar.from_ical(text)
    assert not getattr(cal, "errors", [])
    method = str(cal["METHOD"])
    assert part.get_param("method") == method  # the MIME method matches the body's METHOD
    vobject.readOne(text, validate=True)
    (event,) = [c for c in cal.walk("VEVENT")]
    assert text.count("\nUID:") == 1 and text.count("\nDTSTAMP:") == 1
    return {"to": envelope.rcpt_tos, "method": method, "uid": str(event["UID"]), "sequence": int(event["SEQUENCE"]),
            "status": str(event.get("STATUS")), "organizer": str(event["ORGANIZER"]),
            "attendee": str(event["ATTENDEE"]), "subject": msg["Subject"]}


def _published_counts(service):
    with service.db.sessions() as s:
        return (s.scalar(select(func.count()).select_from(PlanVersion).where(PlanVersion.state == "published")),
                s.scalar(select(func.count()).select_from(CalendarEvent)),
                s.scalar(select(func.count()).select_from(OutboxMail)))


def test_publish_sends_a_request_per_event_and_republish_updates_and_cancels(svc, smtp):
    client = svc.client("regie")
    sid = upload_demo(client)["id"]
    draft_id, plan = make_draft(svc, sid)
    addresses = add_contacts(svc.client("admin"), owners_in(plan))

    review = client.get(f"/api/plans/{draft_id}").json()
    assert review["violations"] == [] and review["state"] == "draft"
    assert client.get(f"/api/plans/{draft_id}/diff").json()["against"] is None

    first = client.post(f"/api/plans/{draft_id}/publish")
    assert first.status_code == 200, first.text
    outcome = first.json()
    assert outcome["events"]["created"] > 0 and outcome["delivered"]["sent"] == outcome["mails_queued"] > 0
    invites = [parse_invite(e) for e in smtp.envelopes]
    assert len(invites) == outcome["mails_queued"]
    assert {i["method"] for i in invites} == {"REQUEST"} and {i["sequence"] for i in invites} == {0}
    assert {r for i in invites for r in i["to"]} <= set(addresses.values())
    assert all("regie-bv@dtv.example" in i["organizer"].lower() for i in invites)
    with svc.db.sessions() as s:
        stored = {e.uid: e for e in s.scalars(select(CalendarEvent))}
        queued = [m.message for m in s.scalars(select(OutboxMail))]
    assert {i["uid"] for i in invites} <= set(stored)
    # The outbox holds each mail as it goes over the wire, and that is what the server received:
    # CRLF line ends, 7-bit clean (names RFC 2047-encoded, bodies quoted-printable or base64).
    assert sorted(e.original_content for e in smtp.envelopes) == sorted(queued)
    assert all(m.isascii() and b"\n" not in m.replace(b"\r\n", b"") for m in queued)

    # Take an escort away from the plan: their events must be cancelled, others updated or kept.
    planned = [d for d in plan["departures"] if d["planned"] and d["escorts"]]
    victim = planned[0]["escorts"][0]["id"]
    record = client.get(f"/api/scenarios/{sid}/escorts/{victim}")
    data = dict(record.json()["data"], available=[])
    assert client.put(f"/api/scenarios/{sid}/escorts/{victim}", json=data,
                      headers={"If-Match": record.headers["etag"], "X-CSRF-Token": client.headers["X-CSRF-Token"]}
                      ).status_code == 403  # resources are the admin's
    admin = svc.client("admin")
    assert admin.put(f"/api/scenarios/{sid}/escorts/{victim}", json=data,
                     headers={"If-Match": record.headers["etag"]}).status_code == 200
    # The published plan now breaks rule against the edited scenario; a new draft is needed.
    second_id, second = make_draft(svc, sid)
    diff = client.get(f"/api/plans/{second_id}/diff").json()
    assert diff["against"] == draft_id and diff["changes"]
    smtp.envelopes.clear()
    assert client.post(f"/api/plans/{second_id}/publish").status_code == 200
    again = [parse_invite(e) for e in smtp.envelopes]
    cancels = [i for i in again if i["method"] == "CANCEL"]
    victim_uids = {e.uid for e in stored.values() if e.owner == f"escort:{victim}"}
    assert victim_uids and victim_uids <= {c["uid"] for c in cancels}
    for c in cancels:
        assert c["status"] == "CANCELLED" and c["sequence"] == stored[c["uid"]].sequence + 1
    for r in (i for i in again if i["method"] == "REQUEST" and i["uid"] in stored):
        assert r["sequence"] == stored[r["uid"]].sequence + 1  # same UID, raised SEQUENCE
    with svc.db.sessions() as s:
        states = dict(s.execute(select(PlanVersion.id, PlanVersion.state)).all())
    assert states == {draft_id: "superseded", second_id: "published"}


def test_publish_is_refused_when_the_plan_breaks_a_rule_now_and_nothing_changes(svc, smtp):
    client = svc.client("regie")
    sid = upload_demo(client)["id"]
    draft_id, plan = make_draft(svc, sid)
    escort = next(d for d in plan["departures"] if d["planned"] and d["escorts"])["escorts"][0]["id"]
    admin = svc.client("admin")
    record = admin.get(f"/api/scenarios/{sid}/escorts/{escort}")
    admin.put(f"/api/scenarios/{sid}/escorts/{escort}", json=dict(record.json()["data"], available=[]),
              headers={"If-Match": record.headers["etag"]})
    response = client.post(f"/api/plans/{draft_id}/publish")
    assert response.status_code == 409
    assert any(escort in v for v in response.json()["detail"]["violations"])
    assert _published_counts(svc) == (0, 0, 0) and smtp.envelopes == []
    assert client.post(f"/api/plans/{draft_id}/publish").status_code == 409  # still refused, still a draft


def test_a_plan_is_published_once(svc):
    client = svc.client("regie")
    sid = upload_demo(client)["id"]
    draft_id, _ = make_draft(svc, sid)
    assert client.post(f"/api/plans/{draft_id}/publish").status_code == 200
    assert client.post(f"/api/plans/{draft_id}/publish").status_code == 409


def test_failure_while_publishing_leaves_the_previous_publication_intact(svc, monkeypatch):
    import api.publishing as publishing

    client = svc.client("regie")
    sid = upload_demo(client)["id"]
    first, _ = make_draft(svc, sid)
    client.post(f"/api/plans/{first}/publish")
    before = _published_counts(svc)
    second, _ = make_draft(svc, sid)

    def broken(*args, **kwargs):
        raise RuntimeError("audit storage failed")  # the last step, after plans, events and feeds changed
    monkeypatch.setattr(publishing.audit, "record", broken)
    with pytest.raises(RuntimeError):
        client.post(f"/api/plans/{second}/publish")
    with svc.db.sessions() as s:
        states = dict(s.execute(select(PlanVersion.id, PlanVersion.state)).all())
    assert states == {first: "published", second: "draft"}
    assert _published_counts(svc) == before


def test_a_plan_that_only_lists_a_team_in_another_order_changes_no_calendar(service):
    import copy

    from api.models import PlanVersion
    from publish_support import make_draft

    client = service.client("regie")
    sid = upload_demo(client)["id"]
    plan_id, plan = make_draft(service, sid)
    assert client.post(f"/api/plans/{plan_id}/publish").status_code == 200
    reordered = copy.deepcopy(plan)
    teams = [d for d in reordered["departures"] if d["planned"] and len(d["escorts"]) > 1]
    assert teams, "the demo plan has a team of two or more"
    for d in teams:
        d["escorts"].reverse()
    with service.db.transaction() as s:
        row = PlanVersion(scenario_id=sid, scenario_version=1, state="draft", document=reordered, created_by="t")
        s.add(row)
        s.flush()
        again = row.id
    published = client.post(f"/api/plans/{again}/publish").json()
    assert published["events"]["updated"] == 0 and published["events"]["created"] == 0
    assert published["mails_queued"] == 0
