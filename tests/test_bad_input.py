"""Bad input never hurts: every hostile or broken file is refused with a clear message, the same way
by the CLI (exit 2, no traceback) and the service (422, nothing stored), on SQLite and PostgreSQL.
Limits: docs/input-limits.md."""
from __future__ import annotations

import io
import json
import re
import time
import zipfile

import pytest
from sqlalchemy import func, select

import tiny
from api.models import BookRecord, ScenarioRow
from planner.cli import main
from planner.errors import Problem, ScenarioError
from planner.loading.reader import nesting_depth_exceeds, read_document

MINUTES = '"checkin_minutes": 120'  # in every tiny scenario, replaced to plant a bad number


def doc(**patch) -> dict:
    return tiny.scenario(**patch)


def encoded(data: dict, **dumps) -> bytes:
    return json.dumps(data, **dumps).encode()


def planted(text: str) -> bytes:
    """The tiny scenario with the check-in minutes written as `text`, exactly."""
    raw = json.dumps(doc())
    assert MINUTES in raw
    return raw.replace(MINUTES, f'"checkin_minutes": {text}').encode()


def with_departure(**patch) -> dict:
    return doc(departures=[tiny.departure(**patch)])


def renamed_departure(new_id: str) -> dict:
    return doc(departures=[tiny.departure(new_id)])


# (label, file name, content, words the message must contain)
BAD_FILES = [
    ("deep nesting", "x.json", b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested at most 32 levels"),
    ("5000-digit integer", "x.json", planted("9" * 5000), "at most 15 digits"),
    ("Infinity", "x.json", planted("Infinity"), "NaN, Infinity and -Infinity are not JSON"),
    ("-Infinity", "x.json", planted("-Infinity"), "NaN, Infinity and -Infinity are not JSON"),
    ("NaN", "x.json", planted("NaN"), "NaN, Infinity and -Infinity are not JSON"),
    ("1e308 minutes", "x.json", planted("1e308"), "at most 100000"),
    ("1e400", "x.json", planted("1e400"), "a finite number"),
    ("fraction of a minute", "x.json", planted("12.5"), "a whole number"),
    ("negative seats", "x.json", encoded(doc(flights=[tiny.flight("F1", "AMS", "LOS", "2027-01-07T10:00:00+01:00",
                                                                  "2027-01-07T16:30:00+01:00", seats=-1)])),
     "at least 0"),
    ("huge fare", "x.json", encoded(doc(parameters={"overnight_cost_eur": 1e20})), "at most 10,000,000"),
    ("duplicate key", "x.json", json.dumps(doc()).replace('"name": "tiny"', '"name": "tiny", "name": "twice"', 1).encode(),
     "key 'name' appears twice"),
    ("UTF-16 with BOM", "x.json", json.dumps(doc()).encode("utf-16"), "this file is UTF-16"),
    ("UTF-16 without BOM", "x.json", json.dumps(doc()).encode("utf-16-le"), "looks like UTF-16 or UTF-32"),
    ("UTF-32", "x.json", json.dumps(doc()).encode("utf-32"), "this file is UTF-32"),
    ("Latin-1", "x.json", json.dumps(doc(name="Café"), ensure_ascii=False).encode("latin-1"), "is not UTF-8"),
    ("not an object", "x.json", b"[1, 2]", "a JSON object"),
    ("damaged JSON", "x.json", b'{"format": ', "valid JSON"),
    ("line feed in name", "x.json", encoded(doc(name="tiny\nX-INJECTED:1")), "control character U+000A"),
    ("bare CR in name", "x.json", encoded(doc(name="tiny\rx")), "control character U+000D"),
    ("tab in name", "x.json", encoded(doc(name="tiny\tx")), "control character U+0009"),
    ("NUL in escort name", "x.json", encoded(doc(escorts=[tiny.escort("E1", name="Jan\x00"), tiny.escort("E2")])),
     "control character U+0000"),
    ("C1 control", "x.json", encoded(doc(name="tiny\x85")), "control character U+0085"),
    ("DEL", "x.json", encoded(doc(name="tiny\x7f")), "control character U+007F"),
    ("lone surrogate", "x.json", encoded(doc(name="tiny\ud800")), "unpaired surrogate U+D800"),
    ("lone surrogate in a key", "x.json", encoded(doc(parameters={"x\udc00": 1})), "unpaired surrogate U+DC00"),
    ("lone surrogate in an extra field", "x.json", encoded(with_departure(note="\udfff")), "unpaired surrogate"),
    ("name longer than its column", "x.json", encoded(doc(name="n" * 201)), "at most 200 characters"),
    ("contact of 1001 characters", "x.json", encoded(doc(reception=[tiny.reception(contact="c" * 1001)])),
     "at most 1000 characters"),
    ("id with a slash", "x.json", encoded(renamed_departure("BV/2026")), "an id of 1 to 64 characters"),
    ("id with a space", "x.json", encoded(renamed_departure("BV 2026")), "an id of 1 to 64 characters"),
    ("id of 65 characters", "x.json", encoded(renamed_departure("D" * 65)), "an id of 1 to 64 characters"),
    ("id starting with a dot", "x.json", encoded(renamed_departure("..")), "an id of 1 to 64 characters"),
    ("family group with a slash", "x.json", encoded(with_departure(family_group="FAM/7")), "a family group id"),
    ("damaged workbook", "x.xlsx", b"PK\x03\x04garbage", "a readable Excel workbook"),
]
IDS = [case[0] for case in BAD_FILES]


def _rows(service):
    with service.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(ScenarioRow)), s.scalar(select(func.count()).select_from(BookRecord))


