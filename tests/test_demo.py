"""The demo the README walks through: its accounts are people the demo plan uses, so after the
regievoerder publishes the demo draft, the escort, the medic and the driver each see a mission."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.cli import load_demo
from api.models import PlanVersion, User


def logged_in(service, username: str, password: str) -> TestClient:
    client = TestClient(service.app)
    answer = client.post("/api/session", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def test_demo_accounts_have_missions_once_the_demo_plan_is_published(service):
    accounts = load_demo(service.db, service.settings)
    assert {a[0] for a in accounts} == {"regie", "beheer", "inspectie", "escort", "medicus", "chauffeur"}
    assert load_demo(service.db, service.settings) == accounts  # loading again keeps the demo as it is
    password = accounts[0][1]
    with service.db.sessions() as s:
        drafts = list(s.scalars(select(PlanVersion)))
        owners = {u.username: u.owner for u in s.scalars(select(User).where(User.owner.is_not(None)))}
    assert len(drafts) == 1
    regie = logged_in(service, "regie", password)
    plan = regie.get(f"/api/plans/{drafts[0].id}").json()
    assert plan["violations"] == []
    assert regie.post(f"/api/plans/{drafts[0].id}/publish").status_code == 200
    planned = [d for d in plan["document"]["departures"] if d["planned"]]
    for username, kind in (("escort", "escorts"), ("medicus", "medics")):
        person = owners[username].partition(":")[2]
        assert any(person in {c["id"] for c in d[kind]} for d in planned), username
    assert any(d["pickup"]["vehicle"] == owners["chauffeur"].partition(":")[2] for d in planned)
    for username in ("escort", "medicus", "chauffeur"):
        events = logged_in(service, username, password).get("/api/me/events").json()
        assert events, f"{username} has no mission in the published demo plan"
    # The demo unit's handover letters carry its contact block: a number and an address to call back.
    from planner.contact import DEMO_CONTACT

    dep = planned[0]
    page = regie.get(f"/scenarios/{drafts[0].scenario_id}/departures/{dep['id']}").text
    lang = re.search(r"/letter\.(\w+)\.html", page).group(1)
    letter = regie.get(f"/scenarios/{drafts[0].scenario_id}/departures/{dep['id']}/letter.{lang}.html").text
    assert DEMO_CONTACT["phone"] in letter and DEMO_CONTACT["email"] in letter


def test_the_dashboard_says_where_to_act_first(service):
    accounts = load_demo(service.db, service.settings)
    regie = logged_in(service, "regie", accounts[0][1])
    with service.db.sessions() as s:
        plan = s.scalar(select(PlanVersion))
    actions = plan.document["solver"]["actions"]
    assert isinstance(actions, list) and actions, "the demo plan has verified actions"
    page = regie.get(f"/?scenario={plan.scenario_id}").text
    assert "Waar eerst actie" in page
    for a in actions[:5]:
        assert a["what_nl"] in page and f"prioriteit +{a['priority_gained']}" in page
