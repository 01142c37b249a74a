import copy
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from planner.errors import ScenarioError
from conftest import SHARED
from planner.loading.tabular import (
    read_csv_folder,
    read_workbook,
    write_csv_folder,
    write_template,
    write_workbook,
)

SCENARIOS = SHARED  # the reference scenarios beside the repository

EXPECTED_COLUMNS = {
    "scenario": ["key", "value"],
    "parameters": ["key", "value"],
    "airports": ["iata", "timezone", "country", "mct_minutes"],
    "airlines": ["code", "max_escorted_per_flight", "accepts_stretcher", "medif_lead_hours"],
    "flights": ["id", "carrier", "number", "from", "to", "departs", "arrives", "seats",
                "stretcher", "fare_eur", "cancelled"],
    "locations": ["id", "name", "kind", "drive_minutes"],
    "vehicles": ["id", "kind", "stretcher", "seats", "available"],
    "escorts": ["id", "name", "sex", "base", "skills", "visas", "available"],
    "medics": ["id", "name", "role", "skills", "base", "visas", "available", "day_rate_eur"],
    "reception": ["id", "name", "kind", "country", "airport", "transfer_minutes", "confirmed",
                  "open", "closed_dates", "contact"],
    "departures": ["id", "kind", "person.ref", "person.sex", "person.birth_date", "priority", "risk",
                   "pickup.location", "pickup.window", "ready_from", "deadline",
                   "destination_country", "destination_airports", "reception",
                   "travel_document.kind", "travel_document.valid_from",
                   "travel_document.valid_until", "fit_to_fly_until", "medical.stretcher",
                   "medical.wheelchair", "medical.oxygen", "medical.medic_role",
                   "medical.medic_skills", "medical.max_travel_hours", "family_group", "blocked"],
}
PARAMETER_KEYS = ["checkin_minutes", "min_connection_minutes", "escorts_by_risk",
                  "escort_min_turnaround_minutes", "escort_max_away_hours", "escort_rest_hours",
                  "overnight_cost_eur", "visa_required_countries", "stretcher_seats",
                  "max_connections"]


@pytest.fixture(scope="module")
def small():
    return json.loads((SCENARIOS / "small.json").read_text())


@pytest.fixture()
def mini(small):
    """A few records of each kind, so that cell edits run fast."""
    d = copy.deepcopy(small)
    for key in ("flights", "locations", "vehicles", "escorts", "medics", "reception"):
        d[key] = d[key][:4]
    d["departures"] = d["departures"][:4]
    return d


