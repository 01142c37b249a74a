"""Itineraries, handover letters and the index written from a plan.

Plans here come from the planner's quick mode over the reference scenario (``greedy_plan``)
and from a hand-made scenario whose times are known exactly, so the outputs can be checked
against values computed independently of ``planner.outputs``. Both pass the plan checker.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import airportsdata
import pytest
from pypdf import PdfReader

from conftest import SHARED as SCENARIOS
from planner.checker import check_plan
from planner.outputs import pdf as pdf_module
from planner import parallel
from planner.outputs import write_outputs
from planner.plan import build_plan
from planner.scenario import Scenario, parse_scenario
from planner.solve import SolveOptions, solve


# --- Plans for testing ------------------------------------------------------------------------

def greedy_plan(sc: Scenario, generated_at: str = "2026-11-30T09:00:12+01:00") -> dict:
    """The planner's quick plan, proven lawful by the plan checker before outputs are made of it."""
    plan = build_plan(sc, solve(sc, SolveOptions(quick=True)), generated_at=datetime.fromisoformat(generated_at))
    assert check_plan(sc, plan) == []
    return plan


# --- A hand-made scenario with exact times ------------------------------------------------------

ALWAYS_OPEN = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
UNICODE_NAMES = {
    "KMAR-901": "Wachtmeester José Ñúñez-Łukasiewicz Gonçalves-Øvergård",
    "KMAR-902": "Opperwachtmeester Дмитрий Иванович Соколов-Петровский",
    "KMAR-903": "Wachtmeester فاطمة الزهراء العلوي",
    "MED-901": "Verpleegkundige 王小明 Ελένη Παπαδοπούλου",
}
PERSON_REF = "P-SECRET-4711"
BIRTH_DATE = "1961-07-14"
RECEPTION_CONTACT = "Dr. R. Sharma, +977 1 555 0199"


