"""What only a browser shows: the departure page's embedded itinerary is as tall as its content (not
cut off), and the calendar link page's full-width field, copy button, webcal link and QR code, with
the team's itinerary one click away. Chromium via Playwright against a running service (no worker:
the plan is made and published here).
"""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone

import pytest

from publish_support import free_port, make_draft

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

playwright_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


@pytest.fixture
def live(tmp_path, monkeypatch):
    import uvicorn

    from service import make_service, upload_demo

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = make_service(tmp_path, public_url=base)
    monkeypatch.setattr("api.web.pages.now", lambda: datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc))
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    plan_id, plan = make_draft(service, sid)
    assert regie.post(f"/api/plans/{plan_id}/publish").status_code == 200
    server = uvicorn.Server(uvicorn.Config(service.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    try:
        yield service, base, sid, plan
    finally:
        server.should_exit = True
        thread.join(20)
        service.db.dispose()


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _page(browser, base):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems = []  # script errors, policy (CSP) violations, anything fetched from elsewhere
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(base) else problems.append(r.url))
    return context, page, problems


def _log_in(page, base, username, password):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Inloggen')")


def test_the_embedded_itinerary_is_as_tall_as_its_content(live, browser):
    from service import PASSWORD

    _service, base, sid, plan = live
    dep = next(d for d in plan["departures"] if d["planned"] and d["escorts"])
    context, page, problems = _page(browser, base)
    _log_in(page, base, "regie", PASSWORD)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/scenarios/{sid}/departures/{dep['id']}")
    frame = page.locator("iframe.document")
    frame.wait_for()
    page.frame_locator("iframe.document").locator("h1", has_text=f"Reisplan {dep['id']}").wait_for()
    page.wait_for_function("""() => {
        const f = document.querySelector('iframe.document');
        const d = f.contentDocument;
        return d && d.readyState === 'complete' && f.clientHeight >= d.documentElement.scrollHeight;
    }""")
    inner, outer = page.evaluate("""() => {
        const f = document.querySelector('iframe.document');
        return [f.contentDocument.documentElement.scrollHeight, f.clientHeight];
    }""")
    assert outer >= inner > 576, (inner, outer)  # taller than the old fixed 36rem, and nothing cut off
    assert problems == []
    context.close()


def test_the_calendar_link_page_on_a_phone_sized_and_a_wide_screen(live, browser):
    from api.auth import hash_password
    from api.models import User

    service, base, sid, plan = live
    dep = next(d for d in plan["departures"] if d["planned"] and d["escorts"])
    with service.db.transaction() as s:
        s.add(User(username="kmar", password_hash=hash_password("een-lang-wachtwoord"), role="escort",
                   owner=f"escort:{dep['escorts'][0]['id']}"))
    context, page, problems = _page(browser, base)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    _log_in(page, base, "kmar", "een-lang-wachtwoord")
    page.wait_for_url(f"{base}/ik")
    page.click("button:has-text('Agenda-link maken')")
    page.wait_for_url(f"{base}/ik?nieuw=1")
    assert page.get_by_text("De vorige link werkt niet meer").count() == 0
    field = page.locator("#feed-url")
    link = field.input_value()
    # The field takes the card's width (less the copy button), so the whole link can be read.
    widths = page.evaluate("""() => {
        const input = document.querySelector('#feed-url');
        return [input.getBoundingClientRect().width, input.closest('.card').getBoundingClientRect().width];
    }""")
    assert widths[0] > 0.7 * widths[1], widths
    copy = page.locator("button[data-copy='#feed-url']")
    assert copy.is_visible()
    copy.click()
    assert copy.inner_text() == "Gekopieerd"
    assert page.evaluate("navigator.clipboard.readText()") == link
    webcal = page.locator("#webcal-link").get_attribute("href")
    assert webcal == "webcal://" + link.split("://", 1)[1]
    qr = page.locator("figure.qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 100

    # The itinerary of a mission, from the person's own page.
    with page.context.expect_page() as opened:
        page.locator(f"a[href$='/departures/{dep['id']}/itinerary.html']").first.click()
    itinerary = opened.value
    itinerary.wait_for_load_state()
    assert itinerary.locator("h1").inner_text() == f"Reisplan {dep['id']}"

    # A phone: the field still fits the screen, no sideways scrolling.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base}/ik")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.locator("#feed-url").bounding_box()["width"] > 200
    assert problems == []
    context.close()
