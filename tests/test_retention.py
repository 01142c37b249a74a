"""Storage limitation: personal fields of a departure are removed the set number of days after its
handover, and nothing else (calendars, plans, the audit log hold ids and times only)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from api import retention
from api.models import AuditEntry, BookRecord, CalendarEvent
from publish_support import make_draft
from service import upload_demo


def test_personal_fields_go_ninety_days_after_the_handover_and_not_before(service):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    plan_id, plan = make_draft(service, sid)
    assert client.post(f"/api/plans/{plan_id}/publish").status_code == 200
    planned = {d["id"]: datetime.fromisoformat(d["handover"]["time"]) for d in plan["departures"] if d["planned"]}
    assert planned
    last = max(planned.values())
    with service.db.sessions() as s:
        events_before = [(e.uid, e.sequence, e.status) for e in s.scalars(select(CalendarEvent).order_by(CalendarEvent.id))]
    with service.db.transaction() as s:
        assert retention.purge(s, 90, now=min(planned.values()) + timedelta(days=89)) == []
    with service.db.transaction() as s:
        purged = retention.purge(s, 90, now=last + timedelta(days=90, minutes=1))
    assert sorted(purged) == sorted(planned)
    with service.db.sessions() as s:
        for rec in s.scalars(select(BookRecord).where(BookRecord.kind == "departures", BookRecord.key.in_(purged))):
            assert rec.purged_at is not None
            assert set(rec.data) <= set(retention.KEPT_FIELDS)
            assert "person" not in rec.data and "medical" not in rec.data and "travel_document" not in rec.data
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
        assert sorted(entry.detail["ids"]) == sorted(purged) and entry.detail["days"] == 90
        assert [(e.uid, e.sequence, e.status) for e in s.scalars(select(CalendarEvent).order_by(CalendarEvent.id))] \
            == events_before
    # A purged departure is history: no longer in the unit's view, its record no longer served.
    first = sorted(purged)[0]
    assert client.get(f"/api/scenarios/{sid}/departures/{first}").status_code == 404
    listed = {r["key"] for r in client.get(f"/api/scenarios/{sid}/departures").json()}
    assert not listed & set(purged) and listed  # the unplanned ones stay
    # Purging again finds nothing more.
    with service.db.transaction() as s:
        assert retention.purge(s, 90, now=last + timedelta(days=200)) == []


def test_a_plan_without_a_finished_departure_leaves_its_past_events_alone(service):
    from sqlalchemy import update

    from api.models import PlanVersion

    client = service.client("regie")
    sid = upload_demo(client)["id"]
    plan_id, plan = make_draft(service, sid)
    assert client.post(f"/api/plans/{plan_id}/publish").status_code == 200
    done = next(d["id"] for d in plan["departures"] if d["planned"])
    with service.db.transaction() as s:  # its duties lie in the past now
        s.execute(update(CalendarEvent).where(CalendarEvent.key.like(f"%{done}%"))
                  .values(start=datetime(2026, 1, 1, tzinfo=timezone.utc), end=datetime(2026, 1, 2, tzinfo=timezone.utc)))
        past = {e.uid: (e.sequence, e.status) for e in s.scalars(select(CalendarEvent)
                                                                 .where(CalendarEvent.key.like(f"%{done}%")))}
    assert past
    later = {**plan, "departures": [d for d in plan["departures"] if d["id"] != done]
             + [{"id": done, "planned": False, "reasons": ["handed over"]}]}
    with service.db.transaction() as s:
        row = PlanVersion(scenario_id=sid, scenario_version=1, state="draft", document=later, created_by="t")
        s.add(row)
        s.flush()
        later_id = row.id
    published = client.post(f"/api/plans/{later_id}/publish")
    assert published.status_code == 200, published.text
    assert published.json()["events"]["cancelled"] == 0
    with service.db.sessions() as s:
        assert {e.uid: (e.sequence, e.status) for e in s.scalars(
            select(CalendarEvent).where(CalendarEvent.key.like(f"%{done}%")))} == past
