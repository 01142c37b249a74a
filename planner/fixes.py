"""Fixes for unplanned departures: the smallest verified changes to the scenario that make one plannable.

For a departure (with its family) that has no lawful option, every itinerary that only the
departure's own facts or its staffing rule out is examined with *all* checks (the candidate
builder stops at the first), and each failed check becomes the exact change that would lift it:
the document or fit-to-fly valid to the local date it is needed, the reception open at the
handover instant, the travel limit at the journey's whole hours, a visa to the last landing date,
a skill for an escort who is free then. An itinerary's changes together make a *need set*.

Need sets of one change are tried first (smallest and earliest first), then pairs and triples.
Every change is **verified** before it is reported: the JSON Patch is applied to a copy of the
scenario document, the planner held still (planner/recommend.py: every other planned departure
pinned) must plan the departure, and the checker must accept the whole resulting plan.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import jsonpatch
import jsonpointer

from . import rules, timeutil, wording
from .candidates import Candidates, MemberTrip, Unit
from .domain import Companion, Departure, Scenario
from .errors import ScenarioError
from .itineraries import search
from .rulebook import COMPANIONS, DOCUMENTS, ESCORTS, MEDICAL, MINORS, RECEPTION, STRUCTURE, TIMING

MAX_ITINERARIES = 400  # per unit, earliest first: enough to find the near changes
SINGLE_TRIES = 8  # verifications of single changes per unit
COMBO_TRIES = 4  # verifications per combination size
MAX_FIXES = 3  # reported per departure, at most one per kind of change
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Kinds in the order a regievoerder can act on them; timing is the departure's own frame, changed last.
KIND_RANK = {"confirm": 0, "document": 1, "fit_to_fly": 1, "closed_date": 2, "hours": 2, "visa": 2,
             "skill": 2, "travel_time": 3, "pickup_window": 4, "deadline": 4}


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


@dataclass
class Outcome:
    """Verified fixes of one unit, and what its reasons should add."""

    fixes: list[dict] = field(default_factory=list)
    changes: list[tuple[Change, ...]] = field(default_factory=list)  # per fix, its changes (planner/actions.py)
    reasons_nl: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    reason_rules: list[int] = field(default_factory=list)  # one per added reason
    tried: int = 0

    def say(self, rule: int, nl: str, en: str) -> None:
        self.reason_rules.append(rule)
        self.reasons_nl.append(nl)
        self.reasons.append(en)


class _Doc:
    """Indexes into the scenario document as given, for patch paths."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.index = {part: {e.get("id"): i for i, e in enumerate(raw.get(part) or []) if isinstance(e, dict)}
                      for part in ("departures", "reception", "escorts", "medics")}

    def path(self, part: str, rid: str, *rest) -> str:
        return "/" + "/".join(jsonpointer.escape(str(p)) for p in (part, self.index[part][rid], *rest))

    def record(self, part: str, rid: str) -> dict:
        return self.raw[part][self.index[part][rid]]


# --- the exact change per failed check ----------------------------------------------------------

