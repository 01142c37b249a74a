"""Excel both ways: local date-times and Dutch dates in, the template's parameters, plan.xlsx out."""
from __future__ import annotations

import copy
import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest
from conftest import shared_path

from planner import timeutil
from planner.cli import main
from planner.errors import ScenarioError
from planner.loading.tabular import (
    TEMPLATE_PARAMETERS,
    read_csv_folder,
    read_workbook,
    write_csv_folder,
    write_template,
    write_workbook,
)
from planner.scenario import parse_scenario

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(scope="module")
def small() -> dict:
    """The reference scenario `small` with its first 300 flight legs (the rest only slows the workbooks)."""
    data = json.loads(shared_path("small").read_text(encoding="utf-8"))
    data["flights"] = data["flights"][:300]
    return data


def _rows(ws) -> tuple[list[str], list]:
    header = [c.value for c in ws[1]]
    return header, list(ws.iter_rows(min_row=2))


def _set(path, sheet, row_id, column, value):
    wb = openpyxl.load_workbook(path)
    header, rows = _rows(wb[sheet])
    for row in rows:
        if row[0].value == row_id:
            row[header.index(column)].value = value
            break
    else:
        raise AssertionError(f"no row {row_id} in {sheet}")
    wb.save(path)


# ------------------------------------------------------------- local times of a place


def _place_zone(sc, sheet: str, record: dict, field: str) -> ZoneInfo:
    """The zone the reader gives a local time of this field (docs/tabular-format.md)."""
    if sheet == "flights":
        return sc.tz(record["from"] if field == "departs" else record["to"])
    if sheet in ("escorts", "medics"):
        return sc.tz(record["base"])
    if sheet == "departures":
        drives = sc.locations[record["pickup"]["location"]].drive_minutes
        return sc.tz(min(drives, key=lambda a: (drives[a], a)))
    return AMS


def _local(text: str, tz: ZoneInfo) -> dt.datetime:
    return timeutil.parse_instant(text).astimezone(tz).replace(tzinfo=None)


def _in_zone(text: str, tz: ZoneInfo) -> str:
    return timeutil.parse_instant(text).astimezone(tz).isoformat()


def _nl(wall: dt.datetime) -> str:
    return f"{wall:%d-%m-%Y %H:%M}"