def exact_scenario() -> dict:
    """One stretcher case AMS → DOH → KTM over the 2027 spring-forward night, one minor to ALG.

    The pickup (01:00 CET) lies before the clock change at 02:00 and the first flight
    (05:30 CEST) after it; the final arrival is in Kathmandu (+05:45).
    """
    window = ["2027-03-20T00:00:00+01:00", "2027-04-20T00:00:00+02:00"]
    flights = [
        ("QR274-OUT", "QR", "QR274", "AMS", "DOH", "2027-03-28T05:30:00+02:00", "2027-03-28T13:10:00+03:00", True),
        ("QR648-OUT", "QR", "QR648", "DOH", "KTM", "2027-03-28T16:00:00+03:00", "2027-03-28T23:15:00+05:45", True),
        ("QR649-RET", "QR", "QR649", "KTM", "DOH", "2027-03-29T09:00:00+05:45", "2027-03-29T11:45:00+03:00", False),
        ("QR273-RET", "QR", "QR273", "DOH", "AMS", "2027-03-29T14:30:00+03:00", "2027-03-29T20:10:00+02:00", False),
        ("AF1054-OUT", "AF", "AF1054", "AMS", "ALG", "2027-03-30T10:00:00+02:00", "2027-03-30T12:30:00+01:00", False),
        ("AF1055-RET", "AF", "AF1055", "ALG", "AMS", "2027-03-30T16:00:00+01:00", "2027-03-30T20:40:00+02:00", False),
    ]
    return {
        "format": "vertrekplanner/scenario@1", "name": "exact",
        "planning_time": "2027-03-20T09:00:00+01:00",
        "horizon": ["2027-03-20T00:00:00+01:00", "2027-04-20T00:00:00+02:00"],
        "planning_unit": {"phone": "+31 88 000 0000", "email": "regie@example.invalid"},
        "parameters": {"checkin_minutes": 180, "min_connection_minutes": 90,
                       "escorts_by_risk": {"none": 0, "low": 2, "medium": 2, "high": 3},
                       "escort_min_turnaround_minutes": 120, "escort_max_away_hours": 96,
                       "escort_rest_hours": 12, "overnight_cost_eur": 160,
                       "visa_required_countries": [], "stretcher_seats": 6, "max_connections": 1},
        "airlines": [{"code": "QR", "max_escorted_per_flight": 3, "accepts_stretcher": True, "medif_lead_hours": 48},
                     {"code": "AF", "max_escorted_per_flight": 2, "accepts_stretcher": True, "medif_lead_hours": 72}],
        "flights": [{"id": i, "carrier": c, "number": n, "from": a, "to": b, "departs": d, "arrives": r,
                     "seats": 9, "stretcher": s, "fare_eur": 700} for i, c, n, a, b, d, r, s in flights],
        "locations": [{"id": "AMC", "name": "Amsterdam UMC", "kind": "hospital", "drive_minutes": {"AMS": 30}},
                      {"id": "KWV", "name": "Kamp Zeist", "kind": "reception_centre", "drive_minutes": {"AMS": 60}}],
        "vehicles": [{"id": "DVO-AMB-9", "kind": "ambulance", "stretcher": True, "seats": 4, "available": [window]},
                     {"id": "DVO-BUS-9", "kind": "van", "stretcher": False, "seats": 6, "available": [window]}],
        "escorts": [
            {"id": "KMAR-901", "name": UNICODE_NAMES["KMAR-901"], "sex": "F", "base": "AMS",
             "skills": ["team_leader", "minors"], "visas": {}, "available": [window]},
            {"id": "KMAR-902", "name": UNICODE_NAMES["KMAR-902"], "sex": "M", "base": "AMS",
             "skills": [], "visas": {}, "available": [window]},
            {"id": "KMAR-903", "name": UNICODE_NAMES["KMAR-903"], "sex": "F", "base": "AMS",
             "skills": ["minors"], "visas": {}, "available": [window]},
        ],
        "medics": [{"id": "MED-901", "name": UNICODE_NAMES["MED-901"], "role": "nurse", "skills": ["icu"],
                    "base": "AMS", "visas": {}, "available": [window], "day_rate_eur": 600}],
        "reception": [
            {"id": "REC-KTM-1", "name": "Bir Hospital", "kind": "hospital", "country": "NP", "airport": "KTM",
             "transfer_minutes": 45, "confirmed": True, "open": ALWAYS_OPEN, "closed_dates": [],
             "contact": RECEPTION_CONTACT},
            {"id": "REC-DZ-9", "name": "Famille (Alger)", "kind": "family", "country": "DZ", "airport": "ALG",
             "transfer_minutes": 60, "confirmed": True, "open": ALWAYS_OPEN, "closed_dates": [],
             "contact": "Mme B. Haddad, +213 21 00 00 00"},
        ],
        "departures": [
            {"id": "BV-2027-000001", "kind": "medical",
             "person": {"ref": PERSON_REF, "sex": "M", "birth_date": BIRTH_DATE}, "priority": 5, "risk": "low",
             "pickup": {"location": "AMC", "window": window}, "ready_from": "2027-03-21T00:00:00+01:00",
             "deadline": "2027-04-10T00:00:00+02:00", "destination_country": "NP", "destination_airports": ["KTM"],
             "reception": "REC-KTM-1",
             "travel_document": {"kind": "laissez-passer", "valid_from": "2027-03-01", "valid_until": "2027-05-01"},
             "fit_to_fly_until": "2027-04-30",
             "medical": {"stretcher": True, "wheelchair": None, "oxygen": True, "medic_role": "nurse",
                         "medic_skills": ["icu"], "max_travel_hours": 40}},
            {"id": "BV-2027-000002", "kind": "minor",
             "person": {"ref": "P-MINOR-0815", "sex": "F", "birth_date": "2011-02-03"}, "priority": 4, "risk": "none",
             "pickup": {"location": "KWV", "window": window}, "ready_from": "2027-03-21T00:00:00+01:00",
             "deadline": "2027-04-10T00:00:00+02:00", "destination_country": "DZ", "destination_airports": ["ALG"],
             "reception": "REC-DZ-9",
             "travel_document": {"kind": "passport", "valid_from": "2027-01-01", "valid_until": "2030-01-01"}},
            {"id": "BV-2027-000003", "kind": "other",
             "person": {"ref": "P-OTHER-0001", "sex": "X"}, "priority": 1, "risk": "none",
             "pickup": {"location": "KWV", "window": window}, "ready_from": "2027-03-21T00:00:00+01:00",
             "deadline": "2027-04-10T00:00:00+02:00", "destination_country": "NP", "destination_airports": ["KTM"],
             "reception": "REC-KTM-1",
             "travel_document": {"kind": "passport", "valid_from": "2027-01-01", "valid_until": "2030-01-01"}},
        ],
    }