def _hour_after(minute: int) -> int:
    """The first whole hour strictly after ``minute`` (Dutch and European offsets are whole hours)."""
    return (minute // 60 + 1) * 60


def _document(doc: _Doc, dep: Departure, needed: date) -> Change:
    nl, en = wording.day(needed, "nl"), wording.day(needed, "en")
    return Change("document", ("document", dep.id, needed), (DOCUMENTS,),
                  ({"op": "replace", "path": doc.path("departures", dep.id, "travel_document", "valid_until"),
                    "value": needed.isoformat()},),
                  f"reisdocument verlengen tot {nl}", f"extend the travel document to {en}")


def _fit_to_fly(doc: _Doc, dep: Departure, needed: date) -> Change:
    nl, en = wording.day(needed, "nl"), wording.day(needed, "en")
    return Change("fit_to_fly", ("fit_to_fly", dep.id, needed), (DOCUMENTS,),
                  ({"op": "replace", "path": doc.path("departures", dep.id, "fit_to_fly_until"),
                    "value": needed.isoformat()},),
                  f"fit-to-fly-verklaring verlengen tot {nl}", f"extend the fit-to-fly declaration to {en}")


def _travel_time(doc: _Doc, dep: Departure, minutes: int) -> Change:
    hours = math.ceil(minutes / 60)
    was = dep.medical.max_travel_hours
    # A medical limit is a physician's call: the fix asks, it does not decide.
    return Change("travel_time", ("travel_time", dep.id, hours), (MEDICAL,),
                  ({"op": "replace", "path": doc.path("departures", dep.id, "medical", "max_travel_hours"),
                    "value": hours},),
                  f"max. reistijd {hours} uur in plaats van {was}? (alleen als een arts dat verantwoord vindt)",
                  f"max. travel time {hours} hours instead of {was}? (only if a physician finds it safe)")


def _confirm(doc: _Doc, sc: Scenario, rid: str) -> Change:
    rec = sc.reception[rid]
    return Change("confirm", ("confirm", rid), (RECEPTION,),
                  ({"op": "replace", "path": doc.path("reception", rid, "confirmed"), "value": True},),
                  f"bevestiging van opvang {rec.name} ({rid}) regelen",
                  f"get reception {rec.name} ({rid}) to confirm")


def _reception_open(doc: _Doc, sc: Scenario, rid: str, handover: int) -> list[Change]:
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


def _pickup_window(doc: _Doc, sc: Scenario, dep: Departure, pickup: int) -> Change:
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


def _deadline(doc: _Doc, sc: Scenario, dep: Departure, arrival: int) -> Change:
    new, tz = _hour_after(arrival), sc.home_tz
    return Change("deadline", ("deadline", dep.id, new), (TIMING,),
                  ({"op": "replace", "path": doc.path("departures", dep.id, "deadline"), "value": timeutil.iso(new, tz)},),
                  f"deadline verschuiven naar {wording.moment(timeutil.at(new, tz), 'nl')}",
                  f"move the deadline to {wording.moment(timeutil.at(new, tz), 'en')}")


# --- staffing: companions who are free but lack a visa or a skill -----------------------------

def _missions(plan: dict, sc: Scenario) -> dict[str, list[tuple[int, int]]]:
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


def _free_return(cands: Candidates, busy: dict, legs, pickup: int, person: Companion):
    """The person's earliest return (visas aside) that fits their availability and the plan, or None."""
    sc = cands.sc
    for ret in cands.returns(legs[-1].dest, person.base, legs[-1].arrives + rules.turnaround_minutes(sc)):
        end = rules.mission_end(ret)
        if end > pickup + rules.max_away_minutes(sc):
            return None
        if rules.span_in_any(pickup, end, person.available) and \
                not any(rules.missions_clash(sc, (pickup, end), m) for m in busy.get(person.id, ())):
            return ret
    return None


def _visas(doc: _Doc, cands: Candidates, busy: dict, legs, pickup: int, people: list[Companion],
           count: int, part: str) -> Change | None:
    """Visas for ``count`` of ``people`` who are free then and lack only visas, to the last landing date."""
    sc = cands.sc
    ops, who, countries, last = [], [], set(), None
    for person in sorted(people, key=lambda p: p.id):
        if len(who) == count:
            break
        ret = _free_return(cands, busy, legs, pickup, person)
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


def _skill(doc: _Doc, cands: Candidates, busy: dict, legs, pickup: int, dep: Departure,
           pool: list[Companion], lacks: list[str]) -> Change | None:
    """The missing skills (minors, team_leader) for one free escort of the pool, of the minor's sex
    where that is asked; None when a skill would not be enough (no escort of that sex)."""
    sc = cands.sc
    if any(n.startswith("sex") for n in lacks):
        return None  # nobody of the minor's sex is free: a skill does not change that
    skills = [n for n in lacks if n in ("minors", "team_leader")]
    sex = dep.sex if rules.is_minor(dep) else None
    # A lone escort of a minor must be both: prefer one of the minor's sex.
    fits = sorted((p for p in pool if _free_return(cands, busy, legs, pickup, p) is not None),
                  key=lambda p: (p.sex != sex, p.id))
    if not skills or not fits:
        return None
    person = fits[0]
    ret = _free_return(cands, busy, legs, pickup, person)
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


# --- need sets: per itinerary, every change it needs ------------------------------------------

def _origins(sc: Scenario, members: list[Departure]) -> dict[str, tuple[int, int]]:
    """First-leg departure times per airport with the pickup window set aside (it may be widened)."""
    spans = []
    for dep in members:
        span = {}
        for airport in rules.departure_airports(sc, dep):
            lead = sc.parameters.checkin_minutes + rules.drive_minutes(sc, dep, airport)
            lo = max(max(sc.planning_time, sc.horizon[0]) + lead, dep.ready_from)
            hi = sc.horizon[1] + lead
            if lo <= hi:
                span[airport] = (lo, hi)
        spans.append(span)
    common = set.intersection(*(set(s) for s in spans)) if spans else set()
    out = {a: (max(s[a][0] for s in spans), min(s[a][1] for s in spans)) for a in sorted(common)}
    return {a: w for a, w in out.items() if w[0] <= w[1]}


def _needs(doc: _Doc, cands: Candidates, unit: Unit, busy: dict, legs) -> frozenset[Change] | None:
    """Every change this itinerary needs, or None when something no fix here changes rules it out."""
    sc = cands.sc
    first, last = legs[0], legs[-1]
    changes: set[Change] = set()
    trips = []
    for dep in unit.members:
        rec = sc.reception[dep.reception]
        drive = rules.drive_minutes(sc, dep, first.origin)
        if drive is None or rec.airport != last.dest:
            return None
        pickup = rules.pickup_time(sc, dep, first.origin, first.departs)
        handover = rules.handover_time(rec, last.arrives)
        if rules.before_planning_time(sc, pickup) or not rules.ready_by(dep, first.departs) \
                or not rules.span_in_window(pickup, last.arrives, sc.horizon) \
                or rules.blocked_overlap(dep, pickup, last.arrives) is not None:
            return None
        if not rules.instant_in_window(pickup, dep.pickup_window):
            changes.add(_pickup_window(doc, sc, dep, pickup))
        if not rules.arrives_before_deadline(dep, last.arrives):
            changes.add(_deadline(doc, sc, dep, last.arrives))
        dep_day, arr_day = rules.local_date(sc, first.departs, first.origin), rules.local_date(sc, last.arrives, last.dest)
        if dep.document_valid_from > dep_day:
            return None  # a document that is not valid yet is re-issued, not patched
        if max(dep_day, arr_day) > dep.document_valid_until:
            changes.add(_document(doc, dep, max(dep_day, arr_day)))
        if not rules.fit_to_fly_on(dep, arr_day):
            changes.add(_fit_to_fly(doc, dep, arr_day))
        limit = rules.travel_minutes_limit(dep)
        if limit is not None and handover - pickup > limit:
            changes.add(_travel_time(doc, dep, handover - pickup))
        if not rec.confirmed:
            changes.add(_confirm(doc, sc, rec.id))
        if not rules.reception_open_at(sc, rec, handover):
            changes.update(_reception_open(doc, sc, rec.id, handover))
        trips.append(MemberTrip(dep, first.origin, drive, pickup, handover))
    option = cands._option(unit, -1, legs, trips)
    for i, m in enumerate(option.members):
        dep = m.dep
        need = rules.required_escorts(sc, dep)
        pool = list({c.companion.id: c.companion for c in option.escorts[i]}.values())
        if need and len(pool) < need:
            others = [p for p in sc.escorts.values() if p.id not in {q.id for q in pool}]
            change = _visas(doc, cands, busy, legs, m.pickup, others, need - len(pool), "escorts")
            if change is None:
                return None
            changes.add(change)
        elif need:
            lacks = [n for n, meets in rules.team_demands(dep, need) if not any(meets(c) for c in pool)]
            if lacks:
                change = _skill(doc, cands, busy, legs, m.pickup, dep, pool, lacks)
                if change is None:
                    return None
                changes.add(change)
        if dep.medic_role and not option.medics[i]:
            qualified = [p for p in sc.medics.values() if rules.medic_qualifies(p, dep)]
            change = _visas(doc, cands, busy, legs, m.pickup, qualified, 1, "medics")
            if change is None:
                return None
            changes.add(change)
    if any(not trip.vehicles for trip in option.trips):
        return None
    return frozenset(changes)


# --- verification -----------------------------------------------------------------------------

def verify(raw: dict, plan: dict, departure: str, ops: list[dict]) -> bool:
    """The patch applied to a copy of the scenario lets the planner, everything else held still,
    plan the departure, and the checker accepts the whole plan."""
    from .checker import check_plan
    from .loading.scenario import parse_scenario
    from .plan import build_plan
    from .recommend import recommend
    from .solve import Result

    try:
        patched = jsonpatch.apply_patch(raw, ops)  # a copy: the scenario as given stays as it is
        sc = parse_scenario(patched)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, ScenarioError):
        return False
    rec = recommend(sc, plan, departure, top=1)
    for fit in rec.fits:
        whole = build_plan(sc, Result(fit.selection, rec.candidates, "FEASIBLE",
                                      fit.selection.objective(rec.candidates), {}, None, 0.0, 0.0))
        entry = next(e for e in whole["departures"] if e["id"] == departure)
        if entry.get("planned") and not check_plan(sc, whole):
            return True
    return False


