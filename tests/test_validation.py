"""Bad input is rejected with every problem named: entity, id, field, value, expectation."""
from __future__ import annotations

import copy
import json

import pytest

import tiny
from planner.errors import ScenarioError
from planner.scenario import load_scenario, parse_scenario


def problems(data: dict) -> list:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    return caught.value.problems


def find(found: list, entity: str, rid, field: str):
    hits = [p for p in found if p.entity == entity and p.id == rid and p.field == field]
    assert hits, f"no problem for {entity}[{rid}].{field} in {[str(p) for p in found]}"
    return hits[0]


def with_departure(**patch) -> dict:
    return tiny.scenario(departures=[tiny.departure(**patch)])


def test_the_tiny_scenario_is_valid():
    assert parse_scenario(tiny.scenario()).departures["D1"].priority == 3


def test_wrong_format():
    p = find(problems(tiny.scenario(format="vertrekplanner/scenario@2")), "scenario", None, "format")
    assert p.value == "vertrekplanner/scenario@2" and "scenario@1" in p.expected


@pytest.mark.parametrize("patch, entity, rid, field, value", [
    ({"departures": [tiny.departure(pickup={"location": "XYZ"})]}, "departures", "D1", "pickup.location", "XYZ"),
    ({"departures": [tiny.departure(reception="REC-NONE")]}, "departures", "D1", "reception", "REC-NONE"),
    ({"flights": tiny.flights_with(tiny.OUT, carrier="ZZ")}, "flights", tiny.OUT, "carrier", "ZZ"),
    ({"flights": tiny.flights_with(tiny.OUT, to="QQQ")}, "flights", tiny.OUT, "to", "QQQ"),
    ({"escorts": [tiny.escort("E1", base="QQQ")]}, "escorts", "E1", "base", "QQQ"),
    ({"airports": [{"iata": "LOS", "timezone": "Africa/Atlantis", "country": "NG"}]}, "airports", "LOS",
     "timezone", "Africa/Atlantis"),
])
def test_unknown_references(patch, entity, rid, field, value):
    p = find(problems(tiny.scenario(**patch)), entity, rid, field)
    assert p.value == value


def test_instant_without_offset():
    p = find(problems(tiny.scenario(flights=tiny.flights_with(tiny.OUT, departs="2027-01-07T10:00:00"))),
             "flights", tiny.OUT, "departs")
    assert "offset" in p.expected
    p = find(problems(with_departure(ready_from="2027-01-05 00:00")), "departures", "D1", "ready_from")
    assert "offset" in p.expected


def test_window_start_not_before_end():
    window = ["2027-01-12T00:00:00+01:00", "2027-01-05T00:00:00+01:00"]
    p = find(problems(with_departure(pickup={"window": window})), "departures", "D1", "pickup.window")
    assert p.value == window and "start" in p.expected
    equal = [["2027-01-05T00:00:00+01:00", "2027-01-04T23:00:00+00:00"]]  # the same instant
    find(problems(tiny.scenario(escorts=[tiny.escort("E1", available=equal)])), "escorts", "E1", "available[0]")


def test_negative_durations():
    p = find(problems(tiny.scenario(parameters={"checkin_minutes": -30})), "parameters", None, "checkin_minutes")
    assert p.value == -30 and "negative" in p.expected
    rec = [tiny.reception(transfer_minutes=-5)]
    find(problems(tiny.scenario(reception=rec)), "reception", "REC-LOS", "transfer_minutes")


@pytest.mark.parametrize("patch, entity, rid, field, value", [
    ({"departures": [tiny.departure(kind="tourist")]}, "departures", "D1", "kind", "tourist"),
    ({"departures": [tiny.departure(risk="extreme")]}, "departures", "D1", "risk", "extreme"),
    ({"departures": [tiny.departure(medical={"wheelchair": "WCHX"})]}, "departures", "D1", "medical.wheelchair", "WCHX"),
    ({"medics": [tiny.medic("N1", role="surgeon")]}, "medics", "N1", "role", "surgeon"),
    ({"reception": [tiny.reception(kind="hotel")]}, "reception", "REC-LOS", "kind", "hotel"),
    ({"escorts": [tiny.escort("E1", sex="male")]}, "escorts", "E1", "sex", "male"),
])
def test_unknown_enum_values(patch, entity, rid, field, value):
    p = find(problems(tiny.scenario(**patch)), entity, rid, field)
    assert p.value == value and "one of" in p.expected


def test_duplicate_ids():
    p = find(problems(tiny.scenario(escorts=[tiny.escort("E1"), tiny.escort("E1")])), "escorts", "E1", "id")
    assert "unique" in p.expected


def test_opening_hours_and_dates():
    rec = [tiny.reception(open=tiny.exactly({"mon": ["20:00", "08:00"], "fun": ["08:00", "09:00"]}))]
    found = problems(tiny.scenario(reception=rec))
    find(found, "reception", "REC-LOS", "open.mon")
    find(found, "reception", "REC-LOS", "open.fun")
    find(problems(with_departure(travel_document={"valid_until": "31-12-2027"})), "departures", "D1",
         "travel_document.valid_until")


def test_medical_departure_needs_fit_to_fly():
    data = with_departure()
    del data["departures"][0]["fit_to_fly_until"]
    find(problems(data), "departures", "D1", "fit_to_fly_until")


def test_every_problem_is_reported_at_once():
    data = tiny.scenario(format="x", escorts=[tiny.escort("E1", sex="?"), tiny.escort("E1")],
                         flights=tiny.flights_with(tiny.OUT, carrier="ZZ", seats=-1),
                         departures=[tiny.departure(risk="?", ready_from="2027-01-05")])
    found = problems(data)
    fields = {(p.entity, p.field) for p in found}
    assert {("scenario", "format"), ("escorts", "sex"), ("escorts", "id"), ("flights", "carrier"),
            ("flights", "seats"), ("departures", "risk"), ("departures", "ready_from")} <= fields
    text = str(ScenarioError(found))
    assert "flights[KL587-20270107].carrier = 'ZZ'" in text


def test_airport_zone_can_be_overridden():
    sc = parse_scenario(tiny.scenario(airports=[{"iata": "LOS", "timezone": "Asia/Kathmandu", "country": "NG"}]))
    assert str(sc.tz("LOS")) == "Asia/Kathmandu"
    assert str(parse_scenario(tiny.scenario()).tz("LOS")) == "Africa/Lagos"  # from airportsdata


def test_bad_json_file_names_the_position(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "vertrekplanner/scenario@1",,}', encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "line 1" in caught.value.problems[0].field


def test_shared_scenarios_are_valid(shared_scenarios):
    for path in shared_scenarios:
        sc = load_scenario(path)
        assert sc.departures and sc.flights


def test_a_valid_scenario_round_trips_through_json(tmp_path):
    data = tiny.scenario()
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_scenario(path).departures.keys() == parse_scenario(copy.deepcopy(data)).departures.keys()
