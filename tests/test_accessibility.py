"""Accessibility of the web pages (WCAG 2.1 AA, required of Dutch government web applications).

- Contrast of the focus outline and of the edges of form fields (WCAG 1.4.11), computed from app.css.
- In a real browser against one running service (a module-scoped ``serve`` from test_browser):
  - axe-core (bundled by the PyPI package axe-playwright-python) on every page each role can reach,
    as it ordinarily is and with a form's errors shown: no serious or critical violation; a page that
    shows errors says "Fout: " first in its title and focuses its error summary; a [hidden] element
    is not displayed; every PDF link has the HTML beside it, in the document's language;
  - reflow (WCAG 1.4.10): at 320 CSS pixels wide no page scrolls sideways (a wide table scrolls
    inside its own region);
  - the main journey (import, solve, review, publish) with the keyboard alone, and the job page's
    status line and focus when the job ends.
"""
from __future__ import annotations

import re
import time
from datetime import UTC
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CSS = REPO / "api" / "static" / "app.css"
BLOCKING = ("serious", "critical")  # axe's impacts that fail the test
NARROW = 320  # CSS pixels: 1280 px at 400 % zoom (WCAG 1.4.10)


# --- Contrast of what is not text (WCAG 1.4.11): at least 3:1 -----------------------------------

def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _css_variables(text: str) -> dict[str, str]:
    """The custom properties of :root (the last value of each wins, as in the browser)."""
    found = {}
    for block in re.findall(r":root\s*\{([^}]*)\}", text):
        for name, value in re.findall(r"--([\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\b", block):
            found[name] = value
    return found


def test_focus_outlines_and_field_edges_have_three_to_one_against_their_backgrounds():
    text = CSS.read_text()
    v = _css_variables(text)
    light = {"paper": v["paper"], "ground": v["ground"], "accent-soft": v["accent-soft"],
             "ok-soft": v["ok-soft"], "warn-soft": v["warn-soft"], "error-soft": v["error-soft"]}
    for name, background in light.items():
        assert contrast(v["focus"], background) >= 3, ("focus", name, contrast(v["focus"], background))
        assert contrast(v["field-edge"], background) >= 3, ("field edge", name)
    # The header is the accent colour: its links and button show a light outline.
    assert contrast(v["focus-on-dark"], v["accent"]) >= 3
    # The rules use these colours, after any older rule (the last one wins).
    last_focus = text.rindex("outline: 3px solid var(--focus)")
    assert "#f2b705" not in text or last_focus > text.rindex("#f2b705")
    assert re.search(r"\.top a:focus[^{]*\{[^}]*var\(--focus-on-dark\)", text)
    assert re.search(r"input\[type=text\][^{]*\{[^}]*border-color:\s*var\(--field-edge\)", text)
    assert contrast("#f2b705", "#ffffff") < 3 and contrast("#aeb7c2", "#ffffff") < 3  # the old colours failed
    assert "[hidden] { display: none !important; }" in text


# --- In the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from test_browser import serve

    with pytest.MonkeyPatch.context() as monkeypatch, serve(tmp_path_factory.mktemp("a11y"), monkeypatch) as running:
        yield running


