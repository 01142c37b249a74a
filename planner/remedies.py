"""The changes to a scenario that lift one failed check each: an RFC 6902 JSON Patch against the
scenario document as given, with a short description in Dutch and English.

planner/fixes.py and planner/contention.py find which changes an itinerary needs; this module
says exactly what each change is: the document valid to the local date it is needed, the
reception open at the handover instant, the travel limit at the journey's whole hours, a visa to
the last landing date, a skill or a roster window for a companion who is free then, a seat
allocation raised by the seats missing, a vehicle's window over its trip.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import jsonpointer

from . import rules, timeutil, wording
from .candidates import Candidates
from .domain import Companion, Departure, Scenario
from .greedy import Ledger
from .rulebook import COMPANIONS, DOCUMENTS, ESCORTS, MEDICAL, MINORS, RECEPTION, SEATS, TIMING, VEHICLES

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, eq=False)
class Change:
    kind: str
    key: tuple  # what changes and to which value: two changes with one key are the same change
    rules: tuple[int, ...]
    ops: tuple  # RFC 6902 operations (dicts)
    nl: str
    en: str

    def __eq__(self, other) -> bool:
        return isinstance(other, Change) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)



class Doc:
    """Indexes into the scenario document as given, for patch paths."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.index = {part: {e.get("id"): i for i, e in enumerate(raw.get(part) or []) if isinstance(e, dict)}
                      for part in ("departures", "reception", "escorts", "medics", "flights", "vehicles")}

    def path(self, part: str, rid: str, *rest) -> str:
        return "/" + "/".join(jsonpointer.escape(str(p)) for p in (part, self.index[part][rid], *rest))

    def record(self, part: str, rid: str) -> dict:
        return self.raw[part][self.index[part][rid]]


# --- the exact change per failed check ----------------------------------------------------------

