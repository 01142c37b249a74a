"""Editing the planning book from the pages: a departure, people, vehicles, receptions and any record
as JSON (version sent, validated by the book, audited, stale writes refused), a new departure, and
the recommended options for one departure with the draft that choosing one makes.

Forms are submitted as a browser would: every field of the form as the page rendered it, with the
changes a user makes. Every plan made here is re-checked (``/api/plans/{id}`` violations).
"""
from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from api.models import AuditEntry, BookRecord, PlanVersion
from publish_support import make_draft
from service import upload_demo


# --- Forms as a browser submits them -------------------------------------------------------------

class _Forms(HTMLParser):
    """Every form of a page: its action and its fields in document order, as a browser sends them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method", "get"), "fields": []})
        elif not self.forms:
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if a.get("name") and (kind not in ("checkbox", "radio") or "checked" in a):
                self.forms[-1]["fields"].append([a["name"], a.get("value", "on" if kind == "checkbox" else "")])
        elif tag == "select":
            self._select = [a.get("name"), None, None]  # name, first option, selected option
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, first, chosen = self._select
            self.forms[-1]["fields"].append([name, chosen if chosen is not None else first or ""])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.forms[-1]["fields"].append(self._textarea)
            self._textarea = None


def form_of(html: str, **match) -> dict:
    """The one form whose fields include every ``name=value`` of ``match``."""
    parser = _Forms()
    parser.feed(html)
    found = [f for f in parser.forms if all([k, v] in f["fields"] for k, v in match.items())]
    assert len(found) == 1, (match, [f["action"] for f in parser.forms])
    return found[0]


def with_changes(form: dict, **changes) -> list[tuple[str, str]]:
    """The form's fields with some values replaced (the first field of each name)."""
    fields = [list(f) for f in form["fields"]]
    for name, value in changes.items():
        field = next(f for f in fields if f[0] == name)
        field[1] = value
    return [tuple(f) for f in fields]


def post_form(client, form: dict, fields, **kwargs):
    body = "&".join(f"{_q(k)}={_q(v)}" for k, v in fields)
    return client.post(form["action"], content=body.encode(), follow_redirects=False,
                       headers={"Content-Type": "application/x-www-form-urlencoded"}, **kwargs)


def _q(text: str) -> str:
    from urllib.parse import quote_plus
    return quote_plus(str(text))


def record(service, kind: str, key: str) -> BookRecord:
    with service.db.sessions() as s:
        row = s.scalar(select(BookRecord).where(BookRecord.kind == kind, BookRecord.key == key))
        if row is not None:
            s.expunge(row)
        return row


def audit_of(service, action: str) -> list[AuditEntry]:
    with service.db.sessions() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
        for r in rows:
            s.expunge(r)
        return rows


def audit_count(service) -> int:
    with service.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


def verdict(client, plan_id: int) -> list:
    response = client.get(f"/api/plans/{plan_id}")
    assert response.status_code == 200, response.text
    return response.json()["violations"]


@pytest.fixture
def world(service):
    """The demo scenario of BV-Noord with a published plan (made by the planner and re-checked)."""
    regie = service.client("regie")
    sid = upload_demo(regie)["id"]
    plan_id, plan = make_draft(service, sid)
    assert regie.post(f"/api/plans/{plan_id}/publish").status_code == 200
    assert verdict(regie, plan_id) == []
    planned = [d for d in plan["departures"] if d["planned"]]
    return {"sid": sid, "regie": regie, "plan_id": plan_id, "plan": plan, "dep": planned[0]["id"],
            "planned": [d["id"] for d in planned]}


def edit_url(w, kind: str, key: str) -> str:
    return f"/scenarios/{w['sid']}/{kind}/{key}/bewerken"


# --- Editing a departure ---------------------------------------------------------------------------

