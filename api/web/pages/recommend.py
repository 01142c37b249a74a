"""Passende opties: the best ways to fit one departure into the unit's published plan without moving
anything else (api/recommending.py), and choosing one, which makes a draft plan that only adds it.

The options are the planner's, each already checked as a whole plan; the page only shows them
(itinerary with flight numbers, pickup and handover, team, medic, vehicle, cost, waiting hours) or,
when none fits, the planner's reasons.
"""
from __future__ import annotations

import time
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy.orm import Session

from planner import timeutil
from planner.outputs import derive

from ... import recommending
from ... import scenarios as store
from ...auth import Principal, db_session, require
from ...deps import scenario_for
from .. import data
from ..render import page
from .common import _see_other

router = APIRouter(include_in_schema=False)


def _euro(value) -> str:
    text = f"{float(value):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"€ {text}"


def _hours(value) -> str:
    return f"{float(value):g}".replace(".", ",")


def _option_view(sc, option: dict) -> dict:
    legs = []
    for fid in option.get("flights", []):
        flight = sc.flights.get(fid)
        if flight is None:
            legs.append({"number": fid, "text": fid})
            continue
        departs = data.when_text(timeutil.iso(flight.departs, sc.tz(flight.origin)))
        arrives = data.when_text(timeutil.iso(flight.arrives, sc.tz(flight.dest)))
        legs.append({"number": flight.number, "origin": flight.origin, "dest": flight.dest,
                     "departs": departs, "arrives": arrives})

    def escort(pid):
        person = sc.escorts.get(pid)
        return f"{person.name} ({pid})" if person else pid

    def medic(pid):
        person = sc.medics.get(pid)
        if person is None:
            return pid
        return f"{person.name}, {derive.MEDIC_ROLE.get(person.role, {}).get('nl', person.role)} ({pid})"

    def vehicle(vid):
        found = sc.vehicles.get(vid)
        return f"{vid} ({found.kind}, {found.seats} plaatsen)" if found else str(vid)

    members = [{"departure": m["departure"], "pickup": data.when_text(m.get("pickup")),
                "handover": data.when_text(m.get("handover")),
                "escorts": [escort(e) for e in m.get("escorts", [])],
                "medics": [medic(x) for x in m.get("medics", [])],
                "vehicle": vehicle(m.get("vehicle"))} for m in option.get("members", [])]
    return {"rank": option["rank"], "route": option.get("route", "").replace("→", " → "), "legs": legs,
            "flights": option.get("flights", []), "first_departure": data.when_text(option.get("first_departure")),
            "members": members, "waiting_hours": option.get("waiting_hours"), "cost": _euro(option.get("cost_eur", 0)),
            "care_hours": _hours(option.get("pickup_to_handover_hours", 0)),
            "handover_open": option.get("handover_open", True)}


@router.get("/scenarios/{scenario_id}/departures/{dep_id}/opties")
def options_page(request: Request, scenario_id: int, dep_id: str,
                 principal: Principal = Depends(require("plan.read")), session: Session = Depends(db_session)):
    row = scenario_for(session, principal, scenario_id)
    if store.get_record(session, scenario_id, "departures", dep_id) is None:
        raise HTTPException(404, f"Vertrek {dep_id} bestaat niet in dit scenario")
    started = time.perf_counter()
    try:
        found = recommending.options(session, scenario_id, dep_id)
    except KeyError:
        raise HTTPException(404, f"Vertrek {dep_id} bestaat niet in dit scenario")
    sc = data.scenario(session, row)
    return page(request, "options.html", principal, scenario=row, dep_id=dep_id, found=found,
                options=[_option_view(sc, o) for o in found.options],
                seconds=f"{time.perf_counter() - started:.1f}".replace(".", ","),
                departure_url=f"/scenarios/{scenario_id}/departures/{quote(dep_id, safe='')}",
                action=f"/scenarios/{scenario_id}/departures/{quote(dep_id, safe='')}/opties")


@router.post("/scenarios/{scenario_id}/departures/{dep_id}/opties/{rank}")
def choose_option(request: Request, scenario_id: int, dep_id: str, rank: int,
                  flights: str | None = Form(None, max_length=2000),
                  principal: Principal = Depends(require("solve.run")), session: Session = Depends(db_session)):
    """A draft that only adds option ``rank``; its page is where it is reviewed and published.
    ``flights``: the option's flights as the page showed them; if the options changed since, nothing
    is made and the page says so."""
    with session.begin():
        scenario_for(session, principal, scenario_id)
        try:
            plan = recommending.choose(session, scenario_id, dep_id, rank, principal.username)
        except KeyError:
            raise HTTPException(404, f"Vertrek {dep_id} bestaat niet in dit scenario")
        except IndexError:
            raise HTTPException(409, f"Optie {rank} is er niet (meer). Zoek de passende opties opnieuw.")
        chosen = (plan.summary or {}).get("option", {}).get("flights", [])
        if flights is not None and flights.split(",") != chosen:
            # Raised inside the transaction: the draft is rolled back, nothing is made.
            raise HTTPException(409, "De opties zijn veranderd sinds u ze bekeek (het plan of de gegevens zijn "
                                     "intussen gewijzigd); er is niets gemaakt. Zoek de passende opties opnieuw.")
    return _see_other(f"/plans/{plan.id}")