# ------------------------------------------------------------------------------------ CLI

@pytest.mark.parametrize("label, name, content, words", BAD_FILES, ids=IDS)
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_cli_refuses_bad_file_with_exit_2_and_a_clear_message(tmp_path, capsys, command, label, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    args = [command, str(path)] + (["--out", str(tmp_path / "out"), "--quick"] if command == "plan" else [])
    assert main(args) == 2
    out = capsys.readouterr().out
    assert "input rejected" in out and words in out, out
    assert "Traceback" not in out and not (tmp_path / "out").exists()


def test_cli_accepts_a_utf8_bom_and_markup_in_the_name(tmp_path, capsys):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc(name="tiny [/] [bold]")).encode())
    assert main(["validate", str(path)]) == 0
    assert "tiny [/] [bold] is valid" in capsys.readouterr().out


def test_validate_on_a_50_mb_name_answers_in_seconds_with_a_short_message(tmp_path, capsys):
    path = tmp_path / "big.json"
    path.write_bytes(json.dumps(doc(name="x" * 50_000_000)).encode())
    started = time.monotonic()
    assert main(["validate", str(path)]) == 2
    assert time.monotonic() - started < 10
    out = capsys.readouterr().out
    assert "(50000000 characters)" in out and "at most 200 characters" in out and len(out) < 2_000


def test_validate_prints_at_most_200_problems_and_counts_the_rest(tmp_path, capsys):
    many = doc(flights=[tiny.flight(f"F{i}", "AMS", "LOS", "2027-01-07T10:00:00+01:00", "2027-01-07T16:30:00+01:00",
                                    seats="x") for i in range(500)])
    path = tmp_path / "many.json"
    path.write_bytes(encoded(many))
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().out
    assert "and 300 more" in out and out.count("\n  - ") == 200


def test_nesting_check_tells_deep_from_broken():
    assert nesting_depth_exceeds("[" * 33 + "]" * 33, 32) and not nesting_depth_exceeds("[" * 32 + "]" * 32, 32)
    assert not nesting_depth_exceeds('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "b": [[], {}]}', 3)
    assert not nesting_depth_exceeds("[" * 10, 32)  # unbalanced: json.loads says where


def test_problems_survive_pickling_from_the_child_process():
    import pickle

    error = ScenarioError([Problem("scenario", None, "name", "x", "y")])
    assert pickle.loads(pickle.dumps(error)).problems == error.problems


