"""What a planned departure costs and which soft goals it gave up (objective levels 2 and 3).

Read from a plan entry and the scenario alone — never from solver internals — so that it
holds for hand-made and re-planned plans too. Every figure comes from the same rules
functions the candidate builder prices options with (``rules.seat_fares``,
``rules.overnights``, ``rules.medic_cost``, ``rules.waiting_hours``), so for a plan built
from a solve the departures' totals add up to the solver's level 3 to the cent.

Costs (level 3):
* the returnee's seats on every leg (a stretcher takes ``stretcher_seats`` fares per leg);
* each companion's seats out (the returnee's legs) and home (their return flights);
* ``overnight_cost_eur`` per companion per local midnight at the destination between the
  final arrival and the companion's first return departure;
* a medic's day rate per started 24 hours from the pickup to their arrival home.
Amounts are summed in whole cents, as the solver does.
"""
from __future__ import annotations

from typing import Sequence

from . import rules, timeutil
from .domain import Companion, Departure, Flight, Scenario


# How a line names a companion (the itinerary's words: KMar-escort, verpleegkundige, arts).
WHO = {"escort": ("Escort", "KMar-escort"), "nurse": ("Nurse", "Verpleegkundige"),
       "physician": ("Physician", "Arts"), "medic": ("Medic", "Medicus")}


def cents(value: float) -> int:
    """Whole cents, rounded as the solver rounds (``selection.cost_cents``)."""
    return int(round(value * 100))


def euros(amount_cents: int) -> float:
    return round(amount_cents / 100, 2)


def money(amount_cents: int, lang: str = "en") -> str:
    """EUR with two decimals; Dutch with a decimal comma and spaces between thousands.
    "EUR", not "€", so that the PDF's core-font fallback prints it too."""
    text = f"{amount_cents / 100:,.2f}"
    if lang == "nl":
        text = text.replace(",", " ").replace(".", ",")
    return f"EUR {text}"


def _numbers(legs: Sequence[Flight]) -> str:
    return " + ".join(leg.number for leg in legs)  # as the itinerary names flights


def _line(what: str, what_nl: str, amount_cents: int) -> dict:
    return {"what": what, "what_nl": what_nl, "eur": euros(amount_cents)}


def _flights(sc: Scenario, ids: Sequence[str]) -> list[Flight] | None:
    legs = [sc.flights.get(i) for i in ids]
    return legs if legs and all(legs) else None


def _companions(sc: Scenario, entry: dict) -> list[tuple[str, Companion, list[Flight]]] | None:
    """(kind, person, return legs) for every escort and medic, or None when one is unknown."""
    out = []
    for kind, pool in (("escort", sc.escorts), ("medic", sc.medics)):
        for c in entry.get(kind + "s") or []:
            person, ret = pool.get(c.get("id")), _flights(sc, c.get("return_flights") or [])
            if person is None or ret is None:
                return None
            out.append((kind, person, ret))
    return out


