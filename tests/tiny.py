"""Tiny scenarios and plans as plain dicts, so that a test states only what matters.

The default scenario has one medical departure ``D1`` (risk low: two escorts; a
nurse with skill psychiatric) from Amsterdam UMC to a hospital in Lagos, the KLM
flights AMS->LOS and back on 7 January 2027, two escorts, two medics, one ambulance
and the reception. ``valid_plan()`` is a hand-made plan for it that breaks no rule.

Override with keyword arguments: a dict value is merged into the default (so
``scenario(parameters={"max_connections": 0})`` changes one parameter), any other
value replaces it (wrap a dict in ``exactly()`` to replace it too). ``departure()``, ``escort()``, ``medic()`` and ``flight()`` build
single records the same way. All times are written out by hand, with offsets.
"""
from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from planner.scenario import Scenario, parse_scenario

PLAN_FORMAT = "vertrekplanner/plan@1"
ALL_WEEK = {d: ["08:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


class exactly(dict):
    """A dict value that replaces the default instead of being merged into it, e.g. ``visas=exactly({})``."""


def merge(base: dict, patch: dict) -> dict:
    """A deep copy of ``base`` with ``patch`` merged in (dicts recursively, anything else replaced)."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, exactly):
            out[key] = copy.deepcopy(dict(value))
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def shift(instant: str, minutes: int) -> str:
    """An instant moved by some minutes, keeping its offset (plain arithmetic, for building plans)."""
    return (datetime.fromisoformat(instant) + timedelta(minutes=minutes)).isoformat()


def flight(fid: str, frm: str, to: str, departs: str, arrives: str, **patch: Any) -> dict:
    return merge({"id": fid, "carrier": "KL", "number": fid.split("-")[0], "from": frm, "to": to,
                  "departs": departs, "arrives": arrives, "seats": 9, "stretcher": False,
                  "fare_eur": 600, "cancelled": False}, patch)


OUT = "KL587-20270107"  # AMS 10:00 -> LOS 16:30 (both +01:00)
BACK = "KL588-20270107"  # LOS 22:00 -> AMS 05:30 next day

FLIGHTS = [
    flight(OUT, "AMS", "LOS", "2027-01-07T10:00:00+01:00", "2027-01-07T16:30:00+01:00", stretcher=True),
    flight(BACK, "LOS", "AMS", "2027-01-07T22:00:00+01:00", "2027-01-08T05:30:00+01:00"),
]

JANUARY = [["2027-01-01T00:00:00+01:00", "2027-02-01T00:00:00+01:00"]]


def escort(eid: str, **patch: Any) -> dict:
    return merge({"id": eid, "name": f"Wachtmeester {eid}", "sex": "M", "base": "AMS", "skills": [],
                  "visas": {"NG": "2027-12-31"}, "available": JANUARY}, patch)


def medic(mid: str, **patch: Any) -> dict:
    return merge({"id": mid, "name": f"Verpleegkundige {mid}", "role": "nurse", "skills": ["psychiatric"],
                  "base": "AMS", "visas": {"NG": "2027-12-31"}, "available": JANUARY, "day_rate_eur": 600}, patch)


def reception(rid: str = "REC-LOS", **patch: Any) -> dict:
    return merge({"id": rid, "name": "Lagos University Teaching Hospital", "kind": "hospital", "country": "NG",
                  "airport": "LOS", "transfer_minutes": 60, "confirmed": True, "open": ALL_WEEK,
                  "closed_dates": [], "contact": "desk"}, patch)


def departure(did: str = "D1", **patch: Any) -> dict:
    base = {
        "id": did,
        "kind": "medical",
        "person": {"ref": f"P-{did}", "sex": "M", "birth_date": "1980-05-01"},
        "priority": 3,
        "risk": "low",
        "pickup": {"location": "AMC", "window": ["2027-01-05T00:00:00+01:00", "2027-01-12T00:00:00+01:00"]},
        "ready_from": "2027-01-05T00:00:00+01:00",
        "deadline": "2027-01-15T00:00:00+01:00",
        "destination_country": "NG",
        "destination_airports": ["LOS"],
        "reception": "REC-LOS",
        "travel_document": {"kind": "laissez-passer", "valid_from": "2027-01-01", "valid_until": "2027-02-28"},
        "fit_to_fly_until": "2027-01-31",
        "medical": {"stretcher": False, "wheelchair": None, "oxygen": False, "medic_role": "nurse",
                    "medic_skills": ["psychiatric"], "max_travel_hours": 24},
    }
    return merge(base, patch)


def scenario(**patch: Any) -> dict:
    base = {
        "format": "vertrekplanner/scenario@1",
        "name": "tiny",
        "planning_time": "2027-01-04T09:00:00+01:00",
        "horizon": ["2027-01-05T00:00:00+01:00", "2027-01-19T00:00:00+01:00"],
        "parameters": {
            "checkin_minutes": 120,
            "min_connection_minutes": 60,
            "escorts_by_risk": {"none": 0, "low": 2, "medium": 2, "high": 3},
            "escort_min_turnaround_minutes": 120,
            "escort_max_away_hours": 48,
            "escort_rest_hours": 12,
            "overnight_cost_eur": 150,
            "visa_required_countries": ["NG"],
            "stretcher_seats": 3,
            "max_connections": 1,
        },
        "airlines": [{"code": "KL", "max_escorted_per_flight": 2, "accepts_stretcher": True, "medif_lead_hours": 48}],
        "flights": FLIGHTS,
        "locations": [{"id": "AMC", "name": "Amsterdam UMC", "kind": "hospital", "drive_minutes": {"AMS": 30}}],
        "vehicles": [{"id": "AMB-1", "kind": "ambulance", "stretcher": True, "seats": 4, "available": JANUARY}],
        "escorts": [escort("E1", sex="F", skills=["team_leader", "minors"]), escort("E2")],
        "medics": [medic("N1"), medic("N2", role="physician", skills=["icu"])],
        "reception": [reception()],
        "departures": [departure()],
    }
    return merge(base, patch)


def build(data: dict | None = None, **patch: Any) -> Scenario:
    """The typed scenario for a dict (default: ``scenario(**patch)``)."""
    return parse_scenario(data if data is not None else scenario(**patch))


def flights_with(fid: str, flights: list[dict] | None = None, **patch: Any) -> list[dict]:
    """The flight list (default: the tiny one) with one flight changed, e.g. cancelled=True."""
    return [merge(f, patch) if f["id"] == fid else copy.deepcopy(f) for f in (flights or FLIGHTS)]


def crew(mapping: dict[str, list[str]]) -> list[dict]:
    """Companion entries of a plan: id -> return flights."""
    return [{"id": c, "return_flights": list(r)} for c, r in mapping.items()]


def planned(did: str = "D1", *, flights: list[str], pickup: str, handover: str, escorts: dict[str, list[str]],
            medics: dict[str, list[str]] | None = None, vehicle: str = "AMB-1", location: str = "AMC",
            airport: str = "AMS", reception_id: str = "REC-LOS") -> dict:
    """A planned departure entry; ``escorts`` and ``medics`` map a companion to their return flights."""
    return {
        "id": did,
        "planned": True,
        "flights": list(flights),
        "pickup": {"location": location, "vehicle": vehicle, "time": pickup, "airport": airport},
        "escorts": crew(escorts),
        "medics": crew(medics or {}),
        "handover": {"reception": reception_id, "time": handover},
    }


def unplanned(did: str, *reasons: str) -> dict:
    return {"id": did, "planned": False, "reasons": list(reasons or ["no flight fits the window"])}


def plan(*entries: dict, name: str = "tiny") -> dict:
    return {"format": PLAN_FORMAT, "scenario": name, "generated_at": "2027-01-04T09:00:00+01:00",
            "departures": list(entries)}


def d1_planned(**patch: Any) -> dict:
    """D1 on KL587 with E1, E2 and nurse N1 home on KL588.

    Pickup 10:00 - 120 min check-in - 30 min drive = 07:30; handover 16:30 + 60 min = 17:30.
    """
    entry = planned("D1", flights=[OUT], pickup="2027-01-07T07:30:00+01:00", handover="2027-01-07T17:30:00+01:00",
                    escorts={"E1": [BACK], "E2": [BACK]}, medics={"N1": [BACK]})
    return merge(entry, patch)


def valid_plan(**patch: Any) -> dict:
    return plan(d1_planned(**patch))