# ------------------------------------------------------------------------------ workbooks

def _workbook(tmp_path, far_row: int | None = None) -> bytes:
    from planner.loading.tabular import write_workbook

    path = write_workbook(tiny.scenario(), tmp_path / "w.xlsx")
    if far_row is None:
        return path.read_bytes()
    import openpyxl

    book = openpyxl.load_workbook(path)
    book["flights"].cell(row=far_row, column=1, value="x")
    book.save(path)
    return path.read_bytes()


def _without_dimension(content: bytes, row: int) -> bytes:
    """The workbook with each sheet's <dimension> removed and one row numbered `row` added:
    the actual rows are checked, not only what the sheet declares."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                text = re.sub(r"<dimension [^>]*/>", "", data.decode())
                data = text.replace("</sheetData>", f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>x</t>'
                                                    f"</is></c></row></sheetData>").encode()
            target.writestr(info, data)
    return out.getvalue()


@pytest.fixture
def far_workbook(tmp_path) -> bytes:
    return _workbook(tmp_path, far_row=1_048_576)


def test_a_workbook_reaching_row_1048576_is_refused_at_once_naming_the_limit(far_workbook, tmp_path, capsys):
    assert len(far_workbook) < 60_000
    started = time.monotonic()
    with pytest.raises(ScenarioError) as caught:
        read_document(far_workbook, "far.xlsx")
    assert time.monotonic() - started < 1.0
    message = str(caught.value)
    assert "flights" in message and "at most 100,000 rows" in message and "1,048,576" in message
    path = tmp_path / "far.xlsx"
    path.write_bytes(far_workbook)
    assert main(["validate", str(path)]) == 2
    assert "at most 100,000 rows" in capsys.readouterr().out


def test_rows_beyond_the_limit_are_found_without_a_dimension(tmp_path):
    content = _without_dimension(_workbook(tmp_path), 3_000_000)
    with pytest.raises(ScenarioError) as caught:
        read_document(content, "rows.xlsx")
    assert "reaches row 3,000,000" in str(caught.value)


def test_a_zip_bomb_is_refused_on_its_unpacked_size():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b" " * (201 * 2**20))
    with pytest.raises(ScenarioError) as caught:
        read_document(out.getvalue(), "bomb.xlsx")
    assert "at most 200 MB unpacked" in str(caught.value)


def test_the_isolated_reader_turns_a_memory_blowup_into_a_clear_refusal(tmp_path):
    from planner.loading.isolated import read_isolated

    assert read_isolated(_workbook(tmp_path), "ok.xlsx")["name"] == "tiny"
    with pytest.raises(ScenarioError) as caught:
        read_isolated(json.dumps({"x": "y" * 30_000_000}).encode(), "big.json", memory=20 * 2**20)
    assert "at most 20 MB of memory" in str(caught.value)


# -------------------------------------------------------------------------------- service

@pytest.mark.parametrize("label, name, content, words", BAD_FILES, ids=IDS)
def test_upload_refuses_bad_file_with_422_and_stores_nothing(service, label, name, content, words):
    response = service.client("regie").post("/api/scenarios", files={"file": (name, content)})
    assert response.status_code == 422, response.text
    body = response.json()
    assert any(words in p["message"] for p in body["problems"]), body
    assert "er is niets opgeslagen" in body["detail"]
    assert _rows(service) == (0, 0)


def test_upload_of_the_far_workbook_is_422_and_stores_nothing(service, far_workbook):
    started = time.monotonic()
    response = service.client("regie").post("/api/scenarios", files={"file": ("far.xlsx", far_workbook)})
    assert response.status_code == 422 and time.monotonic() - started < 5
    assert "at most 100,000 rows" in response.json()["problems"][0]["message"]
    assert _rows(service) == (0, 0)


def test_upload_accepts_a_utf8_bom_like_the_cli(service):
    content = b"\xef\xbb\xbf" + encoded(doc())
    response = service.client("regie").post("/api/scenarios", files={"file": ("bom.json", content)})
    assert response.status_code == 201, response.text


def test_the_import_page_refuses_a_bad_file_with_a_dutch_page(service):
    client = service.client("regie")
    response = client.post("/scenarios/import", files={"file": ("x.json", encoded(doc(name="a\ud800")))})
    assert response.status_code == 422 and "een los surrogaat U+D800" in response.text  # the rule, in Dutch
    assert _rows(service) == (0, 0)


def test_a_long_file_name_with_control_characters_is_stored_cleaned(service):
    response = service.client("regie").post("/api/scenarios", files={"file": ("a\tb" + "n" * 300 + ".json",
                                                                              encoded(doc()))})
    assert response.status_code == 201, response.text
    assert len(response.json()["source"]) == 200 and "\t" not in response.json()["source"]


def _put(client, scenario_id: int, kind: str, key: str, content: bytes, version: int = 1):
    return client.put(f"/api/scenarios/{scenario_id}/{kind}/{key}", content=content,
                      headers={"If-Match": f'"v{version}"', "Content-Type": "application/json"})


BAD_EDITS = [
    ("line feed", "escorts", "E1", lambda: encoded(tiny.escort("E1", name="a\nb")), "control character U+000A"),
    ("NUL", "escorts", "E1", lambda: encoded(tiny.escort("E1", name="a\x00b")), "control character U+0000"),
    ("lone surrogate", "escorts", "E1", lambda: encoded(tiny.escort("E1", name="a\ud800")), "unpaired surrogate"),
    ("long name", "escorts", "E1", lambda: encoded(tiny.escort("E1", name="n" * 1001)), "at most 1000 characters"),
    ("NaN", "flights", tiny.OUT,
     lambda: json.dumps(tiny.FLIGHTS[0]).replace('"seats": 9', '"seats": NaN').encode(), "NaN, Infinity"),
    ("Infinity", "flights", tiny.OUT,
     lambda: json.dumps(tiny.FLIGHTS[0]).replace('"seats": 9', '"seats": Infinity').encode(), "NaN, Infinity"),
    ("1e308 seats", "flights", tiny.OUT,
     lambda: json.dumps(tiny.FLIGHTS[0]).replace('"seats": 9', '"seats": 1e308').encode(), "at most 10000"),
    ("5000 digits", "flights", tiny.OUT,
     lambda: json.dumps(tiny.FLIGHTS[0]).replace('"seats": 9', '"seats": ' + "9" * 5000).encode(), "at most 15 digits"),
    ("duplicate key", "flights", tiny.OUT,
     lambda: json.dumps(tiny.FLIGHTS[0]).replace('"seats": 9', '"seats": 9, "seats": 8').encode(), "appears twice"),
    ("deep nesting", "flights", tiny.OUT, lambda: b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "nested at most 32 levels"),
    ("not an object", "flights", tiny.OUT, lambda: b"[1]", "a JSON object"),
    ("damaged", "flights", tiny.OUT, lambda: b'{"id": ', "valid JSON"),
    ("UTF-16", "flights", tiny.OUT, lambda: json.dumps(tiny.FLIGHTS[0]).encode("utf-16"), "UTF-16"),
    ("family group with slash", "departures", "D1", lambda: encoded(tiny.departure(family_group="A/B")),
     "a family group id"),
]


@pytest.mark.parametrize("label, kind, key, content, words", BAD_EDITS, ids=[e[0] for e in BAD_EDITS])
def test_edit_refuses_bad_record_with_422_and_changes_nothing(service, label, kind, key, content, words):
    created = service.client("regie").post("/api/scenarios", files={"file": ("t.json", encoded(doc()))})
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    client = service.client("regie" if kind == "departures" else "admin")  # cases vs. resources
    before = client.get(f"/api/scenarios/{sid}/{kind}/{key}").json()
    response = _put(client, sid, kind, key, content())
    assert response.status_code == 422, response.text
    assert any(words in p["message"] for p in response.json()["problems"]), response.json()
    after = client.get(f"/api/scenarios/{sid}/{kind}/{key}").json()
    assert after == before and after["version"] == 1


def test_a_good_edit_still_works(service):
    sid = service.client("regie").post("/api/scenarios", files={"file": ("t.json", encoded(doc()))}).json()["id"]
    client = service.client("admin")
    response = _put(client, sid, "escorts", "E1", encoded(tiny.escort("E1", name="Wachtmeester Één")))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["name"] == "Wachtmeester Één"


def test_what_validates_stores_publishes_and_reads_back(service):
    """Text at every limit (200-character name, 1000-character text, 64-character id, non-ASCII)
    imports and reads back unchanged on this database."""
    client = service.client("regie")
    dep_id = "D." + "x" * 62
    data = doc(name="N" * 200, departures=[tiny.departure(dep_id, family_group="FAM-7")],
               reception=[tiny.reception(contact="Dr. Ọlá, +234 – ☎ " + "c" * 970)])
    created = client.post("/api/scenarios", files={"file": ("ok.json", encoded(data, ensure_ascii=False))})
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert created.json()["name"] == "N" * 200
    record = client.get(f"/api/scenarios/{sid}/departures/{dep_id}")
    assert record.status_code == 200 and record.json()["data"]["id"] == dep_id
    assert client.get(f"/api/scenarios/{sid}/reception").json()[0]["data"]["contact"] == data["reception"][0]["contact"]


# ---------------------------------------------------------------------- the event loop stays free

def _slow_workbook(tmp_path, rows: int) -> bytes:
    """A workbook within every limit whose flights sheet has `rows` rows of 12 cells: seconds of
    parsing (and many problems) for openpyxl, built here as sheet XML in a fraction of a second."""
    from planner.loading.reader import _sheet_names

    source = zipfile.ZipFile(io.BytesIO(_workbook(tmp_path)))
    names = _sheet_names(source)
    cells = "".join(f'<c t="inlineStr"><is><t>v{j}</t></is></c>' for j in range(12))
    extra = "".join(f'<row r="{r}">{cells}</row>' for r in range(10, rows))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if names.get(info.filename) == "flights":
                text = re.sub(r"<dimension [^>]*/>", "", data.decode())
                data = text.replace("</sheetData>", extra + "</sheetData>").encode()
            target.writestr(info, data)
    return out.getvalue()


@pytest.fixture
def live_service(tmp_path):
    """The service on a free port: uvicorn in a thread, as in production (one event loop)."""
    import threading

    import uvicorn

    from publish_support import free_port
    from service import make_service

    port = free_port()
    service = make_service(tmp_path)
    server = uvicorn.Server(uvicorn.Config(service.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    yield service, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(20)


def test_other_requests_answer_within_a_second_while_an_upload_is_parsed(live_service, tmp_path):
    import threading

    import httpx

    from service import PASSWORD

    service, base = live_service
    content = _slow_workbook(tmp_path, 15_000)
    client = httpx.Client(base_url=base, timeout=120)
    me = client.post("/api/session", json={"username": "regie", "password": PASSWORD})
    assert me.status_code == 200, me.text
    client.headers["X-CSRF-Token"] = me.json()["csrf_token"]
    result = {}

    def upload():
        started = time.monotonic()
        result["response"] = client.post("/api/scenarios", files={"file": ("slow.xlsx", content)})
        result["seconds"] = time.monotonic() - started

    uploading = threading.Thread(target=upload)
    uploading.start()
    time.sleep(1.0)  # the upload has arrived and is being parsed
    latencies = []
    with httpx.Client(base_url=base, timeout=30) as other:
        for _ in range(3):
            started = time.monotonic()
            assert other.get("/login").status_code == 200
            latencies.append(time.monotonic() - started)
            assert uploading.is_alive(), "the upload finished too soon to show anything"
    uploading.join(120)
    assert max(latencies) < 1.0, latencies
    response = result["response"]
    assert response.status_code == 422, response.text[:500]
    assert _rows(service) == (0, 0)
    print(f"upload parsed in {result['seconds']:.1f} s; concurrent GET /login took {max(latencies) * 1000:.0f} ms at most")