def _sheet_edit(path, sheet, row_id, column, value):
    """Set one cell of a written workbook, found by the row's id and the column name."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    col = header.index(column) + 1
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == row_id:
            ws.cell(row=row, column=col).value = value
            break
    else:
        raise AssertionError(f"no row {row_id} in {sheet}")
    wb.save(path)


def _edit_many(path, edits):
    for sheet, row_id, column, value in edits:
        _sheet_edit(path, sheet, row_id, column, value)


def _problems(read, path):
    with pytest.raises(ScenarioError) as info:
        read(path)
    return info.value.problems


# ---------------------------------------------------------------- round trips


def test_workbook_round_trip_small(small, tmp_path):
    path = write_workbook(small, tmp_path / "small.xlsx")
    assert read_workbook(path) == small


def test_csv_round_trip_small(small, tmp_path):
    folder = write_csv_folder(small, tmp_path / "small")
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{s}.csv" for s in EXPECTED_COLUMNS)
    assert read_csv_folder(folder) == small


def test_round_trip_keeps_types(mini, tmp_path):
    back = read_workbook(write_workbook(mini, tmp_path / "m.xlsx"))
    flight = back["flights"][0]
    assert isinstance(flight["seats"], int) and not isinstance(flight["seats"], bool)
    assert flight["stretcher"] is False
    medical = [d for d in back["departures"] if "medical" in d]
    assert medical and medical[0]["medical"]["wheelchair"] is None  # nullable stays null
    assert all("medical" not in d for d in back["departures"] if "medical" not in d)
    assert back["escorts"][0]["skills"] == []  # required list, empty cell


def test_extra_columns_are_kept(mini, tmp_path):
    mini["flights"][0]["aircraft"] = "B789"
    mini["departures"][0]["person"]["language"] = "yo"
    mini["parameters"]["note"] = "concept"
    back = read_workbook(write_workbook(mini, tmp_path / "x.xlsx"))
    assert back["flights"][0]["aircraft"] == "B789"
    assert "aircraft" not in back["flights"][1]
    assert back["departures"][0]["person"]["language"] == "yo"
    assert back["parameters"]["note"] == "concept"
    assert back == mini


def test_parse_scenario_accepts_what_is_read(small, tmp_path):
    scenario = pytest.importorskip("planner.scenario")
    back = read_workbook(write_workbook(small, tmp_path / "s.xlsx"))
    assert scenario.parse_scenario(back) is not None


# ---------------------------------------------------------------- template


def test_template_has_every_sheet_and_column(tmp_path):
    path = write_template(tmp_path / "template.xlsx")
    wb = openpyxl.load_workbook(path)
    data_sheets = [s for s in wb.sheetnames if s != "uitleg"]
    assert data_sheets == list(EXPECTED_COLUMNS)
    for sheet, columns in EXPECTED_COLUMNS.items():
        header = [c.value for c in wb[sheet][1]]
        # The template's parameters carry a note per default (ignored on reading).
        assert header == columns + (["toelichting"] if sheet == "parameters" else []), sheet
        assert all(c.font.bold for c in wb[sheet][1]), sheet
        assert wb[sheet].freeze_panes == "A2"
    keys = [wb["parameters"].cell(row=r, column=1).value for r in range(2, wb["parameters"].max_row + 1)]
    assert keys == PARAMETER_KEYS
    explained = {(r[0], r[1]) for r in wb["uitleg"].iter_rows(min_row=2, values_only=True)}
    for sheet, columns in EXPECTED_COLUMNS.items():
        if sheet in ("scenario", "parameters"):
            continue
        for column in columns:
            assert (sheet, column) in explained, (sheet, column)
    assert ("parameters (key)", "escorts_by_risk") in explained


def test_template_reads_back_as_empty_scenario(tmp_path):
    back = read_workbook(write_template(tmp_path / "template.xlsx"))
    assert back["format"] == "vertrekplanner/scenario@1"
    for sheet in ("airlines", "flights", "locations", "vehicles", "escorts", "medics", "reception", "departures"):
        assert back[sheet] == []
    assert "airports" not in back  # optional and empty
    assert back["parameters"]["checkin_minutes"] == 180  # filled with documented defaults


def test_template_text_columns_keep_typing_as_text(tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx"))
    ws = wb["flights"]
    header = [c.value for c in ws[1]]
    departs = openpyxl.utils.get_column_letter(header.index("departs") + 1)
    seats = openpyxl.utils.get_column_letter(header.index("seats") + 1)
    assert ws.column_dimensions[departs].number_format == "@"
    assert ws.column_dimensions[seats].number_format != "@"


# ---------------------------------------------------------------- forgiving cells


def test_excel_typed_cells_are_accepted(mini, tmp_path):
    path = write_workbook(mini, tmp_path / "m.xlsx")
    dep = mini["departures"][0]["id"]
    esc = mini["escorts"][0]["id"]
    _edit_many(path, [
        ("departures", dep, "person.birth_date", dt.datetime(2014, 1, 31)),  # Excel date cell
        ("departures", dep, "priority", 4.0),  # number stored as float
        ("airlines", "KL", "accepts_stretcher", "Ja"),
        ("airlines", "TK", "accepts_stretcher", 0),
        ("vehicles", mini["vehicles"][0]["id"], "stretcher", True),  # Excel boolean cell
        ("escorts", esc, "skills", "team_leader;minors\nmedical_first_aid; "),
        ("escorts", esc, "id", 17),  # a numeric-looking id
        ("reception", mini["reception"][0]["id"], "open", "ma-vr 8:00-20:00; za 09:00-24:00"),
        ("reception", mini["reception"][0]["id"], "country", "NA"),  # Namibia, not "missing"
        ("reception", mini["reception"][0]["id"], "closed_dates", dt.datetime(2026, 12, 25)),
    ])
    back = read_workbook(path)
    assert back["departures"][0]["person"]["birth_date"] == "2014-01-31"
    assert back["departures"][0]["priority"] == 4 and isinstance(back["departures"][0]["priority"], int)
    airlines = {a["code"]: a for a in back["airlines"]}
    assert airlines["KL"]["accepts_stretcher"] is True and airlines["TK"]["accepts_stretcher"] is False
    assert back["vehicles"][0]["stretcher"] is True
    assert back["escorts"][0]["skills"] == ["team_leader", "minors", "medical_first_aid"]
    assert back["escorts"][0]["id"] == "17"
    rec = back["reception"][0]
    assert rec["open"] == {d: ["08:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {
        "sat": ["09:00", "24:00"]}
    assert rec["country"] == "NA"
    assert rec["closed_dates"] == ["2026-12-25"]


def test_instants_kept_exactly_as_typed(mini, tmp_path):
    path = write_workbook(mini, tmp_path / "m.xlsx")
    fid = mini["flights"][0]["id"]
    _edit_many(path, [
        ("flights", fid, "departs", " 2026-11-30T10:05+01:00"),
        ("flights", fid, "arrives", "2026-11-30T15:35:00Z"),
    ])
    flight = read_workbook(path)["flights"][0]
    assert flight["departs"] == "2026-11-30T10:05+01:00"
    assert flight["arrives"] == "2026-11-30T15:35:00Z"


def test_semicolon_csv_from_dutch_excel(mini, tmp_path):
    folder = write_csv_folder(mini, tmp_path / "csv")
    # Re-save airlines as Dutch Excel does: ';' separator, Windows-1252, WAAR/ONWAAR.
    lines = ["code;max_escorted_per_flight;accepts_stretcher;medif_lead_hours"]
    for a in mini["airlines"]:
        lines.append(f"{a['code']};{a['max_escorted_per_flight']};"
                     f"{'WAAR' if a['accepts_stretcher'] else 'ONWAAR'};{a['medif_lead_hours']}")
    (folder / "airlines.csv").write_bytes("\r\n".join(lines).encode("cp1252"))
    lines = ["id;name;kind;drive_minutes"] + [
        f"{loc['id']};{loc['name']} é;{loc['kind']};\"AMS: 1; RTM: 2\"" for loc in mini["locations"]]
    (folder / "locations.csv").write_bytes("\n".join(lines).encode("cp1252"))
    back = read_csv_folder(folder)
    assert back["airlines"] == mini["airlines"]
    assert back["locations"][0]["drive_minutes"] == {"AMS": 1, "RTM": 2}
    assert back["locations"][0]["name"].endswith(" é")


# ---------------------------------------------------------------- bad cells


BAD_CELLS = [
    # (sheet, row id, column, bad value)
    ("vehicles", "DVO-AMB-01", "available", "2026-12-01T00:00+01:00 - 2026-12-07T00:00+01:00"),
    ("departures", "BV-2026-010001", "pickup.window", "2026-12-07T00:00:00+01:00/"),
    ("locations", "AMC", "drive_minutes", "AMS 30; RTM: 75"),
    ("escorts", "KMAR-001", "visas", "NG: 30/06/2027"),
    ("reception", "REC-NG-1", "open", "mon 08:00-20:00; tue 8-20"),
    ("reception", "REC-NG-2", "open", "mon 08:00-25:00"),
    ("airlines", "KL", "accepts_stretcher", "misschien"),
    ("flights", "KL761-20261130-AMSLOS", "seats", 9.5),
    ("reception", "REC-NG-1", "transfer_minutes", "90,5"),
    ("flights", "KL761-20261130-AMSLOS", "departs", dt.time(10, 5)),  # a time cell without a date
    ("flights", "KL763-20261130-LOSAMS", "arrives", "2026-12-01 05:05:00+01:00"),  # offset, but no 'T'
    ("vehicles", "DVO-AMB-02", "available", "29-03-2026 02:30/30-03-2026 02:30"),  # clocks skip 02:30
    ("escorts", "KMAR-002", "skills", "team_leader, minors"),
    ("departures", "BV-2026-010002", "travel_document.valid_until", "31-13-2026"),
    ("parameters", None, "escorts_by_risk", "none: 0; low: twee"),
]


def _bad_workbook(mini, tmp_path):
    path = write_workbook(mini, tmp_path / "bad.xlsx")
    wb = openpyxl.load_workbook(path)
    for sheet, row_id, column, value in BAD_CELLS:
        ws = wb[sheet]
        if row_id is None:  # key/value sheet
            for row in ws.iter_rows(min_row=2):
                if row[0].value == column:
                    row[1].value = value
            continue
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == row_id:
                row[header.index(column)].value = value
    wb.save(path)
    return path


def test_all_bad_cells_reported_at_once(mini, tmp_path):
    problems = _problems(read_workbook, _bad_workbook(mini, tmp_path))
    found = {(p.entity, p.id, p.field): p for p in problems}
    assert set(found) == {(s, i, c) for s, i, c, _ in BAD_CELLS}
    for sheet, row_id, column, value in BAD_CELLS:
        problem = found[(sheet, row_id, column)]
        assert problem.value == value
        assert problem.expected  # says what is expected ...
        assert "e.g." in problem.expected or "like" in problem.expected  # ... with an example


@pytest.mark.parametrize("sheet,row_id,column,value,needle", [
    ("vehicles", "DVO-AMB-01", "available", "2026-12-01T00:00+01:00", "start/end"),
    ("locations", "AMC", "drive_minutes", "AMS: 30; AMS: 40", "twice"),
    ("reception", "REC-NG-1", "open", "mon 08:00-20:00; tue 8-20", "day HH:MM-HH:MM"),
    ("reception", "REC-NG-1", "open", "fri-mon 08:00-20:00", "mon-fri"),
    ("airlines", "KL", "accepts_stretcher", "y", "true or false"),
    ("airlines", "KL", "accepts_stretcher", 2, "true or false"),
    ("flights", "KL761-20261130-AMSLOS", "seats", "9.5", "whole number"),
    ("flights", "KL761-20261130-AMSLOS", "departs", dt.time(10, 5), "without a date"),
    ("flights", "KL761-20261130-AMSLOS", "departs", "30-11-2026 10.05", "15-12-2026 14:30"),
    ("vehicles", "DVO-AMB-01", "available", dt.datetime(2026, 12, 1, 8, 0), "start/end"),
    ("escorts", "KMAR-001", "available", "29-03-2026 02:30/30-03-2026 02:30", "Europe/Amsterdam"),
    ("departures", "BV-2026-010001", "ready_from", "2026-12-07 12:00+01:00", "ISO 8601"),
    ("departures", "BV-2026-010001", "person.birth_date", dt.datetime(2014, 1, 31, 13, 0), "time of day"),
    ("departures", "BV-2026-010001", "person.ref", True, "TRUE/FALSE"),
])
def test_bad_cell_names_sheet_id_column_value(mini, tmp_path, sheet, row_id, column, value, needle):
    path = write_workbook(mini, tmp_path / "bad.xlsx")
    _sheet_edit(path, sheet, row_id, column, value)
    [problem] = _problems(read_workbook, path)
    assert (problem.entity, problem.id, problem.field, problem.value) == (sheet, row_id, column, value)
    assert needle in problem.expected


def test_bad_cell_without_id_is_named_by_row(mini, tmp_path):
    path = write_workbook(mini, tmp_path / "bad.xlsx")
    _sheet_edit(path, "flights", "KL761-20261130-AMSLOS", "seats", "veel")
    _sheet_edit(path, "flights", "KL761-20261130-AMSLOS", "id", None)
    [problem] = _problems(read_workbook, path)
    assert (problem.entity, problem.id, problem.field) == ("flights", "row 2", "seats")


def test_bad_csv_cells_reported(mini, tmp_path):
    folder = write_csv_folder(mini, tmp_path / "csv")
    text = (folder / "airlines.csv").read_text(encoding="utf-8-sig")
    (folder / "airlines.csv").write_text(text.replace("KL,2,true", "KL,2.5,wel"), encoding="utf-8")
    problems = _problems(read_csv_folder, folder)
    assert {(p.entity, p.id, p.field, p.value) for p in problems} == {
        ("airlines", "KL", "max_escorted_per_flight", "2.5"),
        ("airlines", "KL", "accepts_stretcher", "wel"),
    }


def test_missing_sheet_and_column_are_problems(mini, tmp_path):
    path = write_workbook(mini, tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["medics"]
    del wb["airports"]  # optional sheet: not a problem
    wb["flights"].delete_cols(8)  # seats
    for row in wb["parameters"].iter_rows(min_row=2):
        if row[0].value == "checkin_minutes":
            row[0].value = None
            row[1].value = None
    wb.save(path)
    problems = _problems(read_workbook, path)
    assert {(p.entity, p.id, p.field) for p in problems} == {
        ("medics", None, "(sheet)"),
        ("flights", None, "seats"),
        ("parameters", None, "checkin_minutes"),
    }


def test_unknown_and_readme_sheets_are_ignored(mini, tmp_path):
    path = write_workbook(mini, tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["uitleg"]["A2"] = "anything at all"
    wb.create_sheet("kladblok")["A1"] = "notes"
    wb.save(path)
    assert read_workbook(path) == mini