def test_editing_a_travel_document_saves_it_as_the_next_version_with_an_audit_entry(service, world):
    regie, dep = world["regie"], world["dep"]
    before = record(service, "departures", dep)
    page = regie.get(f"/scenarios/{world['sid']}/departures/{dep}")
    assert f'href="{edit_url(world, "departures", dep)}"' in page.text and "Passende opties zoeken" in page.text

    page = regie.get(edit_url(world, "departures", dep))
    assert page.status_code == 200
    assert re.search(r'<label for="doc_until">Geldig tot en met\s*<input type="date" id="doc_until"', page.text)
    form = form_of(page.text, modus="velden", version=str(before.version))
    response = post_form(regie, form, with_changes(form, doc_until="2027-12-31"))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == edit_url(world, "departures", dep) + f"?opgeslagen={before.version + 1}"

    after = record(service, "departures", dep)
    assert after.version == before.version + 1 and after.updated_by == "regie"
    assert after.data["travel_document"]["valid_until"] == "2027-12-31"
    # Nothing else moved: the instants the form showed as local times keep their stored text.
    assert {k: v for k, v in after.data.items() if k != "travel_document"} == \
           {k: v for k, v in before.data.items() if k != "travel_document"}
    entry = audit_of(service, "departures.update")[-1]
    assert entry.actor == "regie" and entry.entity_id == dep
    assert entry.detail["changed"] == ["travel_document"] and entry.detail["version"] == after.version

    saved = regie.get(response.headers["location"])
    assert "Opgeslagen" in saved.text and f"versie {after.version}" in saved.text
    replan = form_of(saved.text, mode="quick")  # the dashboard's solve form: a re-plan against the published plan
    assert replan["action"] == f"/scenarios/{world['sid']}/solve" and "Opnieuw plannen" in saved.text


def test_local_times_are_read_in_the_places_zone_and_written_with_its_offset(service, world):
    regie, dep = world["regie"], world["dep"]
    page = regie.get(edit_url(world, "departures", dep))
    assert "Tijden in Europe/Amsterdam" in page.text
    form = form_of(page.text, modus="velden")
    fields = with_changes(form, ready_from="2026-12-02T09:30")
    fields += [("blocked_start", "2026-12-24T18:00"), ("blocked_end", "2026-12-26T06:00")]
    fields = [f for f in fields if f[0] not in ("blocked_start", "blocked_end") or f[1]]  # drop the empty rows
    assert post_form(regie, form, fields).status_code == 303
    data = record(service, "departures", dep).data
    assert data["ready_from"] == "2026-12-02T09:30:00+01:00"
    assert data["blocked"] == [["2026-12-24T18:00:00+01:00", "2026-12-26T06:00:00+01:00"]]


def test_a_stale_version_is_refused_and_changes_nothing(service, world):
    regie, dep = world["regie"], world["dep"]
    page = regie.get(edit_url(world, "departures", dep))
    stale = form_of(page.text, modus="velden")
    assert post_form(regie, stale, with_changes(stale, priority="4")).status_code == 303  # someone saves first
    current = record(service, "departures", dep)
    audits = audit_count(service)
    response = post_form(regie, stale, with_changes(stale, doc_until="2027-03-01"))  # the old version again
    assert response.status_code == 412
    assert "Iemand anders heeft dit intussen gewijzigd" in response.text
    json_form = form_of(page.text, modus="json")
    assert post_form(regie, json_form, json_form["fields"]).status_code == 412
    after = record(service, "departures", dep)
    assert (after.version, after.data) == (current.version, current.data) and audit_count(service) == audits


