"""Verifying a patched copy of a scenario quickly (planner/loading/patching.py, parse_scenario(like=)).

``apply_patch_shared`` gives what ``jsonpatch.apply_patch`` gives, copies only the containers on
the way to what a patch touches, shares the rest with the document and never changes it.
``parse_scenario(patched, like=base)`` reuses the records the patch left alone (whole sections,
or the other records of a section when one record changed) and gives exactly what a fresh
``parse_scenario(patched)`` gives, problems and the order of the records included.
"""
from __future__ import annotations

import copy
import functools

import jsonpatch
import jsonpointer
import pytest
from tiny import escort, scenario

from planner.errors import ScenarioError
from planner.generator import generate
from planner.loading.patching import apply_patch_shared
from planner.scenario import ENTITY_KEYS, parse_scenario

FIELDS = ("name", "planning_time", "planning_time_text", "horizon", "parameters", "airports", "airlines", "flights",
          "locations", "vehicles", "escorts", "medics", "reception", "departures")

OPS = {
    "add at the end of a list": [{"op": "add", "path": "/escorts/1/skills/-", "value": "minors"}],
    "add to an object": [{"op": "add", "path": "/escorts/0/visas/GH", "value": "2027-12-31"}],
    "add into a list": [{"op": "add", "path": "/escorts/0", "value": escort("E0")}],
    "remove": [{"op": "remove", "path": "/medics/1"}],
    "replace": [{"op": "replace", "path": "/departures/0/travel_document/valid_until", "value": "2027-01-06"}],
    "move": [{"op": "move", "from": "/escorts/0/skills", "path": "/escorts/1/skills"}],
    "move within a record": [{"op": "move", "from": "/reception/0/contact", "path": "/reception/0/note"}],
    "copy": [{"op": "copy", "from": "/escorts/0/available", "path": "/medics/0/available"}],
    "test": [{"op": "test", "path": "/reception/0/confirmed", "value": True},
             {"op": "replace", "path": "/reception/0/confirmed", "value": False}],
    "into what an earlier op moved": [{"op": "move", "from": "/escorts/1/visas", "path": "/medics/0/visas"},
                                      {"op": "add", "path": "/medics/0/visas/GH", "value": "2027-12-31"}],
    "into what an earlier op added": [{"op": "add", "path": "/escorts/-", "value": escort("E3")},
                                      {"op": "add", "path": "/escorts/2/skills/-", "value": "minors"}],
    "a top-level field": [{"op": "replace", "path": "/name", "value": "other"}],
    "a new top-level field": [{"op": "add", "path": "/note", "value": {"a": [1]}}],
    "the whole document": [{"op": "replace", "path": "", "value": {"name": "x"}}],
}


def _containers(node, path=()):
    """Every dict and list in the document with its path."""
    if isinstance(node, (dict, list)):
        yield path, node
        for key, value in (node.items() if isinstance(node, dict) else enumerate(node)):
            yield from _containers(value, path + (key,))


@pytest.mark.parametrize("ops", OPS.values(), ids=OPS.keys())
def test_shared_patch_equals_jsonpatch_and_leaves_the_document(ops):
    doc = scenario()
    before = copy.deepcopy(doc)
    shared = apply_patch_shared(doc, ops)
    assert shared == jsonpatch.apply_patch(before, ops)
    assert doc == before
    assert shared is not doc


def test_only_the_containers_on_the_way_are_copied():
    doc = scenario()
    ops = OPS["add at the end of a list"] + OPS["copy"]
    shared = apply_patch_shared(doc, ops)
    copied = {(), ("escorts",), ("escorts", 1), ("escorts", 1, "skills"), ("escorts", 0), ("medics",),
              ("medics", 0)}
    written = ("medics", 0, "available")  # the copy's target: a new value
    originals = dict(_containers(doc))
    for path, node in _containers(shared):
        if path in copied:
            assert node is not originals[path], path
        elif path in originals and path[:3] != written:
            assert node is originals[path], path  # shared, by identity
    assert shared["escorts"][1]["skills"] == ["minors"] and doc["escorts"][1]["skills"] == []
    for key in ("flights", "departures", "reception", "parameters", "airlines", "locations", "vehicles"):
        assert shared[key] is doc[key]


def test_a_move_copies_both_parents():
    doc = scenario()
    shared = apply_patch_shared(doc, OPS["move"])
    assert shared["escorts"][0] is not doc["escorts"][0] and shared["escorts"][1] is not doc["escorts"][1]
    assert shared["escorts"][1]["skills"] is doc["escorts"][0]["skills"]  # moved, not changed: still shared
    assert "skills" in doc["escorts"][0] and shared["medics"] is doc["medics"]


