"""The planning book in the Dutch pages: the import preview and "Toepassen", the solve form against a
published plan, the review of a re-plan, and the disruptions page.

Every plan a test makes is re-checked: the API's verdict (``GET /api/plans/{id}`` → ``violations``)
is the independent checker against the unit's view of the book as it is now.
"""
from __future__ import annotations

import copy
import json
import re
from html import unescape

from sqlalchemy import func, select

from api.models import AuditEntry, BookRecord, PlanVersion, ScenarioRow, SolveJob
from publish_support import make_draft
from service import demo_scenario_bytes, upload_demo
from test_web_pages import csrf_of, page_login

TOKEN = re.compile(r'name="token" value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="(\d+)"')


def demo() -> dict:
    return json.loads(demo_scenario_bytes())


def records(service) -> dict[tuple[str, str], tuple[int, dict]]:
    with service.db.sessions() as s:
        return {(r.kind, r.key): (r.version, r.data) for r in s.scalars(select(BookRecord))}


def logged_in(service, username: str = "regie"):
    client = service.client()
    page_login(client, username)
    return client


def preview(client, doc: dict, name: str = "demo.json"):
    return client.post("/scenarios/import/preview", data={"csrf_token": csrf_of(client)},
                       files={"file": (name, json.dumps(doc).encode())}, follow_redirects=False)


def apply(client, shown, **extra):
    """Press "Toepassen" on a preview page: its token and revision, nothing else from the page."""
    form = {"csrf_token": csrf_of(client), "token": TOKEN.search(shown.text).group(1),
            "revision": REVISION.search(shown.text).group(1), **extra}
    return client.post("/scenarios/import", data=form, follow_redirects=False)


