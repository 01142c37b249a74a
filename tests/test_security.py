"""Hardening: separation of duties for admins, login throttling, the password policy, one 404.

Items 6-9 of the hardening issue: each role sees only what it must.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from api.auth import hash_password
from api.models import AuditEntry, FeedToken, PlanVersion, BookRecord, ScenarioRow, SolveJob, User
from api.passwords import problems
from service import PASSWORD, demo_scenario_bytes, upload_demo
from test_web_pages import csrf_of, page_login


def _add_user(service, username, role, unit=None, owner=None, password=PASSWORD) -> int:
    with service.db.transaction() as s:
        user = User(username=username, password_hash=hash_password(password), role=role, unit=unit, owner=owner)
        s.add(user)
        s.flush()
        return user.id


def _user(service, username) -> User | None:
    with service.db.sessions() as s:
        return s.scalar(select(User).where(User.username == username))


def _audit(service, action) -> list[AuditEntry]:
    with service.db.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _put_user(client, service, username, **body):
    user = _user(service, username)
    values = dict(role=user.role, unit=user.unit, owner=user.owner, email=user.email, active=user.active)
    values.update(body)
    return client.put(f"/api/users/{user.id}", json=values, headers={"If-Match": f'"v{user.version}"'})


# --- Passwords -----------------------------------------------------------------------------------

@pytest.mark.parametrize("password, username, rule", [
    ("aaaaaaaaaa", "jan", "minstens 12 tekens"),
    ("aaaaaaaaaaaaaaaa", "jan", "te makkelijk te raden"),
    ("kees-de-vries-2026", "kees-de-vries", "gebruikersnaam"),
    ("KEES-DE-VRIES", "kees-de-vries", "gebruikersnaam"),
    ("qwertyuiop123", "jan", "veelgebruikte wachtwoorden"),
    ("123456789012", "jan", "te makkelijk te raden"),
])
def test_password_policy_names_the_broken_rule(password, username, rule):
    assert any(rule in p for p in problems(password, username)), problems(password, username)


def test_demo_and_test_passwords_pass_the_policy():
    assert problems("demo-wachtwoord", "beheer") == []
    assert problems(PASSWORD, "regie") == []


def test_api_and_admin_page_refuse_weak_passwords(service):
    admin = service.client("admin")
    for password in ("aaaaaaaaaa", "aaaaaaaaaaaa", "nieuwe-chauffeur-1"):
        response = admin.post("/api/users", json={"username": "nieuwe-chauffeur", "password": password,
                                                  "role": "driver"})
        assert response.status_code == 422, (password, response.text)
    assert "gebruikersnaam" in response.text
    assert _user(service, "nieuwe-chauffeur") is None
    # A reset through PUT is judged with the account's own name.
    assert _put_user(admin, service, "driver", password="driver-driver-driver").status_code == 422
    page = service.client()
    page_login(page, "admin")
    token = csrf_of(page, "/beheer")
    response = page.post("/beheer/users", data={"csrf_token": token, "username": "jan", "password": "welkom12345678",
                                                "role": "driver"})
    assert response.status_code == 422 and "wachtwoord: " in response.text
    assert _user(service, "jan") is None


def test_cli_refuses_a_weak_password_and_generates_a_good_one(service, tmp_path, monkeypatch, capsys):
    from api.cli import main

    monkeypatch.setenv("DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("VERTREKPLANNER_DATA", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("VERTREKPLANNER_PASSWORD", "a")
    assert main(["user", "nieuw", "--role", "driver"]) == 2
    assert "minstens 12 tekens" in capsys.readouterr().err
    assert _user(service, "nieuw") is None
    monkeypatch.delenv("VERTREKPLANNER_PASSWORD")
    assert main(["user", "nieuw", "--role", "driver"]) == 0
    password = re.search(r"wachtwoord: (\S+)", capsys.readouterr().out).group(1)
    assert problems(password, "nieuw") == []
    assert service.client().post("/api/session", json={"username": "nieuw", "password": password}).status_code == 200


def test_a_password_reset_ends_the_users_other_sessions(service):
    driver, other = service.client("driver"), service.client("driver")
    admin = service.client("admin")
    assert _put_user(admin, service, "driver", password="een-nieuw-lang-wachtwoord").status_code == 200
    assert driver.get("/api/session").status_code == 401 and other.get("/api/session").status_code == 401

    # One's own change keeps the session that makes it and ends the others.
    escort, elsewhere = service.client("escort"), service.client("escort")
    weak = escort.put("/api/session/password", json={"current_password": PASSWORD, "new_password": "escort123456"})
    assert weak.status_code == 422 and "gebruikersnaam" in weak.text
    wrong = escort.put("/api/session/password", json={"current_password": "fout-fout-fout", "new_password": "x" * 12})
    assert wrong.status_code == 422
    done = escort.put("/api/session/password", json={"current_password": PASSWORD,
                                                     "new_password": "paarse-olifant-op-de-fiets"})
    assert done.status_code == 204
    assert escort.get("/api/session").status_code == 200 and elsewhere.get("/api/session").status_code == 401
    assert _audit(service, "password.change")


def test_cli_reset_ends_sessions(service, tmp_path, monkeypatch):
    from api.cli import main

    driver = service.client("driver")
    monkeypatch.setenv("DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("VERTREKPLANNER_DATA", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("VERTREKPLANNER_PASSWORD", "een-ander-lang-wachtwoord")
    assert main(["user", "driver", "--role", "driver", "--owner", "vehicle:DVO-1"]) == 0
    assert driver.get("/api/session").status_code == 401


# --- Throttling ----------------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(service):
    from api import throttle

    client = service.client()
    for _ in range(throttle.PER_ACCOUNT):
        assert client.post("/api/session", json={"username": "regie", "password": "fout"}).status_code == 401
    locked = client.post("/api/session", json={"username": "regie", "password": PASSWORD})
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Te veel mislukte inlogpogingen" in locked.json()["detail"]
    # The page form answers the same, in Dutch, with the wait.
    page = page_login(service.client(), "regie")
    assert page.status_code == 429 and "Probeer het over 15 minuten opnieuw" in page.text
    assert "Retry-After" in page.headers
    assert len(_audit(service, "login.throttled")) == 2
    # Another account from the same address is not locked.
    assert service.client("inspector").get("/api/session").status_code == 200
    # An admin lifts the lock (audited); the right password works again.
    admin = service.client("admin")
    assert admin.post(f"/api/users/{_user(service, 'regie').id}/unlock").status_code == 204
    assert _audit(service, "login.unlock")
    assert client.post("/api/session", json={"username": "regie", "password": PASSWORD}).status_code == 200


def test_a_successful_login_resets_the_account_counter(service):
    from api import throttle

    client = service.client()
    for _ in range(3):
        for _ in range(throttle.PER_ACCOUNT - 1):
            assert client.post("/api/session", json={"username": "medic", "password": "fout"}).status_code == 401
        assert client.post("/api/session", json={"username": "medic", "password": PASSWORD}).status_code == 200


def test_many_accounts_guessed_from_one_address_lock_the_address(service):
    from api import throttle

    client = service.client()
    for n in range(throttle.PER_ADDRESS):
        assert client.post("/api/session", json={"username": f"gok-{n}", "password": "fout"}).status_code == 401
    assert client.post("/api/session", json={"username": "driver", "password": PASSWORD}).status_code == 429


def test_admin_page_shows_the_lock_and_lifts_it(service):
    from api import throttle

    for _ in range(throttle.PER_ACCOUNT):
        service.client().post("/api/session", json={"username": "driver", "password": "fout"})
    page = service.client()
    page_login(page, "admin")
    html = page.get("/beheer").text
    assert "Blokkade opheffen" in html
    token = csrf_of(page, "/beheer")
    user_id = _user(service, "driver").id
    assert page.post(f"/beheer/users/{user_id}/unlock", data={"csrf_token": token},
                     follow_redirects=False).status_code == 303
    assert service.client("driver").get("/api/session").status_code == 200


# --- Separation of duties ------------------------------------------------------------------------

def test_admin_cannot_change_their_own_role_unit_or_active_flag(service):
    admin = service.client("admin")
    for change in ({"role": "regievoerder", "unit": "BV-Noord"}, {"unit": "BV-Noord"}, {"active": False},
                   {"owner": "escort:KMAR-001"}):
        response = _put_user(admin, service, "admin", **change)
        assert response.status_code == 403, (change, response.text)
        assert "eigen rol" in response.json()["detail"]
    user = _user(service, "admin")
    assert (user.role, user.unit, user.active) == ("planner-admin", None, True)
    assert _put_user(admin, service, "admin", email="nieuw@example.test").status_code == 200  # own e-mail: fine


def test_admin_cannot_issue_or_read_a_units_task_feed(service):
    admin = service.client("admin")
    for method in ("POST", "DELETE"):
        assert admin.request(method, "/api/people/regie:BV-Noord/feed-token").status_code == 403
    assert admin.get("/api/me/feed").status_code == 403
    with service.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(FeedToken)) == 0


def test_issuing_a_link_never_silently_revokes_the_persons_own(service):
    escort = service.client("escort")
    url = escort.post("/api/me/feed-token").json()["url"]
    token = re.search(r"/feeds/([^/]+)\.ics$", url).group(1)
    admin = service.client("admin")
    assert admin.post("/api/people/escort:KMAR-001/feed-token").status_code == 409
    assert service.client().get(f"/feeds/{token}.ics").status_code == 200
    # Revoking is explicit, audited, and shown to the person.
    assert admin.delete("/api/people/escort:KMAR-001/feed-token").status_code == 204
    assert service.client().get(f"/feeds/{token}.ics").status_code == 404
    changes = escort.get("/api/session").json()["changes"]
    assert any(c["action"] == "feed.revoke" and c["by"] == "admin" for c in changes)
    assert admin.post("/api/people/escort:KMAR-001/feed-token").status_code == 201


def test_access_to_case_data_needs_a_second_admin(service):
    _add_user(service, "admin2", "planner-admin")
    admin, admin2 = service.client("admin"), service.client("admin2")
    # Creating a regievoerder: only a request; no account yet, and it cannot log in.
    response = admin.post("/api/users", json={"username": "nieuwe-regie", "password": "een-lang-wachtwoord-9",
                                              "role": "regievoerder", "unit": "BV-Noord"})
    assert response.status_code == 202, response.text
    pending = response.json()
    assert pending["changes"]["password"] == "nieuw" and "hash" not in response.text
    assert _user(service, "nieuwe-regie") is None
    assert admin.post(f"/api/pending-changes/{pending['id']}/confirm").status_code == 403  # not by the requester
    assert [p["id"] for p in admin2.get("/api/pending-changes").json()] == [pending["id"]]
    assert admin2.post(f"/api/pending-changes/{pending['id']}/confirm").status_code == 200
    assert _user(service, "nieuwe-regie").unit == "BV-Noord"
    assert admin2.post(f"/api/pending-changes/{pending['id']}/reject").status_code == 409  # already decided

    # Moving a regievoerder to another unit, or resetting their password: also a request.
    regie = service.client("regie")
    moved = _put_user(admin, service, "regie", unit="BV-Zuid")
    assert moved.status_code == 202 and _user(service, "regie").unit == "BV-Noord"
    reset = _put_user(admin, service, "regie-zuid", password="een-overgenomen-wachtwoord")
    assert reset.status_code == 202
    assert service.client().post("/api/session", json={"username": "regie-zuid", "password": PASSWORD}
                                 ).status_code == 200  # the old password still holds
    assert admin2.post(f"/api/pending-changes/{reset.json()['id']}/reject").status_code == 200
    # The affected person sees the request on their own account.
    changes = regie.get("/api/session").json()["changes"]
    assert any(c["action"] == "user.change_requested" and c["by"] == "admin" for c in changes)
    # Promoting a field account is a role change: a request too. Changing an escort's e-mail is not.
    assert _put_user(admin, service, "escort", role="planner-admin", owner=None).status_code == 202
    assert _put_user(admin, service, "escort", email="e@example.test").status_code == 200
    # The holder of an account cannot confirm a change to it.
    own = _put_user(admin, service, "admin2", password="krijgt-een-nieuw-wachtwoord")
    assert own.status_code == 202
    assert admin2.post(f"/api/pending-changes/{own.json()['id']}/confirm").status_code == 403
    assert len(_audit(service, "user.change_requested")) == 5
    assert _audit(service, "user.change_confirmed") and _audit(service, "user.change_rejected")


def test_beheer_page_lists_and_confirms_pending_changes(service):
    _add_user(service, "admin2", "planner-admin")
    first = service.client()
    page_login(first, "admin")
    token = csrf_of(first, "/beheer")
    response = first.post("/beheer/users", data={"csrf_token": token, "username": "inspecteur-2",
                                                 "password": "een-lang-wachtwoord-9", "role": "inspector"},
                          follow_redirects=False)
    assert response.status_code == 303 and "aanvraag" in response.headers["location"]
    assert "wacht op een andere beheerder" in first.get("/beheer").text
    second = service.client()
    page_login(second, "admin2")
    html = second.get("/beheer").text
    change_id = re.search(r'/beheer/pending/(\d+)/bevestigen', html).group(1)
    assert second.post(f"/beheer/pending/{change_id}/bevestigen", data={"csrf_token": csrf_of(second, "/beheer")},
                       follow_redirects=False).status_code == 303
    assert _user(service, "inspecteur-2").role == "inspector"


# --- One 404 for "does not exist" and "not yours" ------------------------------------------------

def test_another_units_objects_answer_exactly_like_missing_ones(service):
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    with service.db.transaction() as s:
        version = s.get(ScenarioRow, sid).version
        plan = PlanVersion(scenario_id=sid, scenario_version=version, document={}, created_by="t")
        job = SolveJob(scenario_id=sid, scenario_version=version, requested_by="t", status="done")
        s.add_all([plan, job])
        s.flush()
        plan_id, job_id = plan.id, job.id
        dep = s.scalar(select(BookRecord.key).where(BookRecord.kind == "departures").limit(1))
    missing = 99999
    zuid = service.client("regie-zuid")
    zuid_page = service.client()
    page_login(zuid_page, "regie-zuid")
    pairs = [(zuid, "/api/scenarios/{}", sid), (zuid, "/api/plans/{}", plan_id), (zuid, "/api/plans/{}/diff", plan_id),
             (zuid, "/api/jobs/{}", job_id), (zuid, "/api/scenarios/{}/departures/" + dep, sid),
             (zuid, "/api/scenarios/{}/plans", sid), (zuid_page, "/plans/{}", plan_id), (zuid_page, "/jobs/{}", job_id),
             (zuid_page, "/scenarios/{}/departures/" + dep, sid)]
    for client, template, hidden_id in pairs:
        hidden = client.get(template.format(hidden_id), follow_redirects=False)
        absent = client.get(template.format(missing), follow_redirects=False)
        assert hidden.status_code == absent.status_code == 404, (template, hidden.status_code, absent.status_code)
        assert hidden.content == absent.content, (template, hidden.text[:300], absent.text[:300])
        if client is zuid:  # names neither the id asked for nor the hidden object's scenario
            assert str(sid) not in hidden.json()["detail"] and str(hidden_id) not in hidden.json()["detail"]
    post = zuid.post(f"/api/plans/{plan_id}/publish")
    assert post.status_code == 404 and post.content == zuid.post(f"/api/plans/{missing}/publish").content