@pytest.fixture(scope="module")
def chromium():
    from test_browser import ARGS, CHROMIUM, playwright_api

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _page(browser, base: str):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems = []  # script errors, policy (CSP) violations, anything fetched from elsewhere
    # (the error pages visited on purpose answer 403, 404, 409 and 422)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not re.search(r"status of 4\d\d", m.text) else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(base) else problems.append(r.url))
    return context, page, problems


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (every rule axe runs by
    default: WCAG 2.0 and 2.1 A and AA, and its best practices)."""
    axe_base = pytest.importorskip("axe_playwright_python.base")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_base.AXE_SCRIPT)
    # The itinerary frame is checked as a page of its own (the documents below).
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations'], iframes: false})")
    return [{"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]][:5]}
            for v in results["violations"] if v["impact"] in BLOCKING]


class Sweep:
    """Visits pages: axe on each, reflow at 320 px, [hidden] really hidden, and for a page that
    shows errors its title and the focus on its error summary."""

    def __init__(self, page):
        self.page = page
        self.found: dict[str, list[dict]] = {}
        self.failures: list[str] = []
        self.last = ""

    def check(self, name: str, errors: bool = False) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.last = name
        self.found[name] = axe_violations(page)
        shown = page.evaluate("() => [...document.querySelectorAll('[hidden]')]"
                              ".filter(e => getComputedStyle(e).display !== 'none').map(e => e.outerHTML.slice(0, 80))")
        if shown:
            self.failures.append(f"{name}: hidden but displayed: {shown}")
        if errors:
            if not page.title().startswith("Fout: "):
                self.failures.append(f"{name}: title {page.title()!r} does not start with 'Fout: '")
            if not page.evaluate("() => document.activeElement && document.activeElement.matches('[data-error-summary]')"):
                self.failures.append(f"{name}: the error summary does not have the focus")
        size = page.viewport_size
        page.set_viewport_size({"width": NARROW, "height": 640})
        over = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if over > 1:
            self.failures.append(f"{name}: {NARROW + over} px wide at {NARROW} px")
        page.wait_for_timeout(50)  # app.js makes the table regions that now scroll reachable by Tab
        narrow = axe_violations(page)
        if narrow:
            self.found[f"{name} ({NARROW} px)"] = narrow
        page.set_viewport_size(size)

    def visit(self, name: str, url: str, status: int = 200, errors: bool = False) -> None:
        response = self.page.goto(url)
        if response.status != status:
            self.failures.append(f"{name}: {url} answered {response.status}, not {status}")
            return
        self.check(name, errors)

    def table(self) -> str:
        return "\n".join(f"  {name}: {len(found)}" + "".join(f"\n    {v['id']} ({v['impact']}) {v['targets']}"
                                                             for v in found)
                         for name, found in self.found.items())


def _hrefs(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")


def _demo(service):
    """BV-Noord's scenario (imported now unless the keyboard journey did) with a published plan, a
    newer draft, and a finished job."""
    from publish_support import make_draft
    from service import upload_demo

    from api.models import ScenarioRow

    api = service.client("regie")
    with service.db.sessions() as s:
        existing = s.query(ScenarioRow).filter_by(unit="BV-Noord").order_by(ScenarioRow.id.desc()).first()
        sid = existing.id if existing else None
    if sid is None:
        sid = upload_demo(api)["id"]
    published_id, plan = make_draft(service, sid)
    assert api.post(f"/api/plans/{published_id}/publish").status_code == 200
    draft_id, _ = make_draft(service, sid)
    job = api.post(f"/api/scenarios/{sid}/jobs", json={"quick": True})
    assert job.status_code == 202, job.text
    deadline = time.monotonic() + 90
    while api.get(f"/api/jobs/{job.json()['id']}").json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    return sid, published_id, draft_id, job.json()["id"], plan


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the element in focus matches the selector (it must be reachable by keyboard)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def test_import_solve_and_publish_with_the_keyboard_alone(site, chromium, tmp_path):
    from playwright.sync_api import expect
    from service import PASSWORD, demo_scenario_bytes
    from test_browser import log_in

    _service, base = site
    context, page, problems = _page(chromium, base)
    log_in(page, base, "regie", PASSWORD)
    page.wait_for_url(f"{base}/")

    # Import: the file field opens its chooser from the keyboard; "Bekijken", then "Toepassen".
    demo = tmp_path / "demo.json"
    demo.write_bytes(demo_scenario_bytes())
    tab_to(page, "input[type=file][name=file]")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(demo))
    tab_to(page, "form[action='/scenarios/import/preview'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/scenarios/import/preview$"))
    tab_to(page, "form[action='/scenarios/import'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/\?scenario=\d+&imported=\d$"))

    # Solve: the seconds field has a name of its own, apart from the "Grondig" choice.
    expect(page.get_by_label("Rekentijd bij grondig (seconden)")).to_have_attribute("name", "time_limit")
    expect(page.get_by_role("radio", name="Grondig")).to_have_count(1)
    tab_to(page, "form.solve button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/jobs/\d+$"))

    # The job page: the figures are not live; one status line is. If "Stoppen" has the focus when
    # the job ends, the focus moves to the result instead of falling back to the page.
    assert page.locator("dl.progress[aria-live]").count() == 0
    expect(page.locator("[role=status][data-field=announce]")).to_have_count(1)
    stop_focused = page.evaluate("""() => {
        const b = document.querySelector('[data-stop] button');
        if (!b || b.closest('[hidden]')) return false;
        b.focus(); return document.activeElement === b; }""")
    link = page.locator("[data-plan-link]")
    expect(link).to_be_visible(timeout=90_000)
    expect(page.locator("[data-field=announce]")).to_contain_text("klaar")
    if stop_focused:
        assert page.evaluate("() => document.activeElement.matches('[data-plan-link]')")
    tab_to(page, "[data-plan-link]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    plan_id = int(page.url.rsplit("/", 1)[1])

    # Publish.
    tab_to(page, f"form[action='/plans/{plan_id}/publish'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/plans/{plan_id}\?published=\d+.*"))
    expect(page.get_by_text("Plan gepubliceerd.")).to_be_visible()
    assert problems == []
    context.close()


def test_every_page_has_no_serious_axe_violations_and_reflows_at_320_px(site, chromium, tmp_path):
    from service import PASSWORD, demo_scenario_bytes
    from test_browser import log_in, log_out

    service, base = site
    sid, published_id, draft_id, job_id, plan = _demo(service)
    planned = next(d for d in plan["departures"] if d["planned"] and d["escorts"])
    unplanned = next((d for d in plan["departures"] if not d["planned"]), None)
    reception = service.client("regie").get(f"/api/scenarios/{sid}/departures/{planned['id']}").json()["data"][
        "reception"]
    created = service.client("admin").post("/api/users", json={
        "username": "escort-a11y", "password": "een-lang-wachtwoord", "role": "escort",
        "owner": f"escort:{planned['escorts'][0]['id']}"})
    assert created.status_code == 201, created.text
    context, page, problems = _page(chromium, base)
    sweep = Sweep(page)

    # Logged out: the login page, with and without its error, and the page for a missing address.
    sweep.visit("login", f"{base}/login")
    page.fill("input[name=username]", "regie")
    page.fill("input[name=password]", "niet-het-wachtwoord")
    page.click("button:has-text('Inloggen')")
    sweep.check("login (fout)", errors=True)
    sweep.visit("niet gevonden (uitgelogd)", f"{base}/bestaat-niet", status=404)
    assert page.title().startswith("Fout: ")

    # The regievoerder: everything about the unit's scenario.
    log_in(page, base, "regie", PASSWORD)
    page.wait_for_url(f"{base}/")
    sweep.visit("overzicht", f"{base}/?scenario={sid}")
    sweep.visit("overzicht, niet gepland", f"{base}/?scenario={sid}&status=niet-gepland")
    dep_url = f"{base}/scenarios/{sid}/departures/{planned['id']}"
    sweep.visit("vertrek (gepland)", dep_url)
    # Every PDF has its HTML beside it, marked with the document's language.
    documents = page.eval_on_selector_all("ul.docs li", """items => items.map(li => {
        const pdf = li.querySelector("a[href*='.pdf']"), html = li.querySelector("a[href*='.html'][hreflang]");
        return {pdf: !!pdf, html: html && html.getAttribute('href'), lang: html && html.getAttribute('hreflang'),
                text: html && html.textContent};
    })""")
    assert documents and all(d["pdf"] and d["html"] and "HTML" in d["text"] for d in documents), documents
    if unplanned:
        sweep.visit("vertrek (niet gepland)", f"{base}/scenarios/{sid}/departures/{unplanned['id']}")
    for d in documents:
        name = "reisplan (HTML)" if "itinerary" in d["html"] else f"overdrachtsbrief {d['lang']} (HTML)"
        sweep.visit(name, base + d["html"] if d["html"].startswith("/") else d["html"])
        assert page.evaluate("() => document.documentElement.lang") == d["lang"], d
    sweep.visit("vertrek bewerken", f"{dep_url}/bewerken")
    page.get_by_label("Geldig vanaf").fill("2026-12-10")
    page.get_by_label("Geldig tot en met", exact=True).fill("2026-12-01")
    page.click("button:has-text('Wijzigingen opslaan')")
    sweep.check("vertrek bewerken (fout)", errors=True)
    sweep.visit("opvang bewerken", f"{base}/scenarios/{sid}/reception/{reception}/bewerken")
    sweep.visit("vertrek toevoegen", f"{base}/scenarios/{sid}/departures/nieuw")
    page.fill("#json", "{niet: json")
    page.click("button:has-text('Vertrek toevoegen')")
    sweep.check("vertrek toevoegen (fout)", errors=True)
    sweep.visit("opties", f"{dep_url}/opties")
    sweep.visit("planbord", f"{base}/scenarios/{sid}/board?plan={published_id}")
    sweep.visit("berekening", f"{base}/jobs/{job_id}")
    sweep.visit("plan (concept)", f"{base}/plans/{draft_id}")
    sweep.visit("plan (gepubliceerd)", f"{base}/plans/{published_id}")
    sweep.visit("verstoringen", f"{base}/scenarios/{sid}/verstoringen")
    form = page.locator("form[data-kind=vehicle_unavailable]")
    form.get_by_label("Voertuig").select_option(index=1)
    form.get_by_label("Niet beschikbaar van").fill("2026-12-05T12:00")
    form.get_by_label("Niet beschikbaar tot").fill("2026-12-05T10:00")  # before it starts
    form.locator("button[type=submit]").click()
    sweep.check("verstoringen (fout)", errors=True)
    sweep.visit("middelen", f"{base}/scenarios/{sid}/middelen")
    sweep.visit("zoeken", f"{base}/zoeken?q={planned['id']}")
    sweep.visit("uitnodigingen", f"{base}/uitnodigingen")
    # The import: its preview, and a file that is refused.
    page.goto(f"{base}/?scenario={sid}")
    demo = tmp_path / "demo.json"
    demo.write_bytes(demo_scenario_bytes(seed=7))
    page.set_input_files("input[name=file]", str(demo))
    page.click("form[action='/scenarios/import/preview'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/scenarios/import/preview$"))
    sweep.check("import bekijken")
    page.goto(f"{base}/?scenario={sid}")
    bad = tmp_path / "kapot.json"
    bad.write_text('{"departures": [{"id": 1}]}')
    page.set_input_files("input[name=file]", str(bad))
    page.click("form[action='/scenarios/import/preview'] button[type=submit]")
    sweep.check("import afgewezen", errors=True)
    # Publishing a plan that is no draft any more is refused.
    page.goto(f"{base}/plans/{draft_id}")
    assert service.client("regie").post(f"/api/plans/{draft_id}/publish").status_code == 200
    page.click("button:has-text('Publiceren')")
    sweep.check("publiceren geweigerd", errors=True)
    sweep.visit("geen toegang", f"{base}/beheer", status=403)
    assert page.title().startswith("Fout: ")
    sweep.visit("niet gevonden", f"{base}/plans/999999", status=404)
    log_out(page)

    # The inspector reads, and reads the audit log.
    log_in(page, base, "inspector", PASSWORD)
    page.wait_for_url(f"{base}/")
    sweep.visit("overzicht (inspecteur)", f"{base}/?scenario={sid}")
    sweep.visit("plan (inspecteur)", f"{base}/plans/{published_id}")
    sweep.visit("vertrek (inspecteur)", dep_url)
    sweep.visit("auditlog", f"{base}/audit")
    sweep.visit("middelen (inspecteur)", f"{base}/middelen")
    log_out(page)

    # The planner-admin: accounts, contacts, resources and their forms.
    log_in(page, base, "admin", PASSWORD)
    page.wait_for_url(f"{base}/beheer")
    sweep.check("beheer")
    form = page.locator("form[action='/beheer/users']")
    form.locator("input[name=username]").fill("nieuwe-gebruiker")
    form.locator("input[name=password]").fill("nieuwe-gebruiker")  # the policy refuses the username
    form.locator("button[type=submit]").click()
    sweep.check("beheer (fout)", errors=True)
    assert page.locator("#gebruiker-password[aria-invalid=true][aria-describedby=foutmelding]").count() == 1
    assert page.locator("#foutmelding a[href='#gebruiker-password']").count() == 1
    sweep.visit("auditlog (beheerder)", f"{base}/audit")
    sweep.visit("middelen (beheerder)", f"{base}/scenarios/{sid}/middelen")
    kinds = {}
    for href in _hrefs(page, "a[href$='/bewerken']"):
        kinds.setdefault(href.split("/")[3], href)
    assert {"escorts", "medics", "vehicles", "reception"} <= set(kinds), kinds
    for kind, href in kinds.items():
        sweep.visit(f"{kind} bewerken", base + href)
    log_out(page)

    # An escort: their own planning and calendar link.
    log_in(page, base, "escort-a11y", "een-lang-wachtwoord")
    page.wait_for_url(f"{base}/ik")
    sweep.check("mijn planning")
    page.click("button:has-text('Agenda-link maken')")
    page.wait_for_url(f"{base}/ik?nieuw=1")
    sweep.check("mijn planning (link)")
    sweep.visit("geen toegang (escort)", f"{base}/plans/{published_id}", status=403)
    log_out(page)

    print("\naxe, serious and critical violations per page:\n" + sweep.table())
    blocking = {name: found for name, found in sweep.found.items() if found}
    assert not blocking, "\n" + sweep.table()
    assert not sweep.failures, "\n" + "\n".join(sweep.failures)
    assert problems == []
    context.close()


def test_the_job_page_announces_stages_and_the_result_and_keeps_the_focus(site, chromium):
    """The job's answers are scripted (the page's requests to the JSON API are answered here), so
    that the job is surely running when "Stoppen" gets the focus, and ends when the test says."""
    import json
    from datetime import datetime

    from playwright.sync_api import expect
    from service import PASSWORD
    from test_browser import log_in

    from api.models import PlanVersion, ScenarioRow, SolveJob

    service, base = site
    with service.db.sessions() as s:
        if s.query(PlanVersion).count() == 0:  # run alone: the others have made none yet
            _demo(service)
    with service.db.transaction() as s:
        scenario = s.query(ScenarioRow).filter_by(unit="BV-Noord").order_by(ScenarioRow.id.desc()).first()
        plan = s.query(PlanVersion).filter_by(scenario_id=scenario.id).order_by(PlanVersion.id.desc()).first()
        job = SolveJob(scenario_id=scenario.id, scenario_version=1, status="running", options={"time_limit": 60},
                       requested_by="regie", heartbeat_at=datetime.now(UTC), worker="test:0",
                       progress={"stage": "greedy", "elapsed": 0.5})
        s.add(job)
        s.flush()
        job_id, plan_id = job.id, plan.id if plan else None
    state = {"status": "running", "progress": {"stage": "greedy", "elapsed": 0.5}, "message": None, "plan_id": None}
    answers = []

    def answer(route):
        state["progress"] = dict(state["progress"], elapsed=state["progress"]["elapsed"] + 1,
                                 objective={"planned_priority": 10 + len(answers)})
        answers.append(state["status"])
        route.fulfill(status=200, content_type="application/json", body=json.dumps(
            dict(state, id=job_id, worker_notice=None, queue_notice=None)))

    context, page, problems = _page(chromium, base)
    try:
        log_in(page, base, "regie", PASSWORD)
        page.wait_for_url(f"{base}/")
        page.route(f"**/api/jobs/{job_id}", answer)
        page.goto(f"{base}/jobs/{job_id}")
        page.evaluate("""() => {
            window.__said = [];
            const region = document.querySelector('[data-field=announce]');
            new MutationObserver(() => window.__said.push(region.textContent))
                .observe(region, {childList: true, characterData: true, subtree: true});
        }""")
        tab_to(page, "[data-stop] button")
        expect(page.locator("[data-plan-link]")).to_be_hidden()  # [hidden] beats the .button class
        announce = page.locator("[role=status][data-field=announce]")
        expect(announce).to_have_text("Berekening bezig, fase: eerste plan (snelle opbouw).")
        state["progress"] = dict(state["progress"], stage="levels 1+2")
        expect(announce).to_have_text("Berekening bezig, fase: zoveel mogelijk prioriteit, zo vroeg mogelijk.")
        deadline = time.monotonic() + 20
        while answers.count("running") < 5:  # the figures change every second; the status line does not
            assert time.monotonic() < deadline
            page.wait_for_timeout(200)
        state.update(status="done", message="8 van 12 vertrekken gepland.", plan_id=plan_id,
                     progress=dict(state["progress"], stage="klaar"))
        link = page.locator("[data-plan-link]")
        expect(link).to_be_visible()
        expect(announce).to_have_text("Berekening klaar. 8 van 12 vertrekken gepland. Het conceptplan staat klaar.")
        # "Stoppen" is gone; the focus went to the result, not to the page.
        expect(page.locator("[data-stop]")).to_be_hidden()
        assert page.evaluate("() => document.activeElement.matches('[data-plan-link]')")
        said = page.evaluate("() => window.__said")
        assert said == ["Berekening bezig, fase: eerste plan (snelle opbouw).",
                        "Berekening bezig, fase: zoveel mogelijk prioriteit, zo vroeg mogelijk.",
                        "Berekening klaar. 8 van 12 vertrekken gepland. Het conceptplan staat klaar."], said
        assert page.locator("[aria-live]:not([data-field=announce])").count() == 0  # the figures are not live
        assert problems == []
    finally:
        context.close()
        with service.db.transaction() as s:
            s.get(SolveJob, job_id).status = "stopped"