def _fix(changes: list[Change]) -> dict:
    return {"what": " + ".join(c.en for c in changes), "what_nl": " + ".join(c.nl for c in changes),
            "rules": sorted({r for c in changes for r in c.rules}),
            "patch": [op for c in changes for op in c.ops]}


def _order(change_sets: list[tuple[frozenset[Change], int]]) -> list[tuple[frozenset[Change], int]]:
    """Fewest fields first, then the most actionable kind, then the earliest itinerary."""
    return sorted(change_sets, key=lambda cs: (sum(len(c.ops) for c in cs[0]),
                                               max(KIND_RANK[c.kind] for c in cs[0]), cs[1]))


def unit_fixes(sc: Scenario, plan: dict, unit: Unit) -> Outcome:
    """Verified fixes for a unit that has no lawful option (see the module's docstring)."""
    out = Outcome()
    members = [d.id for d in unit.members]
    lead = unit.members[0]
    for dep in unit.members:
        rec = sc.reception[dep.reception]
        if rules.is_minor(dep) and rec.kind not in rules.MINORS_RECEPTION_KINDS:
            # The kind of a reception is what it is: another reception is arranged, not patched.
            out.say(MINORS, f"Geen wijziging van het scenario maakt dit planbaar: een minderjarige heeft "
                            f"andere opvang nodig dan {rec.kind} {rec.id}",
                    f"No change to the scenario makes this plannable: a minor needs another reception "
                    f"than {rec.kind} {rec.id}")
            return out
    doc = _Doc(sc.raw)
    cands = Candidates(sc, only=set(members))
    mine = next(u for u in cands.units if lead.id in {d.id for d in u.members})
    busy = _missions(plan, sc)
    seen: dict[frozenset[Change], int] = {}
    origins = _origins(sc, mine.members)
    leg_ok = cands.leg_filter(mine.members)
    found = []
    for legs in search(cands.index, origins, sc.reception[lead.reception].airport, sc.horizon[1], leg_ok,
                       rules.max_legs(sc), cands.max_layover):
        found.append(legs)
    found.sort(key=lambda legs: (legs[0].departs, legs[-1].arrives))
    for legs in found[:MAX_ITINERARIES]:
        needs = _needs(doc, cands, mine, busy, legs)
        if needs and needs not in seen:
            seen[needs] = legs[0].departs
    by_size: dict[int, list] = {}
    for cs, when in seen.items():
        by_size.setdefault(len(cs), []).append((cs, when))
    kinds_done: set[str] = set()
    tries = 0
    for cs, _ in _order(by_size.get(1, [])):
        (change,) = cs
        if change.kind in kinds_done or tries >= SINGLE_TRIES or len(out.fixes) >= MAX_FIXES:
            continue
        tries += 1
        if verify(sc.raw, plan, lead.id, list(change.ops)):
            kinds_done.add(change.kind)
            out.fixes.append(_fix([change]))
            out.changes.append((change,))
    if not out.fixes:
        for size in (2, 3):
            ordered = _order(by_size.get(size, []))[:COMBO_TRIES]
            for cs, _ in ordered:
                tries += 1
                changes = sorted(cs, key=lambda c: (KIND_RANK[c.kind], c.en))
                if verify(sc.raw, plan, lead.id, [op for c in changes for op in c.ops]):
                    out.fixes.append(_fix(changes))
                    out.changes.append(tuple(changes))
                    out.say(min(out.fixes[-1]["rules"]),
                            f"Geen enkele wijziging alleen is genoeg; samen wel: "
                            f"{wording.listing([c.nl for c in changes], 'nl')}",
                            f"No single change is enough; together these are: "
                            f"{wording.listing([c.en for c in changes], 'en')}")
                    break
            if out.fixes:
                break
    out.tried = tries
    if not out.fixes:
        out.say(STRUCTURE, "Geen wijziging van het scenario gevonden (ook geen kleine combinatie) die dit vertrek "
                "planbaar maakt",
                "No change to the scenario was found (nor a small combination) that makes this departure plannable")
    return out


def attach_fixes(sc: Scenario, plan: dict, cands: Candidates) -> dict[str, Outcome]:
    """Add ``fixes`` to every unplanned departure of ``plan`` that had no lawful option, and the
    reasons that say when no single change is enough or none was found. Departures that lost
    out to others (the plan used what they needed) get no fixes: more resources are out of scope."""
    entries = {e["id"]: e for e in plan["departures"] if not e.get("planned")}
    outcomes: dict[str, Outcome] = {}
    for unit in cands.units:
        ids = [d.id for d in unit.members]
        if unit.options or not all(i in entries for i in ids):
            continue
        outcome = unit_fixes(sc, plan, unit)
        for i in ids:
            e = entries[i]
            e["fixes"] = outcome.fixes
            e.setdefault("reasons", []).extend(outcome.reasons)
            e.setdefault("reasons_nl", []).extend(outcome.reasons_nl)
            e.setdefault("reason_rules", []).extend(outcome.reason_rules)
            outcomes[i] = outcome
    return outcomes