def test_an_invalid_value_shows_the_field_and_value_keeps_the_form_and_changes_nothing(service, world):
    regie, dep = world["regie"], world["dep"]
    before = record(service, "departures", dep)
    audits = audit_count(service)
    page = regie.get(edit_url(world, "departures", dep))
    form = form_of(page.text, modus="velden")
    # A document that ends before it starts: the planner's own validation names the field.
    response = post_form(regie, form, with_changes(form, doc_from="2026-12-10", doc_until="2026-12-01"))
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "Niet opgeslagen" in response.text
    assert '<a href="#doc_until">travel_document.valid_until</a>' in response.text
    assert "<code>2026-12-01</code>" in response.text
    kept = form_of(response.text, modus="velden")
    assert ["doc_from", "2026-12-10"] in kept["fields"] and ["doc_until", "2026-12-01"] in kept["fields"]
    assert re.search(r'id="doc_until" name="doc_until" value="2026-12-01" required aria-invalid="true"', response.text)
    # A value the form cannot read at all, and a half-filled window.
    fields = with_changes(form, priority="hoog", pickup_start="morgen")
    fields[[f[0] for f in fields].index("blocked_start")] = ("blocked_start", "2026-12-24T18:00")
    response = post_form(regie, form, fields)
    assert response.status_code == 422
    for field, value in (("priority", "hoog"), ("pickup.window", "morgen"), ("blocked[0]", "2026-12-24T18:00")):
        assert f">{field}</a>" in response.text and value in response.text, field
    # Broken JSON in the whole-record form: the line and column, and the text kept as typed.
    json_form = form_of(page.text, modus="json")
    broken = dict(json_form["fields"])["json"].replace('"priority":', '"priority" ', 1)
    response = post_form(regie, json_form, with_changes(json_form, json=broken))
    assert response.status_code == 422 and "line " in response.text
    assert dict(form_of(response.text, modus="json")["fields"])["json"] == broken
    # Renaming through the JSON is refused too.
    renamed = json.loads(dict(json_form["fields"])["json"]) | {"id": "BV-ANDERS"}
    response = post_form(regie, json_form, with_changes(json_form, json=json.dumps(renamed)))
    assert response.status_code == 422 and "een id kan niet worden hernoemd" in response.text
    after = record(service, "departures", dep)
    assert (after.version, after.data) == (before.version, before.data) and audit_count(service) == audits


def test_the_whole_record_can_be_edited_as_json(service, world):
    regie, dep = world["regie"], world["dep"]
    page = regie.get(edit_url(world, "departures", dep))
    form = form_of(page.text, modus="json")
    data = json.loads(dict(form["fields"])["json"])
    assert data == record(service, "departures", dep).data
    data["risk"] = "high"
    assert post_form(regie, form, with_changes(form, json=json.dumps(data))).status_code == 303
    assert record(service, "departures", dep).data == data


# --- Who edits what -------------------------------------------------------------------------------

def test_a_regievoerder_cannot_edit_an_escort_and_an_admin_can(service, world):
    regie, admin = world["regie"], service.client("admin")
    url = edit_url(world, "escorts", "KMAR-001")
    before = record(service, "escorts", "KMAR-001")
    assert regie.get(url).status_code == 403
    refused = regie.post(url, data={"version": before.version, "modus": "json", "json": json.dumps(before.data)})
    assert refused.status_code == 403
    assert record(service, "escorts", "KMAR-001").version == before.version
    assert admin.get(edit_url(world, "departures", world["dep"])).status_code == 403  # no case data for admins

    listing = admin.get("/middelen", follow_redirects=True)
    assert listing.status_code == 200 and f'href="{url}"' in listing.text
    page = admin.get(url)
    assert page.status_code == 200 and "tijdzone van standplaats" in page.text
    form = form_of(page.text, modus="velden")
    fields = form["fields"]
    # A new visa in the first empty row, and one skill more.
    empty = next(i for i, f in enumerate(fields) if f == ["visa_country", ""])
    fields[empty] = ["visa_country", "ng"]
    fields[empty + 1] = ["visa_until", "2027-06-30"]
    skills = dict(fields)["skills"]
    fields = with_changes(form | {"fields": fields}, skills=skills + ", minors")
    response = post_form(admin, form, fields)
    assert response.status_code == 303, response.text
    after = record(service, "escorts", "KMAR-001")
    assert after.version == before.version + 1 and after.updated_by == "admin"
    assert after.data["visas"]["NG"] == "2027-06-30" and "minors" in after.data["skills"]
    assert after.data["available"] == before.data["available"]
    assert audit_of(service, "escorts.update")[-1].actor == "admin"


