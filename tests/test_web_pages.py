"""The Dutch pages: who may see what, login CSRF, import problems, the board, documents, forms.

Plans are made by the planner itself (quick mode) and stored as a draft row, each re-checked
by the checker; the job and publishing services get their own page tests where they exist.
"""
import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from api.models import AuditEntry, Contact, PlanVersion, BookRecord, ScenarioRow, User
from planner.checker import check_plan
from planner.plan import build_plan
from planner.solve import SolveOptions, solve
from service import PASSWORD, USERS, demo_scenario_bytes, upload_demo

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROLE_OF = {name: role for name, (role, *_rest) in USERS.items()}


def csrf_of(client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return CSRF.search(response.text).group(1)


def page_login(client, username: str, password: str = PASSWORD, next_: str = ""):
    token = csrf_of(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": next_}, follow_redirects=False)


def make_plan(service, scenario_id: int, state: str = "draft") -> tuple[int, dict]:
    """A plan by the planner's quick mode, stored as the service stores a job's draft."""
    from api.scenarios import load

    with service.db.transaction() as s:
        sc = load(s, scenario_id)
        version = s.get(ScenarioRow, scenario_id).version
    plan = build_plan(sc, solve(sc, SolveOptions(quick=True)))
    assert check_plan(sc, plan) == []
    with service.db.transaction() as s:
        row = PlanVersion(scenario_id=scenario_id, scenario_version=version, state=state, document=plan,
                          violations=[], created_by="test",
                          summary={"planned": sum(1 for d in plan["departures"] if d["planned"]),
                                   "departures": len(plan["departures"])})
        s.add(row)
        s.flush()
        return row.id, plan


@pytest.fixture
def world(service):
    """The demo scenario of unit BV-Noord with one draft plan."""
    sid = upload_demo(service.client("regie"))["id"]
    plan_id, plan = make_plan(service, sid)
    planned = next(d for d in plan["departures"] if d["planned"])
    unplanned = next(d for d in plan["departures"] if not d["planned"])
    return {"sid": sid, "plan_id": plan_id, "plan": plan, "planned": planned, "unplanned": unplanned}


def _pages(w) -> dict[str, set[str]]:
    """Every page with the roles that may see it (the same permissions as the API)."""
    sid, pid, dep = w["sid"], w["plan_id"], w["planned"]["id"]
    case = {"regievoerder", "inspector"}
    return {
        f"/scenarios/{sid}/departures/{dep}": case,
        f"/scenarios/{sid}/departures/{dep}/itinerary.html": case,
        f"/scenarios/{sid}/board": case,
        f"/plans/{pid}": case,
        "/ik": {"escort", "medic", "driver"},
        "/beheer": {"planner-admin"},
        "/audit": {"inspector", "planner-admin"},
    }


# --- Login, logout, homes ----------------------------------------------------------------------

@pytest.mark.parametrize("username, home", [("regie", "/"), ("inspector", "/"), ("admin", "/beheer"),
                                            ("escort", "/ik"), ("medic", "/ik"), ("driver", "/ik")])
def test_login_lands_on_the_roles_home(service, username, home):
    client = service.client()
    response = page_login(client, username)
    assert response.status_code == 303 and response.headers["location"] == home
    assert client.get(home).status_code == 200


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(service):
    client = service.client()
    assert client.get("/audit", follow_redirects=False).headers["location"] == "/login?next=/audit"
    assert page_login(client, "inspector", next_="/audit").headers["location"] == "/audit"
    other = service.client()
    assert page_login(other, "inspector", next_="//evil.example/x").headers["location"] == "/"


def test_the_page_asked_for_survives_the_login_with_its_query_and_an_expired_form_says_so(service, world):
    client = service.client()
    url = f"/scenarios/{world['sid']}/board?plan={world['plan_id']}"
    response = client.get(url, follow_redirects=False)
    assert response.headers["location"] == "/login?next=" + url.replace("?", "%3F").replace("=", "%3D")
    assert page_login(client, "regie", next_=url).headers["location"] == url
    anonymous = service.client().post(f"/plans/{world['plan_id']}/publish", data={"csrf_token": "x"})
    assert anonymous.status_code == 401 and "sessie is verlopen" in anonymous.text
    assert service.client().post("/api/scenarios").status_code == 401  # the API keeps its JSON answer
    headers = client.get(url).headers
    assert "script-src 'self'" in headers["content-security-policy"] and headers["cache-control"] == "no-store"


def test_login_csrf_refused_without_the_cookie_or_with_another_value(service):
    client = service.client()
    token = csrf_of(client, "/login")
    client.cookies.clear()  # the double-submit cookie is gone: a forged cross-site form looks like this
    response = client.post("/login", data={"username": "regie", "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 403 and "vp_session" not in response.cookies
    assert "verlopen" in response.text
    other = service.client()
    csrf_of(other, "/login")
    response = other.post("/login", data={"username": "regie", "password": PASSWORD, "csrf_token": "forged"},
                          follow_redirects=False)
    assert response.status_code == 403 and "vp_session" not in response.cookies


def test_wrong_password_is_a_dutch_message_and_an_audit_entry(service):
    client = service.client()
    response = page_login(client, "regie", password="fout-wachtwoord")
    assert response.status_code == 401 and "onjuist wachtwoord" in response.text
    with service.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "login.failed")) == 1


def test_logout_needs_the_csrf_token_and_ends_the_session(service):
    client = service.client()
    page_login(client, "regie")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    response = client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


# --- Who sees which page -----------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_login(service, world):
    client = service.client()
    for url in ["/", *_pages(world)]:
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/login?next=/"), url


def test_each_page_renders_for_its_roles_and_is_refused_to_the_others(service, world):
    clients = {name: service.client(name) for name in USERS}
    for url, roles in _pages(world).items():
        for name, client in clients.items():
            response = client.get(url, follow_redirects=False)
            if ROLE_OF[name] in roles:
                expected = 404 if name == "regie-zuid" and url.startswith(("/scenarios", "/plans")) else 200
            else:
                expected = 403
            assert response.status_code == expected, (url, name, response.status_code)
            if expected != 200:
                assert "<html" in response.text and "Traceback" not in response.text
                assert "Geen toegang" in response.text or "Niet gevonden" in response.text


def test_dashboard_is_for_case_roles_others_go_home(service, world):
    for name, home in (("admin", "/beheer"), ("escort", "/ik"), ("driver", "/ik")):
        response = service.client(name).get("/", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == home
    inspector = service.client("inspector").get("/")
    assert inspector.status_code == 200 and "Scenario importeren" not in inspector.text
    assert "Plan maken" not in inspector.text


def test_regievoerders_see_only_their_own_units_scenarios(service, world):
    zuid = service.client("regie-zuid")
    assert "demo" not in zuid.get("/").text
    assert zuid.get(f"/?scenario={world['sid']}").status_code == 404
    assert zuid.get(f"/scenarios/{world['sid']}/board").status_code == 404
    assert zuid.get(f"/plans/{world['plan_id']}").status_code == 404


# --- Dashboard and import ----------------------------------------------------------------------

def test_dashboard_lists_departures_with_status_and_dutch_reasons(service, world):
    text = service.client("regie").get(f"/?scenario={world['sid']}").text
    unplanned = world["unplanned"]
    assert unplanned["id"] in text and "niet gepland" in text
    assert unplanned["reasons_nl"][0] in text
    assert "concept" in text  # planned in a draft only: not yet 'gepland'
    assert f'/scenarios/{world["sid"]}/departures/{world["planned"]["id"]}' in text
    only_unplanned = service.client("regie").get(f"/?scenario={world['sid']}&status=niet-gepland").text
    assert world["planned"]["id"] not in only_unplanned and unplanned["id"] in only_unplanned


def test_import_through_the_page_stores_the_scenario(service):
    client = service.client()
    page_login(client, "regie")
    response = client.post("/scenarios/import", data={"csrf_token": csrf_of(client)},
                           files={"file": ("demo.json", demo_scenario_bytes())}, follow_redirects=False)
    assert response.status_code == 303
    shown = client.get(response.headers["location"]).text
    assert "Scenario geïmporteerd" in shown and "BV-2026-0001" in shown


def test_import_of_a_bad_file_lists_every_problem_and_stores_nothing(service):
    client = service.client()
    page_login(client, "regie")
    doc = json.loads(demo_scenario_bytes())
    doc["departures"][3]["priority"] = 7
    doc["flights"][0]["departs"] = "2026-12-03T10:05:00"
    response = client.post("/scenarios/import", data={"csrf_token": csrf_of(client)},
                           files={"file": ("bad.json", json.dumps(doc).encode())})
    assert response.status_code == 422
    text = response.text
    assert "Er is niets opgeslagen" in text
    rows = re.findall(r"<tr><td>(\w+)</td><td>([^<]*)</td><td>([^<]*)</td><td><code>([^<]*)</code></td>", text)
    assert ("departures", doc["departures"][3]["id"], "priority", "7") in rows
    assert any(r[0] == "flights" and r[1] == doc["flights"][0]["id"] and r[2] == "departs" for r in rows)
    damaged = client.post("/scenarios/import", data={"csrf_token": csrf_of(client)},
                          files={"file": ("x.json", b'{"format": ')})
    assert damaged.status_code == 422 and "scenario" in damaged.text
    with service.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ScenarioRow)) == 0
        assert s.scalar(select(func.count()).select_from(BookRecord)) == 0


def test_excel_upload_through_the_page_imports_like_json(service, tmp_path):
    from planner.loading.tabular import write_workbook

    client = service.client()
    page_login(client, "regie")
    path = write_workbook(json.loads(demo_scenario_bytes()), tmp_path / "demo.xlsx")
    response = client.post("/scenarios/import", data={"csrf_token": csrf_of(client)},
                           files={"file": ("demo.xlsx", path.read_bytes())}, follow_redirects=False)
    assert response.status_code == 303
    with service.db.sessions() as s:
        assert s.scalar(select(ScenarioRow.source)) == "demo.xlsx"


def test_departures_are_paged_and_the_filter_keeps_its_page_links(service, world, monkeypatch):
    from api.web import data

    monkeypatch.setattr(data, "PAGE_SIZE", 5)
    client = service.client("regie")
    ids = [d["id"] for d in world["plan"]["departures"]]
    first = client.get(f"/?scenario={world['sid']}").text
    assert "pagina 1 van 3" in first and ids[4] in first and ids[5] not in first
    third = client.get(f"/?scenario={world['sid']}&page=3").text
    assert ids[10] in third and ids[0] not in third
    planned = [d["id"] for d in world["plan"]["departures"] if d["planned"]]
    filtered = client.get(f"/?scenario={world['sid']}&status=gepland&page=2").text
    assert planned[5] in filtered and "&amp;status=gepland&amp;page=1" in filtered


def test_import_is_refused_without_csrf_token_and_for_other_roles(service):
    client = service.client()
    page_login(client, "regie")
    response = client.post("/scenarios/import", files={"file": ("demo.json", demo_scenario_bytes())})
    assert response.status_code == 403 and "CSRF" in response.text
    inspector = service.client()
    page_login(inspector, "inspector")
    response = inspector.post("/scenarios/import", data={"csrf_token": csrf_of(inspector)},
                              files={"file": ("demo.json", demo_scenario_bytes())})
    assert response.status_code == 403
    with service.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ScenarioRow)) == 0


