"""Import in one transaction, edits with optimistic concurrency, the append-only audit log."""
import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from api.models import AuditEntry, BookRecord, ScenarioRow
from service import demo_scenario_bytes, upload_demo


def _counts(service):
    with service.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(ScenarioRow)), s.scalar(select(func.count()).select_from(BookRecord))


def test_import_stores_every_entity_and_reads_back_the_same_document(service):
    client = service.client("regie")
    created = upload_demo(client)
    original = json.loads(demo_scenario_bytes())
    assert created["unit"] == "BV-Noord"
    assert created["counts"]["departures"] == len(original["departures"])
    from api.scenarios import assemble
    with service.db.sessions() as s:
        doc = assemble(s, created["id"])
    for kind in ("departures", "escorts", "flights", "reception"):
        assert doc[kind] == original[kind]
    assert doc["parameters"] == original["parameters"]


def test_bad_upload_is_rejected_whole_with_named_problems_and_nothing_stored(service):
    client = service.client("regie")
    doc = json.loads(demo_scenario_bytes())
    doc["departures"][3]["priority"] = 7
    doc["flights"][0]["departs"] = "2026-12-03T10:05:00"  # no offset
    response = client.post("/api/scenarios", files={"file": ("bad.json", json.dumps(doc).encode())})
    assert response.status_code == 422
    messages = [p["message"] for p in response.json()["problems"]]
    dep_id, flight_id = doc["departures"][3]["id"], doc["flights"][0]["id"]
    assert any(m.startswith(f"departures[{dep_id}].priority = 7") for m in messages), messages
    assert any(m.startswith(f"flights[{flight_id}].departs") for m in messages), messages
    assert _counts(service) == (0, 0)


def test_damaged_json_and_damaged_excel_get_422_and_store_nothing(service):
    client = service.client("regie")
    for name, body in (("x.json", b'{"format": "vertrekplanner/scenario@1",'), ("x.xlsx", b"PK\x03\x04garbage"),
                       ("x.json", b"\xff\xfe\x00")):
        response = client.post("/api/scenarios", files={"file": (name, body)})
        assert response.status_code == 422, (name, response.text)
        assert response.json()["problems"][0]["entity"] == "scenario"
    assert _counts(service) == (0, 0)


def test_excel_upload_imports_like_json(service, tmp_path):
    from planner.loading.tabular import write_workbook

    path = write_workbook(json.loads(demo_scenario_bytes()), tmp_path / "demo.xlsx")
    created = upload_demo(service.client("regie"), path.read_bytes(), "demo.xlsx")
    assert created["counts"]["departures"] == len(json.loads(demo_scenario_bytes())["departures"])


def test_failure_in_the_middle_of_the_import_leaves_nothing(service, monkeypatch):
    import api.book as store

    client = service.client("regie")

    def broken(session, *args, **kwargs):
        raise RuntimeError("disk full")  # after the scenario row and every record were written
    monkeypatch.setattr(store.audit, "record", broken)
    with pytest.raises(RuntimeError):
        client.post("/api/scenarios", files={"file": ("demo.json", demo_scenario_bytes())})
    assert _counts(service) == (0, 0)


def test_stale_write_gets_412_and_loses_nothing(service):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    first = client.get(f"/api/scenarios/{sid}/departures").json()[0]
    url = f"/api/scenarios/{sid}/departures/{first['key']}"
    etag = client.get(url).headers["etag"]
    mine, theirs = dict(first["data"], priority=1), dict(first["data"], priority=5)
    assert client.put(url, json=theirs, headers={"If-Match": etag}).status_code == 200
    stale = client.put(url, json=mine, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    stored = client.get(url).json()
    assert stored["data"]["priority"] == 5 and stored["version"] == 2
    assert client.put(url, json=mine).status_code == 428  # no If-Match at all


def test_edit_that_breaks_validation_is_refused_with_the_field_named(service):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    first = client.get(f"/api/scenarios/{sid}/departures").json()[0]
    url = f"/api/scenarios/{sid}/departures/{first['key']}"
    bad = dict(first["data"], reception="REC-DOES-NOT-EXIST")
    response = client.put(url, json=bad, headers={"If-Match": '"v1"'})
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "reception"
    assert client.get(url).json()["data"] == first["data"]


def test_audit_log_records_import_edit_and_login_and_cannot_be_changed(service):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    first = client.get(f"/api/scenarios/{sid}/departures").json()[0]
    client.put(f"/api/scenarios/{sid}/departures/{first['key']}", json=dict(first["data"], priority=2),
               headers={"If-Match": '"v1"'})
    entries = service.client("inspector").get("/api/audit").json()
    actions = [(e["actor"], e["action"]) for e in entries]
    assert ("regie", "login") in actions and ("regie", "scenario.import") in actions
    assert ("regie", "departures.update") in actions and ("inspector", "login") in actions
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with service.db.engine.begin() as conn:
                conn.execute(text(statement))
    with service.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == len(entries)


def test_failed_login_is_audited_and_gets_401(service):
    client = service.client()
    response = client.post("/api/session", json={"username": "regie", "password": "wrong"})
    assert response.status_code == 401
    entries = service.client("inspector").get("/api/audit", params={"action": "login.failed"}).json()
    assert [e["actor"] for e in entries] == ["regie"]


def test_regievoerder_sees_only_their_units_scenarios(service):
    sid = upload_demo(service.client("regie"))["id"]
    other = service.client("regie-zuid")
    assert other.get("/api/scenarios").json() == []
    assert other.get(f"/api/scenarios/{sid}").status_code == 404
    assert other.get(f"/api/scenarios/{sid}/departures").status_code == 404


def test_oversized_request_gets_413_and_stores_nothing(tmp_path):
    from service import make_service

    svc = make_service(tmp_path, max_request_bytes=10_000)
    client = svc.client("regie")
    response = client.post("/api/scenarios", files={"file": ("demo.json", demo_scenario_bytes())})
    assert response.status_code == 413
    assert _counts(svc) == (0, 0)
    svc.db.dispose()