def exact_plan() -> dict:
    back = ["QR649-RET", "QR273-RET"]
    return {
        "format": "vertrekplanner/plan@1", "scenario": "exact", "generated_at": "2027-03-20T09:00:12+01:00",
        "departures": [
            {"id": "BV-2027-000001", "planned": True, "flights": ["QR274-OUT", "QR648-OUT"],
             "pickup": {"location": "AMC", "vehicle": "DVO-AMB-9", "time": "2027-03-28T01:00:00+01:00",
                        "airport": "AMS"},
             "escorts": [{"id": "KMAR-902", "return_flights": back}, {"id": "KMAR-901", "return_flights": back}],
             "medics": [{"id": "MED-901", "return_flights": back}],
             "handover": {"reception": "REC-KTM-1", "time": "2027-03-29T00:00:00+05:45"}},
            {"id": "BV-2027-000002", "planned": True, "flights": ["AF1054-OUT"],
             "pickup": {"location": "KWV", "vehicle": "DVO-BUS-9", "time": "2027-03-30T06:00:00+02:00",
                        "airport": "AMS"},
             "escorts": [{"id": "KMAR-903", "return_flights": ["AF1055-RET"]}], "medics": [],
             "handover": {"reception": "REC-DZ-9", "time": "2027-03-30T13:30:00+01:00"}},
            {"id": "BV-2027-000003", "planned": False, "reasons": ["no seats left on QR648"],
             "reasons_nl": ["geen stoelen meer op QR648"]},
        ],
    }


@pytest.fixture(scope="session")
def exact():
    sc = parse_scenario(exact_scenario())
    assert check_plan(sc, exact_plan()) == []  # the hand-made plan breaks no rule
    return sc


@pytest.fixture(scope="session")
def exact_out(exact, tmp_path_factory):
    out = tmp_path_factory.mktemp("exact")
    return out, write_outputs(exact, exact_plan(), out)


@pytest.fixture(scope="session")
def small():
    path = SCENARIOS / "small.json"
    if not path.is_file():
        pytest.skip(f"reference scenario {path} not present")
    return parse_scenario(json.loads(path.read_text()))


@pytest.fixture(scope="session")
def small_plan(small):
    return greedy_plan(small)