def test_receptions_are_kept_current_by_the_regievoerder_and_vehicles_by_the_admin(service, world):
    regie, admin = world["regie"], service.client("admin")
    dep = record(service, "departures", world["dep"]).data
    page = regie.get(f"/scenarios/{world['sid']}/departures/{world['dep']}")
    url = edit_url(world, "reception", dep["reception"])
    assert f'href="{url}"' in page.text
    form = form_of(regie.get(url).text, modus="velden")
    fields = [f for f in form["fields"] if f[0] != "closed_date" or f[1]] + [("closed_date", "2026-12-31")]
    fields = with_changes({"fields": fields}, open_sun="", close_sun="")
    assert post_form(regie, form, fields).status_code == 303
    after = record(service, "reception", dep["reception"]).data
    assert "sun" not in after["open"] and "2026-12-31" in after["closed_dates"]

    vehicle = record(service, "vehicles", "DVO-AMB-01")
    assert regie.get(edit_url(world, "vehicles", "DVO-AMB-01")).status_code == 403
    form = form_of(admin.get(edit_url(world, "vehicles", "DVO-AMB-01")).text, modus="velden")
    assert post_form(admin, form, with_changes(form, seats="6")).status_code == 303
    after = record(service, "vehicles", "DVO-AMB-01")
    assert after.data["seats"] == 6 and after.data["available"] == vehicle.data["available"]


def test_another_units_regievoerder_cannot_reach_the_forms(service, world):
    zuid = service.client("regie-zuid")
    for url in (edit_url(world, "departures", world["dep"]), f"/scenarios/{world['sid']}/departures/nieuw",
                f"/scenarios/{world['sid']}/departures/{world['dep']}/opties"):
        assert zuid.get(url).status_code == 404, url


# --- A new departure, recommended options, and choosing one ----------------------------------------

def _new_departure(service, world) -> str:
    """Add a copy of a planned departure (no family) through the page; its new id."""
    regie = world["regie"]
    page = regie.get(f"/scenarios/{world['sid']}/departures/nieuw")
    assert page.status_code == 200
    form = next(f for f in _all_forms(page.text) if f["action"].endswith("/departures/nieuw"))
    suggested = dict(form["fields"])["id"]
    assert record(service, "departures", suggested) is None
    source = next(record(service, "departures", d).data for d in world["planned"]
                  if not record(service, "departures", d).data.get("family_group"))
    copy = {**source, "id": "ignored: the id field wins"}
    response = post_form(regie, form, with_changes(form, json=json.dumps(copy)))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/scenarios/{world['sid']}/departures/{suggested}"
    added = record(service, "departures", suggested)
    assert added.unit == "BV-Noord" and added.version == 1 and added.data == {**source, "id": suggested}
    assert audit_of(service, "departures.add")[-1].entity_id == suggested
    assert regie.get(response.headers["location"]).status_code == 200
    return suggested


def _all_forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def test_adding_a_departure_and_a_refused_one(service, world):
    new_id = _new_departure(service, world)
    regie = world["regie"]
    page = regie.get(f"/scenarios/{world['sid']}/departures/nieuw")
    form = next(f for f in _all_forms(page.text) if f["action"].endswith("/departures/nieuw"))
    audits = audit_count(service)
    # An id already in the book is refused, with the field named and the text kept.
    response = post_form(regie, form, with_changes(form, id=new_id))
    assert response.status_code == 422 and "een id dat nog niet in het planningsboek staat" in response.text
    assert f'value="{new_id}"' in response.text
    bad = json.loads(dict(form["fields"])["json"]) | {"priority": 9}
    response = post_form(regie, form, with_changes(form, json=json.dumps(bad)))
    assert response.status_code == 422 and ">priority</a></td>" in response.text and "<code>9</code>" in response.text
    assert audit_count(service) == audits
    assert world["regie"].get(f"/scenarios/{world['sid']}/departures/nieuw").status_code == 200
    assert service.client("admin").get(f"/scenarios/{world['sid']}/departures/nieuw").status_code == 403