def test_excel_date_cells_and_dutch_dates_read_as_the_iso_form(small, tmp_path):
    sc = parse_scenario(small)
    # The ISO text form, each instant written with the offset of its place.
    iso = copy.deepcopy(small)
    iso["planning_time"] = _in_zone(iso["planning_time"], AMS)
    iso["horizon"] = [_in_zone(t, AMS) for t in iso["horizon"]]
    for f in iso["flights"]:
        for field in ("departs", "arrives"):
            f[field] = _in_zone(f[field], _place_zone(sc, "flights", f, field))
    for sheet in ("vehicles", "escorts", "medics"):
        for r in iso[sheet]:
            tz = _place_zone(sc, sheet, r, "available")
            r["available"] = [[_in_zone(a, tz), _in_zone(b, tz)] for a, b in r["available"]]
    for d in iso["departures"]:
        tz = _place_zone(sc, "departures", d, "ready_from")
        d["pickup"]["window"] = [_in_zone(t, tz) for t in d["pickup"]["window"]]
        for field in ("ready_from", "deadline"):
            d[field] = _in_zone(d[field], tz)
    iso_path = write_workbook(iso, tmp_path / "iso.xlsx")
    expected = read_workbook(iso_path)

    # The same scenario typed the Excel way: real date(-time) cells and Dutch day-month-year text.
    wb = openpyxl.load_workbook(iso_path)
    for row in wb["scenario"].iter_rows(min_row=2):
        if row[0].value == "planning_time":
            row[1].value = _local(iso["planning_time"], AMS)  # a date-time cell
        if row[0].value == "horizon":
            row[1].value = "/".join(_nl(_local(t, AMS)) for t in iso["horizon"])
    header, rows = _rows(wb["flights"])
    by_id = {f["id"]: f for f in iso["flights"]}
    for i, row in enumerate(rows):
        f = by_id[row[0].value]
        departs = _local(f["departs"], _place_zone(sc, "flights", f, "departs"))
        arrives = _local(f["arrives"], _place_zone(sc, "flights", f, "arrives"))
        row[header.index("departs")].value = departs if i % 2 else _nl(departs)
        row[header.index("arrives")].value = arrives if not i % 2 else arrives.strftime("%Y-%m-%dT%H:%M")
    for sheet in ("vehicles", "escorts", "medics"):
        header, rows = _rows(wb[sheet])
        by_id = {r["id"]: r for r in iso[sheet]}
        for row in rows:
            r = by_id[row[0].value]
            tz = _place_zone(sc, sheet, r, "available")
            row[header.index("available")].value = "; ".join(
                f"{_nl(_local(a, tz))}/{_nl(_local(b, tz))}" for a, b in r["available"])
            if "visas" in header:
                row[header.index("visas")].value = "; ".join(
                    f"{c}: {dt.date.fromisoformat(d):%d-%m-%Y}" for c, d in r["visas"].items())
    header, rows = _rows(wb["departures"])
    by_id = {d["id"]: d for d in iso["departures"]}
    for row in rows:
        d = by_id[row[0].value]
        tz = _place_zone(sc, "departures", d, "ready_from")
        row[header.index("pickup.window")].value = "/".join(_nl(_local(t, tz)) for t in d["pickup"]["window"])
        row[header.index("ready_from")].value = _local(d["ready_from"], tz)
        row[header.index("deadline")].value = _nl(_local(d["deadline"], tz))
        row[header.index("person.birth_date")].value = dt.date.fromisoformat(d["person"]["birth_date"])
        row[header.index("travel_document.valid_from")].value = \
            f"{dt.date.fromisoformat(d['travel_document']['valid_from']):%d-%m-%Y}"
        row[header.index("travel_document.valid_until")].value = \
            dt.datetime.fromisoformat(d["travel_document"]["valid_until"])
        if "fit_to_fly_until" in d:
            row[header.index("fit_to_fly_until")].value = f"{dt.date.fromisoformat(d['fit_to_fly_until']):%-d-%-m-%Y}"
    header, rows = _rows(wb["reception"])
    for row in rows:
        cell = row[header.index("closed_dates")]
        if cell.value:
            cell.value = "; ".join(f"{dt.date.fromisoformat(x.strip()):%d-%m-%Y}" for x in cell.value.split(";"))
    excel_path = tmp_path / "excel.xlsx"
    wb.save(excel_path)

    check = openpyxl.load_workbook(excel_path)  # the cells really are Excel dates now
    assert check["scenario"]["B4"].is_date or any(c.is_date for c in check["scenario"]["B"])
    assert any(c.is_date for c in check["flights"]["F"][1:])

    back = read_workbook(excel_path)
    assert back == expected
    assert any(f["arrives"].endswith("+04:00") for f in back["flights"])  # Dubai's wall clock, not Amsterdam's
    # ... and it is the scenario we started from: the same instants.
    again = parse_scenario(back)
    assert {f.id: (f.departs, f.arrives) for f in again.flights.values()} == \
           {f.id: (f.departs, f.arrives) for f in sc.flights.values()}
    assert {d.id: (d.ready_from, d.deadline, d.pickup_window) for d in again.departures.values()} == \
           {d.id: (d.ready_from, d.deadline, d.pickup_window) for d in sc.departures.values()}


@pytest.fixture()
def mini(small) -> dict:
    d = copy.deepcopy(small)
    keep_loc = {d["departures"][0]["pickup"]["location"]}
    d["locations"] = [loc for loc in d["locations"] if loc["id"] in keep_loc]
    for key in ("flights", "vehicles", "escorts", "medics", "reception"):
        d[key] = d[key][:3]
    d["departures"] = d["departures"][:2]
    return d


@pytest.mark.parametrize("typed,expected", [
    ("15-12-2026 14:30", "2026-12-15T14:30:00+01:00"),  # winter: CET
    ("15-07-2026 14:30", "2026-07-15T14:30:00+02:00"),  # summer: CEST
    (dt.datetime(2026, 7, 15, 14, 30), "2026-07-15T14:30:00+02:00"),  # an Excel date-time cell
    (dt.datetime(2026, 12, 15, 14, 29, 59, 999_999), "2026-12-15T14:30:00+01:00"),  # Excel's day fraction
    ("2026-12-15T14:30", "2026-12-15T14:30:00+01:00"),  # ISO without offset: local too
    ("15-12-2026", "2026-12-15T00:00:00+01:00"),  # a date alone: its midnight
    (dt.datetime(2026, 12, 15), "2026-12-15T00:00:00+01:00"),
    ("1-2-2027 9:05", "2027-02-01T09:05:00+01:00"),
    # The hour that repeats at the end of October: its first occurrence, still summer time.
    ("25-10-2026 02:30", "2026-10-25T02:30:00+02:00"),
    ("25-10-2026 03:30", "2026-10-25T03:30:00+01:00"),
    ("2026-12-15T14:30:00+01:00", "2026-12-15T14:30:00+01:00"),  # with offset: kept as typed
    ("2026-12-15T14:30Z", "2026-12-15T14:30Z"),
])
def test_a_departure_time_takes_its_pickup_zone_with_daylight_saving(mini, tmp_path, typed, expected):
    path = write_workbook(mini, tmp_path / "m.xlsx")
    _set(path, "departures", mini["departures"][0]["id"], "ready_from", typed)
    assert read_workbook(path)["departures"][0]["ready_from"] == expected