@pytest.fixture(scope="session")
def small_out(small, small_plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    return out, write_outputs(small, small_plan, out)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


# --- Tests ------------------------------------------------------------------------------------

def test_greedy_plan_plans_part_of_small(small_plan):
    planned = [d for d in small_plan["departures"] if d["planned"]]
    assert 3 <= len(planned) < len(small_plan["departures"])


def test_layout_and_index_link_every_file(small, small_plan, small_out):
    out, written = small_out
    assert all(p.is_file() for p in written)
    assert len(set(written)) == len(written)
    planned = [d for d in small_plan["departures"] if d["planned"]]
    for d in planned:
        for rel in (f"itineraries/{d['id']}.html", f"itineraries/{d['id']}.pdf",
                    f"letters/{d['id']}.en.html", f"letters/{d['id']}.en.pdf"):
            assert out / rel in written, rel
        for e in d["escorts"]:
            assert (out / "calendars" / f"escort-{e['id']}.ics").is_file()
        for m in d["medics"]:
            assert (out / "calendars" / f"medic-{m['id']}.ics").is_file()
        assert (out / "calendars" / f"vehicle-{d['pickup']['vehicle']}.ics").is_file()
    assert (out / "calendars" / "regievoerder.ics").is_file()
    index = (out / "index.html").read_text()
    links = set(re.findall(r'href="([^"]+)"', index))
    others = {p.relative_to(out).as_posix() for p in written} - {"index.html"}
    assert links == others
    for d in small_plan["departures"]:
        if not d["planned"]:
            assert d["id"] in index and _html(d["reasons_nl"][0]) in index  # the page is Dutch


def _expected_local(text: str, zone: str) -> tuple[str, str]:
    """(HH:MM, offset as "UTC+1" / "UTC+5:45") computed straight from the scenario text, not by the outputs."""
    t = datetime.fromisoformat(text).astimezone(ZoneInfo(zone))
    off = int(t.utcoffset().total_seconds() // 60)
    h, m = divmod(abs(off), 60)
    label = f"UTC{'+' if off >= 0 else '-'}{h}" + (f":{m:02d}" if m else "")
    return t.strftime("%H:%M"), label


def test_itinerary_local_times_with_zone_names(exact_out):
    out, _ = exact_out
    html = (out / "itineraries" / "BV-2027-000001.html").read_text()
    # Pickup before the clock change reads UTC+1 (winter), the first flight after it UTC+2 (summer).
    assert "zo 28 mrt 2027 01:00 <span class=\"zone\">Amsterdam, UTC+1</span>" in html
    assert "zo 28 mrt 2027 05:30 <span class=\"zone\">Amsterdam, UTC+2</span>" in html
    assert "zo 28 mrt 2027 23:15 <span class=\"zone\">Kathmandu, UTC+5:45</span>" in html
    # The city comes from the airport: Doha, not the zone's "Qatar".
    assert "13:10 <span class=\"zone\">Doha, UTC+3</span>" in html and "QR274" in html and "QR648" in html
    assert "Asia/" not in html and "Europe/" not in html and "CEST" not in html
    # Check-in: 180 minutes before 05:30 CEST is 01:30 CET (wall-clock arithmetic would say 02:30,
    # an hour that does not exist that night).
    assert "Inchecken uiterlijk</th><td>zo 28 mrt 2027 01:30 <span class=\"zone\">Amsterdam, UTC+1</span>" in html
    assert "02:30" not in html
    # The connection at DOH: 13:10 → 16:00 local is 2 h 50 min.
    assert "Overstap in" in html and "2 u 50 min" in html


def test_itinerary_local_times_match_scenario_for_small(small, small_plan, small_out):
    out, _ = small_out
    flights = {f["id"]: f for f in small.raw["flights"]}
    for d in (d for d in small_plan["departures"] if d["planned"]):
        html = (out / "itineraries" / f"{d['id']}.html").read_text()
        for fid in d["flights"]:
            f = flights[fid]
            for text, airport in ((f["departs"], f["from"]), (f["arrives"], f["to"])):
                hhmm, offset = _expected_local(text, small.tz(airport).key)
                # The city as shipped ("Lagos"); Istanbul's names its district first ("Arnavutköy, Istanbul").
                city = "Istanbul" if airport == "IST" else airportsdata.load("IATA")[airport]["city"].split(",")[0]
                assert f"{hhmm} <span class=\"zone\">{_html(city)}, {offset}</span>" in html, (d["id"], fid, text)


def test_itinerary_service_codes_team_and_deadlines(exact_out):
    out, _ = exact_out
    html = (out / "itineraries" / "BV-2027-000001.html").read_text()
    codes = set(re.findall(r"<td><b>([A-Z]{4})</b></td>", html))
    assert codes == {"DEPA", "MEDA", "STCR", "OXYG"}
    # MEDIF: first departure 05:30 CEST on 28 March minus QR's 48 hours = 26 March 04:30 CET.
    assert "MEDIF indienen uiterlijk</th><td width=\"66%\">vr 26 mrt 2027 04:30 <span class=\"zone\">Amsterdam, UTC+1</span>" in html
    # Removability check 24 h before pickup (01:00 CET on 28 March).
    assert "za 27 mrt 2027 01:00 <span class=\"zone\">Amsterdam, UTC+1</span>" in html
    # The team leader is the escort with the skill, though listed second in the plan.
    assert f"<b>{_html(UNICODE_NAMES['KMAR-901'])}</b>" in html
    assert "teamleider" in html and "verpleegkundige" in html
    assert RECEPTION_CONTACT in html  # the itinerary (behind login) carries the contact
    assert PERSON_REF not in html and BIRTH_DATE not in html
    # Return flights: the three companions fly home together, listed once under their names.
    back = html.split("<h2>Terugreis</h2>")[1].split("<h2>")[0]
    assert back.count("QR649") == 1 and back.count("QR273") == 1
    assert all(_html(UNICODE_NAMES[c]) in back for c in ("KMAR-901", "KMAR-902", "MED-901"))

    minor = (out / "itineraries" / "BV-2027-000002.html").read_text()
    codes = set(re.findall(r"<td><b>([A-Z]{4})</b></td>", minor))
    assert codes == {"DEPA"}  # UMNR is for a minor in the airline's care, not an escorted one
    assert "niet nodig" in minor  # no MEDIF without a medical need
    # The minor's lone escort holds no team_leader skill: nobody on that team is called team leader.
    assert "teamleider" not in minor
    assert f"<td>{_html(UNICODE_NAMES['KMAR-903'])}</td><td>KMar-escort</td>" in minor


def test_index_names_the_first_flight_as_it_flies_and_dutch_reasons(exact_out):
    out, _ = exact_out
    index = (out / "index.html").read_text()
    row = index.split("BV-2027-000001", 1)[1].split("</tr>", 1)[0]
    assert "<td>QR274 AMS→DOH</td>" in row and "<td>AMS→DOH→KTM</td>" in row
    assert "BV-2027-000003: geen stoelen meer op QR648" in index
    assert "no seats left" not in index


def test_a_medical_departure_without_medical_needs_needs_no_medif(exact, tmp_path):
    # Rule 5 and the airlines' lead time apply to medical needs, not to the kind of departure.
    data = exact_scenario()
    data["departures"][0]["medical"] = {"stretcher": False, "wheelchair": None, "oxygen": False,
                                        "medic_role": None, "medic_skills": [], "max_travel_hours": 40}
    sc = parse_scenario(data)
    plan = exact_plan()
    plan["departures"][0]["medics"] = []
    assert check_plan(sc, plan) == []
    write_outputs(sc, plan, tmp_path)
    html = (tmp_path / "itineraries" / "BV-2027-000001.html").read_text()
    assert "MEDA" not in set(re.findall(r"<td><b>([A-Z]{4})</b></td>", html))
    assert "niet nodig" in html


def _html(text: str) -> str:
    from markupsafe import escape
    return str(escape(text))


def test_unescorted_departure_requests_depu(small, small_plan, tmp_path):
    plan = json.loads(json.dumps(small_plan))
    entry = next(d for d in plan["departures"] if d["planned"] and d["escorts"])
    entry["escorts"] = []
    write_outputs(small, plan, tmp_path)
    html = (tmp_path / "itineraries" / f"{entry['id']}.html").read_text()
    codes = set(re.findall(r"<td><b>([A-Z]{4})</b></td>", html))
    assert "DEPU" in codes and "DEPA" not in codes


def test_pdfs_open_and_carry_the_departure_id(exact_out, small_out):
    for out, written in (exact_out, small_out):
        pdfs = [p for p in written if p.suffix == ".pdf"]
        assert pdfs
        for p in pdfs:
            dep_id = p.name.split(".")[0]
            assert dep_id in pdf_text(p), p


def test_pdf_prints_accented_and_cyrillic_names(exact_out):
    out, _ = exact_out
    text = pdf_text(out / "itineraries" / "BV-2027-000001.pdf")
    assert "Ñúñez-Łukasiewicz" in text
    assert "Дмитрий" in text
    assert "Ελένη" in text


def test_pdf_falls_back_to_core_font(exact, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_module, "shipped_fonts", lambda: None)
    written = write_outputs(exact, exact_plan(), tmp_path)
    text = pdf_text(tmp_path / "itineraries" / "BV-2027-000001.pdf")
    # Latin-1 letters survive, others are reduced: no crash, no missing document.
    assert "BV-2027-000001" in text and "Ñúñez-?ukasiewicz" in text and "Дмитрий" not in text
    assert len([p for p in written if p.suffix == ".pdf"]) == 5


def test_french_letter_only_for_francophone_destinations(small, small_plan, small_out, exact_out):
    out, written = small_out
    francophone = {"DZ", "SN", "CD", "MA", "TN"}
    seen = set()
    for d in (d for d in small_plan["departures"] if d["planned"]):
        country = small.reception[d["handover"]["reception"]].country
        fr = out / "letters" / f"{d['id']}.fr.html"
        assert fr.exists() == (country in francophone), (d["id"], country)
        seen.add(country in francophone)
    out, written = exact_out
    assert (out / "letters" / "BV-2027-000002.fr.pdf").is_file()
    assert not (out / "letters" / "BV-2027-000001.fr.html").exists()
    assert "Avis de remise" in (out / "letters" / "BV-2027-000002.fr.html").read_text()


def test_letter_tells_arrival_companions_arrangements_and_nothing_private(exact_out):
    out, _ = exact_out
    en = (out / "letters" / "BV-2027-000001.en.html").read_text()
    assert "QR648 from Hamad International Airport (DOH)" in en
    assert "Arrival (local time)</th><td>Sun 28 Mar 2027 23:15 <span class=\"zone\">Kathmandu, UTC+5:45</span>" in en
    assert "Expected handover</th><td>Mon 29 Mar 2027 00:00" in en
    for cid in ("KMAR-901", "KMAR-902", "MED-901"):
        assert _html(UNICODE_NAMES[cid]) in en
    assert _html(UNICODE_NAMES["KMAR-903"]) not in en
    assert "stretcher" in en and "Oxygen" in en and "nurse" in en
    assert "+31 88 000 0000" in en and "regie@example.invalid" in en
    assert "45 min" in en  # transfer
    for private in (PERSON_REF, BIRTH_DATE, "icu", "ICU"):
        assert private not in en
    fr = (out / "letters" / "BV-2027-000002.fr.html").read_text()
    assert "AF1054" in fr and "mar. 30 mars 2027 12 h 30 <span class=\"zone\">Algiers, UTC+1</span>" in fr
    assert "P-MINOR-0815" not in fr and "2011-02-03" not in fr


def test_outputs_are_reproducible(exact, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    wa, wb = write_outputs(exact, exact_plan(), a), write_outputs(exact, exact_plan(), b)
    assert [p.relative_to(a) for p in wa] == [p.relative_to(b) for p in wb]
    for pa, pb in zip(wa, wb):
        assert pa.read_bytes() == pb.read_bytes(), pa.name  # PDFs too: dated from the plan


def test_parallel_outputs_equal_sequential_ones(small, small_plan, tmp_path, monkeypatch):
    """PDFs and calendars written by a pool of processes (PDFs from fonts cut down to the batch's
    characters) are byte for byte those of one process (test_pdf_prints_accented_and_cyrillic_names: the cut fonts
    still print every name)."""
    assert check_plan(small, small_plan) == []
    written = {}
    for workers in (1, 2):
        monkeypatch.setattr(parallel, "workers", lambda tasks, n=workers: n)
        written[workers] = write_outputs(small, small_plan, tmp_path / str(workers))
    one, two = written[1], written[2]
    assert [p.relative_to(tmp_path / "1") for p in one] == [p.relative_to(tmp_path / "2") for p in two]
    assert sum(p.suffix == ".pdf" for p in one) >= 8
    assert sum(p.suffix == ".ics" for p in one) >= 8  # enough to go to the pool (parallel.workers)
    for pa, pb in zip(one, two):
        assert pa.read_bytes() == pb.read_bytes(), pa.name



def test_pdfs_on_demand_equal_those_written_with_all_the_others(small, small_plan, small_out, tmp_path):
    """``vertrekplanner pdf`` in an on-demand folder writes, for one departure or all, the very
    bytes ``pdf="all"`` writes: its fonts are cut to the whole plan's characters, recorded."""
    import shutil

    from planner.cli import main

    all_out, _ = small_out
    out = tmp_path / "on-demand"
    out.mkdir()
    shutil.copyfile(SCENARIOS / "small.json", out / "scenario.json")
    (out / "plan.json").write_text(json.dumps(small_plan), encoding="utf-8")
    written = write_outputs(small, small_plan, out, pdf="on-demand", scenario_file="scenario.json")
    assert not [p for p in written if p.suffix == ".pdf"] and not list(out.rglob("*.pdf"))
    assert "vertrekplanner pdf . --all" in (out / "index.html").read_text(encoding="utf-8")

    def pdfs(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.pdf"))}

    expected = pdfs(all_out)
    one = next(d["id"] for d in small_plan["departures"] if d["planned"])
    assert main(["pdf", str(out), one]) == 0
    got = pdfs(out)
    assert got and all(one in name for name in got)
    assert got == {name: expected[name] for name in got}
    assert main(["pdf", str(out), "--all"]) == 0
    assert pdfs(out) == expected
