"""The pages for the people who use them (issue list "For the people who use it"): the team's own
itineraries, Dutch import problems, a readable audit log, names instead of codes, the calendar link
page, pickups in the past, search, and the invite outbox.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from api.models import OutboxMail, PlanVersion, User
from publish_support import SmtpServer, add_contacts, free_port, make_draft, owners_in
from service import PASSWORD, demo_scenario_bytes, upload_demo

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BEFORE_THE_DEMO = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)  # the demo plans December 2026


def _team(entry: dict) -> set[str]:
    return ({f"escort:{e['id']}" for e in entry["escorts"]} | {f"medic:{m['id']}" for m in entry["medics"]}
            | {f"vehicle:{entry['pickup']['vehicle']}"})


def _account(service, username: str, role: str, owner: str) -> None:
    from api.auth import hash_password

    with service.db.transaction() as s:
        s.add(User(username=username, password_hash=hash_password(PASSWORD), role=role, owner=owner))


@pytest.fixture
def published(service):
    """The demo of BV-Noord with a published plan (made by the planner, re-checked) and a draft after it."""
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    plan_id, plan = make_draft(service, sid)
    assert regie.post(f"/api/plans/{plan_id}/publish").status_code == 200
    draft_id, _ = make_draft(service, sid)
    planned = [d for d in plan["departures"] if d["planned"]]
    return {"sid": sid, "plan_id": plan_id, "plan": plan, "draft_id": draft_id, "planned": planned}


# --- 1. The team opens its own itineraries -------------------------------------------------------------

def test_the_team_opens_its_departures_itinerary_but_no_other_document_or_departure(service, published):
    sid, planned = published["sid"], published["planned"]
    dep = next(d for d in planned if d["escorts"] and d["medics"])
    escort, medic, vehicle = f"escort:{dep['escorts'][0]['id']}", f"medic:{dep['medics'][0]['id']}", \
        f"vehicle:{dep['pickup']['vehicle']}"
    _account(service, "team-escort", "escort", escort)
    _account(service, "team-medic", "medic", medic)
    _account(service, "team-driver", "driver", vehicle)
    base = f"/scenarios/{sid}/departures/{dep['id']}"
    for username in ("team-escort", "team-medic", "team-driver"):
        client = service.client(username)
        html = client.get(base + "/itinerary.html")
        assert html.status_code == 200 and f"Reisplan {dep['id']}" in html.text, username
        assert html.headers["cache-control"] == "no-store"
        pdf = client.get(base + "/itinerary.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), username
        # Not the letter, not the departure page with the person's and medical details.
        for url in (base, base + "/letter.en.html", base + "/letter.en.pdf", f"/plans/{published['plan_id']}"):
            assert client.get(url).status_code == 403, (username, url)
        # Not the draft's version of it: only the published plan is anyone's mission.
        refused = client.get(base + f"/itinerary.html?plan={published['draft_id']}")
        assert refused.status_code == 403 and "alleen voor het team van dit vertrek en de regie" in refused.text

    # A departure the escort is not on, and one that does not exist: the same refusal (nothing disclosed).
    other = next(d for d in planned if escort not in _team(d))
    client = service.client("team-escort")
    for url in (f"/scenarios/{sid}/departures/{other['id']}/itinerary.pdf",
                f"/scenarios/{sid}/departures/NOPE-1/itinerary.pdf",
                f"/scenarios/999/departures/{dep['id']}/itinerary.pdf"):
        response = client.get(url)
        assert response.status_code == 403 and "alleen voor het team" in response.text, url
    # The service's own accounts: the medic MED-01 and driver DVO-1 are on no departure of the plan.
    assert service.client("medic").get(base + "/itinerary.pdf").status_code == 403
    assert service.client("admin").get(base + "/itinerary.pdf").status_code == 403
    # The case readers as before.
    assert service.client("inspector").get(base + "/itinerary.pdf").status_code == 200


def test_the_own_page_links_each_mission_to_its_itinerary(service, published, monkeypatch):
    monkeypatch.setattr("api.web.pages.now", lambda: BEFORE_THE_DEMO)
    sid, planned = published["sid"], published["planned"]
    escort = next(f"escort:{d['escorts'][0]['id']}" for d in planned if d["escorts"])
    mine = [d["id"] for d in planned if escort in _team(d)]
    _account(service, "team-escort", "escort", escort)
    client = service.client("team-escort")
    text = client.get("/ik").text
    links = set(re.findall(r'href="(/scenarios/\d+/departures/[^"/]+/itinerary)\.pdf"', text))
    assert links == {f"/scenarios/{sid}/departures/{d}/itinerary" for d in mine}
    for link in links:
        assert client.get(link + ".pdf").status_code == 200
        assert client.get(link + ".html").status_code == 200


def test_the_roles_line_documents_what_the_team_may_see():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme, documents = (root / "README.md").read_text(), (root / "docs" / "documents.md").read_text()
    assert "itinerar" in readme.split("| `escort` |")[1].split("\n")[0]
    assert "## Who may open which document" in documents


# --- 2. Import problems in Dutch ------------------------------------------------------------------------

def test_rules_in_dutch_and_the_english_original_where_the_table_has_none():
    from api.web.problems_nl import dutch

    assert dutch("a value (the field is required)") == ("een waarde (verplicht veld)", True)
    assert dutch("an ISO 8601 instant with a UTC offset, e.g. 2026-12-03T10:05:00+01:00") == (
        "een tijdstip met UTC-afwijking (ISO 8601), bijv. 2026-12-03T10:05:00+01:00", True)
    assert dutch("one of medical, minor") == ("een van medical, minor", True)
    assert dutch("a whole number, e.g. 90 (not a whole number)") == (
        "een geheel getal, bijv. 90 (geen geheel getal)", True)
    assert dutch("a flight id of the scenario (the field is required)") == (
        "een vlucht-id uit het scenario (verplicht veld)", True)
    assert dutch("at most 10000") == ("hoogstens 10000", True)
    # Unknown: the English original, whole (never half translated), and said to be untranslated.
    unknown = "a frobnicated widget (the field is required)"
    assert dutch(unknown) == (unknown, False)
    assert dutch("x" * 5000)[1] is False


def test_the_problems_page_shows_the_rule_in_dutch_and_the_api_keeps_english(service):
    import json

    doc = json.loads(demo_scenario_bytes())
    del doc["departures"][0]["priority"]
    doc["departures"][1]["ready_from"] = "morgen"
    doc["departures"][2]["kind"] = "iets"
    doc["flights"][0]["seats"] = 1.5
    body = json.dumps(doc).encode()
    client = service.client("regie")
    page = client.post("/scenarios/import/preview", files={"file": ("bad.json", body)})
    assert page.status_code == 422
    text = unescape(page.text)
    assert "een waarde (verplicht veld)" in text
    assert "een tijdstip met UTC-afwijking (ISO 8601), bijv." in text
    assert "een van " in text and "een geheel getal" in text
    assert "the field is required" not in text and "an ISO 8601 instant" not in text
    api = client.post("/api/book/preview", files={"file": ("bad.json", body)})
    assert api.status_code == 422
    assert "a value (the field is required)" in api.text  # the JSON API as it was


# --- 3. The audit log, readable -------------------------------------------------------------------------

def test_audit_details_are_dutch_lines_not_python_dicts(service, published):
    text = unescape(service.client("inspector").get("/audit").text)
    assert "{'" not in text and "':" not in text
    assert "scenario geïmporteerd" in text and "plan gepubliceerd" in text
    assert re.search(r"aantallen vertrekken: toegevoegd \d+, gewijzigd 0, verwijderd 0", text)
    assert re.search(r"agenda-items: nieuw \d+", text)
    assert "<span class=\"code\">plan.publish</span>" in text or "plan.publish" in text  # the code stays findable


def test_a_second_publication_says_the_state_in_dutch(service, published):
    client = service.client("regie")
    page = client.get(f"/plans/{published['plan_id']}")
    csrf = CSRF.search(page.text).group(1) if CSRF.search(page.text) else client.headers["X-CSRF-Token"]
    again = client.post(f"/plans/{published['plan_id']}/publish", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "geen concept meer (het is gepubliceerd)" in again.text and "status: published" not in again.text


# --- 4. Names instead of codes, the whole itinerary ----------------------------------------------------

def test_the_departure_page_names_reception_location_vehicle_and_people_with_codes_in_small_print(service,
                                                                                                published):
    from api.scenarios import load
    from planner.outputs.derive import airport_city

    sid = published["sid"]
    dep = next(d for d in published["planned"] if d["escorts"])
    with service.db.sessions() as s:
        sc = load(s, sid)
    record = sc.departures[dep["id"]]
    rec, loc, vehicle = sc.reception[record.reception], sc.locations[record.pickup_location], \
        sc.vehicles[dep["pickup"]["vehicle"]]
    text = unescape(service.client("regie").get(f"/scenarios/{sid}/departures/{dep['id']}").text)
    city = airport_city(sc, rec.airport)
    named = rec.name if city.casefold() in rec.name.casefold() else f"{rec.name}, {city}"  # the city once
    assert f"{named} <span class=\"code\">{rec.id}</span>" in text
    assert f"{loc.name} <span class=\"code\">{loc.id}</span>" in text
    assert f"{vehicle.seats} zitplaatsen" in text and f">{vehicle.id}</" in text
    escort = sc.escorts[dep["escorts"][0]["id"]]
    assert f"{escort.name}</a> <span class=\"code\">{escort.id}</span>" in text or \
        f"{escort.name} <span class=\"code\">{escort.id}</span>" in text
    assert "data-fit-content" in text  # the script sizes the embedded itinerary to its content


# --- 5. The calendar link page --------------------------------------------------------------------------

def test_first_link_replaced_link_webcal_and_qr_code(service):
    from api.web.pages.own import qr_svg

    client = service.client("escort")
    token = CSRF.search(client.get("/ik").text).group(1)
    first = client.post("/ik/feed-token", data={"csrf_token": token}, follow_redirects=False)
    assert first.headers["location"] == "/ik?nieuw=1"
    text = client.get("/ik?nieuw=1").text
    assert "De vorige link werkt niet meer" not in text and "Uw agenda-link is gemaakt" in text
    feed = re.search(r'value="([^"]+)" class="feed" id="feed-url"', text).group(1)
    webcal = re.search(r'href="(webcal://[^"]+)" id="webcal-link"', text).group(1)
    assert webcal == "webcal://" + feed.split("://", 1)[1]
    assert 'data-copy="#feed-url"' in text and 'class="feed-link"' in text
    assert str(qr_svg(webcal)) in text and '<svg' in text and "QR-code van uw agenda-link" in text

    second = client.post("/ik/feed-token", data={"csrf_token": token}, follow_redirects=False)
    assert second.headers["location"] == "/ik?nieuw=2"
    text = client.get("/ik?nieuw=2").text
    assert "De vorige link werkt niet meer" in text
    assert re.search(r'value="([^"]+)" class="feed" id="feed-url"', text).group(1) != feed
    assert service.client().get(urlsplit(feed).path).status_code == 404  # the old one no longer works


def test_the_qr_code_carries_the_link():
    import segno

    from api.web.pages.own import qr_svg

    link = "webcal://planning.example/feeds/abc.def.ics"
    svg = str(qr_svg(link))
    assert svg.startswith("<svg") and 'class="qr"' in svg
    assert svg == segno.make(link, error="m", micro=False).svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title="QR-code van uw agenda-link", svgclass="qr")


# --- 6. Pickups in the past ----------------------------------------------------------------------------

def test_a_pickup_in_the_past_is_flagged_on_departure_dashboard_and_review(service, published, monkeypatch):
    sid, planned = published["sid"], published["planned"]
    first = min(planned, key=lambda d: d["pickup"]["time"])
    client = service.client("regie")
    monkeypatch.setattr("api.web.pages.now", lambda: BEFORE_THE_DEMO)
    assert "Ophalen ligt in het verleden" not in client.get(f"/scenarios/{sid}/departures/{first['id']}").text
    assert "Ophalen ligt in het verleden" not in client.get(f"/?scenario={sid}").text
    assert "Ophalen ligt in het verleden" not in client.get(f"/plans/{published['draft_id']}").text

    # Now after the first pickup: that one is flagged, everywhere; a later one is not.
    from planner.timeutil import parse_instant
    after_first = parse_instant(first["pickup"]["time"]).astimezone(timezone.utc).replace(second=1)
    monkeypatch.setattr("api.web.pages.now", lambda: after_first)
    later = [d["id"] for d in planned if parse_instant(d["pickup"]["time"]) > after_first]
    assert later
    text = client.get(f"/scenarios/{sid}/departures/{first['id']}").text
    assert "Ophalen ligt in het verleden" in text and "data-past-pickup" in text
    assert "data-past-pickup" not in client.get(f"/scenarios/{sid}/departures/{later[0]}").text
    dashboard = client.get(f"/?scenario={sid}").text
    row = re.search(rf'<tr>\s*<td><a href="[^"]*/departures/{first["id"]}">.*?</tr>', dashboard, re.S).group(0)
    assert "Ophalen ligt in het verleden" in row
    review = client.get(f"/plans/{published['draft_id']}").text
    flagged = re.search(r'id="ophalen-verleden".*?</div>', review, re.S).group(0)
    assert f">{first['id']}</a>" in flagged and all(f">{d}</a>" not in flagged for d in later)


def test_a_pickup_before_the_plans_planning_time_is_flagged_too(service, published, monkeypatch):
    monkeypatch.setattr("api.web.pages.now", lambda: BEFORE_THE_DEMO)
    last = max(published["planned"], key=lambda d: d["pickup"]["time"])
    with service.db.transaction() as s:
        row = s.get(PlanVersion, published["draft_id"])
        row.summary = {**(row.summary or {}), "header": {"planning_time": "2027-01-01T00:00:00+01:00"}}
    review = service.client("inspector").get(f"/plans/{published['draft_id']}").text
    flagged = re.search(r'id="ophalen-verleden".*?</div>', review, re.S).group(0)
    assert f">{last['id']}</a>" in flagged


# --- 7. Search -------------------------------------------------------------------------------------------

def test_search_finds_departures_by_id_and_person_ref_and_people_by_name_within_the_units_scope(service,
                                                                                                 published):
    from api.scenarios import load

    sid = published["sid"]
    dep = published["planned"][0]
    with service.db.sessions() as s:
        sc = load(s, sid)
    ref = sc.departures[dep["id"]].person_ref
    escort = next(iter(sc.escorts.values()))
    regie = service.client("regie")

    by_id = regie.get("/zoeken", params={"q": dep["id"].lower()}).text
    assert f'href="/scenarios/{sid}/departures/{dep["id"]}"' in by_id
    by_ref = regie.get("/zoeken", params={"q": ref}).text
    assert f'href="/scenarios/{sid}/departures/{dep["id"]}"' in by_ref and ref in by_ref
    by_name = unescape(regie.get("/zoeken", params={"q": escort.name.split()[-1]}).text)
    assert escort.name in by_name and f"/scenarios/{sid}/board?persoon={escort.id}" in by_name
    by_escort_id = regie.get("/zoeken", params={"q": escort.id}).text
    assert escort.id in by_escort_id
    assert "Typ minstens 2 tekens" in regie.get("/zoeken", params={"q": "B"}).text
    assert "Vertrekken (0)" in regie.get("/zoeken", params={"q": "ZZZ-NIETS"}).text

    # Another unit's regievoerder finds none of BV-Noord's departures (the people are everyone's).
    zuid = service.client("regie-zuid").get("/zoeken", params={"q": dep["id"]}).text
    assert "Vertrekken (0)" in zuid and f"/departures/{dep['id']}" not in zuid
    # The inspector finds every unit's, with the unit named.
    inspector = service.client("inspector").get("/zoeken", params={"q": dep["id"]}).text
    assert f'href="/scenarios/{sid}/departures/{dep["id"]}"' in inspector and "<td>BV-Noord</td>" in inspector
    for name in ("escort", "medic", "driver", "admin"):
        assert service.client(name).get("/zoeken", params={"q": dep["id"]}).status_code == 403
    # The navigation offers it to the case readers only.
    assert 'href="/zoeken"' in regie.get("/").text
    assert 'href="/zoeken"' not in service.client("admin").get("/beheer").text


# --- 8. The invite outbox ---------------------------------------------------------------------------------

def test_the_outbox_page_lists_what_was_sent_to_whom_and_what_failed(service):
    from api.publishing import deliver_outbox

    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    plan_id, plan = make_draft(service, sid)
    add_contacts(service.client("admin"), owners_in(plan))
    # A mail server that is not there: every invite fails once and stays queued with its error.
    service.app.state.settings = service.settings.with_(smtp_host="127.0.0.1", smtp_port=free_port(),
                                                        smtp_security="none")
    assert regie.post(f"/api/plans/{plan_id}/publish").status_code == 200
    with service.db.sessions() as s:
        mails = list(s.scalars(select(OutboxMail).order_by(OutboxMail.id)))
    assert mails and all(m.sent_at is None and m.error for m in mails)

    text = unescape(regie.get("/uitnodigingen").text)
    ids = [int(i) for i in re.findall(r'data-invite="(\d+)"', text)]
    assert ids == sorted((m.id for m in mails), reverse=True)  # newest first
    assert mails[0].recipient in text and "mislukt, wordt opnieuw geprobeerd" in text and "Fout:" in text
    assert mails[0].error[:40] in text and "REQUEST" in text and "uitnodiging of wijziging" in text
    failed = regie.get("/uitnodigingen?mislukt=1").text
    assert len(re.findall(r'data-invite="', failed)) == len(mails)

    # Sent on the next try: listed as sent, the earlier error still told; no longer among the failed.
    with SmtpServer() as smtp:
        settings = service.settings.with_(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none")
        assert deliver_outbox(service.db, settings)["sent"] == len(mails)
    text = unescape(regie.get("/uitnodigingen").text)
    assert "verzonden na 2 pogingen" in text and "Fout bij een eerdere poging" in text
    assert "Geen mislukte uitnodigingen" in regie.get("/uitnodigingen?mislukt=1").text

    # Scope: another unit's regievoerder sees none of them; the admin and the inspector see all, read-only.
    assert "Nog geen uitnodigingen verstuurd" in service.client("regie-zuid").get("/uitnodigingen").text
    for name in ("admin", "inspector"):
        page = service.client(name).get("/uitnodigingen").text
        assert len(re.findall(r'data-invite="', page)) == len(mails) and "<form" not in page.split("<main")[1]
    for name in ("escort", "medic", "driver"):
        assert service.client(name).get("/uitnodigingen").status_code == 403
