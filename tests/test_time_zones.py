"""Instants, local dates and times of day across a daylight-saving change and at +05:45."""
from __future__ import annotations

from datetime import date

import pytest

import tiny
from tiny import departure, escort, flight, medic, reception, scenario
from planner import rules, timeutil
from planner.checker import check_plan
from planner.plan import build_plan
from planner.scenario import parse_scenario
from planner.solve import SolveOptions, solve

AMS = timeutil.zone("Europe/Amsterdam")
KTM = timeutil.zone("Asia/Kathmandu")


def test_offsets_follow_the_european_dst_change():
    before = timeutil.instant_minutes("2027-03-28T01:30:00+01:00")
    after = before + 60  # 02:30 UTC+1 does not exist: the clock jumps to 03:30 CEST
    assert timeutil.iso(before, AMS) == "2027-03-28T01:30:00+01:00"
    assert timeutil.iso(after, AMS) == "2027-03-28T03:30:00+02:00"
    assert timeutil.local_minute_of_day(after, AMS) == (date(2027, 3, 28), 3 * 60 + 30)


def test_kathmandu_is_five_hours_forty_five_ahead():
    m = timeutil.instant_minutes("2026-12-10T18:20:00+00:00")
    assert timeutil.iso(m, KTM) == "2026-12-11T00:05:00+05:45"
    assert timeutil.local_date(m, KTM) == date(2026, 12, 11)  # already the next day there


def test_instants_without_offset_are_refused():
    with pytest.raises(timeutil.NoOffsetError):
        timeutil.parse_instant("2026-12-10T18:20:00")


def test_local_midnights_count_nights_abroad():
    arrive = timeutil.instant_minutes("2026-12-10T23:00:00+05:45")
    leave = timeutil.instant_minutes("2026-12-12T01:00:00+05:45")
    assert timeutil.local_midnights_between(arrive, leave, KTM) == 2


def _ktm_scenario(open_hours: dict) -> dict:
    out = flight("QR1-20270107", "AMS", "KTM", "2027-01-07T10:00:00+01:00", "2027-01-08T05:00:00+05:45")
    back = flight("QR2-20270108", "KTM", "AMS", "2027-01-08T09:00:00+05:45", "2027-01-08T18:00:00+01:00")
    return scenario(
        flights=[out, back],
        parameters={"visa_required_countries": ["NP"], "escort_max_away_hours": 72},
        escorts=[escort("E1", skills=["team_leader"], visas={"NP": "2027-01-08"}), escort("E2", visas={"NP": "2027-06-30"})],
        medics=[medic("N1", visas={"NP": "2027-06-30"})],
        reception=[reception("REC-KTM", country="NP", airport="KTM", transfer_minutes=45, open=tiny.exactly(open_hours))],
        departures=[departure(destination_country="NP", destination_airports=["KTM"], reception="REC-KTM")],
    )


def test_handover_at_plus_0545_is_planned_in_local_opening_hours():
    # Landing 05:00 local + 45 min transfer = 05:45 in Kathmandu (00:00 UTC).
    sc = parse_scenario(_ktm_scenario({d: ["05:45", "12:00"] for d in tiny.ALL_WEEK}))
    plan = build_plan(sc, solve(sc, SolveOptions(time_limit=10, workers=1)))
    assert check_plan(sc, plan) == []
    entry = plan["departures"][0]
    assert entry["handover"]["time"] == "2027-01-08T05:45:00+05:45"
    # The escort's visa for Nepal ends on the local landing date 8 January: still valid that day.
    assert {e["id"] for e in entry["escorts"]} == {"E1", "E2"}


def test_reception_closing_a_minute_earlier_at_plus_0545_makes_it_unplannable():
    sc = parse_scenario(_ktm_scenario({d: ["06:00", "12:00"] for d in tiny.ALL_WEEK}))
    plan = build_plan(sc, solve(sc, SolveOptions(time_limit=10, workers=1)))
    assert check_plan(sc, plan) == []
    entry = plan["departures"][0]
    assert not entry["planned"] and entry["reason_rules"] == [9]


