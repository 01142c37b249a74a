"""What the people who read the documents need from them: the planning unit's contact block on
every letter (or a plain statement that it is missing), an unescorted returnee met at the airport,
and the journey on the itinerary's first page. Times as "14:14 Amsterdam, UTC+1": test_time_zones."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import SHARED
from test_outputs import exact_plan, exact_scenario, greedy_plan, pdf_text
from planner import cli
from planner.checker import check_plan
from planner.contact import DEMO_CONTACT, ContactError, PlanningUnit, demo_contact_toml, read_contact
from planner.outputs import write_outputs
from planner.scenario import parse_scenario

CONTACT = {
    "organisation": "Dienst Terugkeer en Vertrek (DT&V)",
    "unit": "Regie Bijzonder Vertrek Zevenaar",
    "phone": "+31 88 123 4567",
    "email": "regie-bv@example.invalid",
    "signatory": "J. Jansen-El Amrani",
    "signatory_role": {"nl": "regievoerder", "en": "Departure coordinator", "fr": "Coordinateur des départs"},
}
MISSING_EN = "Contact details of the planning unit are missing from this notice."
MISSING_FR = "Les coordonnées de l'unité de planification manquent dans cet avis."
CALL_EN = "We will call you"
CALL_FR = "Nous vous appellerons"


def without_unit_block(data: dict) -> dict:
    data.pop("planning_unit", None)
    return data


@pytest.fixture(scope="module")
def plain():
    """The exact scenario without its planning_unit block, and its checked plan."""
    sc = parse_scenario(without_unit_block(exact_scenario()))
    plan = exact_plan()
    assert check_plan(sc, plan) == []
    return sc, plan


# --- 1. The planning unit's contact block -----------------------------------------------------

def test_letters_carry_the_contact_block_given_to_the_outputs(plain, tmp_path):
    sc, plan = plain
    write_outputs(sc, plan, tmp_path, CONTACT)
    en = (tmp_path / "letters" / "BV-2027-000002.en.html").read_text()
    contact = en.split("<h2>Contact</h2>")[1]
    for value in ("Dienst Terugkeer en Vertrek (DT&amp;V) — Regie Bijzonder Vertrek Zevenaar",
                  "Telephone: +31 88 123 4567", "E-mail: regie-bv@example.invalid",
                  "J. Jansen-El Amrani", "Departure coordinator"):
        assert value in contact, value
    assert CALL_EN in contact and MISSING_EN not in en
    assert "regievoerder" not in en  # the role in the letter's own language
    fr = (tmp_path / "letters" / "BV-2027-000002.fr.html").read_text()
    assert "Téléphone : +31 88 123 4567" in fr and "Coordinateur des départs" in fr and CALL_FR in fr
    assert MISSING_FR not in fr
    itinerary = (tmp_path / "itineraries" / "BV-2027-000001.html").read_text()
    assert "tel. +31 88 123 4567, regie-bv@example.invalid; J. Jansen-El Amrani (regievoerder)" in itinerary
    assert "contactgegevens ontbreken" not in itinerary
    # The PDF as well, and the record that lets `vertrekplanner pdf` write it again the same.
    assert "+31 88 123 4567" in pdf_text(tmp_path / "letters" / "BV-2027-000002.en.pdf")


def test_a_letter_without_a_contact_block_says_the_details_are_missing(plain, tmp_path):
    sc, plan = plain
    write_outputs(sc, plan, tmp_path)
    for lang, missing, call, phone in (("en", MISSING_EN, CALL_EN, "Telephone"), ("fr", MISSING_FR, CALL_FR, "Téléphone")):
        html = (tmp_path / "letters" / f"BV-2027-000002.{lang}.html").read_text()
        assert missing in html, lang  # template text, not escaped data
        assert call not in html and phone not in html, lang  # no promise of a call nobody can return
        assert "BV-2027-000002" in html.split("<h2>Contact</h2>")[1]  # the reference to quote
    assert "missing from this notice" in pdf_text(tmp_path / "letters" / "BV-2027-000002.en.pdf")
    itinerary = (tmp_path / "itineraries" / "BV-2027-000001.html").read_text()
    assert "contactgegevens ontbreken" in itinerary


def test_the_scenario_block_serves_when_the_outputs_get_none_and_the_option_wins(exact, tmp_path):
    # exact_scenario() has planning_unit {"phone", "email"}: DT&V's name with its number.
    write_outputs(exact, exact_plan(), tmp_path / "scenario")
    en = (tmp_path / "scenario" / "letters" / "BV-2027-000001.en.html").read_text()
    assert "Telephone: +31 88 000 0000" in en and CALL_EN in en and MISSING_EN not in en
    write_outputs(exact, exact_plan(), tmp_path / "option", {"phone": "+31 88 999 9999"})
    en = (tmp_path / "option" / "letters" / "BV-2027-000001.en.html").read_text()
    assert "Telephone: +31 88 999 9999" in en and "+31 88 000 0000" not in en
    assert "Dienst Terugkeer en Vertrek (DT&amp;V) — Bijzonder Vertrek en Boekingen" in en  # names default


@pytest.fixture(scope="module")
def exact():
    return parse_scenario(exact_scenario())


@pytest.mark.parametrize("block, message", [
    ({"phone": "+31 88 000 0000", "fax": "x"}, "unknown key(s) fax"),
    ({"phone": 31880000000}, "contact.phone: expected text"),
    ({"signatory_role": {"de": "Koordinator"}}, "text per language"),
    (["+31 88 000 0000"], "expected a table"),
])
def test_a_bad_contact_block_is_refused(block, message):
    with pytest.raises(ContactError, match=message.replace("(", r"\(").replace(")", r"\)")):
        PlanningUnit.from_mapping(block)


def test_a_scenario_block_is_read_leniently(exact):
    # Written while documents are made: a number is a telephone number, an unknown key is left out.
    unit = PlanningUnit.from_mapping({"phone": 31880000000, "fax": "x", "name": "DT&V Regie"}, strict=False)
    assert unit.phone == "31880000000" and unit.name == "DT&V Regie"


def test_contact_files_in_toml_and_json(tmp_path):
    toml = tmp_path / "contact.toml"
    toml.write_text(demo_contact_toml(), encoding="utf-8")
    unit = read_contact(toml)
    assert unit == PlanningUnit.from_mapping(DEMO_CONTACT)
    assert unit.role("en") == "Departure coordinator" and unit.role("nl") == "regievoerder"
    nested = tmp_path / "contact.json"
    nested.write_text(json.dumps({"contact": CONTACT}), encoding="utf-8")
    assert read_contact(nested) == PlanningUnit.from_mapping(CONTACT)
    assert PlanningUnit.from_mapping(read_contact(nested).as_dict()) == read_contact(nested)  # round trip
    bad = tmp_path / "bad.toml"
    bad.write_text('phone = "+31 88', encoding="utf-8")
    with pytest.raises(ContactError, match="not valid TOML"):
        read_contact(bad)


def test_cli_plan_with_contact_and_pdfs_written_later_carry_it(tmp_path):
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(without_unit_block(exact_scenario())), encoding="utf-8")
    contact = tmp_path / "contact.json"
    contact.write_text(json.dumps(CONTACT), encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["plan", str(scenario), "--quick", "--no-fixes", "--out", str(out), "--contact", str(contact)]) == 0
    letters = sorted((out / "letters").glob("*.en.pdf"))
    assert letters
    assert "+31 88 123 4567" in (out / "letters" / letters[0].name.replace(".pdf", ".html")).read_text()
    assert json.loads((out / "pdf-source.json").read_text())["contact"]["phone"] == "+31 88 123 4567"
    before = letters[0].read_bytes()
    letters[0].unlink()
    assert cli.main(["pdf", str(out), letters[0].name.split(".")[0]]) == 0
    assert letters[0].read_bytes() == before  # the recorded block, not the scenario's missing one


def test_cli_refuses_a_bad_contact_file_before_solving(tmp_path, monkeypatch):
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(exact_scenario()), encoding="utf-8")
    contact = tmp_path / "contact.toml"
    contact.write_text('phone = "+31 88 000 0000"\ntelefax = "no"\n', encoding="utf-8")
    monkeypatch.setattr("planner.solve.solve", lambda *a, **k: pytest.fail("solved despite a bad contact file"))
    assert cli.main(["plan", str(scenario), "--out", str(tmp_path / "out"), "--contact", str(contact)]) == 2
    assert not (tmp_path / "out" / "plan.json").exists()


def test_the_demo_plans_with_a_contact_block(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(cli, "_plan", lambda sc, args, source: seen.update(contact=args.contact) or 0)
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    assert Path(seen["contact"]) == tmp_path / "demo-contact.toml"
    unit = read_contact(seen["contact"])
    assert unit.has_contact and unit.signatory and unit.phone == DEMO_CONTACT["phone"]


# --- 4. An unescorted returnee is met at the airport ------------------------------------------

def unescorted(terminal: str | None = None):
    """BV-2027-000003 (risk none, no escort required) alone on AF1054 to Algiers, to a family."""
    data = without_unit_block(exact_scenario())
    data["departures"][2].update(destination_country="DZ", destination_airports=["ALG"], reception="REC-DZ-9")
    if terminal:
        next(f for f in data["flights"] if f["id"] == "AF1054-OUT")["arrival_terminal"] = terminal
    sc = parse_scenario(data)
    plan = exact_plan()
    plan["departures"][2] = {
        "id": "BV-2027-000003", "planned": True, "flights": ["AF1054-OUT"],
        "pickup": {"location": "KWV", "vehicle": "DVO-AMB-9", "time": "2027-03-30T06:00:00+02:00", "airport": "AMS"},
        "escorts": [], "medics": [], "handover": {"reception": "REC-DZ-9", "time": "2027-03-30T13:30:00+01:00"}}
    assert check_plan(sc, plan) == []
    return sc, plan


def test_the_letter_for_an_unescorted_returnee_asks_to_meet_them_at_the_airport(tmp_path):
    sc, plan = unescorted()
    write_outputs(sc, plan, tmp_path)
    en = (tmp_path / "letters" / "BV-2027-000003.en.html").read_text()
    ask = en.split("<h2>Please meet the person at the airport</h2>")[1].split("<h2>")[0]
    assert "without an escort officer" in ask
    assert "at Houari Boumediene Airport (ALG) on arrival of flight AF1054" in ask
    assert "Tue 30 Mar 2027 12:30 <span class=\"zone\">Algiers, UTC+1</span>" in ask
    assert "in the arrivals hall" in ask
    assert "Meeting point</th><td>Houari Boumediene Airport (ALG), in the arrivals hall</td>" in en
    fr = (tmp_path / "letters" / "BV-2027-000003.fr.html").read_text()
    ask = fr.split("<h2>Merci d'accueillir la personne à l'aéroport</h2>")[1].split("<h2>")[0]
    assert "vol AF1054" in ask and "mar. 30 mars 2027 12 h 30" in ask and "dans le hall des arrivées" in ask
    itinerary = (tmp_path / "itineraries" / "BV-2027-000003.html").read_text()
    assert "op te vangen in de aankomsthal van Houari Boumediene Airport (ALG) bij aankomst van AF1054" in itinerary
    text = pdf_text(tmp_path / "letters" / "BV-2027-000003.en.pdf")
    assert "Please meet the person at the airport" in text and "AF1054" in text
    # An escorted returnee's letter asks nothing of the kind.
    escorted = (tmp_path / "letters" / "BV-2027-000002.en.html").read_text()
    assert "Please meet the person" not in escorted and "Meeting point" not in escorted


def test_the_meeting_point_names_the_terminal_when_the_scenario_knows_it(tmp_path):
    sc, plan = unescorted(terminal="Terminal Ouest")
    write_outputs(sc, plan, tmp_path)
    en = (tmp_path / "letters" / "BV-2027-000003.en.html").read_text()
    assert "in the arrivals hall (Terminal Ouest)" in en
    fr = (tmp_path / "letters" / "BV-2027-000003.fr.html").read_text()
    assert "dans le hall des arrivées (Terminal Ouest)" in fr


# --- 3. The journey on the itinerary's first page ---------------------------------------------

FOOTER_PT = 40  # the page number line sits below this height (points from the page's foot)


def page_one(path: Path) -> tuple[str, float, int]:
    """(text of page 1, height in points of its lowest line above the footer, number of pages)."""
    reader = PdfReader(str(path))
    heights = []
    text = reader.pages[0].extract_text(
        visitor_text=lambda t, cm, tm, font, size: heights.append(tm[5]) if t.strip() and tm[5] > FOOTER_PT else None)
    return text, min(heights), len(reader.pages)


def test_the_journey_is_on_the_itinerary_s_first_page(plain, tmp_path):
    sc, plan = plain
    written = write_outputs(sc, plan, tmp_path)
    itineraries = [p for p in written if p.suffix == ".pdf" and p.parent.name == "itineraries"]
    assert itineraries
    flights = {f["id"]: f["number"] for f in sc.raw["flights"]}
    for entry in (d for d in plan["departures"] if d["planned"]):
        text, lowest, pages = page_one(tmp_path / "itineraries" / f"{entry['id']}.pdf")
        for fid in entry["flights"]:  # every leg of the journey, the first one above all
            assert flights[fid] in text, (entry["id"], fid)
        assert "Vluchten" in text and "Ophaaltijd" in text
        if pages > 1:  # a page that goes on overleaf is used to its foot, not left half empty
            assert lowest < 842 / 4, (entry["id"], lowest)


def test_the_journey_is_on_page_one_for_every_itinerary_of_small(tmp_path):
    path = SHARED / "small.json"
    if not path.is_file():
        pytest.skip(f"reference scenario {path} not present")
    sc = parse_scenario(json.loads(path.read_text()))
    plan = greedy_plan(sc)
    write_outputs(sc, plan, tmp_path)
    flights = {f["id"]: f["number"] for f in sc.raw["flights"]}
    for entry in (d for d in plan["departures"] if d["planned"]):
        text, lowest, pages = page_one(tmp_path / "itineraries" / f"{entry['id']}.pdf")
        assert flights[entry["flights"][0]] in text, entry["id"]
        if pages > 1:
            assert lowest < 842 / 4, (entry["id"], lowest)


def test_printed_from_a_browser_headings_stay_with_their_tables(exact, tmp_path):
    write_outputs(exact, exact_plan(), tmp_path)
    html = (tmp_path / "itineraries" / "BV-2027-000001.html").read_text()
    css = html.split("<style>")[1].split("</style>")[0]
    assert "@media print" in css and "break-after: avoid" in css and "break-inside: avoid" in css
    assert "break-before" not in html  # nothing forces the journey off the first page


def test_a_replan_keeps_the_contact_block_of_the_earlier_plan(tmp_path):
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(without_unit_block(exact_scenario())), encoding="utf-8")
    contact = tmp_path / "contact.json"
    contact.write_text(json.dumps(CONTACT), encoding="utf-8")
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    assert cli.main(["plan", str(scenario), "--quick", "--no-fixes", "--pdf", "on-demand", "--out", str(v1),
                     "--contact", str(contact)]) == 0
    assert cli.main(["replan", str(scenario), "--previous", str(v1 / "plan.json"), "--quick", "--no-fixes",
                     "--pdf", "on-demand", "--out", str(v2)]) == 0
    letters = sorted((v2 / "letters").glob("*.en.html"))
    assert letters and all("+31 88 123 4567" in p.read_text() for p in letters)
    assert json.loads((v2 / "pdf-source.json").read_text())["contact"]["phone"] == "+31 88 123 4567"
