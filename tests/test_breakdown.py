"""What each planned departure costs and which soft goals it gave up (planner/breakdown.py).

Every figure is recomputed here from the scenario's own numbers — fares, the overnight cost,
day rates — with plain date arithmetic, never with ``planner.rules``.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from pypdf import PdfReader

import tiny
from conftest import SHARED
from tiny import flight
from planner.breakdown import breakdown
from planner.checker import check_plan
from planner.outputs import write_outputs
from planner.plan import build_plan
from planner.scenario import parse_scenario
from planner.solve import SolveOptions, solve

BACK9 = "KL588-20270109"  # LOS 22:00 on 9 January -> AMS 05:30 on the 10th, cheaper
LATE_RETURN = tiny.FLIGHTS + [flight(BACK9, "LOS", "AMS", "2027-01-09T22:00:00+01:00",
                                     "2027-01-10T05:30:00+01:00", fare_eur=450)]


def expected(data: dict, entry: dict, tz_of) -> dict:
    """The cost of a planned entry from the scenario dict alone (tz_of: an airport's zone)."""
    flights = {f["id"]: f for f in data["flights"]}
    dep = next(d for d in data["departures"] if d["id"] == entry["id"])
    medical = dep.get("medical") or {}
    seats = data["parameters"]["stretcher_seats"] if medical.get("stretcher") else 1
    legs = [flights[i] for i in entry["flights"]]
    fares = lambda fs: sum(f["fare_eur"] for f in fs)  # noqa: E731
    when = datetime.fromisoformat
    dest_tz = tz_of(legs[-1]["to"])
    arrival_day = when(legs[-1]["arrives"]).astimezone(dest_tz).date()
    out = {"returnee": fares(legs) * seats, "companions": 0, "nights": 0, "days": 0, "medic": 0}
    for kind in ("escorts", "medics"):
        for c in entry[kind]:
            back = [flights[i] for i in c["return_flights"]]
            out["companions"] += fares(legs) + fares(back)
            out["nights"] += (when(back[0]["departs"]).astimezone(dest_tz).date() - arrival_day).days
            if kind == "medics":
                rate = next(m for m in data["medics"] if m["id"] == c["id"])["day_rate_eur"]
                hours = (when(back[-1]["arrives"]) - when(entry["pickup"]["time"])) / timedelta(hours=1)
                out["days"] += math.ceil(hours / 24)
                out["medic"] += math.ceil(hours / 24) * rate
    out["overnights"] = out["nights"] * data["parameters"]["overnight_cost_eur"]
    out["total"] = out["returnee"] + out["companions"] + out["overnights"] + out["medic"]
    return out


def assert_matches(data: dict, entry: dict, tz_of) -> None:
    want, cost = expected(data, entry, tz_of), entry["cost"]
    assert cost["returnee_fares_eur"] == pytest.approx(want["returnee"], abs=0.005)
    assert cost["companion_fares_eur"] == pytest.approx(want["companions"], abs=0.005)
    assert cost["overnights"] == want["nights"]
    assert cost["overnights_eur"] == pytest.approx(want["overnights"], abs=0.005)
    assert cost["medic_days"] == want["days"]
    assert cost["medic_days_eur"] == pytest.approx(want["medic"], abs=0.005)
    assert cost["total_eur"] == pytest.approx(want["total"], abs=0.005)
    assert round(sum(line["eur"] for line in cost["lines"]), 2) == cost["total_eur"]


# --- A hand-made plan -----------------------------------------------------------------------------

def test_tiny_plan_costs_by_hand():
    sc = tiny.build()
    out = breakdown(sc, tiny.d1_planned())
    # Fares 600 a seat each way; nurse N1 600 a day. Returnee: KL587, 1 seat. E1, E2, N1: KL587 + KL588.
    # No local midnight in Lagos between 16:30 and 22:00 on 7 January. N1: pickup 07:30 on the 7th
    # to home 05:30 on the 8th = 22 hours = one started day.
    assert out["cost"] == {
        "total_eur": 4800.0, "returnee_fares_eur": 600.0, "companion_fares_eur": 3600.0,
        "medic_days_eur": 600.0, "overnights_eur": 0.0, "overnights": 0, "medic_days": 1,
        "lines": [
            {"what": "Returnee: fares KL587 (1 seat per leg)",
             "what_nl": "Terugkeerder: tickets KL587 (1 stoel per vlucht)", "eur": 600.0},
            {"what": "Escort E1: fares out KL587 and home KL588",
             "what_nl": "KMar-escort E1: tickets heen KL587 en terug KL588", "eur": 1200.0},
            {"what": "Escort E2: fares out KL587 and home KL588",
             "what_nl": "KMar-escort E2: tickets heen KL587 en terug KL588", "eur": 1200.0},
            {"what": "Nurse N1: fares out KL587 and home KL588",
             "what_nl": "Verpleegkundige N1: tickets heen KL587 en terug KL588", "eur": 1200.0},
            {"what": "Nurse N1: 1 day × EUR 600.00 day rate",
             "what_nl": "Verpleegkundige N1: 1 dag × EUR 600,00 dagtarief", "eur": 600.0},
        ],
    }
    # Ready from 00:00 on 5 January, first departure 10:00 on the 7th: 58 hours, × priority 3.
    # Pickup 07:30, handover 17:30: 10 hours. Rule 2's earliest first departure: window start
    # 00:00 on the 5th + 120 min check-in + 30 min drive = 02:30.
    assert out["soft_goals"] == {"waiting_hours": 58, "priority": 3, "waiting_hours_weighted": 174,
                                 "pickup_to_handover_hours": 10.0,
                                 "earliest_allowed_first_departure": "2027-01-05T02:30:00+01:00"}
    assert_matches(tiny.scenario(), tiny.d1_planned() | out, sc.tz)


def test_stretcher_overnights_and_medic_days_by_hand():
    data = tiny.scenario(flights=LATE_RETURN, departures=[tiny.departure(medical={"stretcher": True})])
    sc = tiny.build(data)
    entry = tiny.d1_planned(escorts=tiny.crew({"E1": [BACK9], "E2": [BACK9]}), medics=tiny.crew({"N1": [BACK9]}))
    cost = breakdown(sc, entry)["cost"]
    # Stretcher: 3 seats × 600. Each companion 600 out + 450 home; midnights in Lagos on the 8th and
    # 9th: 2 nights × 150 each. N1: 07:30 on the 7th to 05:30 on the 10th = 70 hours = 3 days × 600.
    assert (cost["returnee_fares_eur"], cost["companion_fares_eur"]) == (1800.0, 3 * 1050.0)
    assert (cost["overnights"], cost["overnights_eur"]) == (6, 900.0)
    assert (cost["medic_days"], cost["medic_days_eur"]) == (3, 1800.0)
    assert cost["total_eur"] == 1800 + 3150 + 900 + 1800
    assert cost["lines"][0]["what_nl"] == "Terugkeerder: tickets KL587 (3 stoelen per vlucht, brancard)"
    assert {"what": "Escort E1: 2 overnights in LOS × EUR 150.00",
            "what_nl": "KMar-escort E1: 2 overnachtingen in LOS × EUR 150,00", "eur": 300.0} in cost["lines"]
    assert {"what": "Nurse N1: 3 days × EUR 600.00 day rate",
            "what_nl": "Verpleegkundige N1: 3 dagen × EUR 600,00 dagtarief", "eur": 1800.0} in cost["lines"]
    assert_matches(data, entry | {"cost": cost}, sc.tz)


def test_an_entry_naming_an_unknown_flight_gets_no_figures():
    assert breakdown(tiny.build(), tiny.d1_planned(flights=["XX1-20270107"])) == {}


# --- Plans from a solve: the departures add up to level 3 -------------------------------------------

def assert_adds_up(data: dict, plan: dict, tz_of) -> None:
    planned = [d for d in plan["departures"] if d["planned"]]
    objective = plan["solver"]["objective"]
    total_cents = sum(round(d["cost"]["total_eur"] * 100) for d in planned)
    assert total_cents == round(objective["cost_eur"] * 100)
    assert sum(d["soft_goals"]["waiting_hours_weighted"] for d in planned) == objective["waiting_hours"]
    for d in planned:
        assert_matches(data, d, tz_of)


@pytest.mark.parametrize("quick", [True, False])
def test_tiny_solve_adds_up_to_level_3(quick):
    data = tiny.scenario(flights=LATE_RETURN)
    sc = parse_scenario(data)
    plan = build_plan(sc, solve(sc, SolveOptions(time_limit=10, workers=1, quick=quick)))
    assert check_plan(sc, plan) == []
    assert [d["planned"] for d in plan["departures"]] == [True]
    assert_adds_up(data, plan, sc.tz)


def test_small_solve_adds_up_to_level_3():
    path = SHARED / "small.json"
    if not path.is_file():
        pytest.skip(f"reference scenario {path} not present")
    data = json.loads(path.read_text())
    sc = parse_scenario(data)
    plan = build_plan(sc, solve(sc, SolveOptions(quick=True, workers=1)))
    assert any(d["planned"] for d in plan["departures"])
    assert_adds_up(data, plan, sc.tz)


# --- The itinerary ----------------------------------------------------------------------------------

def test_itinerary_shows_costs_and_choices(tmp_path):
    sc = tiny.build()
    write_outputs(sc, tiny.valid_plan(), tmp_path)
    html = unescape((tmp_path / "itineraries" / "D1.html").read_text())
    section = html[html.index("<h2>Kosten en keuzes</h2>"):]
    for what, amount in [("Terugkeerder: tickets KL587 (1 stoel per vlucht)", "EUR 600,00"),
                         ("KMar-escort E1: tickets heen KL587 en terug KL588", "EUR 1 200,00"),
                         ("KMar-escort E2: tickets heen KL587 en terug KL588", "EUR 1 200,00"),
                         ("Verpleegkundige N1: tickets heen KL587 en terug KL588", "EUR 1 200,00"),
                         ("Verpleegkundige N1: 1 dag × EUR 600,00 dagtarief", "EUR 600,00")]:
        assert f"<td>{what}</td><td>{amount}</td>" in section
    assert "<b>EUR 4 800,00</b>" in section  # 600 + 3 × 1200 + 600
    assert "tot de eerste vlucht: 58 uur; gewogen: 174 uur (× prioriteit 3)" in section
    assert "van ophalen tot overdracht: 10 u." in section
    pdf = "\n".join(p.extract_text() for p in PdfReader(str(tmp_path / "itineraries" / "D1.pdf")).pages)
    flat = re.sub(r"\s+", " ", pdf)
    assert "Kosten en keuzes" in flat and "4 800,00" in flat and "dagtarief" in flat