def field_rows(text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(id, field) -> (before, after) of the preview's tables of changed records."""
    rows = {}
    for rid, name, body in re.findall(r'<tr data-id="([^"]+)" data-field="([^"]+)">(.*?)</tr>', text, re.S):
        before, after = re.findall(r"<code>(.*?)</code>", body, re.S)
        rows[(unescape(rid), unescape(name))] = (unescape(before), unescape(after))
    return rows


def listed(text: str, kind: str, action: str) -> list[str]:
    section = re.search(rf'<section class="card" id="soort-{kind}".*?</section>', text, re.S)
    if section is None:
        return []
    block = re.search(rf'<ul class="ids" data-action="{action}">(.*?)</ul>', section.group(0), re.S)
    return [unescape(x) for x in re.findall(r"<li>(.*?)</li>", block.group(1))] if block else []


# --- Import: preview, then Toepassen -----------------------------------------------------------------

def test_preview_lists_each_change_with_its_fields_and_toepassen_writes_exactly_that(service):
    sid = upload_demo(service.client("regie"))["id"]
    doc = demo()
    renewed = doc["departures"][0]
    renewed["travel_document"]["valid_until"] = "2027-12-31"
    removed = doc["departures"].pop(1)["id"]
    added = copy.deepcopy(doc["departures"][2])
    added["id"] = "BV-2026-9999"
    doc["departures"].append(added)
    flight = doc["flights"][0]
    flight["seats"] += 1
    before = records(service)
    client = logged_in(service)

    shown = preview(client, doc)
    assert shown.status_code == 200, shown.text[:500]
    text = shown.text
    assert "Import bekijken" in text and "Er is nog niets opgeslagen" in text and "Geen wijzigingen" not in text
    rows = field_rows(text)
    old_until = before[("departures", renewed["id"])][1]["travel_document"]["valid_until"]
    assert rows[(renewed["id"], "travel_document.valid_until")] == (old_until, "2027-12-31")
    assert rows[(flight["id"], "seats")] == (str(flight["seats"] - 1), str(flight["seats"]))
    assert len(rows) == 2  # only what differs, down to the nested field
    assert listed(text, "departures", "add") == ["BV-2026-9999"]
    assert listed(text, "departures", "remove") == [removed]
    assert listed(text, "flights", "add") == [] and listed(text, "flights", "remove") == []
    assert 'name="confirm"' not in text  # no known person changes identity
    assert records(service) == before  # a preview writes nothing to the book

    response = apply(client, shown)
    assert response.status_code == 303 and response.headers["location"] == f"/?scenario={sid + 1}&imported=1"
    after = records(service)
    touched = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    assert touched == {("departures", renewed["id"]), ("departures", removed), ("departures", "BV-2026-9999"),
                       ("flights", flight["id"])}
    assert after[("departures", renewed["id"])][1] == renewed and after[("flights", flight["id"])][1] == flight
    assert after[("departures", "BV-2026-9999")][1] == added and ("departures", removed) not in after
    assert "Scenario geïmporteerd" in client.get(response.headers["location"]).text
    # The previewed document was kept on the server and is gone once applied.
    again = apply(client, shown)
    assert again.status_code == 404 and "bestaat niet (meer)" in again.text
    assert records(service) == after


def test_a_book_changed_since_the_preview_shows_the_new_preview_and_applies_nothing(service):
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    doc = demo()
    doc["flights"][0]["seats"] += 1
    client = logged_in(service)
    shown = preview(client, doc)
    assert shown.status_code == 200
    # Meanwhile someone else changes the book (another flight's seats through the API).
    other = doc["flights"][1]["id"]
    current = regie.get(f"/api/scenarios/{sid}/flights/{other}")
    changed = {**current.json()["data"], "seats": current.json()["data"]["seats"] + 2}
    put = service.client("admin").put(f"/api/scenarios/{sid}/flights/{other}", json=changed,
                                      headers={"If-Match": current.headers["etag"]})
    assert put.status_code == 200, put.text
    before = records(service)
    stale = apply(client, shown)
    assert stale.status_code == 409 and "gewijzigd sinds de voorvertoning" in stale.text
    assert records(service) == before
    # The new preview shows what the file does now: it would also put the other flight's seats back.
    rows = field_rows(stale.text)
    assert rows[(other, "seats")] == (str(changed["seats"]), str(changed["seats"] - 2))
    assert int(REVISION.search(stale.text).group(1)) > int(REVISION.search(shown.text).group(1))
    applied = apply(client, stale)
    assert applied.status_code == 303
    assert records(service)[("flights", other)][1]["seats"] == changed["seats"] - 2


def test_the_same_file_twice_previews_geen_wijzigingen_and_leads_to_the_existing_scenario(service):
    sid = upload_demo(service.client("regie"))["id"]
    before = records(service)
    client = logged_in(service)
    shown = preview(client, demo())
    assert shown.status_code == 200 and "Geen wijzigingen" in shown.text
    assert 'data-action="add"' not in shown.text and 'data-action="change"' not in shown.text
    response = apply(client, shown)
    assert response.status_code == 303 and response.headers["location"] == f"/?scenario={sid}&imported=2"
    assert "al geïmporteerd" in client.get(response.headers["location"]).text
    assert records(service) == before
    with service.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ScenarioRow)) == 1
    # The same data under a new planning time changes nothing in the book, but is an import of its own.
    later = demo()
    later["planning_time"] = "2026-12-01T09:00:00+01:00"
    shown = preview(client, later)
    assert "Geen wijzigingen" in shown.text and "Alleen de kop verschilt" in shown.text
    row = re.search(r'<tr data-header="planning_time">(.*?)</tr>', shown.text, re.S).group(1)
    assert "2026-11-30T09:00:00+01:00" in row and "2026-12-01T09:00:00+01:00" in row
    response = apply(client, shown)
    assert response.status_code == 303 and response.headers["location"] == f"/?scenario={sid + 1}&imported=1"
    assert records(service) == before


def test_an_identity_change_is_applied_only_with_its_own_checkbox(service):
    upload_demo(service.client("regie"))
    doc = demo()
    escort = doc["escorts"][0]
    old_name, escort["name"] = escort["name"], "W. van den Berg"
    client = logged_in(service)
    shown = preview(client, doc)
    assert shown.status_code == 200
    box = re.search(r'<input type="checkbox" name="confirm" value="escorts/([^"]+)" id="([^"]+)" required>',
                    shown.text)
    assert box and box.group(1) == escort["id"]
    label = re.search(rf'<label for="{box.group(2)}"[^>]*>(.*?)</label>', shown.text, re.S).group(1)
    assert escort["id"] in label and unescape(label).count("W. van den Berg") == 1 and old_name in unescape(label)

    refused = apply(client, shown)  # the box left unticked
    assert refused.status_code == 422 and "Niet toegepast" in refused.text and escort["id"] in refused.text
    assert records(service)[("escorts", escort["id"])][1]["name"] == old_name
    confirmed = apply(client, refused, confirm=f"escorts/{escort['id']}")
    assert confirmed.status_code == 303, confirmed.text[:500]
    assert records(service)[("escorts", escort["id"])][1]["name"] == "W. van den Berg"


