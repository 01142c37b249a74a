"""The whole journey in a real browser (Chromium via Playwright) against a running service and a
worker process: import, solve with live progress, review, publish, and an escort's own calendar.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from publish_support import free_port

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

playwright_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


@pytest.fixture
def live(tmp_path, monkeypatch):
    """The service on a free port (uvicorn in a thread) and one worker process on the same database."""
    with serve(tmp_path, monkeypatch) as running:
        yield running


@contextmanager
def serve(tmp_path, monkeypatch):
    """What ``live`` yields, for a fixture of a wider scope too (tests/test_accessibility.py)."""
    import uvicorn

    from service import make_service

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = make_service(tmp_path, public_url=base)
    # The demo scenario lies in December 2026: 'upcoming' on the person's page counts from its planning time.
    from datetime import datetime, timezone
    monkeypatch.setattr("api.web.pages.now", lambda: datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc))
    server = uvicorn.Server(uvicorn.Config(service.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    env = dict(os.environ, DATABASE_URL=service.settings.database_url, VERTREKPLANNER_DATA=str(tmp_path),
               SECRET_KEY=service.settings.secret_key, JOB_STALE_SECONDS=str(service.settings.job_stale_seconds),
               PYTHONPATH=str(REPO))
    worker = subprocess.Popen([sys.executable, "-m", "api.worker", "--poll", "0.2"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    try:
        yield service, base
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.should_exit = True
        thread.join(20)
        service.db.dispose()


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Inloggen')")


def log_out(page) -> None:
    page.click("button:has-text('Uitloggen')")
    page.wait_for_url(re.compile(r".*/login$"))


def test_import_solve_review_publish_and_the_escorts_calendar(live, browser, tmp_path):
    from playwright.sync_api import expect

    from api.models import PlanVersion
    from service import PASSWORD, demo_scenario_bytes

    service, base = live
    context = browser.new_context(accept_downloads=True, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(30_000)
    outside = []  # nothing may be fetched from anywhere but the service itself
    page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
    problems = []  # script errors and policy (CSP) violations; a 403 we provoke below is expected
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and " 403 " not in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # The regievoerder logs in and lands on the dashboard.
    page.goto(f"{base}/")
    page.wait_for_url(re.compile(r".*/login\?next=/$"))
    log_in(page, base, "regie", PASSWORD)
    page.wait_for_url(f"{base}/")
    expect(page.locator("h2", has_text="Scenario importeren")).to_be_visible()

    # Import the demo scenario through the form.
    demo = tmp_path / "demo.json"
    demo.write_bytes(demo_scenario_bytes())
    page.set_input_files("input[name=file]", str(demo))
    page.click("form[action='/scenarios/import/preview'] button[type=submit]")
    expect(page.locator("h1", has_text="Import bekijken")).to_be_visible()  # first what it adds, then apply
    expect(page.locator("#soort-departures ul[data-action=add] li")).to_have_count(12)
    page.click("button:has-text('Toepassen')")
    expect(page.get_by_text("Scenario geïmporteerd")).to_be_visible()
    expect(page.locator("table.departures tbody tr")).to_have_count(12)

    # Plan maken (quick): the job page follows the worker once a second until it is done.
    page.click("button:has-text('Plan maken')")
    page.wait_for_url(re.compile(r".*/jobs/\d+$"))
    expect(page.locator("[data-field=status]")).to_have_text("klaar", timeout=90_000)
    expect(page.locator("[data-field=incumbent]")).not_to_have_text("—")
    link = page.locator("[data-plan-link]")
    expect(link).to_be_visible()

    # Review the draft: verdict, summary, diff against nothing published yet.
    link.click()
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    plan_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_text("De controle vond geen overtredingen")).to_be_visible()
    expect(page.locator("h3", has_text="Nieuw gepland")).to_be_visible()
    expect(page.locator("h3", has_text="Gewijzigd (0)")).to_be_visible()

    # The board shows the plan.
    page.goto(f"{base}/scenarios/1/board?plan={plan_id}")
    assert page.locator(".lane[data-owner^='escort:']").count() > 0
    assert page.locator(".bar summary").count() > 0

    # Publish.
    page.goto(f"{base}/plans/{plan_id}")
    page.click("button:has-text('Publiceren')")
    page.wait_for_url(re.compile(rf".*/plans/{plan_id}\?published=\d+.*"))
    expect(page.get_by_text("Plan gepubliceerd.")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("gepubliceerd")

    with service.db.sessions() as s:
        plan = s.get(PlanVersion, plan_id).document
    dep = next(d for d in plan["departures"] if d["planned"] and d["escorts"])
    escort_id = dep["escorts"][0]["id"]
    missions = sum(1 for d in plan["departures"] if d["planned"] and escort_id in {e["id"] for e in d["escorts"]})
    log_out(page)

    # The planner-admin creates the escort's account through the form.
    log_in(page, base, "admin", PASSWORD)
    page.wait_for_url(f"{base}/beheer")
    form = page.locator("form[action='/beheer/users']")
    form.locator("input[name=username]").fill("escort-in-plan")
    form.locator("input[name=password]").fill("een-lang-wachtwoord")
    form.locator("select[name=role]").select_option("escort")
    form.locator("input[name=owner]").fill(f"escort:{escort_id}")
    form.locator("button[type=submit]").click()
    expect(page.get_by_text("Gebruiker aangemaakt.")).to_be_visible()
    log_out(page)

    # The escort sees their missions, makes a feed link and downloads the calendar.
    log_in(page, base, "escort-in-plan", "een-lang-wachtwoord")
    page.wait_for_url(f"{base}/ik")
    expect(page.locator("table.events tbody tr", has_text="Missie")).to_have_count(missions)
    expect(page.get_by_text(f"Missie {dep['id']}")).to_be_visible()
    page.click("button:has-text('Agenda-link maken')")
    page.wait_for_url(f"{base}/ik?nieuw=1")
    feed_url = page.locator("#feed-url").input_value()
    assert feed_url.startswith(f"{base}/feeds/") and feed_url.endswith(".ics")
    with page.expect_download() as info:
        page.click("a:has-text('Agenda downloaden')")
    body = Path(info.value.path()).read_bytes()

    import vobject
    calendar = vobject.readOne(body.decode("utf-8"), validate=True)
    events = calendar.contents.get("vevent", [])
    summaries = [e.summary.value for e in events]
    assert sum(1 for s in summaries if s.startswith("Missie ")) == missions
    assert any(dep["id"] in s for s in summaries)
    assert all(len(e.contents["uid"]) == 1 and len(e.contents["dtstamp"]) == 1 for e in events)
    assert dep["id"] not in "".join(e.uid.value for e in events)  # UIDs carry no case data

    # The subscription link serves the same calendar, without a login.
    import httpx
    assert httpx.get(feed_url).content == body

    # A new link retires the old one at once.
    page.click("button:has-text('Nieuwe link maken')")
    page.wait_for_url(f"{base}/ik?nieuw=2")  # 2: a new link in place of the old one
    assert page.locator("#feed-url").input_value() != feed_url
    assert httpx.get(feed_url).status_code == 404

    # The escort cannot open the regievoerder's pages.
    assert page.goto(f"{base}/plans/{plan_id}").status == 403
    assert page.goto(f"{base}/scenarios/1/departures/{dep['id']}").status == 403
    assert outside == []
    assert problems == []
    context.close()


# --- Editing the book and fitting one departure in (issue 12) ------------------------------------

def _published_demo(service) -> tuple[object, int, dict]:
    """The demo scenario of BV-Noord with a published plan (made by the planner, re-checked)."""
    from publish_support import make_draft
    from service import upload_demo

    api = service.client("regie")
    sid = upload_demo(api)["id"]
    plan_id, plan = make_draft(service, sid)
    assert api.post(f"/api/plans/{plan_id}/publish").status_code == 200
    assert api.get(f"/api/plans/{plan_id}").json()["violations"] == []
    return api, sid, plan


def _watched_page(browser, base: str):
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems = []  # script errors, policy (CSP) violations, anything fetched from elsewhere
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(base) else problems.append(r.url))
    return context, page, problems


def _replan(page, api, expect) -> dict:
    """Press "Opnieuw plannen" on the saved form, follow the job to its draft; the draft, re-checked."""
    page.click("button:has-text('Opnieuw plannen')")
    page.wait_for_url(re.compile(r".*/jobs/\d+$"))
    expect(page.locator("[data-field=status]")).to_have_text("klaar", timeout=90_000)
    page.locator("[data-plan-link]").click()
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    expect(page.get_by_text("De controle vond geen overtredingen")).to_be_visible()
    plan = api.get(f"/api/plans/{int(page.url.rsplit('/', 1)[1])}").json()
    assert plan["violations"] == [] and plan["state"] == "draft"
    return {d["id"]: d for d in plan["document"]["departures"]}


def test_an_expired_travel_document_unplans_a_departure_and_a_renewed_one_plans_it_again(live, browser):
    from playwright.sync_api import expect

    from service import PASSWORD

    service, base = live
    api, sid, plan = _published_demo(service)
    dep = next(d for d in plan["departures"] if d["planned"])
    record = api.get(f"/api/scenarios/{sid}/departures/{dep['id']}").json()["data"]
    document = record["travel_document"]
    context, page, problems = _watched_page(browser, base)
    log_in(page, base, "regie", PASSWORD)
    page.wait_for_url(f"{base}/")

    # The departure page leads to its form; the document expires before the planning time.
    page.goto(f"{base}/scenarios/{sid}/departures/{dep['id']}")
    expect(page.locator("h1 .badge")).to_have_text("gepland")
    page.click("a:has-text('Vertrek bewerken')")
    page.wait_for_url(re.compile(r".*/bewerken$"))
    page.get_by_label("Geldig vanaf").fill("2026-11-01")
    page.get_by_label("Geldig tot en met", exact=True).fill("2026-11-29")
    page.click("button:has-text('Wijzigingen opslaan')")
    page.wait_for_url(re.compile(r".*/bewerken\?opgeslagen=2$"))
    expect(page.get_by_text("Opgeslagen", exact=True)).to_be_visible()
    entries = _replan(page, api, expect)
    assert not entries[dep["id"]]["planned"]
    assert any("document" in r for r in entries[dep["id"]].get("reasons", [])), entries[dep["id"]]
    expect(page.locator("h3", has_text="Niet meer gepland (1)")).to_be_visible()

    # Renewed: the next re-plan plans it again, as the published plan had it (least change).
    page.goto(f"{base}/scenarios/{sid}/departures/{dep['id']}/bewerken")
    expect(page.get_by_label("Geldig tot en met", exact=True)).to_have_value("2026-11-29")
    page.get_by_label("Geldig vanaf").fill(document["valid_from"])
    page.get_by_label("Geldig tot en met", exact=True).fill(document["valid_until"])
    page.click("button:has-text('Wijzigingen opslaan')")
    page.wait_for_url(re.compile(r".*/bewerken\?opgeslagen=3$"))
    entries = _replan(page, api, expect)
    assert entries[dep["id"]] == dep
    assert api.get(f"/api/scenarios/{sid}/departures/{dep['id']}").json()["data"] == record
    assert problems == []
    context.close()


def test_add_a_departure_take_the_first_recommended_option_and_publish(live, browser):
    import json

    from playwright.sync_api import expect

    from service import PASSWORD

    service, base = live
    api, sid, plan = _published_demo(service)
    source = next(api.get(f"/api/scenarios/{sid}/departures/{d['id']}").json()["data"]
                  for d in plan["departures"] if d["planned"])
    source.pop("family_group", None)
    context, page, problems = _watched_page(browser, base)
    log_in(page, base, "regie", PASSWORD)
    page.wait_for_url(f"{base}/")

    # Add: the form suggests a new id and a copy to start from; the copy here is of a planned departure.
    page.click("a:has-text('Vertrek toevoegen')")
    page.wait_for_url(re.compile(r".*/departures/nieuw$"))
    new_id = page.get_by_label("Id van het nieuwe vertrek").input_value()
    assert new_id and new_id not in {d["id"] for d in plan["departures"]}
    page.get_by_label("Alle velden (JSON)").fill(json.dumps(source, indent=2))
    page.click("button:has-text('Vertrek toevoegen')")
    page.wait_for_url(f"{base}/scenarios/{sid}/departures/{new_id}")

    # Recommend, within a couple of seconds, and take the first option.
    started = time.monotonic()
    page.click("a:has-text('Passende opties zoeken')")
    page.wait_for_url(re.compile(r".*/opties$"))
    expect(page.locator("h2", has_text="Optie 1:")).to_be_visible()
    assert time.monotonic() - started < 10  # ~2 s; generous for a loaded test machine
    first = api.get(f"/api/scenarios/{sid}/departures/{new_id}/options").json()["options"][0]
    page.locator("button:has-text('Kies deze optie')").first.click()
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    plan_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_text("De controle vond geen overtredingen")).to_be_visible()
    expect(page.locator("h3", has_text="Nieuw gepland (1)")).to_be_visible()

    # Publish the draft that only adds it.
    page.click("button:has-text('Publiceren')")
    page.wait_for_url(re.compile(rf".*/plans/{plan_id}\?published=\d+.*"))
    expect(page.get_by_text("Plan gepubliceerd.")).to_be_visible()
    published = api.get(f"/api/plans/{plan_id}").json()
    assert published["state"] == "published" and published["violations"] == []
    entries = {d["id"]: d for d in published["document"]["departures"]}
    assert entries[new_id]["planned"] and entries[new_id]["flights"] == first["flights"]
    assert all(entries[d["id"]] == d for d in plan["departures"]), "publishing the option moved another departure"
    assert problems == []
    context.close()


# --- A disruption recorded on its page, re-planned, published (issue 12) -------------------------

def test_a_cancelled_flight_replans_only_its_departures_and_mails_only_their_people(live, browser):
    from playwright.sync_api import expect

    from api.models import PlanVersion
    from publish_support import SmtpServer, add_contacts, owners_in
    from service import PASSWORD, upload_demo

    service, base = live
    with SmtpServer() as smtp:
        # The service sends its invites to this loopback server (read per request by publishing).
        service.app.state.settings = service.settings.with_(smtp_host="127.0.0.1", smtp_port=smtp.port,
                                                            smtp_security="none")
        api = service.client("regie")
        sid = upload_demo(api)["id"]
        # The first plan: a thorough solve by the worker, as the unit makes it before publishing.
        # (After a quick first plan a re-plan may list a team in another order, and publishing
        # then re-invites that team although nothing changed for them.)
        job = api.post(f"/api/scenarios/{sid}/jobs", json={"time_limit": 10})
        assert job.status_code == 202, job.text
        deadline = time.monotonic() + 90
        while (done := api.get(f"/api/jobs/{job.json()['id']}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, done
            time.sleep(0.3)
        assert done["status"] == "done", done
        first_id = done["plan_id"]
        first = api.get(f"/api/plans/{first_id}").json()["document"]
        addresses = add_contacts(service.client("admin"), owners_in(first))
        assert api.post(f"/api/plans/{first_id}/publish").status_code == 200
        assert api.get(f"/api/plans/{first_id}").json()["violations"] == []
        assert smtp.envelopes, "the first publication invites everyone in it"
        smtp.envelopes.clear()
        before = {d["id"]: d for d in first["departures"]}
        flight = next(d["flights"][0] for d in before.values() if d["planned"])
        users = {did for did, d in before.items() if d["planned"] and (
            flight in d["flights"] or any(flight in c["return_flights"] for c in d["escorts"] + d["medics"]))}

        context = browser.new_context(locale="nl-NL")
        page = context.new_page()
        page.set_default_timeout(30_000)
        problems = []  # script errors, policy (CSP) violations, anything fetched from elsewhere
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(base) else problems.append(r.url))
        log_in(page, base, "regie", PASSWORD)
        page.wait_for_url(f"{base}/")

        # Record the cancelled flight on the disruptions page: it lists the departures it touches.
        page.click("a:has-text('Verstoringen')")
        page.wait_for_url(f"{base}/scenarios/{sid}/verstoringen")
        form = page.locator("form[data-kind=flight_cancelled]")
        form.get_by_label("Vlucht").select_option(flight)
        form.get_by_label("Rekentijd herplanning (seconden)").fill("10")
        form.locator("button[type=submit]").click()
        expect(page.locator("h1", has_text="Verstoring vastgelegd")).to_be_visible()
        rows = page.locator("#geraakt tbody tr")
        expect(rows).to_have_count(len(users))
        assert {rows.nth(i).get_attribute("data-departure") for i in range(len(users))} == users

        # The re-plan job runs in the worker and finishes; its review shows only affected departures changed.
        page.click("a:has-text('Naar de herplanning')")
        page.wait_for_url(re.compile(r".*/jobs/\d+$"))
        expect(page.locator("[data-field=status]")).to_have_text("klaar", timeout=90_000)
        page.locator("[data-plan-link]").click()
        page.wait_for_url(re.compile(r".*/plans/\d+$"))
        plan_id = int(page.url.rsplit("/", 1)[1])
        expect(page.get_by_text("De controle vond geen overtredingen")).to_be_visible()
        expect(page.locator("[data-mode=replan]")).to_contain_text(f"Herplanning van plan {first_id}")
        second = api.get(f"/api/plans/{plan_id}").json()
        assert second["violations"] == [] and second["summary"]["mode"] == "replan"
        listed = page.locator("#wijzigingen li[data-departure]")
        changed = {listed.nth(i).get_attribute("data-departure") for i in range(listed.count())}
        assert changed and changed <= users
        assert changed == {d["id"] for d in second["document"]["changes"]["departures"]}
        after = {d["id"]: d for d in second["document"]["departures"]}

        def duties(entry):  # what a departure asks of people and vehicles (cost and soft goals derive from it)
            if not entry.get("planned"):
                return None
            crew = sorted((c["id"], tuple(c["return_flights"])) for c in entry["escorts"] + entry["medics"])
            return entry["flights"], entry["pickup"]["time"], entry["pickup"]["vehicle"], crew

        for did in set(before) - changed:
            assert duties(after[did]) == duties(before[did]), did

        # Publish: only the people of the changed departures get mail.
        page.click("button:has-text('Publiceren')")
        page.wait_for_url(re.compile(rf".*/plans/{plan_id}\?published=\d+.*"))
        expect(page.get_by_text("Plan gepubliceerd.")).to_be_visible()
        with service.db.sessions() as s:
            assert s.get(PlanVersion, plan_id).state == "published"

        def people(entry):
            if not entry or not entry.get("planned"):
                return set()
            return ({f"escort:{e['id']}" for e in entry["escorts"]} | {f"medic:{m['id']}" for m in entry["medics"]}
                    | {f"vehicle:{entry['pickup']['vehicle']}"})

        concerned = set().union(*(people(before.get(d)) | people(after.get(d)) for d in changed))
        owner_of = {address: owner for owner, address in addresses.items()}
        deadline = time.monotonic() + 20
        while not smtp.envelopes and time.monotonic() < deadline:
            time.sleep(0.1)
        mailed = {owner_of[to] for e in smtp.envelopes for to in e.rcpt_tos}
        assert mailed and mailed <= concerned, (mailed, concerned)
        assert problems == []
        context.close()


# --- The planning board on the medium scenario (issue: unreadable beyond a handful of departures) ---

def test_board_on_medium_has_readable_bars_no_sideways_page_and_a_complete_table(live, browser):
    import json
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from planner.generator import generate
    from publish_support import make_draft
    from service import PASSWORD, upload_demo

    service, base = live
    sid = upload_demo(service.client("regie"), json.dumps(generate("medium", 1)).encode(), "medium.json")["id"]
    plan_id, plan = make_draft(service, sid)
    planned = [d for d in plan["departures"] if d["planned"]]
    missions = sorted({(f"{kind[:-1]}:{m['id']}", d["id"]) for d in planned for kind in ("escorts", "medics")
                       for m in d[kind]} | {(f"vehicle:{d['pickup']['vehicle']}", d["id"]) for d in planned})
    ams = ZoneInfo("Europe/Amsterdam")
    mondays = sorted({(day := datetime.fromisoformat(d["pickup"]["time"]).astimezone(ams).date())
                      - timedelta(days=day.weekday()) for d in planned})
    context, page, problems = _watched_page(browser, base)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base, "regie", PASSWORD)
    page.wait_for_url(f"{base}/")
    minimum = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") * 1.6  # --bar-min

    def page_fits() -> bool:
        return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # Week by week: every bar at least the minimum wide, and the page never wider than the window.
    bars = 0
    for monday in mondays:
        page.goto(f"{base}/scenarios/{sid}/board?plan={plan_id}&van={monday.isoformat()}")
        widths = page.eval_on_selector_all("details.bar > summary", "els => els.map(e => e.getBoundingClientRect().width)")
        assert widths and min(widths) >= minimum - 0.5, (monday, min(widths or [0]))
        assert page_fits(), monday
        bars += len(widths)
    assert bars >= len(planned)

    # The details of a bar by keyboard: Enter opens them, Escape closes them and returns to the bar.
    first = page.locator("details.bar > summary").first
    first.focus()
    page.keyboard.press("Enter")
    details = page.locator("details.bar[open] .bar-pop")
    assert details.is_visible() and "Vertrek" in details.inner_text()
    page.keyboard.press("Escape")
    assert page.locator("details.bar[open]").count() == 0
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"

    # At 320 px the page still fits: the board scrolls inside its own labelled region.
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{base}/scenarios/{sid}/board?plan={plan_id}&van={mondays[0].isoformat()}")
    assert page_fits()
    region = page.locator(".board-scroll[role=region][tabindex='0']")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")

    # The table view lists every mission of the plan, and fits too.
    page.goto(f"{base}/scenarios/{sid}/board?plan={plan_id}&weergave=tabel")
    rows = page.eval_on_selector_all("tr[data-owner]", "els => els.map(e => [e.dataset.owner, e.dataset.departures])")
    assert sorted((owner, dep) for owner, deps in rows for dep in deps.split()) == missions
    assert page_fits()
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page_fits()
    assert problems == []
    context.close()
