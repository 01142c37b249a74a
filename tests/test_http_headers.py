"""Headers of the JSON API: no caching of case data, OPTIONS and 405 with the methods a path really
has, and /api/docs served with Swagger UI from this server, not from a CDN."""
from __future__ import annotations

import os
import re
import threading
import time
from urllib.parse import urlsplit

import pytest

from api.routes.calendars import FEED_CACHE
from publish_support import free_port
from service import make_service, upload_demo

CHROMIUM = "/usr/bin/chromium"


def test_json_with_case_data_and_the_own_calendar_are_not_stored(service):
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    for response in (regie.get("/api/scenarios"), regie.get(f"/api/scenarios/{sid}/departures"),
                     regie.get(f"/api/scenarios/{sid}"), regie.get("/api/session"), regie.get("/api/scenarios/999"),
                     service.client().get("/api/scenarios")):
        assert response.headers["cache-control"] == "no-store", (response.request.url, response.status_code)
    escort = service.client("escort")
    calendar = escort.get("/api/me/calendar.ics")
    assert calendar.status_code == 200 and calendar.headers["cache-control"] == "no-store"
    # The feed by token keeps revalidation (ETag, 304) for calendar apps.
    url = escort.post("/api/me/feed-token").json()["url"]
    feed = service.client().get("/" + url.split("/", 3)[3])
    assert feed.status_code == 200 and feed.headers["cache-control"] == FEED_CACHE and feed.headers["etag"]


@pytest.mark.parametrize("path, methods", [
    ("/api/scenarios", "GET, OPTIONS, POST"),
    ("/api/scenarios/1/departures/D-1", "GET, OPTIONS, PUT"),
    ("/api/jobs/1", "DELETE, GET, OPTIONS"),
    ("/api/contacts/medic:M-1", "OPTIONS, PUT"),
    ("/jobs/1", "GET, OPTIONS"),
])
def test_options_and_405_name_every_method_of_the_path(service, path, methods):
    client = service.client("regie")
    response = client.options(path)
    assert response.status_code == 204 and response.headers["allow"] == methods
    response = client.request("PATCH", path)
    assert response.status_code == 405 and response.headers["allow"] == methods
    assert client.options("/api/nothing-here").status_code == 404


def test_docs_page_loads_only_what_this_server_serves(service):
    client = service.client()
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "'self'" in response.headers["content-security-policy"]
    assert "cdn" not in response.text and "https://" not in response.text
    assets = re.findall(r'(?:src|href|url): ?[\'"]([^\'"]+)[\'"]|(?:src|href)="([^"]+)"', response.text)
    urls = {a or b for a, b in assets}
    assert {"/api/openapi.json", "/static/swagger-ui/swagger-ui-bundle.js", "/static/swagger-ui/swagger-ui.css"} <= urls
    for url in urls:
        assert client.get(url).status_code == 200, url


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")
def test_docs_page_renders_in_a_browser_under_its_csp(tmp_path):
    import uvicorn
    playwright_api = pytest.importorskip("playwright.sync_api")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = make_service(tmp_path, public_url=base)
    server = uvicorn.Server(uvicorn.Config(service.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            problems, hosts = [], set()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
            page.goto(f"{base}/api/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=30_000)  # the operations are listed
            assert "/api/scenarios" in page.content()
            browser.close()
        assert hosts <= {f"127.0.0.1:{port}", ""}, hosts
        assert not [m for m in problems if "Content Security Policy" in m], problems
    finally:
        server.should_exit = True
        thread.join(20)
        service.db.dispose()


def test_openapi_declares_if_match_owner_keys_and_the_upload(service):
    schema = service.client().get("/api/openapi.json").json()["paths"]

    def parameter(path, method, name):
        return next(p for p in schema[path][method]["parameters"] if p["name"] == name)

    for path, method in (("/api/scenarios/{scenario_id}/{kind}/{key}", "put"), ("/api/users/{user_id}", "put"),
                         ("/api/contacts/{owner}", "put")):
        if_match = parameter(path, method, "If-Match")
        assert if_match["in"] == "header"
        pattern = next(s["pattern"] for s in if_match["schema"]["anyOf"] if "pattern" in s)
        assert re.match(pattern, '"v3"') and re.match(pattern, 'W/"v3"') and not re.match(pattern, "v3")
    for path, method in (("/api/contacts/{owner}", "put"), ("/api/people/{owner}/feed-token", "post"),
                         ("/api/people/{owner}/feed-token", "delete")):
        pattern = parameter(path, method, "owner")["schema"]["pattern"]
        assert re.match(pattern, "escort:KMAR-001") and not re.match(pattern, "KMAR-001"), path
    upload = schema["/api/scenarios"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert "application/json" in upload["encoding"]["file"]["contentType"]
    assert "spreadsheetml" in upload["encoding"]["file"]["contentType"]


def test_if_match_missing_is_428_and_malformed_or_a_bad_owner_is_refused(service):
    admin = service.client("admin")
    assert admin.put("/api/contacts/medic:M-1", json={"email": "m@example.test"}).status_code == 200
    assert admin.put("/api/contacts/medic:M-1", json={"email": "n@example.test"}).status_code == 428
    assert admin.put("/api/contacts/medic:M-1", json={"email": "n@example.test"},
                     headers={"If-Match": "v1"}).status_code == 422
    assert admin.put("/api/contacts/medic:M-1", json={"email": "n@example.test"},
                     headers={"If-Match": '"v1"'}).status_code == 200
    assert admin.put("/api/contacts/nobody", json={"email": "n@example.test"}).status_code == 422
    assert admin.post("/api/people/nobody/feed-token").status_code == 422