def test_a_file_posted_without_preview_never_changes_an_identity_unasked(service):
    upload_demo(service.client("regie"))
    doc = demo()
    doc["medics"][0]["base"] = "RTM"
    client = logged_in(service)
    response = client.post("/scenarios/import", data={"csrf_token": csrf_of(client)},
                           files={"file": ("demo.json", json.dumps(doc).encode())}, follow_redirects=False)
    assert response.status_code == 409 and f'value="medics/{doc["medics"][0]["id"]}"' in response.text
    assert records(service)[("medics", doc["medics"][0]["id"])][1]["base"] != "RTM"
    assert apply(client, response, confirm=f"medics/{doc['medics'][0]['id']}").status_code == 303
    assert records(service)[("medics", doc["medics"][0]["id"])][1]["base"] == "RTM"


def test_a_preview_is_the_users_own_and_needs_the_import_right(service):
    upload_demo(service.client("regie"))
    doc = demo()
    doc["flights"][0]["seats"] += 1
    shown = preview(logged_in(service), doc)
    other = logged_in(service, "regie-zuid")  # another regievoerder cannot apply this preview
    assert apply(other, shown).status_code == 404
    inspector = logged_in(service, "inspector")
    assert preview(inspector, doc).status_code == 403
    assert inspector.post("/scenarios/import", data={"csrf_token": csrf_of(inspector), "token": "x" * 32,
                                                     "revision": 1}).status_code == 403
    bad = logged_in(service)
    assert bad.post("/scenarios/import", data={"csrf_token": csrf_of(bad), "token": "../../secret",
                                               "revision": 1}).status_code == 404


def test_a_bad_file_gets_the_problems_page_and_nothing_is_kept(service):
    client = logged_in(service)
    doc = demo()
    doc["departures"][3]["priority"] = 7
    response = preview(client, doc, "bad.json")
    assert response.status_code == 422 and "Er is niets opgeslagen" in response.text
    assert 'action="/scenarios/import/preview"' in response.text  # a corrected file is previewed too
    folder = service.settings.data_dir / "imports"
    assert not folder.exists() or not list(folder.glob("*.json"))


# --- A living plan: the solve form, disruptions, the review of the re-plan --------------------------

def published(service) -> tuple[int, dict, object]:
    """The demo with a published plan (made and checked by the planner), and a regievoerder's page client."""
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    plan_id, plan = make_draft(service, sid)
    assert regie.get(f"/api/plans/{plan_id}").json()["violations"] == []
    assert regie.post(f"/api/plans/{plan_id}/publish").status_code == 200
    return sid, {"id": plan_id, "document": plan}, logged_in(service)


def test_the_solve_form_says_it_replans_against_the_published_plan_or_from_scratch(service):
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    client = logged_in(service)
    assert "Vanaf nul plannen" not in client.get(f"/?scenario={sid}").text  # nothing published: nothing to say
    plan_id, _plan = make_draft(service, sid)
    assert regie.get(f"/api/plans/{plan_id}").json()["violations"] == []
    assert regie.post(f"/api/plans/{plan_id}/publish").status_code == 200
    text = client.get(f"/?scenario={sid}").text
    assert "herplant daartegen" in text and f'href="/plans/{plan_id}">plan {plan_id}</a>' in text
    assert re.search(r'<label class="choice"><input type="checkbox" name="from_scratch" value="1" '
                     r'aria-describedby="vanaf-nul-uitleg"> Vanaf nul plannen</label>', text)
    assert 'id="vanaf-nul-uitleg"' in text and "elk vertrek mag verschuiven" in text
    for extra, scratch in (({}, None), ({"from_scratch": "1"}, True)):
        response = client.post(f"/scenarios/{sid}/solve", data={"csrf_token": csrf_of(client), "mode": "quick",
                                                                 **extra}, follow_redirects=False)
        assert response.status_code == 303
        with service.db.sessions() as s:
            job = s.scalar(select(SolveJob).order_by(SolveJob.id.desc()).limit(1))
            assert job.options.get("from_scratch") is scratch
    assert "vanaf nul" in client.get(response.headers["location"]).text


