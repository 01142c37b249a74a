"""A living plan through the API: a recorded disruption re-plans only what it touches and publishing
mails only the people whose events changed; an edited travel document re-plans the departure; a
recommended fit becomes a draft that adds just that departure. Every plan is re-checked: the API's
verdict is the independent checker against the unit's view of the book as it is now."""
from __future__ import annotations

import copy

from sqlalchemy import select

from api.models import OutboxMail
from publish_support import add_contacts, owners_in
from service import upload_demo
from test_book import run_job


def entry_people(entry: dict | None) -> set[str]:
    if not entry or not entry.get("planned"):
        return set()
    return ({f"escort:{e['id']}" for e in entry["escorts"]} | {f"medic:{m['id']}" for m in entry["medics"]}
            | {f"vehicle:{entry['pickup']['vehicle']}"})


def published_demo(service):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    plan = run_job(service, client, sid)
    add_contacts(service.client("admin"), owners_in(plan["document"]))
    assert client.post(f"/api/plans/{plan['id']}/publish").status_code == 200
    return client, sid, plan


def test_a_cancelled_flight_replans_only_its_departures_and_mails_only_their_people(service):
    client, sid, first = published_demo(service)
    before = {d["id"]: d for d in first["document"]["departures"]}
    flight = next(d["flights"][0] for d in before.values() if d["planned"])
    users = {did for did, d in before.items() if d["planned"] and (
        flight in d["flights"] or any(flight in c["return_flights"] for c in d["escorts"] + d["medics"]))}
    recorded = client.post(f"/api/scenarios/{sid}/disruptions", params={"time_limit": 10}, json={
        "format": "vertrekplanner/disruptions@1", "disruptions": [{"kind": "flight_cancelled", "flight": flight}]})
    assert recorded.status_code == 200, recorded.text
    body = recorded.json()
    assert body["changed"] == [f"flights/{flight}"]
    assert {a["departure"] for a in body["affected"]} == users
    listed = client.get(f"/api/scenarios/{sid}/disruptions").json()
    assert listed[0]["kinds"] == ["flight_cancelled"] and set(listed[0]["affected"]) == users
    job = body["job_id"]
    from api.worker import Worker
    assert Worker(service.settings, poll_seconds=0.05).run(max_jobs=1) == 1
    done = client.get(f"/api/jobs/{job}").json()
    assert done["status"] == "done", done
    second = client.get(f"/api/plans/{done['plan_id']}").json()
    assert second["violations"] == []
    assert second["summary"]["mode"] == "replan"
    after = {d["id"]: d for d in second["document"]["departures"]}
    assert not any(flight in (d.get("flights") or []) for d in after.values())
    changed = {d["id"] for d in second["document"]["changes"]["departures"]}
    assert changed and changed <= users  # nothing outside the cancelled flight moved
    for did in set(before) - users:
        assert after[did] == before[did] or not before[did]["planned"]
    concerned = set().union(*(entry_people(before[d]) | entry_people(after.get(d)) for d in changed))
    published = client.post(f"/api/plans/{second['id']}/publish")
    assert published.status_code == 200, published.text
    with service.db.sessions() as s:
        mailed = {m.owner for m in s.scalars(select(OutboxMail).where(OutboxMail.plan_id == second["id"]))}
    assert mailed and mailed <= concerned