def test_pickup_across_the_dst_change_keeps_wall_clock_arithmetic_exact():
    """A flight at 09:00 CEST on 28 March: pickup 2.5 hours before is 06:30 CEST, not 05:30."""
    out = flight("KL1-20270328", "AMS", "LOS", "2027-03-28T09:00:00+02:00", "2027-03-28T14:30:00+01:00")
    back = flight("KL2-20270328", "LOS", "AMS", "2027-03-28T22:00:00+01:00", "2027-03-29T06:30:00+02:00")
    march = [["2027-03-20T00:00:00+01:00", "2027-04-10T00:00:00+02:00"]]
    data = scenario(
        planning_time="2027-03-20T09:00:00+01:00",
        horizon=["2027-03-21T00:00:00+01:00", "2027-04-04T00:00:00+02:00"],
        flights=[out, back],
        escorts=[escort("E1", skills=["team_leader"], available=march), escort("E2", available=march)],
        medics=[medic("N1", available=march)],
        vehicles=[{"id": "AMB-1", "kind": "ambulance", "stretcher": True, "seats": 4, "available": march}],
        departures=[departure(pickup={"window": ["2027-03-27T00:00:00+01:00", "2027-03-30T00:00:00+02:00"]},
                              ready_from="2027-03-27T00:00:00+01:00", deadline="2027-04-01T00:00:00+02:00",
                              travel_document={"valid_from": "2027-03-01", "valid_until": "2027-04-30"},
                              fit_to_fly_until="2027-04-30")],
    )
    sc = parse_scenario(data)
    plan = build_plan(sc, solve(sc, SolveOptions(time_limit=10, workers=1)))
    assert check_plan(sc, plan) == []
    entry = plan["departures"][0]
    assert entry["pickup"]["time"] == "2027-03-28T06:30:00+02:00"  # 09:00 - 120 check-in - 30 drive
    assert rules.local_date(sc, sc.flights["KL2-20270328"].arrives, "AMS") == date(2027, 3, 29)


def test_a_span_keeps_the_ends_own_date_and_zone():
    from planner.outputs.derive import local, span_text
    from planner.timeutil import instant_minutes, zone

    ams, ist = zone("Europe/Amsterdam"), zone("Europe/Istanbul")
    start = local(instant_minutes("2026-12-07T06:20:00+01:00"), ams)
    # A three-day mission reads as three days, not as "06:20 – 02:05".
    three_days = local(instant_minutes("2026-12-09T02:05:00+01:00"), ams)
    assert span_text(start, three_days) == "ma 7 dec 2026 06:20 – wo 9 dec 2026 02:05"
    same_day = local(instant_minutes("2026-12-07T09:00:00+01:00"), ams)
    assert span_text(start, same_day) == "ma 7 dec 2026 06:20 – 09:00"
    # A flight landing in Istanbul ends at Istanbul's time, named as such: city and offset.
    landing = local(instant_minutes("2026-12-07T15:25:00+03:00"), ist)
    text = span_text(local(instant_minutes("2026-12-07T10:10:00+01:00"), ams), landing, "en")
    assert text == "Mon 7 Dec 2026 10:10 Amsterdam, UTC+1 – 15:25 Istanbul, UTC+3"
    # Landing the next day elsewhere: the end keeps both its date and its zone.
    late = local(instant_minutes("2026-12-08T01:25:00+03:00"), ist)
    text = span_text(local(instant_minutes("2026-12-07T20:10:00+01:00"), ams), late, "en")
    assert text == "Mon 7 Dec 2026 20:10 Amsterdam, UTC+1 – Tue 8 Dec 2026 01:25 Istanbul, UTC+3"