def test_the_skipped_spring_hour_is_an_error_naming_the_cell(mini, tmp_path):
    path = write_workbook(mini, tmp_path / "m.xlsx")
    dep = mini["departures"][0]["id"]
    _set(path, "departures", dep, "ready_from", "29-03-2026 02:30")
    with pytest.raises(ScenarioError) as info:
        read_workbook(path)
    [problem] = info.value.problems
    assert (problem.entity, problem.id, problem.field, problem.value) == \
           ("departures", dep, "ready_from", "29-03-2026 02:30")
    assert "Europe/Amsterdam" in problem.expected and "summer time" in problem.expected


def test_each_field_takes_the_zone_of_its_place(mini, tmp_path):
    d = copy.deepcopy(mini)
    d["airports"] = [{"iata": "LOS", "timezone": "Asia/Kathmandu"}]  # an override wins over airportsdata
    flight = d["flights"][0]  # AMS -> LOS
    assert (flight["from"], flight["to"]) == ("AMS", "LOS")
    d["escorts"][0]["base"] = "IST"
    path = write_workbook(d, tmp_path / "m.xlsx")
    _set(path, "flights", flight["id"], "departs", "01-07-2026 10:00")
    _set(path, "flights", flight["id"], "arrives", dt.datetime(2026, 7, 1, 20, 0))
    _set(path, "escorts", d["escorts"][0]["id"], "available", "01-07-2026 08:00/01-12-2026 08:00")
    _set(path, "vehicles", d["vehicles"][0]["id"], "available", "01-07-2026 08:00/01-12-2026 08:00")
    wb = openpyxl.load_workbook(path)
    for row in wb["scenario"].iter_rows(min_row=2):
        if row[0].value == "planning_time":
            row[1].value = "30-11-2026 09:00"
    wb.save(path)
    back = read_workbook(path)
    assert back["flights"][0]["departs"] == "2026-07-01T10:00:00+02:00"  # AMS, summer
    assert back["flights"][0]["arrives"] == "2026-07-01T20:00:00+05:45"  # LOS as overridden
    assert back["escorts"][0]["available"] == [["2026-07-01T08:00:00+03:00", "2026-12-01T08:00:00+03:00"]]
    assert back["vehicles"][0]["available"] == [["2026-07-01T08:00:00+02:00", "2026-12-01T08:00:00+01:00"]]
    assert back["planning_time"] == "2026-11-30T09:00:00+01:00"


def test_csv_cells_take_the_same_local_forms(mini, tmp_path):
    folder = write_csv_folder(mini, tmp_path / "csv")
    text = (folder / "departures.csv").read_text(encoding="utf-8-sig")
    dep = mini["departures"][0]
    text = text.replace(dep["ready_from"], "15-07-2026 14:30", 1)
    text = text.replace(dep["travel_document"]["valid_until"], "31-12-2026", 1)
    (folder / "departures.csv").write_text(text, encoding="utf-8")
    back = read_csv_folder(folder)["departures"][0]
    assert back["ready_from"] == "2026-07-15T14:30:00+02:00"
    assert back["travel_document"]["valid_until"] == "2026-12-31"


def test_dutch_dates_in_date_fields(mini, tmp_path):
    path = write_workbook(mini, tmp_path / "m.xlsx")
    dep, esc = mini["departures"][0]["id"], mini["escorts"][0]["id"]
    _set(path, "departures", dep, "travel_document.valid_until", "31-12-2026")
    _set(path, "departures", dep, "fit_to_fly_until", dt.date(2026, 12, 20))
    _set(path, "departures", dep, "person.birth_date", "1-2-2010")
    _set(path, "escorts", esc, "visas", "NG: 30-06-2027; GH: 2026-12-21")
    back = read_workbook(path)
    d = back["departures"][0]
    assert d["travel_document"]["valid_until"] == "2026-12-31"
    assert d["fit_to_fly_until"] == "2026-12-20"
    assert d["person"]["birth_date"] == "2010-02-01"
    assert back["escorts"][0]["visas"] == {"NG": "2027-06-30", "GH": "2026-12-21"}