@pytest.mark.parametrize("ops, error", [
    ([{"op": "replace", "path": "/departures/7/priority", "value": 1}], jsonpointer.JsonPointerException),
    ([{"op": "replace", "path": "/nothing/here", "value": 1}], jsonpointer.JsonPointerException),
    ([{"op": "replace", "path": "/departures/0/nothing", "value": 1}], jsonpatch.JsonPatchException),
    ([{"op": "remove", "path": "/escorts/5"}], jsonpatch.JsonPatchException),
    ([{"op": "add", "path": "/escorts/-/skills", "value": []}], jsonpointer.JsonPointerException),
    ([{"op": "replace", "path": "/name/x", "value": 1}], jsonpointer.JsonPointerException),
    ([{"op": "replace", "path": "no-slash", "value": 1}], jsonpointer.JsonPointerException),
    ([{"op": "move", "from": "/escorts/9", "path": "/medics/-"}], jsonpatch.JsonPatchException),
    ([{"op": "test", "path": "/reception/0/confirmed", "value": False}], jsonpatch.JsonPatchException),
    ([{"op": "replace", "path": "/name", "value": "x"}, {"op": "frobnicate", "path": "/name"}],
     jsonpatch.JsonPatchException),
])
def test_a_bad_patch_raises_what_jsonpatch_raises(ops, error):
    doc = scenario()
    before = copy.deepcopy(doc)
    with pytest.raises(error) as expected:
        jsonpatch.apply_patch(before, ops)
    with pytest.raises(error) as got:
        apply_patch_shared(doc, ops)
    assert type(got.value) is type(expected.value) and str(got.value) == str(expected.value)
    assert doc == before


# --- parse_scenario(patched, like=base) ---------------------------------------------------------

def _parsed(doc):
    try:
        return parse_scenario(doc)
    except ScenarioError as e:
        return e.problems


def _same_result(base_doc: dict, ops: list[dict]):
    """parse_scenario with like= gives what a fresh parse gives; returns that."""
    base = parse_scenario(base_doc)
    patched = apply_patch_shared(base_doc, ops)
    fresh = _parsed(copy.deepcopy(patched))
    try:
        quick = parse_scenario(patched, like=base)
    except ScenarioError as e:
        assert e.problems == fresh
        return fresh
    assert not isinstance(fresh, list), fresh
    for name in FIELDS:
        assert getattr(quick, name) == getattr(fresh, name), name
    for name in ENTITY_KEYS:  # never a container of base's, and in document order, as a fresh parse reads them
        assert getattr(quick, name) is not getattr(base, name)
        assert list(getattr(quick, name)) == list(getattr(fresh, name)), name
    assert quick.raw is patched
    return quick


def _with_airports() -> dict:
    """The tiny scenario with its airports listed, and an escort based at Brussels (a shipped airport)."""
    return scenario(airports=[{"iata": "AMS", "timezone": "Europe/Amsterdam", "country": "NL"}],
                    escorts=[escort("E1", sex="F", skills=["team_leader", "minors"]), escort("E2"),
                             escort("E9", base="BRU")])


