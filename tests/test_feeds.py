"""Per-person feeds: secret rotatable URL, full snapshot of only that person's events, ETag/304,
REFRESH-INTERVAL and X-PUBLISHED-TTL; parsed by independent parsers."""
from __future__ import annotations

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import select

from api.models import CalendarEvent
from publish_support import make_draft, owners_in
from service import PASSWORD, upload_demo


def _person(svc, plan, kind="escort"):
    owner = sorted(o for o in owners_in(plan) if o.startswith(kind + ":"))[0]
    admin = svc.client("admin")
    role = {"escort": "escort", "medic": "medic", "vehicle": "driver"}[kind]
    username = owner.replace(":", "-").lower()
    assert admin.post("/api/users", json={"username": username, "password": PASSWORD, "role": role,
                                          "owner": owner}).status_code == 201
    return owner, svc.client(username)


def _published(svc):
    client = svc.client("regie")
    sid = upload_demo(client)["id"]
    draft, plan = make_draft(svc, sid)
    assert client.post(f"/api/plans/{draft}/publish").status_code == 200
    return sid, plan


def test_feed_is_a_full_snapshot_of_only_that_persons_events(service):
    _, plan = _published(service)
    owner, me = _person(service, plan)
    url = me.post("/api/me/feed-token").json()["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    anonymous = service.client()
    response = anonymous.get("/" + path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    text = response.text
    for line in ("REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H", "X-WR-CALNAME:", "NAME:"):
        assert line in text
    cal = icalendar.Calendar.from_ical(text)
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    with service.db.sessions() as s:
        mine = set(s.scalars(select(CalendarEvent.uid).where(CalendarEvent.owner == owner)))
        everyone = set(s.scalars(select(CalendarEvent.uid)))
    assert uids == mine and mine < everyone
    vobject.readOne(text, validate=True)
    stream = IcsCalendarStream.calendar_from_ics(text)
    assert len(stream.events) == len(mine)
    assert text.count("BEGIN:VEVENT") == text.count("\r\nUID:") == text.count("\r\nDTSTAMP:")
    for dep in plan["departures"]:  # data minimisation: no person reference in any calendar
        if dep["planned"]:
            assert dep["id"] not in "".join(uids)


def test_etag_gives_304_and_changes_with_a_new_publication(service):
    sid, plan = _published(service)
    owner, me = _person(service, plan)
    feed_path = "/" + me.post("/api/me/feed-token").json()["url"].split("/", 3)[3]
    anonymous = service.client()
    first = anonymous.get(feed_path)
    etag = first.headers["etag"]
    again = anonymous.get(feed_path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    # The escort becomes unavailable; the next publication cancels their events: the feed changes.
    admin = service.client("admin")
    oid = owner.split(":", 1)[1]
    record = admin.get(f"/api/scenarios/{sid}/escorts/{oid}")
    admin.put(f"/api/scenarios/{sid}/escorts/{oid}", json=dict(record.json()["data"], available=[]),
              headers={"If-Match": record.headers["etag"]})
    draft, _ = make_draft(service, sid)
    assert service.client("regie").post(f"/api/plans/{draft}/publish").status_code == 200
    changed = anonymous.get(feed_path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "BEGIN:VEVENT" not in changed.text  # cancelled events drop out of the snapshot


def test_rotated_and_revoked_tokens_stop_working(service):
    _, plan = _published(service)
    _, me = _person(service, plan)
    anonymous = service.client()
    old = "/" + me.post("/api/me/feed-token").json()["url"].split("/", 3)[3]
    assert anonymous.get(old).status_code == 200
    new = "/" + me.post("/api/me/feed-token").json()["url"].split("/", 3)[3]
    assert new != old and anonymous.get(old).status_code == 404 and anonymous.get(new).status_code == 200
    assert me.get("/api/me/feed").json()["url"].endswith(new)  # the page can show the link again
    assert me.delete("/api/me/feed-token").status_code == 204
    assert anonymous.get(new).status_code == 404
    nonce = new.rsplit("/", 1)[1].split(".")[0]
    assert anonymous.get(f"/feeds/{nonce}.forged.ics").status_code == 404


def test_a_token_cannot_be_moved_to_another_person(service):
    """The MAC binds the nonce to its owner: editing the stored owner does not redirect the feed."""
    from api.models import FeedToken

    _, plan = _published(service)
    owner, me = _person(service, plan)
    path = "/" + me.post("/api/me/feed-token").json()["url"].split("/", 3)[3]
    with service.db.transaction() as s:
        row = s.scalar(select(FeedToken).where(FeedToken.owner == owner))
        row.owner = sorted(o for o in owners_in(plan) if o != owner)[0]
    assert service.client().get(path).status_code == 404
