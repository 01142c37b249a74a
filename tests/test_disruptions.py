"""Disruptions files (vertrekplanner/disruptions@1): each kind's exact effect, window cutting,
and bad files rejected whole, through the function and through `vertrekplanner disrupt`."""
from __future__ import annotations

import copy
import json

import pytest

import tiny
from planner.cli import main
from planner.disruptions import DISRUPTIONS_FORMAT, apply_disruptions, cut_windows
from planner.errors import ScenarioError

JAN_START, JAN_END = tiny.JANUARY[0]
A = "2027-01-10T00:00:00+01:00"
B = "2027-01-12T00:00:00+01:00"


def disruptions(*items, **top):
    return {"format": DISRUPTIONS_FORMAT, **top, "disruptions": list(items)}


def applied(*items, scenario=None, **top):
    """The scenario after the items, and a check that nothing outside ``changed`` moved."""
    original = scenario or tiny.scenario()
    before = copy.deepcopy(original)
    doc = apply_disruptions(original, disruptions(*items, **top))
    assert original == before  # the input document is not modified
    return original, doc


def same_except(original: dict, doc: dict, key: str, rid: str | None = None) -> None:
    """Everything equal but the record ``rid`` of list ``key`` (or the top-level ``key``)."""
    assert set(original) == set(doc)
    for k in original:
        if k != key:
            assert doc[k] == original[k], k
    if rid is not None:
        assert [r for r in doc[key] if r["id"] != rid] == [r for r in original[key] if r["id"] != rid]


def record(doc, key, rid):
    return next(r for r in doc[key] if r["id"] == rid)