TINY_CASES = {
    "document validity": [{"op": "replace", "path": "/departures/0/travel_document/valid_until",
                           "value": "2027-03-31"}],
    "reception hours": [{"op": "replace", "path": "/reception/0/open/thu", "value": ["06:00", "23:00"]}],
    "reception closed": [{"op": "remove", "path": "/reception/0/open/thu"}],
    "flight seats": [{"op": "replace", "path": "/flights/0/seats", "value": 3}],
    "flight stretcher": [{"op": "replace", "path": "/flights/1/stretcher", "value": True}],
    "two flights and a departure": [{"op": "replace", "path": "/flights/0/seats", "value": 2},
                                    {"op": "replace", "path": "/flights/1/cancelled", "value": True},
                                    {"op": "replace", "path": "/departures/0/priority", "value": 1}],
    "departure and its reception": [{"op": "replace", "path": "/departures/0/travel_document/valid_from",
                                     "value": "2026-12-01"},
                                    {"op": "replace", "path": "/reception/0/open/mon", "value": ["09:00", "17:00"]}],
    "escort visa": [{"op": "add", "path": "/escorts/1/visas/GH", "value": "2027-06-30"}],
    "escort added": [{"op": "add", "path": "/escorts/-", "value": escort("E3", base="ACC")}],
    "escort skill": [{"op": "add", "path": "/escorts/1/skills/-", "value": "minors"}],
    "name": [{"op": "replace", "path": "/name", "value": "renamed"}],
    "no change": [],
    # broken: the checks across sections still see them
    "unknown reception": [{"op": "replace", "path": "/departures/0/reception", "value": "REC-NONE"}],
    "reception removed": [{"op": "remove", "path": "/reception/0"}],
    "airline removed": [{"op": "remove", "path": "/airlines/0"}],
    "location removed": [{"op": "remove", "path": "/locations/0"}],
    "reception elsewhere": [{"op": "replace", "path": "/reception/0/airport", "value": "ACC"}],
    "unknown airport": [{"op": "replace", "path": "/escorts/0/base", "value": "QQQ"}],
    "bad text": [{"op": "replace", "path": "/escorts/0/name", "value": "line\nbreak"}],
    "bad visa": [{"op": "add", "path": "/escorts/1/visas/GH", "value": "soon"}],
    "bad parameter": [{"op": "replace", "path": "/parameters/checkin_minutes", "value": -5}],
    "unknown carrier": [{"op": "replace", "path": "/flights/0/carrier", "value": "XX"}],
    "duplicate flight id": [{"op": "replace", "path": "/flights/1/id", "value": "KL587-20270107"}],
    "flights swapped": [{"op": "move", "from": "/flights/0", "path": "/flights/1"}],
    "flight given another id": [{"op": "replace", "path": "/flights/0/id", "value": "KL999-20270107"}],
    "flight not an object": [{"op": "replace", "path": "/flights/0", "value": 5}],
    "bad flight text": [{"op": "replace", "path": "/flights/1/number", "value": "KL\u0000588"}],
    "bad flight times": [{"op": "replace", "path": "/flights/0/arrives", "value": "2027-01-07T09:00:00+01:00"}],
    "departure given another id": [{"op": "replace", "path": "/departures/0/id", "value": "D9"}],
    "airline code changed": [{"op": "replace", "path": "/airlines/0/code", "value": "XX"}],
    "vehicle seats": [{"op": "replace", "path": "/vehicles/0/seats", "value": 0}],
}


@pytest.mark.parametrize("ops", TINY_CASES.values(), ids=TINY_CASES.keys())
def test_parse_like_equals_a_fresh_parse(ops):
    _same_result(scenario(), ops)


@pytest.mark.parametrize("ops", TINY_CASES.values(), ids=TINY_CASES.keys())
def test_parse_like_equals_a_fresh_parse_with_listed_airports(ops):
    _same_result(_with_airports(), ops)


def test_problems_are_found_through_like():
    with pytest.raises(ScenarioError) as e:
        parse_scenario(apply_patch_shared(scenario(), TINY_CASES["unknown reception"]), like=parse_scenario(scenario()))
    assert [(p.entity, p.field) for p in e.value.problems] == [("departures", "reception")]


def test_an_airport_no_longer_used_is_not_kept():
    doc = _with_airports()
    base = parse_scenario(doc)
    assert "BRU" in base.airports
    quick = _same_result(doc, [{"op": "remove", "path": "/escorts/2"}])
    assert "BRU" not in quick.airports and set(quick.airports) == {"AMS", "LOS"}


def test_a_document_with_other_top_level_keys_falls_back():
    doc = scenario()
    base = parse_scenario(doc)
    other = {k: v for k, v in doc.items() if k != "vehicles"}
    with pytest.raises(ScenarioError):
        parse_scenario(other, like=base)
    assert parse_scenario(copy.deepcopy(doc), like=base) == base  # equal, not identical: all read again
    assert _parsed({"format": 1}) == _problems_like({"format": 1}, base)


def _problems_like(doc, base):
    try:
        parse_scenario(doc, like=base)
    except ScenarioError as e:
        return e.problems
    raise AssertionError("no problems")


@functools.cache
def _generated() -> dict:
    return generate("small", 1)


GENERATED_CASES = ("document validity", "reception hours", "reception confirmed", "flight seats", "escort visa",
                   "escort added", "medic removed", "unknown reception", "airline removed", "airport removed",
                   "reception at another airport", "flight stretcher", "unknown carrier", "duplicate flight id",
                   "flights swapped", "flight given another id", "bad flight text", "two flights and a departure",
                   "departure and its reception", "departure given another id", "airline code changed",
                   "airport time zone", "airport connection time", "bad departure text")


