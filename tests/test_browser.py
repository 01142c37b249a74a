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
    yield service, base
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
    page.click("form[action='/scenarios/import'] button[type=submit]")
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
    assert page.locator("a.bar").count() > 0

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
    page.wait_for_url(f"{base}/ik?nieuw=1")
    assert page.locator("#feed-url").input_value() != feed_url
    assert httpx.get(feed_url).status_code == 404

    # The escort cannot open the regievoerder's pages.
    assert page.goto(f"{base}/plans/{plan_id}").status == 403
    assert page.goto(f"{base}/scenarios/1/departures/{dep['id']}").status == 403
    assert outside == []
    assert problems == []
    context.close()
