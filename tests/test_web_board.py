"""The planning board on the medium scenario (50 departures): day and week zoom with previous and
next, the filters (unit, kind of lane, kind of departure, person), availability bands, the links of
a lane, the bars' accessible names and details, and the table view that lists every mission.

Expectations are computed here from the plan document and the scenario, not by the board's code.
"""
from __future__ import annotations

import html
import json
import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from api.models import PlanVersion, ScenarioRow
from planner.generator import generate
from service import make_service, upload_demo

AMS = ZoneInfo("Europe/Amsterdam")
EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
LANE = re.compile(r'<div class="lane" data-owner="([^"]+)">(.*?)</div>\s*<div class="track">(.*?)</div>\s*</div>', re.S)
BAR = re.compile(r'<details class="bar (\w+)([^"]*)" style="left: ([\d.]+)%; width: ([\d.]+)%" '
                 r'data-departures="([^"]+)"><summary aria-label="([^"]+)">(.*?)</summary>(.*?)</details>', re.S)
BAND = re.compile(r'<span class="band" style="left: ([\d.]+)%; width: ([\d.]+)%"></span>')
ROW = re.compile(r'<tr data-owner="([^"]+)" data-departures="([^"]+)" role="row">(.*?)</tr>', re.S)


def minutes(text: str) -> int:
    return int((datetime.fromisoformat(text) - EPOCH).total_seconds() // 60)


def midnight(day: date) -> int:
    return int((datetime(day.year, day.month, day.day, tzinfo=AMS) - EPOCH).total_seconds() // 60)


@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    """The medium scenario of BV-Noord with a published plan and a later draft (quick mode, checked)."""
    from test_web_pages import make_plan

    svc = make_service(tmp_path_factory.mktemp("board"))
    doc = generate("medium", 1)
    sid = upload_demo(svc.client("regie"), json.dumps(doc).encode(), "medium.json")["id"]
    published_id, plan = make_plan(svc, sid, state="published")
    draft_id, _ = make_plan(svc, sid)
    clients = {name: svc.client(name) for name in ("regie", "inspector")}
    yield {"svc": svc, "sid": sid, "doc": doc, "plan": plan, "published": published_id, "draft": draft_id,
           "clients": clients}
    svc.db.dispose()


def expected_missions(doc: dict, plan: dict) -> list[tuple[str, str, int, int, str]]:
    """(owner, departure, start, end, kind) of every mission and vehicle trip in the plan document."""
    flights = {f["id"]: f for f in doc["flights"]}
    locations = {loc["id"]: loc for loc in doc["locations"]}
    departures = {d["id"]: d for d in doc["departures"]}
    out = []
    for entry in plan["departures"]:
        if not entry["planned"]:
            continue
        dep = departures[entry["id"]]
        pickup = minutes(entry["pickup"]["time"])
        airport = entry["pickup"].get("airport") or flights[entry["flights"][0]]["from"]
        drive = locations[dep["pickup"]["location"]]["drive_minutes"][airport]
        out.append((f"vehicle:{entry['pickup']['vehicle']}", dep["id"], pickup, pickup + 2 * drive, dep["kind"]))
        arrival = minutes(flights[entry["flights"][-1]]["arrives"])
        for kind in ("escorts", "medics"):
            for m in entry[kind]:
                end = minutes(flights[m["return_flights"][-1]]["arrives"]) if m["return_flights"] else arrival
                out.append((f"{kind[:-1]}:{m['id']}", dep["id"], pickup, end, dep["kind"]))
    return out


def lanes_of(text: str) -> dict[str, tuple[str, list, list]]:
    """owner -> (label html, bars, bands) of the board's lanes."""
    return {owner: (label, BAR.findall(track), BAND.findall(track)) for owner, label, track in LANE.findall(text)}


def busiest_week(missions) -> date:
    counts: dict[date, int] = {}
    for _, _, start, _, _ in missions:
        d = (EPOCH + timedelta(minutes=start)).astimezone(AMS).date()
        monday = d - timedelta(days=d.weekday())
        counts[monday] = counts.get(monday, 0) + 1
    return max(counts, key=counts.get)


def link(text: str, rel: str) -> str:
    return html.unescape(re.search(rf'<a href="([^"]+)" rel="{rel}">', text).group(1))


# --- Zoom -----------------------------------------------------------------------------------------

def test_week_zoom_shows_the_missions_of_that_week_and_steps_a_week_back_and_forth(medium):
    client, sid = medium["clients"]["regie"], medium["sid"]
    missions = expected_missions(medium["doc"], medium["plan"])
    monday = busiest_week(missions)
    wednesday = monday + timedelta(days=2)  # any day of the week shows the week from its Monday
    response = client.get(f"/scenarios/{sid}/board?van={wednesday.isoformat()}")
    assert response.status_code == 200
    text = response.text
    assert f"week {monday.isocalendar()[1]}:" in text.lower()
    assert 'class="badge published"' in text  # the unit's published plan is shown by default
    start, end = midnight(monday), midnight(monday + timedelta(days=7))
    expected = {(o, d) for o, d, a, b, _ in missions if a < end and b > start}
    shown = set()
    for owner, (_, bars, _) in lanes_of(text).items():
        for kind, classes, left, width, deps, *_ in bars:
            assert 0 <= float(left) and float(left) + float(width) <= 100.001
            shown |= {(owner, d) for d in deps.split()}
    assert shown == expected
    # A mission begun before the week or running on after it says so.
    cut = [m for m in missions if m[2] < start < m[3] or m[2] < end < m[3]]
    assert len(re.findall(r'class="bar \w+[^"]*\bcut-(?:start|end)\b', text)) >= len(cut) > 0
    # Seven days, with the next and the previous week one step away (the filters kept).
    assert len(re.findall(r'<span class="day[^"]*" style=', text)) == 7
    nxt, prev = link(text, "next"), link(text, "prev")
    assert parse_qs(urlsplit(nxt).query)["van"] == [(monday + timedelta(days=7)).isoformat()]
    assert parse_qs(urlsplit(prev).query)["van"] == [(monday - timedelta(days=7)).isoformat()]
    assert f"plan={medium['published']}" in nxt
    later = client.get(nxt).text
    assert f"week {(monday + timedelta(days=7)).isocalendar()[1]}:" in later.lower()


def test_day_zoom_shows_hours_and_only_that_days_missions(medium):
    client, sid = medium["clients"]["regie"], medium["sid"]
    missions = expected_missions(medium["doc"], medium["plan"])
    day = (EPOCH + timedelta(minutes=sorted(m[2] for m in missions)[len(missions) // 2])).astimezone(AMS).date()
    text = client.get(f"/scenarios/{sid}/board?zoom=dag&van={day.isoformat()}").text
    assert len(re.findall(r'<span class="day[^"]*" style=', text)) == 24
    assert re.search(r'<span class="day[^"]*" style="[^"]+">00</span>', text)
    start, end = midnight(day), midnight(day + timedelta(days=1))
    expected = {(o, d) for o, d, a, b, _ in missions if a < end and b > start}
    shown = {(owner, d) for owner, (_, bars, _) in lanes_of(text).items() for bar in bars for d in bar[4].split()}
    assert shown == expected and shown
    nxt = parse_qs(urlsplit(link(text, "next")).query)
    assert nxt["zoom"] == ["dag"] and nxt["van"] == [(day + timedelta(days=1)).isoformat()]
    # The zoom links keep the day: week shows its week, the whole plan has no period to keep.
    week = html.unescape(re.search(r'<a href="([^"]+)">Week</a>', text).group(1))
    assert "zoom" not in parse_qs(urlsplit(week).query) and f"van={day.isoformat()}" in week


def test_whole_plan_zoom_and_a_bad_date(medium):
    client, sid = medium["clients"]["regie"], medium["sid"]
    text = client.get(f"/scenarios/{sid}/board?zoom=alles").text
    shown = {d for _, (_, bars, _) in lanes_of(text).items() for bar in bars for d in bar[4].split()}
    assert shown == {d["id"] for d in medium["plan"]["departures"] if d["planned"]}
    assert 'rel="next"' not in text
    bad = client.get(f"/scenarios/{sid}/board?van=2026-13-45")
    assert bad.status_code == 422 and "niet geldig" in bad.text and "Traceback" not in bad.text


# --- Filters --------------------------------------------------------------------------------------

def test_filter_by_kind_of_departure_keeps_those_missions_and_their_lanes(medium):
    client, sid = medium["clients"]["regie"], medium["sid"]
    missions = expected_missions(medium["doc"], medium["plan"])
    for soort in ("medical", "minor", "other"):
        text = client.get(f"/scenarios/{sid}/board?zoom=alles&soort={soort}").text
        lanes = lanes_of(text)
        assert set(lanes) == {o for o, _, _, _, k in missions if k == soort}, soort
        kinds = {bar[0] for _, bars, _ in lanes.values() for bar in bars}
        assert kinds == {soort}
        assert f'<option value="{soort}" selected>' in text
    # With "ook middelen zonder missie" every escort, medic and vehicle of the scenario has a lane.
    every = client.get(f"/scenarios/{sid}/board?soort=minor&alle=1").text
    doc = medium["doc"]
    assert len(lanes_of(every)) == len(doc["escorts"]) + len(doc["medics"]) + len(doc["vehicles"])


def test_filter_by_person_matches_id_or_name_and_by_kind_of_lane(medium):
    client, sid = medium["clients"]["regie"], medium["sid"]
    missions = expected_missions(medium["doc"], medium["plan"])
    escort_id = next(o for o, *_ in missions if o.startswith("escort:")).split(":", 1)[1]
    escort = next(e for e in medium["doc"]["escorts"] if e["id"] == escort_id)
    for needle in (escort_id.lower(), escort["name"].split()[-1].upper()):
        text = client.get(f"/scenarios/{sid}/board?zoom=alles&persoon={needle}").text
        lanes = lanes_of(text)
        assert f"escort:{escort_id}" in lanes
        for owner, (label, _, _) in lanes.items():
            assert needle.casefold() in html.unescape(label).casefold() or needle.casefold() in owner.casefold()
        assert f'name="persoon" value="{needle}"' in text
    vehicles = lanes_of(client.get(f"/scenarios/{sid}/board?kind=vehicle&zoom=alles").text)
    assert vehicles and all(o.startswith("vehicle:") for o in vehicles)
    none = client.get(f"/scenarios/{sid}/board?persoon=niemand-heet-zo").text
    assert "Geen middelen bij deze filters" in none


def test_unit_filter_for_who_sees_several_units(medium):
    svc, sid = medium["svc"], medium["sid"]
    with svc.db.transaction() as s:
        header = s.get(ScenarioRow, sid).header
        other = ScenarioRow(unit="BV-Zuid", name="zuid", header=header, created_by="test")
        s.add(other)
        s.flush()
        other_id = other.id
    try:
        inspector = medium["clients"]["inspector"].get(f"/scenarios/{sid}/board").text
        assert '<select name="eenheid">' in inspector
        assert '<option value="BV-Noord" selected>' in inspector and '<option value="BV-Zuid">' in inspector
        moved = medium["clients"]["inspector"].get(f"/scenarios/{sid}/board?eenheid=BV-Zuid&zoom=dag&soort=minor",
                                                   follow_redirects=False)
        assert moved.status_code == 303
        target = urlsplit(moved.headers["location"])
        assert target.path == f"/scenarios/{other_id}/board"
        assert parse_qs(target.query) == {"zoom": ["dag"], "soort": ["minor"]}
        # A regievoerder sees one unit: no choice, and another unit is not reached through it.
        regie = medium["clients"]["regie"]
        assert 'name="eenheid"' not in regie.get(f"/scenarios/{sid}/board").text
        assert regie.get(f"/scenarios/{sid}/board?eenheid=BV-Zuid", follow_redirects=False).status_code == 200
    finally:
        with svc.db.transaction() as s:
            s.delete(s.get(ScenarioRow, other_id))


# --- Availability, links, names -------------------------------------------------------------------

def test_availability_windows_are_bands_behind_the_bars(medium):
    client, sid, doc = medium["clients"]["regie"], medium["sid"], medium["doc"]
    missions = expected_missions(doc, medium["plan"])
    monday = busiest_week(missions)
    start, end = midnight(monday), midnight(monday + timedelta(days=7))
    text = client.get(f"/scenarios/{sid}/board?van={monday.isoformat()}").text
    lanes = lanes_of(text)
    pools = {"escort": doc["escorts"], "medic": doc["medics"], "vehicle": doc["vehicles"]}
    checked = 0
    for owner, (label, _, bands) in lanes.items():
        kind, oid = owner.split(":", 1)
        record = next(r for r in pools[kind] if r["id"] == oid)
        want = []
        for a, b in record["available"]:
            a, b = max(minutes(a), start), min(minutes(b), end)
            if a < b:
                want.append((round(100 * (a - start) / (end - start), 3), round(100 * (b - a) / (end - start), 3)))
        got = [float(v) for band in bands for v in band]
        assert got == pytest.approx([v for band in want for v in band], abs=0.002), owner
        assert "Beschikbaar in deze periode:" in label  # the same, as text for who does not see the bands
        checked += len(want)
    assert checked > len(lanes) // 2
    assert "beschikbaar</li>" in text  # in the legend


def test_a_lanes_person_has_a_full_name_and_a_link_to_their_detail_view(medium):
    client, sid, doc = medium["clients"]["regie"], medium["sid"], medium["doc"]
    missions = expected_missions(doc, medium["plan"])
    text = client.get(f"/scenarios/{sid}/board?zoom=alles").text
    names = {f"escort:{e['id']}": e["name"] for e in doc["escorts"]} | {f"medic:{m['id']}": m["name"]
                                                                        for m in doc["medics"]}
    for owner, (label, _, _) in lanes_of(text).items():
        href, shown = re.search(r'<a href="([^"]+)">([^<]+)</a>', label).groups()
        if owner in names:
            assert html.unescape(shown) == names[owner]  # in full, in the text
        query = parse_qs(urlsplit(html.unescape(href)).query)
        assert query["weergave"] == ["tabel"] and query["middel"] == [owner], href  # regie may not edit people
    assert 'title="' not in re.search(r'<div class="board-scroll".*', text, re.S).group(0)  # no tooltip-only text
    # The detail view: the person's facts, availability and every mission of theirs.
    owner = next(o for o, *_ in missions if o.startswith("medic:"))
    detail = client.get(f"/scenarios/{sid}/board?weergave=tabel&middel={owner}")
    assert detail.status_code == 200
    medic = next(m for m in doc["medics"] if f"medic:{m['id']}" == owner)
    assert f"<h1>{html.escape(medic['name'])}" in detail.text and "Standplaats" in detail.text
    rows = ROW.findall(detail.text)
    assert sorted(d for o, d, _ in rows) == sorted(d for o, d, *_ in missions if o == owner)
    assert len(re.findall(r"<li>\w\w \d+ \w+ \d{4} \d\d:\d\d – ", detail.text)) == len(medic["available"])
    assert "Gegevens bewerken" not in detail.text
    assert client.get(f"/scenarios/{sid}/board?weergave=tabel&middel=escort:BESTAAT-NIET").status_code == 404


def test_who_may_edit_resources_is_linked_to_the_edit_form(medium, monkeypatch):
    """Today no role both reads plans and edits people; were one to, the lane leads to the form."""
    from api import authz

    monkeypatch.setitem(authz.PERMISSIONS, "resource.write", frozenset({"planner-admin", "regievoerder"}))
    text = medium["clients"]["regie"].get(f"/scenarios/{medium['sid']}/board?zoom=alles&kind=escort").text
    hrefs = [re.search(r'<a href="([^"]+)">', label).group(1) for label, _, _ in lanes_of(text).values()]
    assert hrefs and all(re.fullmatch(r"/scenarios/\d+/escorts/[^/]+/bewerken", h) for h in hrefs)


# --- Accessibility of the graphic ----------------------------------------------------------------

def test_bars_have_names_details_and_the_kind_as_more_than_colour(medium):
    client, sid, doc = medium["clients"]["regie"], medium["sid"], medium["doc"]
    text = client.get(f"/scenarios/{sid}/board?zoom=alles").text
    kinds = {"medical": "medisch", "minor": "minderjarige", "other": "overig"}
    lanes = lanes_of(text)
    assert sum(len(bars) for _, bars, _ in lanes.values()) >= len(expected_missions(doc, medium["plan"])) - 5
    for owner, (_, bars, _) in lanes.items():
        for kind, _classes, _l, _w, deps, name, summary, pop in bars:
            name = html.unescape(name)
            first = deps.split()[0]
            assert name.startswith("Vertrek " + deps.replace(" ", " + ") + ": " + kinds[kind] + ", ")
            assert any(what in name for what in ("missie KMar-escort", "medische begeleiding (", "rit naar "))
            assert re.search(r"\w\w \d+ \w+ \d{4} \d\d:\d\d – \w\w \d+ \w+ \d{4} \d\d:\d\d$", name), name
            visible = html.unescape(re.search(r'<span class="bar-text"[^>]*>([^<]*)</span>', summary).group(1))
            assert visible and visible in name  # the visible label is part of the name
            if kind != "other":
                assert '<span class="glyph" aria-hidden="true">' in summary  # ✚ or ◆ beside the colour
            # The details: the departure's page, what, who, from, until.
            assert f"/departures/{first}?plan=" in pop and "<dt>Van</dt>" in pop and "<dt>Tot</dt>" in pop
            assert "<dt>Wat</dt>" in pop and "Alle missies van" in pop
    # The groups are headings; the board scrolls in a named, focusable region; a legend in words.
    assert len(re.findall(r'<h2 class="lane-label">', text)) == 3
    assert re.search(r'<div class="board-scroll" role="region" aria-labelledby="periode" tabindex="0">', text)
    assert re.search(r'<h2 id="periode">', text)
    for word in kinds.values():
        assert f"</span>{word}</li>" in text


# --- The table view -------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["published", "draft"])
def test_table_view_lists_every_mission_of_the_plan(medium, which):
    client, sid = medium["clients"]["regie"], medium["sid"]
    plan_id = medium[which]
    with medium["svc"].db.sessions() as s:
        plan = s.get(PlanVersion, plan_id).document
    text = client.get(f"/scenarios/{sid}/board?plan={plan_id}&weergave=tabel").text
    assert '<a href="' in text and 'aria-current="page">Tabel per middel</a>' in text
    rows = ROW.findall(text)
    got = sorted((o, d) for o, deps, _ in rows for d in deps.split())
    want = sorted((o, d) for o, d, *_ in expected_missions(medium["doc"], plan))
    assert got == want
    # Each row: from, until, the departure (linked), what, the kind of departure in words.
    for owner, deps, cells in rows:
        tds = re.findall(r'<td role="cell" data-label="[^"]+">(.*?)</td>', cells, re.S)
        assert len(tds) == 5
        assert re.fullmatch(r"\w\w \d+ \w+ \d{4} \d\d:\d\d", tds[0]) and re.fullmatch(r"\w\w \d+ \w+ \d{4} \d\d:\d\d", tds[1])
        assert f"/departures/{deps.split()[0]}?plan={plan_id}" in tds[2]
    assert len(re.findall(r"<h2>", text)) >= 3 and "<h3 " in text
    # Linked from the board.
    board = client.get(f"/scenarios/{sid}/board?plan={plan_id}").text
    table_link = re.search(r'<a href="([^"]+)">Alle missies als tabel per middel</a>', board).group(1)
    assert unquote(html.unescape(table_link)) == f"/scenarios/{sid}/board?plan={plan_id}&weergave=tabel"