def _generated_cases() -> dict[str, list[dict]]:
    doc = _generated()
    dep = doc["departures"][0]
    rec = next(i for i, r in enumerate(doc["reception"]) if r["id"] == dep["reception"])
    return {
        "document validity": [{"op": "replace", "path": "/departures/0/travel_document/valid_until",
                               "value": "2030-01-01"}],
        "reception hours": [{"op": "add", "path": f"/reception/{rec}/open/sun", "value": ["00:00", "24:00"]}],
        "reception confirmed": [{"op": "replace", "path": f"/reception/{rec}/confirmed", "value": True}],
        "flight seats": [{"op": "replace", "path": "/flights/10/seats", "value": 0}],
        "escort visa": [{"op": "add", "path": "/escorts/3/visas/NG", "value": "2030-01-01"}],
        "escort added": [{"op": "add", "path": "/escorts/-", "value": escort("KMAR-999", base="BRU")}],
        "medic removed": [{"op": "remove", "path": "/medics/0"}],
        "unknown reception": [{"op": "replace", "path": "/departures/1/reception", "value": "REC-NONE"}],
        "airline removed": [{"op": "remove", "path": "/airlines/0"}],
        "airport removed": [{"op": "remove", "path": "/airports/0"}],
        "reception at another airport": [{"op": "replace", "path": f"/reception/{rec}/airport", "value": "ACC"}],
        "flight stretcher": [{"op": "replace", "path": "/flights/10/stretcher",
                              "value": not doc["flights"][10]["stretcher"]}],
        "unknown carrier": [{"op": "replace", "path": "/flights/10/carrier", "value": "XX"}],
        "duplicate flight id": [{"op": "replace", "path": "/flights/11/id", "value": doc["flights"][10]["id"]}],
        "flights swapped": [{"op": "move", "from": "/flights/10", "path": "/flights/11"}],
        "flight given another id": [{"op": "replace", "path": "/flights/10/id", "value": "XX1-20300101"}],
        "bad flight text": [{"op": "replace", "path": "/flights/10/number", "value": "a\nb"}],
        "two flights and a departure": [{"op": "replace", "path": "/flights/10/seats", "value": 1},
                                        {"op": "replace", "path": "/flights/500/fare_eur", "value": 10},
                                        {"op": "replace", "path": "/departures/3/priority", "value": 1}],
        "departure and its reception": [{"op": "replace", "path": "/departures/0/travel_document/valid_until",
                                          "value": "2030-01-01"},
                                         {"op": "replace", "path": f"/reception/{rec}/confirmed", "value": True}],
        "departure given another id": [{"op": "replace", "path": "/departures/1/id", "value": "D-OTHER"}],
        "airline code changed": [{"op": "replace", "path": "/airlines/0/code", "value": "XX"}],
        "airport time zone": [{"op": "replace", "path": "/airports/0/timezone", "value": "Mars/Olympus"}],
        "airport connection time": [{"op": "add", "path": "/airports/0/mct_minutes", "value": 95}],
        "bad departure text": [{"op": "replace", "path": "/departures/2/person/ref", "value": "x" * 100_000}],
    }


@pytest.mark.parametrize("case", GENERATED_CASES)
def test_parse_like_equals_a_fresh_parse_on_a_generated_scenario(case):
    before = copy.deepcopy(_generated())
    _same_result(_generated(), _generated_cases()[case])
    assert _generated() == before


def test_the_records_a_patch_left_alone_are_like_s_own():
    """One changed record is read anew; the others of its section are base's objects, by identity."""
    doc = _generated()
    base = parse_scenario(doc)
    fid, did = doc["flights"][10]["id"], doc["departures"][1]["id"]
    ops = [{"op": "replace", "path": "/flights/10/seats", "value": 1},
           {"op": "replace", "path": "/departures/1/priority", "value": 5}]
    quick = parse_scenario(apply_patch_shared(doc, ops), like=base)
    assert quick.flights[fid].seats == 1 and quick.departures[did].priority == 5
    for mine, theirs, changed in ((quick.flights, base.flights, fid), (quick.departures, base.departures, did)):
        assert [k for k in mine if mine[k] is not theirs[k]] == [changed]
        assert list(mine) == list(theirs)
    # A departure reads the receptions: when one changes, every departure is read anew (equal, not base's).
    rec = next(i for i, r in enumerate(doc["reception"]) if r["id"] == doc["departures"][0]["reception"])
    quick = parse_scenario(apply_patch_shared(doc, [{"op": "replace", "path": f"/reception/{rec}/confirmed",
                                                     "value": True}]), like=base)
    assert quick.departures == base.departures
    assert not any(quick.departures[k] is base.departures[k] for k in base.departures)
    assert all(quick.flights[k] is base.flights[k] for k in base.flights)