@pytest.mark.parametrize("column,value,needle", [
    ("travel_document.valid_until", "31-02-2026", "real date"),
    ("travel_document.valid_until", "15-12-2026 14:30", "DD-MM-YYYY"),
    ("ready_from", "32-12-2026 10:00", "real date-time"),
    ("ready_from", dt.time(10, 0), "without a date"),
    ("ready_from", "15-12-2026 10.00", "15-12-2026 14:30"),
])
def test_bad_dutch_dates_name_sheet_row_column_value(mini, tmp_path, column, value, needle):
    path = write_workbook(mini, tmp_path / "m.xlsx")
    dep = mini["departures"][0]["id"]
    _set(path, "departures", dep, column, value)
    with pytest.raises(ScenarioError) as info:
        read_workbook(path)
    [problem] = info.value.problems
    assert (problem.entity, problem.id, problem.field, problem.value) == ("departures", dep, column, value)
    assert needle in problem.expected


def test_localize_takes_the_first_of_a_repeated_hour_and_refuses_a_skipped_one():
    assert timeutil.localize(dt.datetime(2026, 10, 25, 2, 30), AMS).isoformat() == "2026-10-25T02:30:00+02:00"
    assert timeutil.localize(dt.datetime(2026, 1, 5, 2, 30), AMS).isoformat() == "2026-01-05T02:30:00+01:00"
    with pytest.raises(timeutil.NonexistentLocalTime):
        timeutil.localize(dt.datetime(2026, 3, 29, 2, 30), AMS)


# ------------------------------------------------------------------------- template


def test_template_parameters_validate(tmp_path):
    back = read_workbook(write_template(tmp_path / "t.xlsx"))
    assert back["parameters"] == TEMPLATE_PARAMETERS
    with pytest.raises(ScenarioError) as info:
        parse_scenario(back)
    # Only what the planner types in is missing: the scenario's name, planning time and horizon.
    assert {(p.entity, p.field) for p in info.value.problems} == {
        ("scenario", "name"), ("scenario", "planning_time"), ("scenario", "horizon")}


def test_template_with_only_entities_filled_in_validates(small, tmp_path):
    template = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    source = openpyxl.load_workbook(write_workbook(small, tmp_path / "small.xlsx"))
    notes = [c.value for c in template["parameters"][1]]
    assert notes == ["key", "value", "toelichting"]
    for sheet in ("airports", "airlines", "flights", "locations", "vehicles", "escorts", "medics", "reception",
                  "departures"):
        assert [c.value for c in template[sheet][1]] == [c.value for c in source[sheet][1]]
        for row in source[sheet].iter_rows(min_row=2, values_only=True):
            template[sheet].append(row)
    typed = {"name": "december", "planning_time": "30-11-2026 09:00", "horizon": "01-12-2026 00:00/15-12-2026 00:00"}
    for row in template["scenario"].iter_rows(min_row=2):
        if row[0].value in typed:
            row[1].value = typed[row[0].value]
    path = tmp_path / "filled.xlsx"
    template.save(path)
    sc = parse_scenario(read_workbook(path))
    assert len(sc.departures) == len(small["departures"])
    assert sc.planning_time == timeutil.instant_minutes(small["planning_time"])
    assert sc.parameters.checkin_minutes == 180 and sc.parameters.escorts_by_risk["high"] == 3
    assert sc.parameters.visa_required_countries == frozenset()


# ------------------------------------------------------------------------ plan.xlsx


_ZONE = re.compile(r"(?P<zone>[A-Za-z_/+-]+) \(UTC(?P<sign>[+-])(?P<h>\d\d):(?P<m>\d\d)\)")


def _instant(local_time, zone_text) -> int:
    """An Excel local date-time and its zone column as whole minutes since the epoch."""
    match = _ZONE.fullmatch(zone_text)
    assert match, zone_text
    offset = dt.timedelta(hours=int(match["h"]), minutes=int(match["m"])) * (1 if match["sign"] == "+" else -1)
    wall = pd.Timestamp(local_time).to_pydatetime()
    moment = wall.replace(tzinfo=dt.timezone(offset))
    assert moment.astimezone(ZoneInfo(match["zone"])).utcoffset() == offset  # the zone's offset then
    return timeutil.minutes(moment)


def _ids(text) -> list[str]:
    return [] if pd.isna(text) or text == "" else [x.strip() for x in str(text).split(";")]