def test_a_span_over_the_clock_change_names_both_offsets():
    from planner.outputs.derive import local, span_text
    from planner.timeutil import instant_minutes, zone

    ams = zone("Europe/Amsterdam")
    # Pickup 01:00 in winter time, return 20:10 the next day in summer time: one zone, two offsets.
    start = local(instant_minutes("2027-03-28T01:00:00+01:00"), ams)
    end = local(instant_minutes("2027-03-29T20:10:00+02:00"), ams)
    assert span_text(start, end) == "zo 28 mrt 2027 01:00 Amsterdam, UTC+1 – ma 29 mrt 2027 20:10 Amsterdam, UTC+2"


@pytest.mark.parametrize("text, tz, lang, expected", [
    # Amsterdam in winter (UTC+1) and in summer (UTC+2), in each document language.
    ("2026-12-01T14:14:00+01:00", "Europe/Amsterdam", "nl", "di 1 dec 2026 14:14 Amsterdam, UTC+1"),
    ("2026-12-01T14:14:00+01:00", "Europe/Amsterdam", "en", "Tue 1 Dec 2026 14:14 Amsterdam, UTC+1"),
    ("2026-12-01T14:14:00+01:00", "Europe/Amsterdam", "fr", "mar. 1 déc. 2026 14 h 14 Amsterdam, UTC+1"),
    ("2027-07-06T09:05:00+02:00", "Europe/Amsterdam", "nl", "di 6 jul 2027 09:05 Amsterdam, UTC+2"),
    ("2027-07-06T09:05:00+02:00", "Europe/Amsterdam", "en", "Tue 6 Jul 2027 09:05 Amsterdam, UTC+2"),
    # Offsets that are not whole hours, and ones west of Greenwich or on it.
    ("2026-12-11T00:05:00+05:45", "Asia/Kathmandu", "en", "Fri 11 Dec 2026 00:05 Kathmandu, UTC+5:45"),
    ("2026-12-11T08:30:00+05:30", "Asia/Kolkata", "nl", "vr 11 dec 2026 08:30 Kolkata, UTC+5:30"),
    ("2026-12-11T08:30:00-03:30", "America/St_Johns", "en", "Fri 11 Dec 2026 08:30 St Johns, UTC-3:30"),
    ("2026-12-11T08:30:00-05:00", "America/New_York", "en", "Fri 11 Dec 2026 08:30 New York, UTC-5"),
    ("2026-12-11T08:30:00+00:00", "Europe/London", "en", "Fri 11 Dec 2026 08:30 London, UTC+0"),
])
def test_a_time_reads_date_time_city_and_offset(text, tz, lang, expected):
    from planner.outputs.derive import local

    t = local(timeutil.instant_minutes(text), timeutil.zone(tz))
    assert t.full(lang) == expected
    assert expected.endswith(" " + t.zone_label) and ", UTC" in t.zone_label


def test_the_city_comes_from_the_airport():
    from planner.outputs.derive import airport_city, local

    sc = parse_scenario(scenario())
    assert airport_city(sc, "AMS") == "Amsterdam"
    assert airport_city(sc, "DOH") == "Doha"  # not the zone's "Qatar"
    assert airport_city(sc, "IST") == "Istanbul"  # not the district airportsdata names first
    assert airport_city(sc, "DEL") == "New Delhi"
    t = local(timeutil.instant_minutes("2026-12-07T13:10:00+03:00"), timeutil.zone("Asia/Qatar"), airport_city(sc, "DOH"))
    assert t.full("en") == "Mon 7 Dec 2026 13:10 Doha, UTC+3"


def test_an_airport_the_scenario_puts_in_another_zone_reads_by_that_zone():
    from planner.outputs.derive import airport_city

    # The scenario moves KTM to Asia/Kolkata: the shipped city "Kathmandu" would mislead, the zone's does not.
    sc = parse_scenario(scenario(airports=[{"iata": "KTM", "timezone": "Asia/Kolkata", "country": "NP"}]))
    assert airport_city(sc, "KTM") == "Kolkata"