# --- Board ---------------------------------------------------------------------------------------

def test_board_has_a_lane_per_escort_medic_and_vehicle_of_the_plan(service, world):
    plan = world["plan"]
    owners = set()
    for d in plan["departures"]:
        if d["planned"]:
            owners.add(f"vehicle:{d['pickup']['vehicle']}")
            owners |= {f"escort:{e['id']}" for e in d["escorts"]} | {f"medic:{m['id']}" for m in d["medics"]}
    # The whole plan at once (zoom=alles); the day and week views are tested in test_web_board.py.
    text = service.client("regie").get(f"/scenarios/{world['sid']}/board?plan={world['plan_id']}&zoom=alles").text
    lanes = re.findall(r'<div class="lane" data-owner="([^"]+)">', text)
    assert sorted(lanes) == sorted(owners) and len(lanes) == len(set(lanes))
    assert any(o.startswith("medic:") for o in owners) and any(o.startswith("escort:") for o in owners)
    # Every bar sits inside the board, positioned by the server.
    bars = re.findall(r'<details class="bar \w+[^"]*" style="left: ([\d.]+)%; width: ([\d.]+)%"', text)
    assert bars
    for left, width in bars:
        assert 0 <= float(left) and float(left) + float(width) <= 100.001
    planned = [d["id"] for d in plan["departures"] if d["planned"]]
    shown = set(" ".join(re.findall(r'data-departures="([^"]+)"', text)).split())
    assert set(planned) <= shown
    vehicles_only = service.client("regie").get(f"/scenarios/{world['sid']}/board?kind=vehicle").text
    assert all(o.startswith("vehicle:") for o in re.findall(r'data-owner="([^"]+)"', vehicles_only))