def departure_cost(sc: Scenario, entry: dict) -> dict | None:
    """The cost block of a planned departure, or None when the entry names an unknown flight,
    companion or departure (then there is nothing true to say)."""
    dep = sc.departures.get(entry.get("id"))
    legs = _flights(sc, entry.get("flights") or [])
    team = _companions(sc, entry)
    pickup_text = (entry.get("pickup") or {}).get("time")
    if dep is None or legs is None or team is None or not pickup_text:
        return None
    pickup = timeutil.instant_minutes(pickup_text)
    arrival, dest = legs[-1].arrives, legs[-1].dest
    night_rate = sc.parameters.overnight_cost_eur

    seats = rules.returnee_seats(sc, dep)
    returnee = cents(rules.seat_fares(sc, legs, seats))
    seat_en = f"{seats} seat{'s' if seats != 1 else ''} per leg" + (", stretcher" if dep.stretcher else "")
    seat_nl = f"{seats} stoel{'en' if seats != 1 else ''} per vlucht" + (", brancard" if dep.stretcher else "")
    lines = [_line(f"Returnee: fares {_numbers(legs)} ({seat_en})",
                   f"Terugkeerder: tickets {_numbers(legs)} ({seat_nl})", returnee)]
    companion_fares = nights_cents = medic_cents = nights = medic_days = 0
    for kind, person, ret in team:
        who_en, who_nl = WHO.get(person.role or kind, WHO[kind])
        fares = cents(rules.seat_fares(sc, legs) + rules.seat_fares(sc, ret))
        companion_fares += fares
        lines.append(_line(f"{who_en} {person.id}: fares out {_numbers(legs)} and home {_numbers(ret)}",
                           f"{who_nl} {person.id}: tickets heen {_numbers(legs)} en terug {_numbers(ret)}", fares))
        n = rules.overnights(sc, dest, arrival, ret[0].departs)
        if n:
            amount = cents(night_rate * n)
            nights, nights_cents = nights + n, nights_cents + amount
            lines.append(_line(f"{who_en} {person.id}: {n} overnight{'s' if n != 1 else ''} in {dest} "
                               f"× {money(cents(night_rate))}",
                               f"{who_nl} {person.id}: {n} overnachting{'en' if n != 1 else ''} in {dest} "
                               f"× {money(cents(night_rate), 'nl')}", amount))
        if person.is_medic:
            mission = rules.mission_end(ret) - pickup
            days = -(-mission // timeutil.MINUTES_PER_DAY)  # started 24 hours, as rules.medic_cost counts
            amount = cents(rules.medic_cost(person, mission))
            medic_days, medic_cents = medic_days + days, medic_cents + amount
            lines.append(_line(f"{who_en} {person.id}: {days} day{'s' if days != 1 else ''} "
                               f"× {money(cents(person.day_rate_eur))} day rate",
                               f"{who_nl} {person.id}: {days} dag{'en' if days != 1 else ''} "
                               f"× {money(cents(person.day_rate_eur), 'nl')} dagtarief", amount))
    total = returnee + companion_fares + nights_cents + medic_cents
    return {
        "total_eur": euros(total),
        "returnee_fares_eur": euros(returnee),
        "companion_fares_eur": euros(companion_fares),
        "medic_days_eur": euros(medic_cents),
        "overnights_eur": euros(nights_cents),
        "overnights": nights,
        "medic_days": medic_days,
        "lines": lines,
    }


def soft_goals(sc: Scenario, entry: dict) -> dict | None:
    """Objective level 2 (waiting) and the journey's length for a planned departure."""
    dep: Departure | None = sc.departures.get(entry.get("id"))
    legs = _flights(sc, entry.get("flights") or [])
    pickup_text = (entry.get("pickup") or {}).get("time")
    if dep is None or legs is None or not pickup_text:
        return None
    pickup = timeutil.instant_minutes(pickup_text)
    handover_text = (entry.get("handover") or {}).get("time")
    rec = sc.reception.get((entry.get("handover") or {}).get("reception") or dep.reception)
    if handover_text:
        handover = timeutil.instant_minutes(handover_text)
    elif rec is not None:
        handover = rules.handover_time(rec, legs[-1].arrives)
    else:
        return None
    waiting = rules.waiting_hours(dep, legs[0].departs)
    out = {
        "waiting_hours": waiting,  # whole hours from ready_from to the first departure (level 2)
        "priority": dep.priority,
        "waiting_hours_weighted": dep.priority * waiting,  # what level 2 adds up
        "pickup_to_handover_hours": round((handover - pickup) / 60, 2),
    }
    # The earliest moment rule 2 lets a first leg leave this airport (not necessarily a flight).
    airport = (entry.get("pickup") or {}).get("airport") or legs[0].origin
    span = rules.first_departure_span(sc, dep, airport) if airport in sc.airports else None
    if span is not None:
        out["earliest_allowed_first_departure"] = timeutil.iso(span[0], sc.tz(airport))
    return out


def breakdown(sc: Scenario, entry: dict) -> dict:
    """``cost`` and ``soft_goals`` for a planned departure entry (either left out when unknowable)."""
    out = {}
    cost, goals = departure_cost(sc, entry), soft_goals(sc, entry)
    if cost is not None:
        out["cost"] = cost
    if goals is not None:
        out["soft_goals"] = goals
    return out