def test_plan_writes_plan_xlsx_that_agrees_with_plan_json(tmp_path):
    source = shared_path("small")
    out = tmp_path / "out"
    assert main(["plan", str(source), "--out", str(out), "--quick", "--no-documents", "--no-fixes"]) == 0
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    sheets = pd.read_excel(out / "plan.xlsx", sheet_name=None, dtype=object)  # an independent reader
    assert list(sheets) == ["vertrekken", "escorts", "medici", "voertuigen", "uitleg"]
    sc = parse_scenario(json.loads(source.read_text(encoding="utf-8")))

    rows = sheets["vertrekken"]
    assert list(rows["vertrek"]) == [e["id"] for e in plan["departures"]]
    assert any(not e["planned"] for e in plan["departures"]) and any(e["planned"] for e in plan["departures"])
    for (_, row), entry in zip(rows.iterrows(), plan["departures"], strict=True):
        dep = sc.departures[entry["id"]]
        assert (row["soort"], row["prioriteit"]) == (dep.kind, dep.priority)
        if not entry["planned"]:
            assert row["gepland"] == "nee"
            assert row["redenen"] == "; ".join(entry["reasons_nl"]) and row["redenen"]
            assert pd.isna(row["ophaaltijd"]) and pd.isna(row["vluchten"])
            continue
        assert row["gepland"] == "ja" and pd.isna(row["redenen"])
        assert _ids(row["vluchten"]) == entry["flights"]
        assert row["voertuig"] == entry["pickup"]["vehicle"]
        assert row["ophaallocatie"] == entry["pickup"]["location"]
        assert isinstance(row["ophaaltijd"], dt.datetime)  # a real date-time cell
        assert _instant(row["ophaaltijd"], row["ophaaltijd zone"]) == timeutil.instant_minutes(entry["pickup"]["time"])
        first = sc.flights[entry["flights"][0]]
        assert _instant(row["eerste vertrek"], row["eerste vertrek zone"]) == first.departs
        assert row["eerste vertrek zone"].startswith(sc.tz(first.origin).key)
        assert row["opvang"] == entry["handover"]["reception"]
        assert _instant(row["overdracht"], row["overdracht zone"]) == timeutil.instant_minutes(entry["handover"]["time"])
        assert _ids(row["escorts"]) == [e["id"] for e in entry["escorts"]]
        assert _ids(row["medici"]) == [m["id"] for m in entry["medics"]]
        assert row["kosten (EUR)"] == pytest.approx(entry["cost"]["total_eur"])

    planned = [e for e in plan["departures"] if e["planned"]]
    for sheet, key, person in (("escorts", "escorts", "escort"), ("medici", "medics", "medicus")):
        table = sheets[sheet]
        got = {(r[person], r["vertrek"]): r for _, r in table.iterrows()}
        want = {(m["id"], e["id"]): (m, e) for e in planned for m in e[key]}
        assert set(got) == set(want) and len(table) == len(want)
        for pair, (member, entry) in want.items():
            r = got[pair]
            people = sc.escorts if key == "escorts" else sc.medics
            assert r["naam"] == people[member["id"]].name
            assert _ids(r["heenvluchten"]) == entry["flights"]
            assert _ids(r["terugvluchten"]) == member["return_flights"]
            assert _instant(r["van"], r["van zone"]) == timeutil.instant_minutes(entry["pickup"]["time"])
            assert _instant(r["tot"], r["tot zone"]) == sc.flights[member["return_flights"][-1]].arrives
    vehicles = sheets["voertuigen"]
    trips = {d: r for _, r in vehicles.iterrows() for d in _ids(r["vertrek"])}
    assert set(trips) == {e["id"] for e in planned}
    for entry in planned:
        r = trips[entry["id"]]
        assert r["voertuig"] == entry["pickup"]["vehicle"]
        start = timeutil.instant_minutes(entry["pickup"]["time"])
        drive = sc.locations[entry["pickup"]["location"]].drive_minutes[entry["pickup"]["airport"]]
        assert _instant(r["van"], r["van zone"]) == start
        assert _instant(r["tot"], r["tot zone"]) == start + 2 * drive


def test_plan_workbook_times_in_summer_and_winter():
    from planner.outputs.workbook import zone_text

    assert zone_text(dt.datetime(2026, 7, 1, 12, tzinfo=AMS)) == "Europe/Amsterdam (UTC+02:00)"
    assert zone_text(dt.datetime(2026, 12, 1, 12, tzinfo=AMS)) == "Europe/Amsterdam (UTC+01:00)"
    assert zone_text(dt.datetime(2026, 12, 1, 12, tzinfo=ZoneInfo("Asia/Kathmandu"))) == "Asia/Kathmandu (UTC+05:45)"
    assert zone_text(dt.datetime(2026, 12, 1, 12, tzinfo=ZoneInfo("America/Paramaribo"))) == \
        "America/Paramaribo (UTC-03:00)"