def test_options_page_lists_options_and_choosing_one_makes_a_draft_that_only_adds_it(service, world):
    regie = world["regie"]
    new_id = _new_departure(service, world)
    page = regie.get(f"/scenarios/{world['sid']}/departures/{new_id}")
    url = f"/scenarios/{world['sid']}/departures/{new_id}/opties"
    assert f'href="{url}"' in page.text
    started = time.perf_counter()
    options = regie.get(url)
    assert options.status_code == 200 and time.perf_counter() - started < 5  # ~2 s on a loaded machine
    assert "Optie 1:" in options.text and "Kies deze optie" in options.text
    for heading in ("Vluchten", "Ophalen", "Overdracht", "Team", "Medische begeleiding", "Kosten", "Wachttijd"):
        assert f"<dt>{heading}</dt>" in options.text
    api = regie.get(f"/api/scenarios/{world['sid']}/departures/{new_id}/options").json()
    first = api["options"][0]
    number = re.match(r"[A-Z0-9]+", first["flights"][0]).group(0)
    assert f"<b>{number}</b>" in options.text and first["route"].replace("→", " → ") in options.text

    # The inspector reads along but cannot choose.
    inspector = service.client("inspector")
    assert "Kies deze optie" not in inspector.get(url).text
    assert inspector.post(url + "/1").status_code == 403

    form = next(f for f in _all_forms(options.text) if f["action"] == url + "/1")
    assert dict(form["fields"])["flights"] == ",".join(first["flights"])
    response = post_form(regie, form, form["fields"])
    assert response.status_code == 303
    plan_id = int(re.fullmatch(r"/plans/(\d+)", response.headers["location"]).group(1))
    assert verdict(regie, plan_id) == []
    with service.db.sessions() as s:
        draft = s.get(PlanVersion, plan_id)
        assert draft.state == "draft" and draft.created_by == "regie"
        new_doc = draft.document
    published = {d["id"]: d for d in world["plan"]["departures"]}
    entries = {d["id"]: d for d in new_doc["departures"]}
    assert set(entries) == set(published) | {new_id}
    assert entries[new_id]["planned"] and entries[new_id]["flights"] == first["flights"]
    assert all(entries[k] == published[k] for k in published), "the draft moved another departure"
    review = regie.get(response.headers["location"])
    assert "De controle vond geen overtredingen" in review.text and "Publiceren" in review.text
    assert audit_of(service, "plan.recommend")[-1].detail["departure"] == new_id

    # A form from before the options changed makes nothing.
    stale = with_changes(form, flights="KL000-20261201-AMSXXX")
    plans = len(regie.get(f"/api/scenarios/{world['sid']}/plans").json())
    assert post_form(regie, form, stale).status_code == 409
    assert len(regie.get(f"/api/scenarios/{world['sid']}/plans").json()) == plans


def test_options_page_gives_the_reasons_when_nothing_fits(service, world):
    regie, dep = world["regie"], world["dep"]
    page = regie.get(edit_url(world, "departures", dep))
    form = form_of(page.text, modus="velden")
    assert post_form(regie, form, with_changes(form, doc_until="2026-11-30")).status_code == 303  # expired
    options = regie.get(f"/scenarios/{world['sid']}/departures/{dep}/opties")
    assert options.status_code == 200 and "Geen passende optie" in options.text
    assert re.search(r'<ul class="reasons"><li>[^<]+', options.text)
    assert "Kies deze optie" not in options.text


class _Labels(HTMLParser):
    """Every form control a person fills in, and whether a label names it (wrapped, or for=id)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self._open_labels = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self._open_labels += 1
            if a.get("for"):
                self.labelled.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            name = a.get("id") or a.get("name") or "?"
            self.controls.append(name)
            if self._open_labels:
                self.labelled.add(name)

    def handle_endtag(self, tag):
        if tag == "label":
            self._open_labels -= 1


def test_every_input_of_the_new_pages_has_a_label(service, world):
    regie, admin = world["regie"], service.client("admin")
    dep = record(service, "departures", world["dep"]).data
    pages = [(regie, edit_url(world, "departures", world["dep"])), (regie, edit_url(world, "reception", dep["reception"])),
             (admin, edit_url(world, "escorts", "KMAR-001")), (admin, edit_url(world, "medics", "MED-001")),
             (admin, edit_url(world, "vehicles", "DVO-AMB-01")), (admin, edit_url(world, "airlines", "KL")),
             (regie, f"/scenarios/{world['sid']}/departures/nieuw"),
             (regie, f"/scenarios/{world['sid']}/departures/{world['dep']}/opties"),
             (admin, f"/scenarios/{world['sid']}/middelen")]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        parser = _Labels()
        parser.feed(response.text.split("<main")[1])  # the page itself, not the menu's logout button
        unlabelled = [c for c in parser.controls if c not in parser.labelled]
        assert not unlabelled, (url, unlabelled)