def test_an_edited_travel_document_is_replanned(service):
    client, sid, first = published_demo(service)
    planned = next(d for d in first["document"]["departures"] if d["planned"])
    did = planned["id"]
    got = client.get(f"/api/scenarios/{sid}/departures/{did}")
    record, etag = got.json()["data"], got.headers["ETag"]
    expired = copy.deepcopy(record)
    expired["travel_document"]["valid_until"] = expired["travel_document"]["valid_from"]
    put = client.put(f"/api/scenarios/{sid}/departures/{did}", json=expired, headers={"If-Match": etag})
    assert put.status_code == 200, put.text
    # Someone who edited the older version is refused.
    stale = client.put(f"/api/scenarios/{sid}/departures/{did}", json=record, headers={"If-Match": etag})
    assert stale.status_code == 412
    second = run_job(service, client, sid)
    entry = next(d for d in second["document"]["departures"] if d["id"] == did)
    assert not entry["planned"] and 3 in entry["reason_rules"]
    assert client.post(f"/api/plans/{second['id']}/publish").status_code == 200
    # Renewed: the next re-plan plans it again.
    renewed = client.put(f"/api/scenarios/{sid}/departures/{did}", json=record,
                         headers={"If-Match": put.headers["ETag"]})
    assert renewed.status_code == 200, renewed.text
    third = run_job(service, client, sid)
    assert next(d for d in third["document"]["departures"] if d["id"] == did)["planned"]


def test_a_recommended_fit_becomes_a_draft_that_adds_only_that_departure(service):
    client, sid, first = published_demo(service)
    planned = next(d for d in first["document"]["departures"] if d["planned"] and not d.get("family_group"))
    record = client.get(f"/api/scenarios/{sid}/departures/{planned['id']}").json()["data"]
    new = {**copy.deepcopy(record), "id": "BV-2026-0500"}
    new.pop("family_group", None)
    added = client.post(f"/api/scenarios/{sid}/departures", json=new)
    assert added.status_code == 201, added.text
    assert client.post(f"/api/scenarios/{sid}/departures", json=new).status_code == 422  # the id is taken now
    options = client.get(f"/api/scenarios/{sid}/departures/BV-2026-0500/options").json()
    assert options["base_plan"] == first["id"] and options["options"], options
    top = options["options"][0]
    chosen = client.post(f"/api/scenarios/{sid}/departures/BV-2026-0500/options/1")
    assert chosen.status_code == 201, chosen.text
    draft = client.get(f"/api/plans/{chosen.json()['plan_id']}").json()
    assert draft["violations"] == []
    entries = {d["id"]: d for d in draft["document"]["departures"]}
    assert entries["BV-2026-0500"]["planned"] and entries["BV-2026-0500"]["flights"] == top["flights"]
    for d in first["document"]["departures"]:
        assert entries[d["id"]] == d  # nothing else moved
    assert client.post(f"/api/plans/{draft['id']}/publish").status_code == 200


def test_a_plan_version_downloads_as_a_workbook_read_back_by_pandas(service):
    import io

    import pandas as pd

    client, sid, first = published_demo(service)
    answer = client.get(f"/api/plans/{first['id']}/plan.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheets = pd.read_excel(io.BytesIO(answer.content), sheet_name=None)
    rows = sheets["vertrekken"]
    ids = [str(v) for v in rows.iloc[:, 0]]
    assert ids == [d["id"] for d in first["document"]["departures"]]
    escorts = {e["id"] for d in first["document"]["departures"] if d["planned"] for e in d["escorts"]}
    listed = set(sheets["escorts"].astype(str).stack())
    assert escorts <= listed


def test_a_queued_job_says_what_it_waits_behind(service):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    first = client.post(f"/api/scenarios/{sid}/jobs", json={"quick": True}).json()
    second = client.post(f"/api/scenarios/{sid}/jobs", json={"quick": True}).json()
    lone = client.get(f"/api/jobs/{first['id']}").json()
    assert "de volgende" in lone["queue_notice"]
    behind = client.get(f"/api/jobs/{second['id']}").json()
    assert behind["queue_notice"].startswith("In de wachtrij achter 1 eerder ingediende berekening;")
    assert "achter 1 eerder ingediende berekening" in client.get(f"/jobs/{second['id']}").text
    from api.worker import Worker
    assert Worker(service.settings, poll_seconds=0.05).run(max_jobs=2) == 2
    assert client.get(f"/api/jobs/{second['id']}").json()["queue_notice"] is None