def test_the_dashboard_and_the_review_list_unplanned_departures_with_reasons_fixes_and_links(service):
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    plan_id, plan = make_draft(service, sid)
    unplanned = [d for d in plan["departures"] if not d["planned"]]
    assert unplanned, "the demo has departures no plan can take"
    # A fix as the planner writes it (planner/fixes.py), to see it shown; the plan itself is unchanged.
    with service.db.transaction() as s:
        row = s.get(PlanVersion, plan_id)
        document = copy.deepcopy(row.document)
        entry = next(d for d in document["departures"] if d["id"] == unplanned[0]["id"])
        entry["fixes"] = [{"what": "extend the travel document", "what_nl": "reisdocument verlengen tot 16 december",
                           "rules": [3], "patch": []}]
        row.document = document
    assert regie.get(f"/api/plans/{plan_id}").json()["violations"] == []
    client = logged_in(service)
    for url in (f"/?scenario={sid}", f"/plans/{plan_id}"):
        text = client.get(url).text
        assert f"Niet gepland ({len(unplanned)})" in text, url
        for d in unplanned:
            item = re.search(rf'<li data-departure="{re.escape(d["id"])}">(.*?)</li>\s*(?=<li data-departure|</ul>)',
                             text, re.S)
            assert item, (url, d["id"])
            assert f'/scenarios/{sid}/departures/{d["id"]}' in item.group(1)
            assert unescape(d["reasons_nl"][0]) in unescape(item.group(1))
        assert "reisdocument verlengen tot 16 december" in text
    review = client.get(f"/plans/{plan_id}").text
    assert "niet tegen een eerder plan gemaakt" in review  # a first plan has no changes against another


def test_recording_a_cancelled_flight_lists_the_affected_departures_and_queues_a_replan(service):
    sid, first, client = published(service)
    before = {d["id"]: d for d in first["document"]["departures"]}
    flight = next(d["flights"][0] for d in before.values() if d["planned"])
    users = {did for did, d in before.items() if d["planned"] and (
        flight in d["flights"] or any(flight in c["return_flights"] for c in d["escorts"] + d["medics"]))}

    form = client.get(f"/scenarios/{sid}/verstoringen")
    assert form.status_code == 200
    group = re.search(r'<optgroup label="In het gepubliceerde plan">(.*?)</optgroup>', form.text, re.S).group(1)
    assert f'value="{flight}"' in group
    for kind in ("flight_cancelled", "person_unavailable", "vehicle_unavailable", "reception_withdrawn",
                 "departure_blocked", "departure_cancelled", "departure_added"):
        assert f'<input type="hidden" name="kind" value="{kind}">' in form.text
    assert '<label for="person_unavailable-window_start">' in form.text
    assert 'id="person_unavailable-window_start" name="window_start" required' in form.text
    with service.db.sessions() as s:
        jobs_before = s.scalar(select(func.count()).select_from(SolveJob))

    response = client.post(f"/scenarios/{sid}/verstoringen", data={
        "csrf_token": csrf_of(client), "kind": "flight_cancelled", "flight": flight, "time_limit": "10"})
    assert response.status_code == 200, response.text[:500]
    text = response.text
    assert "Verstoring vastgelegd" in text and "Vlucht geannuleerd" in text
    shown = set(re.findall(r'<tr data-departure="([^"]+)">', text))
    assert shown == users and users
    for did in users:
        row = re.search(rf'<tr data-departure="{re.escape(did)}">(.*?)</tr>', text, re.S).group(1)
        assert "BV-Noord" in row and flight in row and f"/scenarios/{sid}/departures/{did}" in row
    with service.db.sessions() as s:
        job = s.scalar(select(SolveJob).order_by(SolveJob.id.desc()).limit(1))
        assert s.scalar(select(func.count()).select_from(SolveJob)) == jobs_before + 1
        assert job.status == "queued" and job.options == {"time_limit": 10.0} and job.scenario_id == sid
        assert s.scalar(select(BookRecord.data).where(BookRecord.kind == "flights",
                                                      BookRecord.key == flight))["cancelled"] is True
    assert f'href="/jobs/{job.id}"' in text
    history = client.get(f"/scenarios/{sid}/verstoringen").text
    earlier = re.search(r'id="eerder".*?</section>', history, re.S).group(0)
    assert "vlucht geannuleerd" in earlier and f"flights/{flight}" in earlier

    # The re-plan: run it as a worker would; its review shows the mode and only the affected departures.
    from api.worker import Worker
    assert Worker(service.settings, poll_seconds=0.05).run(max_jobs=1) == 1
    done = client.get(f"/api/jobs/{job.id}").json()
    assert done["status"] == "done", done
    second = client.get(f"/api/plans/{done['plan_id']}").json()
    assert second["violations"] == []
    review = client.get(f"/plans/{second['id']}").text
    assert f"Herplanning van plan {first['id']}" in review
    section = re.search(r'id="wijzigingen".*?</section>', review, re.S).group(0)
    changed = set(re.findall(r'<li data-departure="([^"]+)">', section))
    assert changed and changed <= users
    assert changed == {d["id"] for d in second["document"]["changes"]["departures"]}
    for person in second["document"]["changes"]["people"]:
        assert f'data-owner="{person["id"]}"' in section


