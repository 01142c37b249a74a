"""The feed route keeps bodies in memory per process (keyed by the stored ETag): it must never
serve a stale body after a publication, nor serve anything for a revoked token, even when the
change was made through another process (another uvicorn worker) sharing the database."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import create_app
from api.calendars.feed import etag as etag_of
from api.models import Feed
from api.routes.calendars import FeedBodies, feed_bodies
from publish_support import make_draft, owners_in
from service import PASSWORD, upload_demo


def _published_escort(svc):
    client = svc.client("regie")
    sid = upload_demo(client)["id"]
    draft, plan = make_draft(svc, sid)
    assert client.post(f"/api/plans/{draft}/publish").status_code == 200
    owner = sorted(o for o in owners_in(plan) if o.startswith("escort:"))[0]
    username = owner.replace(":", "-").lower()
    assert svc.client("admin").post("/api/users", json={"username": username, "password": PASSWORD,
                                                        "role": "escort", "owner": owner}).status_code == 201
    me = svc.client(username)
    path = "/" + me.post("/api/me/feed-token").json()["url"].split("/", 3)[3]
    return sid, owner, me, path


def _stored(svc, owner):
    with svc.db.sessions() as s:
        row = s.get(Feed, owner)
        return row.body, row.etag


def test_cached_body_follows_a_new_publication_and_a_revoked_token_stops_at_once(service):
    sid, owner, me, path = _published_escort(service)
    anonymous = service.client()
    first = anonymous.get(path)
    assert first.status_code == 200
    assert (first.content, first.headers["etag"]) == _stored(service, owner)
    assert feed_bodies(service.app).get(owner, first.headers["etag"]) == first.content  # now cached
    assert anonymous.get(path).content == first.content  # served from the cache, same bytes

    # A new publication cancels the escort's events: the very next request shows the new feed.
    admin = service.client("admin")
    oid = owner.split(":", 1)[1]
    record = admin.get(f"/api/scenarios/{sid}/escorts/{oid}")
    assert admin.put(f"/api/scenarios/{sid}/escorts/{oid}", json=dict(record.json()["data"], available=[]),
                     headers={"If-Match": record.headers["etag"]}).status_code == 200
    draft, _ = make_draft(service, sid)
    assert service.client("regie").post(f"/api/plans/{draft}/publish").status_code == 200
    after = anonymous.get(path)
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
    assert (after.content, after.headers["etag"]) == _stored(service, owner)
    assert anonymous.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 200
    assert anonymous.get(path, headers={"If-None-Match": after.headers["etag"]}).status_code == 304

    # Revoked: 404 at once, for a full request and for a conditional one alike.
    assert me.delete("/api/me/feed-token").status_code == 204
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(path, headers={"If-None-Match": after.headers["etag"]}).status_code == 404


def test_another_worker_sees_revocation_and_publication_at_once(service):
    """Two app instances on one database stand for two uvicorn workers, each with its own cache."""
    _, owner, me, path = _published_escort(service)
    other = TestClient(create_app(service.settings, run_migrations=False))
    try:
        cached = other.get(path)
        assert cached.status_code == 200 and other.get(path).content == cached.content
        # A publication written by another process: a new body and ETag in the database.
        new_body = cached.content.replace(b"END:VCALENDAR", b"X-BENCH-CHANGED:1\r\nEND:VCALENDAR")
        with service.db.transaction() as s:
            s.execute(update(Feed).where(Feed.owner == owner).values(body=new_body, etag=etag_of(new_body)))
        changed = other.get(path)
        assert changed.status_code == 200 and changed.content == new_body
        assert changed.headers["etag"] == etag_of(new_body)
        # Revoked through the first instance: the second refuses the very next request.
        assert me.delete("/api/me/feed-token").status_code == 204
        assert other.get(path).status_code == 404
    finally:
        other.app.state.db.dispose()


def test_feed_without_publication_is_an_empty_calendar_and_then_cached(service):
    admin = service.client("admin")
    assert admin.post("/api/users", json={"username": "nieuw", "password": PASSWORD, "role": "escort",
                                          "owner": "escort:NIEUW-1"}).status_code == 201
    path = "/" + service.client("nieuw").post("/api/me/feed-token").json()["url"].split("/", 3)[3]
    anonymous = service.client()
    first = anonymous.get(path)
    assert first.status_code == 200 and b"BEGIN:VCALENDAR" in first.content and b"BEGIN:VEVENT" not in first.content
    with service.db.sessions() as s:
        assert s.scalar(select(Feed.etag).where(Feed.owner == "escort:NIEUW-1")) == first.headers["etag"]
    second = anonymous.get(path)
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert anonymous.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_feed_bodies_is_bounded_and_keyed_by_etag():
    bodies = FeedBodies(max_bytes=10)
    bodies.put("a", '"1"', b"12345")
    assert bodies.get("a", '"1"') == b"12345" and bodies.get("a", '"2"') is None
    bodies.put("b", '"1"', b"123456")  # over the budget: the least recently used goes
    assert bodies.get("a", '"1"') is None and bodies.get("b", '"1"') == b"123456" and bodies.size == 6
    bodies.put("b", '"2"', b"1234")  # replaced, not added
    assert bodies.get("b", '"1"') is None and bodies.get("b", '"2"') == b"1234" and bodies.size == 4
    bodies.put("c", '"1"', b"x" * 11)  # larger than the whole budget: not kept
    assert bodies.get("c", '"1"') is None and bodies.size == 4