def test_board_without_a_plan_says_so(service):
    sid = upload_demo(service.client("regie"))["id"]
    response = service.client("regie").get(f"/scenarios/{sid}/board")
    assert response.status_code == 200 and "nog geen plan" in response.text


# --- Departure and its documents -------------------------------------------------------------------

def test_departure_page_shows_the_plan_documents_and_medical_details(service, world):
    client = service.client("regie")
    sid, dep = world["sid"], world["planned"]
    text = client.get(f"/scenarios/{sid}/departures/{dep['id']}").text
    assert "Persoon en medische gegevens" in text and "concept" in text
    assert "itinerary.pdf" in text and "letter.en.pdf" in text
    itinerary = client.get(f"/scenarios/{sid}/departures/{dep['id']}/itinerary.html")
    assert itinerary.status_code == 200 and f"Reisplan {dep['id']}" in itinerary.text
    pdf = client.get(f"/scenarios/{sid}/departures/{dep['id']}/itinerary.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf" and "attachment" in pdf.headers["content-disposition"]
    letter = client.get(f"/scenarios/{sid}/departures/{dep['id']}/letter.en.pdf")
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
    assert client.get(f"/scenarios/{sid}/departures/{dep['id']}/letter.xx.pdf").status_code == 404


def test_unplanned_departure_shows_its_reasons_and_has_no_documents(service, world):
    client = service.client("inspector")
    sid, dep = world["sid"], world["unplanned"]
    text = client.get(f"/scenarios/{sid}/departures/{dep['id']}").text
    assert "Waarom niet gepland" in text and dep["reasons_nl"][0] in text
    assert client.get(f"/scenarios/{sid}/departures/{dep['id']}/itinerary.pdf").status_code == 404
    assert client.get(f"/scenarios/{sid}/departures/NOPE-1").status_code == 404


def test_field_roles_cannot_reach_documents(service, world):
    url = f"/scenarios/{world['sid']}/departures/{world['planned']['id']}/itinerary.pdf"
    for name in ("escort", "medic", "driver", "admin"):
        assert service.client(name).get(url).status_code == 403


# --- Plan review ---------------------------------------------------------------------------------

def test_plan_page_shows_verdict_summary_and_diff_with_publish_for_regievoerders(service, world):
    text = service.client("regie").get(f"/plans/{world['plan_id']}").text
    planned = sum(1 for d in world["plan"]["departures"] if d["planned"])
    assert "geen overtredingen" in text
    assert f"{planned} van {len(world['plan']['departures'])}" in text
    assert f"Nieuw gepland ({planned})" in text  # nothing published yet: every planned departure is new
    assert 'action="/plans/%d/publish"' % world["plan_id"] in text
    assert "Publiceren" not in service.client("inspector").get(f"/plans/{world['plan_id']}").text


def test_review_names_who_no_invite_can_reach_until_an_address_is_added(service, world):
    from publish_support import add_contacts, owners_in

    owners = sorted(owners_in(world["plan"]))
    left_out = owners[len(owners) // 2]
    admin, regie = service.client("admin"), service.client("regie")
    add_contacts(admin, set(owners) - {left_out})
    url = f"/plans/{world['plan_id']}"
    for client in (regie, service.client("inspector")):
        assert client.get(f"/api{url}").json()["without_address"] == [left_out]
    text = regie.get(url).text
    assert "1 persoon krijgt geen uitnodiging per e-mail" in text and f"({left_out})" in text
    assert sum(f"({o})" in text for o in owners) == 1
    add_contacts(admin, {left_out})
    assert regie.get(f"/api{url}").json()["without_address"] == []
    assert "geen uitnodiging per e-mail" not in regie.get(url).text


def test_plan_page_diff_names_what_changed_against_the_published_plan(service, world):
    sid = world["sid"]
    with service.db.transaction() as s:
        s.get(PlanVersion, world["plan_id"]).state = "published"
    changed = json.loads(json.dumps(world["plan"]))
    moved = next(d for d in changed["departures"] if d["planned"])
    dropped = [d for d in changed["departures"] if d["planned"]][1]
    moved["pickup"]["vehicle"] = "ANDER-VOERTUIG"
    dropped.clear()
    dropped.update({"id": world["plan"]["departures"][changed["departures"].index(dropped)]["id"], "planned": False,
                    "reasons_nl": ["Geen escort beschikbaar"]})
    with service.db.transaction() as s:
        row = PlanVersion(scenario_id=sid, scenario_version=1, state="draft", document=changed,
                          violations=[{"rule": 11, "departure": moved["id"], "resource": "ANDER-VOERTUIG",
                                       "message": "unknown vehicle"}], created_by="test")
        s.add(row)
        s.flush()
        new_id = row.id
    text = service.client("regie").get(f"/plans/{new_id}").text
    assert "Gewijzigd (1)" in text and "voertuig: " in text and "ANDER-VOERTUIG" in text
    assert "Niet meer gepland (1)" in text and "Geen escort beschikbaar" in text
    assert "Nieuw gepland (0)" in text
    assert "regel 11" in text and "kan niet worden gepubliceerd" in text
    assert 'action="/plans/%d/publish"' % new_id not in text  # a plan with violations offers no publish button


# --- Solving ---------------------------------------------------------------------------------

def test_plan_maken_starts_a_job_and_the_job_page_shows_its_progress(service, world):
    pytest.importorskip("api.jobs")
    client = service.client()
    page_login(client, "regie")
    response = client.post(f"/scenarios/{world['sid']}/solve", data={"csrf_token": csrf_of(client), "mode": "quick"},
                           follow_redirects=False)
    assert response.status_code == 303 and re.fullmatch(r"/jobs/\d+", response.headers["location"])
    job = client.get(response.headers["location"])
    assert job.status_code == 200 and "in de wachtrij" in job.text and 'data-job="' in job.text
    assert "Stoppen" in job.text and "/static/app.js" in job.text
    assert service.client("inspector").get(response.headers["location"]).status_code == 200
    assert service.client("regie-zuid").get(response.headers["location"]).status_code == 404
    assert service.client("escort").get(response.headers["location"]).status_code == 403
    # A queued job is cancelled at once by Stoppen.
    stopped = client.post(response.headers["location"] + "/stop", data={"csrf_token": csrf_of(client)})
    assert stopped.status_code == 200 and "geannuleerd" in stopped.text
    no_token = client.post(f"/scenarios/{world['sid']}/solve", data={"mode": "quick"})
    assert no_token.status_code == 403


def test_stoppen_ends_a_running_solve_and_keeps_its_best_plan(service, tmp_path):
    """With a real worker: the job page shows live progress, Stoppen answers once the solver stopped."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from planner.generator import generate

    repo = Path(__file__).resolve().parent.parent
    sid = upload_demo(service.client("regie"), json.dumps(generate("large", 7)).encode(), "large.json")["id"]
    env = dict(os.environ, DATABASE_URL=service.settings.database_url, VERTREKPLANNER_DATA=str(tmp_path),
               SECRET_KEY=service.settings.secret_key, PYTHONPATH=str(repo))
    worker = subprocess.Popen([sys.executable, "-m", "api.worker", "--poll", "0.2"], cwd=repo, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = service.client()
        page_login(client, "regie")
        response = client.post(f"/scenarios/{sid}/solve", data={"csrf_token": csrf_of(client), "mode": "full",
                                                               "time_limit": "600"}, follow_redirects=False)
        url = response.headers["location"]
        deadline = time.monotonic() + 180
        while True:  # until the worker runs it and the page shows a live incumbent
            text = client.get(url).text
            if 'data-field="status">bezig' in text and 'data-field="incumbent">—' not in text:
                break
            assert time.monotonic() < deadline, text
            time.sleep(0.3)
        stopped = client.post(url + "/stop", data={"csrf_token": csrf_of(client, url)})
        assert stopped.status_code == 200 and 'data-field="status">gestopt' in stopped.text
        assert "Naar het conceptplan" in stopped.text and "Stoppen</button>" not in stopped.text
        plan_id = int(re.search(r'href="/plans/(\d+)"', stopped.text).group(1))
        assert "geen overtredingen" in client.get(f"/plans/{plan_id}").text
    finally:
        worker.terminate()
        worker.wait(30)


# --- Administration and audit ----------------------------------------------------------------

def test_admin_creates_a_user_and_a_contact_through_the_forms(service):
    client = service.client()
    page_login(client, "admin")
    token = csrf_of(client, "/beheer")
    response = client.post("/beheer/users", data={"csrf_token": token, "username": "kmar-017",
                                                  "password": "lang-genoeg-1", "role": "escort",
                                                  "owner": "escort:KMAR-017"}, follow_redirects=False)
    assert response.status_code == 303
    again = client.post("/beheer/users", data={"csrf_token": token, "username": "kmar-017", "password": "lang-genoeg-1",
                                               "role": "escort"})
    assert again.status_code == 409 and "bestaat al" in again.text
    short = client.post("/beheer/users", data={"csrf_token": token, "username": "x", "password": "kort",
                                               "role": "escort"})
    assert short.status_code == 422 and "wachtwoord: minstens 12 tekens" in short.text
    assert client.post("/beheer/contacts", data={"csrf_token": token, "owner": "escort:KMAR-017",
                                                 "email": "kmar017@example.test"},
                       follow_redirects=False).status_code == 303
    bad = client.post("/beheer/contacts", data={"csrf_token": token, "owner": "iemand", "email": "geen-adres"})
    assert bad.status_code == 422 and "koppeling" in bad.text
    with service.db.sessions() as s:
        user = s.scalar(select(User).where(User.username == "kmar-017"))
        assert user.owner == "escort:KMAR-017" and user.password_hash.startswith("$argon2")
        assert s.get(Contact, "escort:KMAR-017").email == "kmar017@example.test"
    fresh = service.client()
    assert page_login(fresh, "kmar-017", "lang-genoeg-1").headers["location"] == "/ik"
    # A stale form (version 1 after someone saved version 2) is refused, not silently applied.
    assert client.post("/beheer/contacts", data={"csrf_token": token, "owner": "escort:KMAR-017",
                                                 "email": "b@example.test", "version": "1"},
                       follow_redirects=False).status_code == 303
    stale = client.post("/beheer/contacts", data={"csrf_token": token, "owner": "escort:KMAR-017",
                                                  "email": "c@example.test", "version": "1"})
    assert stale.status_code == 412 and "intussen gewijzigd" in stale.text


def test_audit_page_lists_the_log_read_only(service, world):
    text = service.client("inspector").get("/audit").text
    assert "scenario.import" in text and "login" in text
    assert "<form method=\"post\"" not in text.split("<main")[1].split("</main>")[0]
    filtered = service.client("inspector").get("/audit?action=scenario.import").text
    assert "scenario.import" in filtered and ">login<" not in filtered


def test_field_roles_own_page_renders_without_missions(service):
    text = service.client("escort").get("/ik").text
    assert "Mijn planning" in text and "geen geplande missies" in text
    assert "Outlook" in text and "Google" in text and "Apple" in text


# --- Errors are Dutch pages ----------------------------------------------------------------------

def test_errors_are_dutch_pages_not_stack_traces(service, world, monkeypatch):
    client = service.client("regie")
    missing = client.get("/bestaat-niet")
    assert missing.status_code == 404 and "Niet gevonden" in missing.text and "<html" in missing.text
    bad = client.get("/scenarios/abc/board")
    assert bad.status_code == 422 and "niet geldig" in bad.text
    assert client.get("/api/bestaat-niet").headers["content-type"].startswith("application/json")

    from api.web import data

    def broken(*args, **kwargs):
        raise RuntimeError("kapot")
    monkeypatch.setattr(data, "build_board", broken, raising=False)
    monkeypatch.setattr("api.web.pages.build_board", broken)
    from fastapi.testclient import TestClient

    quiet = TestClient(service.app, raise_server_exceptions=False)
    quiet.cookies = client.cookies
    crashed = quiet.get(f"/scenarios/{world['sid']}/board")
    assert crashed.status_code == 500 and "Er ging iets mis" in crashed.text
    assert "kapot" not in crashed.text and "Traceback" not in crashed.text


# --- Publishing and the person's own page ----------------------------------------------------------

def _escort_in(plan: dict) -> tuple[str, list[str]]:
    dep = next(d for d in plan["departures"] if d["planned"] and d["escorts"])
    escort = dep["escorts"][0]["id"]
    return escort, [d["id"] for d in plan["departures"] if d["planned"] and escort in {e["id"] for e in d["escorts"]}]


def test_publish_through_the_page_confirms_the_invites_and_the_escort_sees_the_missions(service, world,
                                                                                        monkeypatch):
    from datetime import datetime, timezone

    from api.auth import hash_password
    from api.models import OutboxMail

    escort, deps = _escort_in(world["plan"])
    with service.db.transaction() as s:
        s.add(User(username="kmar", password_hash=hash_password("een-lang-wachtwoord"), role="escort",
                   owner=f"escort:{escort}", email="kmar@example.test"))
    client = service.client()
    page_login(client, "regie")
    url = f"/plans/{world['plan_id']}"
    assert service.client("inspector").post(url + "/publish").status_code == 403
    response = client.post(url + "/publish", data={"csrf_token": csrf_of(client, url)}, follow_redirects=False)
    assert response.status_code == 303
    with service.db.sessions() as s:
        assert s.get(PlanVersion, world["plan_id"]).state == "published"
        queued = s.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.plan_id == world["plan_id"]))
    assert queued > 0 and response.headers["location"] == f"{url}?published={queued}&sent=0"
    confirmation = client.get(response.headers["location"]).text
    assert "Plan gepubliceerd." in confirmation and f"{queued} uitnodigingen per e-mail" in confirmation
    assert "gepland" in client.get(f"/?scenario={world['sid']}").text
    again = client.post(url + "/publish", data={"csrf_token": csrf_of(client, url)})
    assert again.status_code == 409 and "niet gepubliceerd" in again.text and "geen concept meer" in again.text

    # The escort's own page: upcoming missions (counted from before the demo's December), feed link, calendar.
    monkeypatch.setattr("api.web.pages.now", lambda: datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc))
    me = service.client()
    page_login(me, "kmar", "een-lang-wachtwoord")
    text = me.get("/ik").text
    assert all(f"Missie {d}" in text for d in deps) and "nog geen agenda-link" in text
    assert me.post("/ik/feed-token", data={"csrf_token": csrf_of(me, "/ik")},
                   follow_redirects=False).headers["location"] == "/ik?nieuw=1"
    text = me.get("/ik?nieuw=1").text
    feed = urlsplit(re.search(r'value="([^"]+)" class="feed" id="feed-url"', text).group(1)).path
    # The first link: no "previous link" that stopped working (there was none).
    assert feed.startswith("/feeds/") and "De vorige link werkt niet meer" not in text and "is gemaakt" in text
    calendar = me.get("/ik/agenda.ics")
    assert calendar.status_code == 200 and calendar.headers["content-type"].startswith("text/calendar")
    assert "attachment" in calendar.headers["content-disposition"]
    import vobject
    summaries = [e.summary.value for e in vobject.readOne(calendar.text, validate=True).vevent_list]
    assert sorted(s.split(":")[0] for s in summaries if s.startswith("Missie")) == sorted(f"Missie {d}" for d in deps)
    assert service.client().get(feed).content == calendar.content  # the subscription serves the same calendar
    monkeypatch.setattr("api.web.pages.now", lambda: datetime(2027, 6, 1, tzinfo=timezone.utc))
    assert "geen geplande missies" in me.get("/ik").text  # all of them lie in the past by then


def test_unlinked_field_account_gets_a_clear_message(service):
    from api.auth import hash_password

    with service.db.transaction() as s:
        s.add(User(username="nieuw", password_hash=hash_password("een-lang-wachtwoord"), role="driver"))
    client = service.client()
    page_login(client, "nieuw", "een-lang-wachtwoord")
    assert "nog niet gekoppeld" in client.get("/ik").text
    response = client.get("/ik/agenda.ics")
    assert response.status_code == 409 and "nog niet" in response.text


def test_an_empty_calendar_before_anything_is_published(service):
    import vobject

    calendar = service.client("medic").get("/ik/agenda.ics")
    assert calendar.status_code == 200
    assert vobject.readOne(calendar.text, validate=True).contents.get("vevent", []) == []