def problems(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


# --- each kind -------------------------------------------------------------------------------

def test_flight_cancelled_sets_cancelled():
    original, doc = applied({"kind": "flight_cancelled", "flight": tiny.OUT})
    assert record(doc, "flights", tiny.OUT) == {**record(original, "flights", tiny.OUT), "cancelled": True}
    same_except(original, doc, "flights", tiny.OUT)


def test_person_unavailable_cuts_an_escort_and_a_medic():
    original, doc = applied({"kind": "person_unavailable", "person": "E2", "window": [A, B]},
                            {"kind": "person_unavailable", "person": "N1", "window": [A, B]})
    assert record(doc, "escorts", "E2")["available"] == [[JAN_START, A], [B, JAN_END]]
    assert record(doc, "medics", "N1")["available"] == [[JAN_START, A], [B, JAN_END]]
    assert record(doc, "escorts", "E1") == record(original, "escorts", "E1")
    assert record(doc, "medics", "N2") == record(original, "medics", "N2")
    for key in ("escorts", "medics"):
        original[key] = doc[key]
    assert doc == original


def test_vehicle_unavailable_cuts_its_windows():
    original, doc = applied({"kind": "vehicle_unavailable", "vehicle": "AMB-1", "window": [JAN_START, A]})
    assert record(doc, "vehicles", "AMB-1") == {**record(original, "vehicles", "AMB-1"), "available": [[A, JAN_END]]}
    same_except(original, doc, "vehicles", "AMB-1")


def test_reception_withdrawn_sets_confirmed_false():
    original, doc = applied({"kind": "reception_withdrawn", "reception": "REC-LOS"})
    assert record(doc, "reception", "REC-LOS") == {**record(original, "reception", "REC-LOS"), "confirmed": False}
    same_except(original, doc, "reception", "REC-LOS")


def test_departure_blocked_creates_then_appends_to_blocked():
    original, doc = applied({"kind": "departure_blocked", "departure": "D1", "window": [A, B]},
                            {"kind": "departure_blocked", "departure": "D1", "window": [JAN_START, A]})
    assert "blocked" not in record(original, "departures", "D1")
    assert record(doc, "departures", "D1") == {**record(original, "departures", "D1"),
                                               "blocked": [[A, B], [JAN_START, A]]}
    same_except(original, doc, "departures", "D1")


def test_departure_cancelled_removes_it():
    two = tiny.scenario(departures=[tiny.departure("D1"), tiny.departure("D2")])
    original, doc = applied({"kind": "departure_cancelled", "departure": "D1"}, scenario=two)
    assert doc["departures"] == [record(original, "departures", "D2")]
    same_except(original, doc, "departures")


def test_departure_added_appends_it():
    new = tiny.departure("D9", priority=5)
    original, doc = applied({"kind": "departure_added", "departure": new})
    assert doc["departures"] == original["departures"] + [new]
    same_except(original, doc, "departures")


def test_planning_time_is_replaced_and_a_file_without_items_changes_nothing_else():
    original, doc = applied(planning_time="2027-01-06T14:00:00+01:00")
    assert doc == {**original, "planning_time": "2027-01-06T14:00:00+01:00"}


def test_items_apply_in_order_cancelled_then_added_again():
    replacement = tiny.departure("D1", priority=5)
    _, doc = applied({"kind": "departure_cancelled", "departure": "D1"},
                     {"kind": "departure_added", "departure": replacement},
                     {"kind": "departure_blocked", "departure": "D1", "window": [A, B]})
    assert doc["departures"] == [{**replacement, "blocked": [[A, B]]}]


# --- window cutting --------------------------------------------------------------------------

W = ["2027-01-05T00:00:00+01:00", "2027-01-15T00:00:00+01:00"]


@pytest.mark.parametrize("gap, expected", [
    # inside: two windows; the untouched ends keep their text, the cut ends take the gap's
    ([A, B], [[W[0], A], [B, W[1]]]),
    # covering (also exactly equal): removed
    (["2027-01-01T00:00:00+01:00", "2027-01-20T00:00:00+01:00"], []),
    (W, []),
    # overlapping the start or the end: shortened
    (["2027-01-01T00:00:00+01:00", A], [[A, W[1]]]),
    ([B, "2027-01-20T00:00:00+01:00"], [[W[0], B]]),
    # disjoint, or only touching (windows are end-exclusive): unchanged
    (["2027-01-20T00:00:00+01:00", "2027-01-21T00:00:00+01:00"], [W]),
    ([W[1], "2027-01-21T00:00:00+01:00"], [W]),
])
def test_cut_windows(gap, expected):
    assert cut_windows([W], gap) == expected


def test_cut_windows_compares_instants_not_text():
    # The same instants written in UTC: still inside, and each piece keeps the text it came from.
    gap = ["2027-01-09T23:00:00Z", "2027-01-11T23:00:00+00:00"]
    assert cut_windows([W, ["2027-01-20T00:00:00+01:00", "2027-01-21T00:00:00+01:00"]], gap) == [
        [W[0], gap[0]], [gap[1], W[1]], ["2027-01-20T00:00:00+01:00", "2027-01-21T00:00:00+01:00"]]


def test_a_person_unavailable_for_all_their_time_has_no_window_left():
    _, doc = applied({"kind": "person_unavailable", "person": "E1", "window": [JAN_START, JAN_END]})
    assert record(doc, "escorts", "E1")["available"] == []


# --- bad files -------------------------------------------------------------------------------

BAD_ITEMS = [
    ({"kind": "flight_late", "flight": tiny.OUT}, "disruptions[#1].kind = 'flight_late'"),
    ({"flight": tiny.OUT}, "disruptions[#1].kind = None"),
    ("flight_cancelled", "disruptions[#1]. = 'flight_cancelled'"),
    ({"kind": "flight_cancelled", "flight": "XX1"}, "disruptions[#1].flight = 'XX1': a flight id"),
    ({"kind": "flight_cancelled"}, "disruptions[#1].flight = None"),
    ({"kind": "person_unavailable", "person": "AMB-1", "window": [A, B]},
     "disruptions[#1].person = 'AMB-1': an escort or medic id"),
    ({"kind": "vehicle_unavailable", "vehicle": "E1", "window": [A, B]}, "disruptions[#1].vehicle = 'E1'"),
    ({"kind": "reception_withdrawn", "reception": "REC-XX"}, "disruptions[#1].reception = 'REC-XX'"),
    ({"kind": "departure_blocked", "departure": "D7", "window": [A, B]}, "disruptions[#1].departure = 'D7'"),
    ({"kind": "departure_cancelled", "departure": "D7"}, "disruptions[#1].departure = 'D7'"),
    ({"kind": "person_unavailable", "person": "E1"}, "disruptions[#1].window = None"),
    ({"kind": "person_unavailable", "person": "E1", "window": [A]}, "disruptions[#1].window = ["),
    ({"kind": "person_unavailable", "person": "E1", "window": [A, "2027-01-12T00:00:00"]},
     "UTC offset"),
    ({"kind": "vehicle_unavailable", "vehicle": "AMB-1", "window": [B, A]},
     "disruptions[#1].window = ['2027-01-12T00:00:00+01:00', '2027-01-10T00:00:00+01:00']: a window whose start"),
    ({"kind": "departure_blocked", "departure": "D1", "window": [A, A]}, "a window whose start lies before its end"),
    ({"kind": "departure_added", "departure": tiny.departure("D1")},
     "disruptions[#1].departure.id = 'D1': a new departure id"),
    ({"kind": "departure_added", "departure": "D9"}, "disruptions[#1].departure = 'D9'"),
    ({"kind": "departure_added", "departure": tiny.departure("bad id!")}, "disruptions[#1].departure.id = 'bad id!'"),
]


@pytest.mark.parametrize("item, message", BAD_ITEMS)
def test_a_bad_item_is_rejected(item, message):
    with pytest.raises(ScenarioError) as excinfo:
        apply_disruptions(tiny.scenario(), disruptions(item))
    assert any(message in p for p in problems(excinfo)), problems(excinfo)


@pytest.mark.parametrize("doc, message", [
    ({"format": "vertrekplanner/disruptions@2", "disruptions": []}, "disruptions.format = 'vertrekplanner/disruptions@2'"),
    ({"disruptions": []}, "disruptions.format = None"),
    ({"format": DISRUPTIONS_FORMAT}, "disruptions.disruptions = None: a list"),
    ({"format": DISRUPTIONS_FORMAT, "disruptions": {"kind": "flight_cancelled"}}, "disruptions.disruptions = {"),
    (disruptions(planning_time="2027-01-06T14:00:00"), "disruptions.planning_time = '2027-01-06T14:00:00'"),
    (disruptions(planning_time=20270106), "disruptions.planning_time = 20270106"),
    (["not", "an", "object"], "disruptions. = 'list'"),
])
def test_a_bad_top_level_is_rejected(doc, message):
    with pytest.raises(ScenarioError) as excinfo:
        apply_disruptions(tiny.scenario(), doc)
    assert any(message in p for p in problems(excinfo)), problems(excinfo)


def test_a_departure_cancelled_twice_or_then_blocked_is_rejected():
    with pytest.raises(ScenarioError) as excinfo:
        apply_disruptions(tiny.scenario(), disruptions(
            {"kind": "departure_cancelled", "departure": "D1"},
            {"kind": "departure_cancelled", "departure": "D1"},
            {"kind": "departure_blocked", "departure": "D1", "window": [A, B]}))
    assert problems(excinfo) == [
        "disruptions[#2].departure = 'D1': a departure id of the scenario (this one is cancelled by #1)",
        "disruptions[#3].departure = 'D1': a departure id of the scenario (this one is cancelled by #1)"]


def test_a_departure_added_twice_is_rejected():
    with pytest.raises(ScenarioError) as excinfo:
        apply_disruptions(tiny.scenario(), disruptions({"kind": "departure_added", "departure": tiny.departure("D9")},
                                                       {"kind": "departure_added", "departure": tiny.departure("D9")}))
    assert [p.id for p in excinfo.value.problems] == ["#2"]


def test_an_added_departure_is_validated_like_the_scenario():
    bad = tiny.departure("D9", risk="extreme", reception="REC-XX")
    with pytest.raises(ScenarioError) as excinfo:
        apply_disruptions(tiny.scenario(), disruptions({"kind": "departure_added", "departure": bad}))
    found = problems(excinfo)
    assert any(p.startswith("departures[D9].risk = 'extreme'") for p in found), found
    assert any(p.startswith("departures[D9].reception = 'REC-XX'") for p in found), found


def test_every_problem_of_a_file_is_listed():
    doc = {"format": "nope", "planning_time": "soon", "disruptions": [
        {"kind": "flight_cancelled", "flight": tiny.OUT},  # fine: a good item does not hide the rest
        {"kind": "flight_cancelled", "flight": "XX1"},
        {"kind": "teleport"},
        {"kind": "person_unavailable", "person": "NOBODY", "window": [B, A]},
        42,
    ]}
    with pytest.raises(ScenarioError) as excinfo:
        apply_disruptions(tiny.scenario(), doc)
    where = [(p.id, p.field) for p in excinfo.value.problems]
    assert where == [(None, "format"), (None, "planning_time"), ("#2", "flight"), ("#3", "kind"),
                     ("#4", "window"), ("#4", "person"), ("#5", "")]


# --- the command line ------------------------------------------------------------------------

def write(tmp_path, data, name):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_cli_writes_the_disrupted_scenario_that_validate_accepts(tmp_path, capsys):
    scenario = write(tmp_path, tiny.scenario(), "scenario.json")
    items = [{"kind": "flight_cancelled", "flight": tiny.OUT},
             {"kind": "person_unavailable", "person": "E2", "window": [A, B]},
             {"kind": "departure_added", "departure": tiny.departure("D9", person={"ref": "P-Ë9"})}]
    file = write(tmp_path, disruptions(*items, planning_time="2027-01-05T08:00:00+01:00"), "disruptions.json")
    out = tmp_path / "new" / "scenario.json"
    assert main(["disrupt", str(scenario), str(file), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"flight_cancelled: 1 ({tiny.OUT})" in printed and "departure_added: 1 (D9)" in printed
    text = out.read_text(encoding="utf-8")
    assert "P-Ë9" in text and text.startswith('{\n "format"')  # UTF-8, indent 1
    assert json.loads(text) == apply_disruptions(tiny.scenario(), disruptions(*items, planning_time="2027-01-05T08:00:00+01:00"))
    assert not list(out.parent.glob("*.tmp"))
    assert main(["validate", str(out)]) == 0


def test_cli_reads_a_csv_folder_scenario(tmp_path):
    from planner.loading.tabular import write_csv_folder

    folder = tmp_path / "csv"
    write_csv_folder(tiny.scenario(), folder)
    file = write(tmp_path, disruptions({"kind": "reception_withdrawn", "reception": "REC-LOS"}), "d.json")
    out = tmp_path / "out.json"
    assert main(["disrupt", str(folder), str(file), "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["reception"][0]["confirmed"] is False


@pytest.mark.parametrize("item, message", BAD_ITEMS[:4] + BAD_ITEMS[13:16])
def test_cli_rejects_a_bad_file_and_writes_nothing(tmp_path, capsys, item, message):
    scenario = write(tmp_path, tiny.scenario(), "scenario.json")
    file = write(tmp_path, disruptions({"kind": "reception_withdrawn", "reception": "REC-LOS"}, item), "d.json")
    out = tmp_path / "out.json"
    assert main(["disrupt", str(scenario), str(file), "-o", str(out)]) == 2
    assert message.replace("#1", "#2") in capsys.readouterr().out
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_cli_names_every_problem_and_unreadable_files(tmp_path, capsys):
    scenario = write(tmp_path, tiny.scenario(), "scenario.json")
    file = write(tmp_path, {"format": "x", "disruptions": [{"kind": "flight_cancelled", "flight": "XX1"},
                                                          {"kind": "teleport"}]}, "d.json")
    out = tmp_path / "out.json"
    assert main(["disrupt", str(scenario), str(file), "-o", str(out)]) == 2
    printed = capsys.readouterr().out
    assert "3 problem(s)" in printed and "disruptions.format = 'x'" in printed
    assert "disruptions[#1].flight = 'XX1'" in printed and "disruptions[#2].kind = 'teleport'" in printed

    # The strict reader of scenarios (duplicate keys, NaN), and a missing scenario named in the same answer.
    (tmp_path / "dup.json").write_text('{"format": "a",\n "format": "b", "disruptions": []}', encoding="utf-8")
    assert main(["disrupt", str(tmp_path / "missing.json"), str(tmp_path / "dup.json"), "-o", str(out)]) == 2
    printed = capsys.readouterr().out
    assert "disruptions.line 1 = 'format'" in printed and "'format' appears twice" in printed
    assert "scenario.path" in printed and "missing.json" in printed
    (tmp_path / "nan.json").write_text('{"format": "vertrekplanner/disruptions@1", "disruptions": [NaN]}')
    assert main(["disrupt", str(scenario), str(tmp_path / "nan.json"), "-o", str(out)]) == 2
    assert "disruptions.line 1 = 'NaN'" in capsys.readouterr().out
    assert not out.exists()