def _hour_after(minute: int) -> int:
    """The first whole hour strictly after ``minute`` (Dutch and European offsets are whole hours)."""
    return (minute // 60 + 1) * 60


def document(doc: Doc, dep: Departure, needed: date) -> Change:
    nl, en = wording.day(needed, "nl"), wording.day(needed, "en")
    return Change("document", ("document", dep.id, needed), (DOCUMENTS,),
                  ({"op": "replace", "path": doc.path("departures", dep.id, "travel_document", "valid_until"),
                    "value": needed.isoformat()},),
                  f"reisdocument verlengen tot {nl}", f"extend the travel document to {en}")


def fit_to_fly(doc: Doc, dep: Departure, needed: date) -> Change:
    nl, en = wording.day(needed, "nl"), wording.day(needed, "en")
    return Change("fit_to_fly", ("fit_to_fly", dep.id, needed), (DOCUMENTS,),
                  ({"op": "replace", "path": doc.path("departures", dep.id, "fit_to_fly_until"),
                    "value": needed.isoformat()},),
                  f"fit-to-fly-verklaring verlengen tot {nl}", f"extend the fit-to-fly declaration to {en}")


def travel_time(doc: Doc, dep: Departure, minutes: int) -> Change:
    hours = math.ceil(minutes / 60)
    was = dep.medical.max_travel_hours
    # A medical limit is a physician's call: the fix asks, it does not decide.
    return Change("travel_time", ("travel_time", dep.id, hours), (MEDICAL,),
                  ({"op": "replace", "path": doc.path("departures", dep.id, "medical", "max_travel_hours"),
                    "value": hours},),
                  f"max. reistijd {hours} uur in plaats van {was}? (alleen als een arts dat verantwoord vindt)",
                  f"max. travel time {hours} hours instead of {was}? (only if a physician finds it safe)")


def confirm(doc: Doc, sc: Scenario, rid: str) -> Change:
    rec = sc.reception[rid]
    return Change("confirm", ("confirm", rid), (RECEPTION,),
                  ({"op": "replace", "path": doc.path("reception", rid, "confirmed"), "value": True},),
                  f"bevestiging van opvang {rec.name} ({rid}) regelen",
                  f"get reception {rec.name} ({rid}) to confirm")


def reception_open(doc: Doc, sc: Scenario, rid: str, handover: int) -> list[Change]:
    """Changes that open the reception at ``handover``: a closed date reopened, the day's hours widened."""
    rec = sc.reception[rid]
    day, minute = timeutil.local_minute_of_day(handover, sc.tz(rec.airport))
    out = []
    if day in rec.closed_dates:
        left = sorted(d.isoformat() for d in rec.closed_dates if d != day)
        out.append(Change("closed_date", ("closed_date", rid, day), (RECEPTION,),
                          ({"op": "replace", "path": doc.path("reception", rid, "closed_dates"), "value": left},),
                          f"opvang {rid} ook open op {wording.day(day, 'nl')} (nu een sluitingsdag)",
                          f"reception {rid} also open on {wording.day(day, 'en')} (now a closing day)"))
    wd = day.weekday()
    hours = rec.open.get(wd)
    if hours is not None and hours[0] <= minute < hours[1]:
        return out
    if hours is None:  # a day it is not open at all: the hours it keeps most often, widened
        usual = sorted(rec.open.values(), key=lambda h: (-list(rec.open.values()).count(h), h))
        hours = usual[0] if usual else (minute // 60 * 60, _hour_after(minute))
    opens, closes = min(hours[0], minute // 60 * 60), max(hours[1], min(_hour_after(minute), 24 * 60))
    text = (f"{opens // 60:02d}:{opens % 60:02d}", f"{closes // 60:02d}:{closes % 60:02d}")
    path = doc.path("reception", rid, "open", DAYS[wd])
    existed = DAYS[wd] in (doc.record("reception", rid).get("open") or {})
    day_nl, day_en = wording.weekday(wd, "nl"), wording.weekday(wd, "en")
    if rec.open.get(wd) is None:
        nl = f"opvang {rid} ook op {day_nl} open ({text[0]}–{text[1]})"
        en = f"reception {rid} also open on {day_en}s ({text[0]}–{text[1]})"
    elif closes > rec.open[wd][1]:
        nl, en = f"opvang {rid} op {day_nl} open tot {text[1]}", f"reception {rid} open until {text[1]} on {day_en}s"
    else:
        nl, en = f"opvang {rid} op {day_nl} open vanaf {text[0]}", f"reception {rid} open from {text[0]} on {day_en}s"
    out.append(Change("hours", ("hours", rid, wd, text), (RECEPTION,),
                      ({"op": "replace" if existed else "add", "path": path, "value": list(text)},), nl, en))
    return out


def pickup_window(doc: Doc, sc: Scenario, dep: Departure, pickup: int) -> Change:
    start, end = dep.pickup_window
    tz = sc.home_tz
    if pickup < start:
        new, end_index = pickup // 60 * 60, 0
        nl = f"ophaalvenster laten beginnen op {wording.moment(timeutil.at(new, tz), 'nl')}"
        en = f"let the pickup window start at {wording.moment(timeutil.at(new, tz), 'en')}"
    else:
        new, end_index = _hour_after(pickup), 1
        nl = f"ophaalvenster verlengen tot {wording.moment(timeutil.at(new, tz), 'nl')}"
        en = f"extend the pickup window to {wording.moment(timeutil.at(new, tz), 'en')}"
    return Change("pickup_window", ("pickup_window", dep.id, end_index, new), (TIMING,),
                  ({"op": "replace", "path": doc.path("departures", dep.id, "pickup", "window", end_index),
                    "value": timeutil.iso(new, tz)},), nl, en)


def deadline(doc: Doc, sc: Scenario, dep: Departure, arrival: int) -> Change:
    new, tz = _hour_after(arrival), sc.home_tz
    return Change("deadline", ("deadline", dep.id, new), (TIMING,),
                  ({"op": "replace", "path": doc.path("departures", dep.id, "deadline"), "value": timeutil.iso(new, tz)},),
                  f"deadline verschuiven naar {wording.moment(timeutil.at(new, tz), 'nl')}",
                  f"move the deadline to {wording.moment(timeutil.at(new, tz), 'en')}")


# --- staffing: companions who are free but lack a visa or a skill -----------------------------

def plan_missions(plan: dict, sc: Scenario) -> dict[str, list[tuple[int, int]]]:
    """Missions each companion already has in the plan (pickup to return at base)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for e in plan.get("departures") or []:
        if not (isinstance(e, dict) and e.get("planned") is True):
            continue
        start = timeutil.instant_minutes(e["pickup"]["time"])
        for c in (e.get("escorts") or []) + (e.get("medics") or []):
            ret = [sc.flights[f] for f in c.get("return_flights") or [] if f in sc.flights]
            out.setdefault(c["id"], []).append((start, rules.mission_end(ret) if ret else start))
    return out


def plan_seats(plan: dict, sc: Scenario) -> dict[str, int]:
    """Seats the plan holds per leg: returnees (a stretcher takes more) and companions, out and back."""
    out: dict[str, int] = {}
    for e in plan.get("departures") or []:
        if not (isinstance(e, dict) and e.get("planned") is True) or e.get("id") not in sc.departures:
            continue
        companions = (e.get("escorts") or []) + (e.get("medics") or [])
        for f in e.get("flights") or []:
            out[f] = out.get(f, 0) + rules.returnee_seats(sc, sc.departures[e["id"]]) + len(companions)
        for c in companions:
            for f in c.get("return_flights") or []:
                out[f] = out.get(f, 0) + 1
    return out


def free_return(cands: Candidates, busy: dict, legs, pickup: int, person: Companion, rostered: bool = True):
    """The person's earliest return (visas aside) that keeps the mission within the time away and
    clashes with none of their missions in the plan — and, when ``rostered``, fits their
    availability — or None."""
    sc = cands.sc
    for ret in cands.returns(legs[-1].dest, person.base, legs[-1].arrives + rules.turnaround_minutes(sc)):
        end = rules.mission_end(ret)
        if end > pickup + rules.max_away_minutes(sc):
            return None
        if (not rostered or rules.span_in_any(pickup, end, person.available)) and \
                not any(rules.missions_clash(sc, (pickup, end), m) for m in busy.get(person.id, ())):
            return ret
    return None


def visas_for(doc: Doc, cands: Candidates, busy: dict, legs, pickup: int, people: list[Companion],
           count: int, part: str) -> Change | None:
    """Visas for ``count`` of ``people`` who are free then and lack only visas, to the last landing date."""
    sc = cands.sc
    ops, who, countries, last = [], [], set(), None
    for person in sorted(people, key=lambda p: p.id):
        if len(who) == count:
            break
        ret = free_return(cands, busy, legs, pickup, person)
        if ret is None:
            continue
        needed: dict[str, date] = {}
        for country, day in rules.visa_needs(sc, legs) + rules.visa_needs(sc, ret):
            needed[country] = max(day, needed.get(country, day))
        lacking = {c: d for c, d in needed.items() if (person.visas.get(c) or date.min) < d}
        if not lacking:
            continue  # not short of a visa: something else keeps them out
        for c, d in sorted(lacking.items()):
            ops.append({"op": "add", "path": doc.path(part, person.id, "visas", c), "value": d.isoformat()})
            countries.add(c)
            last = max(last or d, d)
        who.append(person.id)
    if len(who) < count:
        return None
    names = {lang: wording.listing([wording.country(c, lang) for c in sorted(countries)], lang) for lang in wording.LANGS}
    kind_nl = ("escort" if len(who) == 1 else "escorts") if part == "escorts" else ("medicus" if len(who) == 1 else "medici")
    kind_en = ("escort" if len(who) == 1 else "escorts") if part == "escorts" else ("medic" if len(who) == 1 else "medics")
    visum = wording.plural(len(countries) * len(who), "visum", "visa")
    visa_en = wording.plural(len(countries) * len(who), "visa", "visas")
    return Change("visa", ("visa", part, tuple(who), tuple(sorted(countries)), last), (COMPANIONS,), tuple(ops),
                  f"{visum} voor {names['nl']} voor {kind_nl} {wording.listing(who, 'nl')} tot {wording.day(last, 'nl')}",
                  f"{visa_en} for {names['en']} for {kind_en} {wording.listing(who, 'en')} until {wording.day(last, 'en')}")


def skill_for(doc: Doc, cands: Candidates, busy: dict, legs, pickup: int, dep: Departure,
           pool: list[Companion], lacks: list[str]) -> Change | None:
    """The missing skills (minors, team_leader) for one free escort of the pool, of the minor's sex
    where that is asked; None when a skill would not be enough (no escort of that sex)."""
    sc = cands.sc
    if any(n.startswith("sex") for n in lacks):
        return None  # nobody of the minor's sex is free: a skill does not change that
    skills = [n for n in lacks if n in ("minors", "team_leader")]
    sex = dep.sex if rules.is_minor(dep) else None
    # A lone escort of a minor must be both: prefer one of the minor's sex.
    fits = sorted((p for p in pool if free_return(cands, busy, legs, pickup, p) is not None),
                  key=lambda p: (p.sex != sex, p.id))
    if not skills or not fits:
        return None
    person = fits[0]
    ret = free_return(cands, busy, legs, pickup, person)
    first = rules.local_date(sc, pickup, legs[0].origin)
    last = rules.local_date(sc, rules.mission_end(ret), person.base)
    names = {"minors": ("minderjarigen", "minors"), "team_leader": ("teamleider", "team leader")}
    sex_words = {"M": ("man", "male"), "F": ("vrouw", "female")}.get(person.sex, ("", ""))
    what = {lang: wording.listing([names[s][i] for s in skills], lang) for i, lang in enumerate(wording.LANGS)}
    nl_about = ", ".join(x for x in (sex_words[0], f"vrij op {wording.span(first, last, 'nl')}") if x)
    en_about = ", ".join(x for x in (sex_words[1], f"free on {wording.span(first, last, 'en')}") if x)
    ops = tuple({"op": "add", "path": doc.path("escorts", person.id, "skills", "-"), "value": s} for s in skills)
    lifted = tuple(sorted({MINORS if s == "minors" else ESCORTS for s in skills}))
    return Change("skill", ("skill", person.id, tuple(skills)), lifted, ops,
                  f"escort {person.id} ({nl_about}) de {wording.plural(len(skills), 'vaardigheid', 'vaardigheden')} "
                  f"{what['nl']} geven",
                  f"give escort {person.id} ({en_about}) the {wording.plural(len(skills), 'skill', 'skills')} {what['en']}")


# --- room beside the plan: seats, people and vehicles ----------------------------------------

def _floor_hour(minute: int) -> int:
    return minute // 60 * 60


def _ceil_hour(minute: int) -> int:
    return -(-minute // 60) * 60


def seats(doc: Doc, sc: Scenario, flight_id: str, missing: int) -> Change:
    leg = sc.flights[flight_id]
    day = rules.local_date(sc, leg.departs, leg.origin)
    new = leg.seats + missing
    what_nl = wording.plural(missing, "stoel", "stoelen")
    what_en = wording.plural(missing, "seat", "seats")
    return Change("seats", ("seats", flight_id, new), (SEATS,),
                  ({"op": "replace", "path": doc.path("flights", flight_id, "seats"), "value": new},),
                  f"{missing} {what_nl} meer op {leg.number} van {wording.day(day, 'nl')} "
                  f"({leg.origin}→{leg.dest}) bij {leg.carrier} vragen ({leg.seats} → {new})",
                  f"ask {leg.carrier} for {missing} more {what_en} on {leg.number} of {wording.day(day, 'en')} "
                  f"({leg.origin}→{leg.dest}) ({leg.seats} → {new})")


def recruit(doc: Doc, cands: Candidates, busy: dict, legs, pickup: int, people: list[Companion],
            count: int, part: str, prefer=lambda p: True) -> tuple[Change, list] | None:
    """``count`` of ``people`` who are on no mission then, made able to go: the roster window over
    the mission and the visas the route needs, fewest changes first (``prefer``-ed people before
    others). Returns the change and each recruit's return, or None when too few could go."""
    sc = cands.sc
    plans = []
    for person in people:
        ret = free_return(cands, busy, legs, pickup, person, rostered=False)
        if ret is None:
            continue
        end = rules.mission_end(ret)
        ops, parts = [], []
        window = (_floor_hour(pickup), _ceil_hour(end))
        if not rules.span_in_any(pickup, end, person.available):
            ops.append({"op": "add", "path": doc.path(part, person.id, "available", "-"),
                        "value": [timeutil.iso(window[0], sc.home_tz), timeutil.iso(window[1], sc.home_tz)]})
            parts.append("roster")
        needed: dict[str, object] = {}
        for country, day in rules.visa_needs(sc, legs) + rules.visa_needs(sc, ret):
            needed[country] = max(day, needed.get(country, day))
        lacking = {c: d for c, d in needed.items() if (person.visas.get(c) or type(d).min) < d}
        for c, d in sorted(lacking.items()):
            ops.append({"op": "add", "path": doc.path(part, person.id, "visas", c), "value": d.isoformat()})
        if not ops:
            continue  # able to go already: something else keeps them out (rest, another mission)
        plans.append((not prefer(person), len(ops), person.id, person, ret, window, ops, lacking))
    plans.sort(key=lambda p: p[:3])
    chosen = plans[:count]
    if len(chosen) < count:
        return None
    kind = ("escort", "escorts") if part == "escorts" else ("medicus", "medici")
    kind_en = ("escort", "escorts") if part == "escorts" else ("medic", "medics")
    texts_nl, texts_en, ops, key = [], [], [], []
    for *_, person, ret, window, person_ops, lacking in chosen:
        first = rules.local_date(sc, window[0], legs[0].origin)
        last = rules.local_date(sc, window[1], person.base)
        bits_nl, bits_en = [], []
        if any(op["path"].endswith("/available/-") for op in person_ops):
            bits_nl.append(f"inroosteren op {wording.span(first, last, 'nl')}")
            bits_en.append(f"rostered on {wording.span(first, last, 'en')}")
        if lacking:
            names = {lang: wording.listing([wording.country(c, lang) for c in sorted(lacking)], lang)
                     for lang in wording.LANGS}
            until = max(lacking.values())
            bits_nl.append(f"{wording.plural(len(lacking), 'visum', 'visa')} voor {names['nl']} tot {wording.day(until, 'nl')}")
            bits_en.append(f"{wording.plural(len(lacking), 'visa', 'visas')} for {names['en']} until {wording.day(until, 'en')}")
        texts_nl.append(f"{kind[0]} {person.id}: {' en '.join(bits_nl)}")
        texts_en.append(f"{kind_en[0]} {person.id}: {' and '.join(bits_en)}")
        ops += person_ops
        key.append((person.id, tuple(op["path"] for op in person_ops)))
    rule = ESCORTS if part == "escorts" else MEDICAL
    change = Change("staff", ("staff", part, tuple(key), window), (rule,), tuple(ops),
                    wording.listing(texts_nl, "nl"), wording.listing(texts_en, "en"))
    return change, [c[4] for c in chosen]


def vehicle_window(doc: Doc, sc: Scenario, ledger: Ledger, trip, taken: set[str]) -> Change | None:
    """A vehicle that fits the trip and is free then, but not available: its window over the trip."""
    start, end = trip.busy
    for v in sorted(sc.vehicles.values(), key=lambda v: (v.stretcher, v.seats, v.id)):
        if v.id in taken or not rules.vehicle_fits(v, trip.passengers, trip.stretcher) \
                or rules.span_in_any(start, end, v.available) or not ledger.free(v.id, start, end):
            continue
        window = (_floor_hour(start), _ceil_hour(end))
        day = timeutil.at(start, sc.home_tz).date()  # a pickup in the Netherlands
        text = f"{timeutil.at(window[0], sc.home_tz):%H:%M}–{timeutil.at(window[1], sc.home_tz):%H:%M}"
        taken.add(v.id)
        return Change("vehicle", ("vehicle", v.id, window), (VEHICLES,),
                      ({"op": "add", "path": doc.path("vehicles", v.id, "available", "-"),
                        "value": [timeutil.iso(window[0], sc.home_tz), timeutil.iso(window[1], sc.home_tz)]},),
                      f"voertuig {v.id} inzetten op {wording.day(day, 'nl')} {text}",
                      f"make vehicle {v.id} available on {wording.day(day, 'en')} {text}")
    return None


def stretcher(doc: Doc, sc: Scenario, flight_id: str) -> Change:
    """A stretcher place on a leg whose airline accepts stretchers (rule 5)."""
    leg = sc.flights[flight_id]
    day = rules.local_date(sc, leg.departs, leg.origin)
    return Change("stretcher", ("stretcher", flight_id), (MEDICAL,),
                  ({"op": "replace", "path": doc.path("flights", flight_id, "stretcher"), "value": True},),
                  f"brancardplaats op {leg.number} van {wording.day(day, 'nl')} ({leg.origin}→{leg.dest}) "
                  f"bij {leg.carrier} aanvragen",
                  f"ask {leg.carrier} for a stretcher place on {leg.number} of {wording.day(day, 'en')} "
                  f"({leg.origin}→{leg.dest})")


def mission_limit(doc: Doc, sc: Scenario, hours: int) -> Change:
    """No return brings anyone home within the time away (rule 7): the limit it would take. A
    scenario parameter, so it holds for every mission: the words say it is KMar's exception to make."""
    was = sc.parameters.escort_max_away_hours
    return Change("mission_limit", ("mission_limit", hours), (COMPANIONS,),
                  ({"op": "replace", "path": "/parameters/escort_max_away_hours", "value": hours},),
                  f"max. missieduur van escorts en medici {hours} uur in plaats van {was} (alleen met een "
                  f"uitzondering van de KMar; de eerste terugvlucht is pas dan thuis)",
                  f"max. mission time of escorts and medics {hours} hours instead of {was} (only with an exception "
                  f"by the KMar; the first return gets home only then)")