def test_disruption_forms_read_the_home_clock_and_name_every_problem(service):
    sid, first, client = published(service)
    with service.db.sessions() as s:
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
        vehicle = s.scalar(select(BookRecord).where(BookRecord.kind == "vehicles").order_by(BookRecord.position)
                           .limit(1))
        jobs_before = s.scalar(select(func.count()).select_from(SolveJob))
    # Nothing chosen, and a window that ends before it starts: every problem named, nothing recorded.
    bad = client.post(f"/scenarios/{sid}/verstoringen", data={
        "csrf_token": csrf_of(client), "kind": "person_unavailable", "window_start": "2026-12-05T12:00",
        "window_end": "2026-12-05T10:00"})
    assert bad.status_code == 422
    assert 'href="#fouten-person_unavailable">de 2 fouten bij het formulier</a>' in bad.text
    errors = re.search(r'<div class="alert error" id="fouten-person_unavailable" tabindex="-1">(.*?)</div>',
                       bad.text, re.S).group(1)
    assert "Persoon: kies een persoon" in errors and "Periode: het begin moet voor het einde liggen" in errors
    assert 'id="person_unavailable-person" name="person" required aria-invalid="true"' in bad.text
    assert 'value="2026-12-05T12:00"' in bad.text  # what was typed stays
    skipped = client.post(f"/scenarios/{sid}/verstoringen", data={
        "csrf_token": csrf_of(client), "kind": "vehicle_unavailable", "vehicle": vehicle.key,
        "window_start": "2027-03-28T02:30", "window_end": "2027-03-28T04:00"})
    assert skipped.status_code == 422 and "de klok springt dan een uur vooruit" in skipped.text
    unknown = client.post(f"/scenarios/{sid}/verstoringen", data={
        "csrf_token": csrf_of(client), "kind": "departure_cancelled", "departure": "BV-BESTAAT-NIET"})
    assert unknown.status_code == 422 and "Vertrek: een vertrek-id uit het scenario" in unescape(unknown.text)
    broken = client.post(f"/scenarios/{sid}/verstoringen", data={
        "csrf_token": csrf_of(client), "kind": "departure_added", "departure_json": '{"id": "BV-NIEUW-1",'})
    assert broken.status_code == 422 and "Vertrek (JSON): geen geldige JSON" in broken.text
    with service.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
        assert s.scalar(select(func.count()).select_from(SolveJob)) == jobs_before

    # A window typed on the Dutch clock is sent as instants with the offset of that day (winter: +01:00).
    done = client.post(f"/scenarios/{sid}/verstoringen", data={
        "csrf_token": csrf_of(client), "kind": "vehicle_unavailable", "vehicle": vehicle.key,
        "window_start": "2026-12-10T10:00", "window_end": "2026-12-10T12:00", "planning_time": "2026-12-01T08:30",
        "time_limit": "5"})
    assert done.status_code == 200, done.text[:500]
    with service.db.sessions() as s:
        windows = s.get(BookRecord, vehicle.id).data["available"]
        job = s.scalar(select(SolveJob).order_by(SolveJob.id.desc()).limit(1))
    assert any(w[1] == "2026-12-10T10:00:00+01:00" for w in windows)
    assert any(w[0] == "2026-12-10T12:00:00+01:00" for w in windows)
    assert job.options == {"time_limit": 5.0, "planning_time": "2026-12-01T08:30:00+01:00"}


def test_the_disruptions_page_is_the_units_and_only_regievoerders_record(service):
    sid, _first, _client = published(service)
    url = f"/scenarios/{sid}/verstoringen"
    inspector = logged_in(service, "inspector")
    read = inspector.get(url)
    assert read.status_code == 200 and "Eerder vastgelegd" in read.text and "Vastleggen en herplannen" not in read.text
    assert inspector.post(url, data={"csrf_token": csrf_of(inspector), "kind": "flight_cancelled"}).status_code == 403
    zuid = logged_in(service, "regie-zuid")
    assert zuid.get(url).status_code == 404
    assert zuid.post(url, data={"csrf_token": csrf_of(zuid), "kind": "flight_cancelled", "flight": "X"}
                     ).status_code == 404
    assert logged_in(service, "escort").get(url).status_code == 403
    regie = logged_in(service)
    assert regie.post(url, data={"kind": "flight_cancelled"}).status_code == 403  # no CSRF token
