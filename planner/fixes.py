"""Fixes for unplanned departures: the smallest verified changes to the scenario that make one plannable.

For a departure (with its family) that has no lawful option, the itineraries its own facts leave
(every leg rule that no change of ours lifts applied: MEDIF lead time, an airline that takes no
stretcher or no escorted returnee) are examined with *all* checks (the candidate builder stops at
the first), and each failed check becomes the exact change that would lift it (planner/remedies.py):
documents, reception, travel limit, seats and stretcher places on its flights, the pickup window or
deadline. Then, for the 40 itineraries needing the fewest such changes, the team, medic and
vehicles: visas or a roster window for people on no mission then, a skill, and where no return gets
anyone home within the mission limit, that limit. An itinerary's changes together make a *need set*.
Departures that lost out to others are examined by planner/contention.py.

Need sets of one change are tried first (smallest and earliest first), then pairs and triples, then
the smallest larger one. Every change is **verified** before it is reported: the JSON Patch is
applied to a copy of the scenario document, the planner held still (planner/recommend.py: every
other planned departure pinned) must plan the departure, and the checker must accept the whole
resulting plan. The reasons are rewritten from what was found: a verified single fix says so and
first guesses of rules no fix lifted give way; where nothing would do, what rules out every
itinerary replaces them (``BEYOND``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import jsonpatch
import jsonpointer

from . import rules, wording
from .candidates import Candidates, MemberTrip, Unit
from .domain import Departure, Scenario
from .errors import ScenarioError
from .itineraries import search
from .parallel import run_all
from .remedies import (Change, Doc, confirm, deadline, document, fit_to_fly, mission_limit, pickup_window,
                       plan_missions, plan_seats, reception_open, recruit, seats, skill_for, stretcher, travel_time, visas_for)
from .rulebook import DOCUMENTS, ESCORTS, ITINERARY, MEDICAL, MINORS, STRUCTURE, TIMING, VEHICLES

MAX_ITINERARIES = 400  # per unit, earliest first: enough to find the near changes
STAFFED_ITINERARIES = 40  # per unit, of those: whose team, medic and vehicles are examined
SINGLE_TRIES = 8  # verifications of single changes per unit
COMBO_TRIES = 4  # verifications per combination size
MAX_FIXES = 3  # reported per departure, at most one per kind of change
# Kinds in the order a regievoerder can act on them; timing is the departure's own frame, changed last.
KIND_RANK = {"confirm": 0, "document": 1, "fit_to_fly": 1, "closed_date": 2, "hours": 2, "visa": 2,
             "skill": 2, "staff": 2, "vehicle": 2, "seats": 3, "stretcher": 3, "travel_time": 3,
             "pickup_window": 4, "deadline": 4, "mission_limit": 5}


@dataclass
class Outcome:
    """Verified fixes of one unit, and what its reasons should add."""

    fixes: list[dict] = field(default_factory=list)
    changes: list[tuple[Change, ...]] = field(default_factory=list)  # per fix, its changes (planner/actions.py)
    reasons_nl: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    reason_rules: list[int] = field(default_factory=list)  # one per added reason
    tried: int = 0
    # The examination found what rules out every itinerary: its reasons replace the first guess.
    replaces: bool = False

    def say(self, rule: int, nl: str, en: str) -> None:
        self.reason_rules.append(rule)
        self.reasons_nl.append(nl)
        self.reasons.append(en)


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


def _needs(doc: Doc, cands: Candidates, unit: Unit, busy: dict, legs, why: Counter, used: dict[str, int]):
    """The changes this itinerary needs for the returnees' own rules and its flights, with the
    members' trips; or None when something no fix here changes rules it out (then counted in
    ``why``, by the codes of ``BEYOND``). Staffing comes after (``_staffing``): it is the costly part."""
    sc = cands.sc

    def beyond(code: str) -> None:
        why[code] += 1
    first, last = legs[0], legs[-1]
    changes: set[Change] = set()
    trips = []
    for dep in unit.members:
        rec = sc.reception[dep.reception]
        drive = rules.drive_minutes(sc, dep, first.origin)
        if drive is None or rec.airport != last.dest:
            return beyond("route")
        pickup = rules.pickup_time(sc, dep, first.origin, first.departs)
        handover = rules.handover_time(rec, last.arrives)
        if rules.before_planning_time(sc, pickup) or not rules.ready_by(dep, first.departs) \
                or not rules.span_in_window(pickup, last.arrives, sc.horizon) \
                or rules.blocked_overlap(dep, pickup, last.arrives) is not None:
            return beyond("timing")
        if not rules.instant_in_window(pickup, dep.pickup_window):
            changes.add(pickup_window(doc, sc, dep, pickup))
        if not rules.arrives_before_deadline(dep, last.arrives):
            changes.add(deadline(doc, sc, dep, last.arrives))
        dep_day, arr_day = rules.local_date(sc, first.departs, first.origin), rules.local_date(sc, last.arrives, last.dest)
        if dep.document_valid_from > dep_day:
            return beyond("document_from")  # a document that is not valid yet is re-issued, not patched
        if max(dep_day, arr_day) > dep.document_valid_until:
            changes.add(document(doc, dep, max(dep_day, arr_day)))
        if not rules.fit_to_fly_on(dep, arr_day):
            changes.add(fit_to_fly(doc, dep, arr_day))
        limit = rules.travel_minutes_limit(dep)
        if limit is not None and handover - pickup > limit:
            changes.add(travel_time(doc, dep, handover - pickup))
        if not rec.confirmed:
            changes.add(confirm(doc, sc, rec.id))
        if not rules.reception_open_at(sc, rec, handover):
            changes.update(reception_open(doc, sc, rec.id, handover))
        trips.append(MemberTrip(dep, first.origin, drive, pickup, handover))
    needed = _legs_need(doc, sc, unit, legs, used)
    if needed is None:
        return beyond("route")
    return frozenset(changes | needed), trips


def _staffing(doc: Doc, cands: Candidates, unit: Unit, busy: dict, legs, trips, own: frozenset[Change],
              why: Counter) -> frozenset[Change] | None:
    """``own`` (the itinerary's own changes) with what its team, medic and vehicles need."""
    sc = cands.sc
    changes = set(own)

    def beyond(code: str) -> None:
        why[code] += 1

    option = cands._option(unit, -1, legs, trips)

    def free(c) -> bool:  # on no mission of the plan then (their rest included)
        return not any(rules.missions_clash(sc, (c.start, c.end), span) for span in busy.get(c.companion.id, ()))

    for i, m in enumerate(option.members):
        dep = m.dep
        need = rules.required_escorts(sc, dep)
        pool = list({c.companion.id: c.companion for c in option.escorts[i] if free(c)}.values())
        if need and len(pool) < need:
            others = [p for p in sc.escorts.values() if p.id not in {q.id for q in pool}]
            demands = [meets for n, meets in rules.team_demands(dep, need) if not any(meets(c) for c in pool)]
            change = _staff(doc, cands, busy, legs, m.pickup, others, need - len(pool), "escorts",
                            lambda p: all(meets(p) for meets in demands))
            if change is None:
                hours = _hours_home(cands, legs, m.pickup, others)
                if hours is None:
                    return beyond("escorts_busy")
                change = mission_limit(doc, sc, hours)
            changes.add(change)
        elif need:
            lacks = [n for n, meets in rules.team_demands(dep, need) if not any(meets(c) for c in pool)]
            if lacks:
                change = skill_for(doc, cands, busy, legs, m.pickup, dep, pool, lacks)
                if change is None:
                    return beyond("escorts_busy")
                changes.add(change)
        if dep.medic_role and not any(free(c) for c in option.medics[i]):
            qualified = [p for p in sc.medics.values() if rules.medic_qualifies(p, dep)]
            change = _staff(doc, cands, busy, legs, m.pickup, qualified, 1, "medics")
            if change is None:
                hours = _hours_home(cands, legs, m.pickup, qualified)
                if hours is None:
                    return beyond("medic_busy")
                change = mission_limit(doc, sc, hours)
            changes.add(change)
    if any(not trip.vehicles for trip in option.trips):
        return beyond("no_vehicle")
    return frozenset(changes)


def _staff(doc: Doc, cands: Candidates, busy: dict, legs, pickup: int, people, count: int, part: str,
           prefer=lambda p: True) -> Change | None:
    """Visas for people who are free and rostered then; failing that, people on no mission then
    rostered (and given the visas they lack). ``prefer``-ed people (who meet what the team lacks)
    come first."""
    people = sorted(people, key=lambda p: (not prefer(p), p.id))
    change = visas_for(doc, cands, busy, legs, pickup, people, count, part)
    if change is None:
        found = recruit(doc, cands, busy, legs, pickup, people, count, part, prefer)
        change = found[0] if found else None
    return change


def _hours_home(cands: Candidates, legs, pickup: int, people) -> int | None:
    """When none of ``people`` has a return at all within the time away: the whole hours the
    mission would take on the earliest return (any base); None when a return within it exists
    (then the people are kept out by something else) or none is found up to the horizon."""
    sc = cands.sc
    away = rules.max_away_minutes(sc)
    earliest = legs[-1].arrives + rules.turnaround_minutes(sc)
    ends = []
    for base in sorted({p.base for p in people}):
        if any(rules.mission_end(r) <= pickup + away for r in cands.returns(legs[-1].dest, base, earliest)):
            return None
        later = next(search(cands.index, {legs[-1].dest: (earliest, sc.horizon[1])}, base, sc.horizon[1],
                            lambda f: True, rules.max_legs(sc), cands.max_layover), None)
        if later is not None:
            ends.append(rules.mission_end(later))
    return -(-(min(ends) - pickup) // 60) if ends else None


def _legs_need(doc: Doc, sc: Scenario, unit: Unit, legs, used: dict[str, int]) -> set[Change] | None:
    """Seats and stretcher places the unit's own flights lack beside what the plan holds (``used``):
    the whole party flies every leg. None when a leg's airline takes no stretcher at all."""
    changes = set()
    party = sum(rules.party_seats(sc, d) for d in unit.members)
    on_stretcher = any(d.stretcher for d in unit.members)
    for leg in legs:
        if on_stretcher and not leg.stretcher:
            if not sc.airlines[leg.carrier].accepts_stretcher:
                return None
            changes.add(stretcher(doc, sc, leg.id))
        left = leg.seats - used.get(leg.id, 0)
        if left < party:
            changes.add(seats(doc, sc, leg.id, party - left))
    return changes


def _leg_filter(sc: Scenario, members: list[Departure]):
    """The leg rules that no change of ours lifts: the MEDIF lead time and an airline's refusal of
    escorted returnees (seats and stretcher places can be asked for: see ``_legs_need``)."""
    medical = any(rules.needs_medif(d) for d in members)
    escorted = any(rules.escorted(sc, d) for d in members)
    stretcher = any(d.stretcher for d in members)

    def ok(leg) -> bool:
        if stretcher and not sc.airlines[leg.carrier].accepts_stretcher:
            return False
        if medical and not rules.medif_ok(sc, leg):
            return False
        return not (escorted and rules.escorted_cap(sc, leg) == 0)
    return ok


# --- verification -----------------------------------------------------------------------------

def verify(raw: dict, plan: dict, departure: str, ops: list[dict], like: Scenario | None = None) -> bool:
    """The patch applied to a copy of the scenario lets the planner, everything else held still,
    plan the departure, and the checker accepts the whole plan. ``like`` is the scenario read from
    ``raw``: what the patch leaves alone is not read again."""
    from .checker import check_plan
    from .loading.patching import apply_patch_shared
    from .loading.scenario import parse_scenario
    from .plan import build_plan
    from .recommend import recommend
    from .solve import Result

    try:
        patched = apply_patch_shared(raw, ops)  # a copy-on-write copy: the scenario as given stays as it is
        sc = parse_scenario(patched, like=like)
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
    doc = Doc(sc.raw)
    cands = Candidates(sc, only=set(members))
    mine = next(u for u in cands.units if lead.id in {d.id for d in u.members})
    busy, used = plan_missions(plan, sc), plan_seats(plan, sc)
    seen: dict[frozenset[Change], int] = {}
    origins = _origins(sc, mine.members)
    leg_ok = _leg_filter(sc, mine.members)
    found = []
    for legs in search(cands.index, origins, sc.reception[lead.reception].airport, sc.horizon[1], leg_ok,
                       rules.max_legs(sc), cands.max_layover):
        found.append(legs)
    found.sort(key=lambda legs: (legs[0].departs, legs[-1].arrives))
    why: Counter = Counter()
    own = []
    for legs in found[:MAX_ITINERARIES]:
        needs = _needs(doc, cands, mine, busy, legs, why, used)
        if needs is not None:
            own.append((legs, *needs))
    # Staffing is examined for the itineraries that need the fewest changes of their own, earliest first.
    own.sort(key=lambda o: (len(o[1]), o[0][0].departs))
    for legs, changes, trips in own[:STAFFED_ITINERARIES]:
        needs = _staffing(doc, cands, mine, busy, legs, trips, changes, why)
        if needs and needs not in seen:
            seen[needs] = legs[0].departs
    if not found:
        _no_itinerary(sc, cands, mine, origins, out)
    elif not seen:
        _beyond(sc, out, why, sum(why.values()))
    return verified_fixes(sc, plan, lead.id, seen, out)


# What rules out every itinerary, whatever the scenario's records say: (rule, Dutch, English).
BEYOND = {
    "escorts_busy": (ESCORTS, "alle escorts die mee zouden kunnen, zijn dan al op een andere missie of in rust",
                     "every escort who could go is on another mission or resting then"),
    "medic_busy": (MEDICAL, "alle medici die mee zouden kunnen, zijn dan al op een andere missie of in rust",
                   "every medic who could go is on another mission or resting then"),
    "no_vehicle": (VEHICLES, "geen voertuig heeft plaats voor de rit (met brancard: de ambulances zijn te klein)",
                   "no vehicle has room for the ride (with a stretcher: the ambulances are too small)"),
    "timing": (TIMING, "geen vlucht valt binnen de planperiode, na het vrijgavemoment en buiten de blokkades",
               "no flight lies within the horizon, after the departure is ready and outside its blocked times"),
    "document_from": (DOCUMENTS, "het reisdocument is op de vluchtdagen nog niet geldig",
                      "the travel document is not yet valid on the flight days"),
    "route": (ITINERARY, "de vluchten komen niet aan op de luchthaven van de opvang of nemen geen brancard mee",
              "the flights do not reach the reception's airport or take no stretcher"),
}


def _no_itinerary(sc: Scenario, cands: Candidates, unit: Unit, origins, out: Outcome) -> None:
    """Say why not one itinerary qualifies, whatever seats or stretcher places were asked for."""
    airport = sc.reception[unit.members[0].reception].airport
    anything = next(search(cands.index, origins, airport, sc.horizon[1], lambda f: True, rules.max_legs(sc),
                           cands.max_layover), None)
    if anything is None:
        out.say(ITINERARY, f"Geen vlucht of verbinding naar {airport} in de planperiode, ook niet met een ander "
                f"ophaalvenster of een latere deadline",
                f"No flight or connection to {airport} within the horizon, not even with another pickup window "
                f"or a later deadline")
    elif any(d.stretcher for d in unit.members):
        out.say(MEDICAL, f"Naar {airport} vliegen in de planperiode alleen maatschappijen die geen brancard meenemen "
                f"(of te kort na nu voor de MEDIF-termijn)",
                f"Within the horizon only airlines that take no stretcher fly to {airport} (or too soon for the "
                f"MEDIF lead time)")
    else:
        out.say(MEDICAL, f"Geen vlucht naar {airport} ver genoeg vooruit voor de MEDIF-termijn of bij een maatschappij "
                f"die begeleide terugkeerders meeneemt",
                f"No flight to {airport} far enough ahead for the MEDIF lead time or with an airline that takes "
                f"escorted returnees")


def _beyond(sc: Scenario, out: Outcome, why: Counter, itineraries: int) -> None:
    """Say what rules out the itineraries when no change of the scenario's records would do."""
    out.replaces = bool(why)  # nothing counted: an itinerary needed no change at all (out of time)
    away = rules.max_away_minutes(sc) // 60
    for code, n in why.most_common():
        rule, nl, en = BEYOND[code]
        lead_nl = f"Bij {wording.how_many(n, itineraries, ('vluchtcombinatie', 'vluchtcombinaties'), 'nl')}"
        lead_en = f"On {wording.how_many(n, itineraries, ('flight combination', 'flight combinations'), 'en')}"
        out.say(rule, f"{lead_nl}: {nl.format(away=away)}", f"{lead_en}: {en.format(away=away)}")


def verified_fixes(sc: Scenario, plan: dict, lead: str, seen: dict[frozenset[Change], int], out: Outcome) -> Outcome:
    """The need sets ``seen`` (with when their itinerary leaves) verified into fixes: single changes
    first, one per kind; only when none works, pairs, then triples (the first that works), then the
    smallest larger combination found."""
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
        if verify(sc.raw, plan, lead, list(change.ops), like=sc):
            kinds_done.add(change.kind)
            out.fixes.append(_fix([change]))
            out.changes.append((change,))
            if change.kind == "mission_limit":
                was, hours = sc.parameters.escort_max_away_hours, change.key[1]
                out.say(min(change.rules), f"Geen terugvlucht brengt een escort of medicus binnen {was} uur na het "
                        f"ophalen weer thuis; de eerste na {hours} uur",
                        f"No return flight brings an escort or medic home within {was} hours of the pickup; "
                        f"the first one after {hours} hours")
            out.say(min(change.rules), f"Planbaar met één wijziging (nagerekend): {change.nl}",
                    f"Plannable with one change (verified): {change.en}")
    if not out.fixes:
        # Pairs and triples first; else the smallest larger combination found, once.
        larger = _order([cs for size, sets in by_size.items() if size > 3 for cs in sets])[:1]
        for size in (2, 3, "larger"):
            ordered = larger if size == "larger" else _order(by_size.get(size, []))[:COMBO_TRIES]
            for cs, _ in ordered:
                tries += 1
                changes = sorted(cs, key=lambda c: (KIND_RANK[c.kind], c.en))
                if verify(sc.raw, plan, lead, [op for c in changes for op in c.ops], like=sc):
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


# What forked workers examine (planner/parallel.py): inherited at the fork, never pickled.
_WORK: tuple[Scenario, dict, list[Unit]] | None = None


def _examine(index: int) -> Outcome:
    from .contention import unit_fixes as room_fixes  # it builds on this module

    sc, plan, units = _WORK
    unit = units[index]
    return room_fixes(sc, plan, [d.id for d in unit.members]) if unit.options else unit_fixes(sc, plan, unit)


def attach_fixes(sc: Scenario, plan: dict, cands: Candidates) -> dict[str, Outcome]:
    """Add ``fixes`` to every unplanned departure of ``plan``, and the reasons that say when no
    single change is enough or none was found: for a departure without a lawful option, the
    changes its itineraries need (this module); for one that lost out to others, the room that
    would let it in beside them (planner/contention.py)."""
    global _WORK
    entries = {e["id"]: e for e in plan["departures"] if not e.get("planned")}
    todo = [u.index for u in cands.units if all(d.id in entries for d in u.members)]
    _WORK = (sc, plan, cands.units)
    try:  # units are examined independently, each against the same plan: spread over the cores
        found = run_all(_examine, todo)
    finally:
        _WORK = None
    outcomes: dict[str, Outcome] = {}
    for index, outcome in zip(todo, found):
        unit = cands.units[index]
        ids = [d.id for d in unit.members]
        # A mission limit says itself what holds the departure back (no return in time).
        lifted = {r for fix, changes in zip(outcome.fixes, outcome.changes) for r in fix["rules"]
                  if not any(c.kind == "mission_limit" for c in changes)}
        for i in ids:
            e = entries[i]
            e["fixes"] = outcome.fixes
            if outcome.replaces:
                e["reasons"], e["reasons_nl"], e["reason_rules"] = [], [], []
            elif outcome.fixes and not unit.options:
                # The candidate builder named the first check that failed; a verified fix shows
                # which rules really hold it back: the reasons of other rules were not the obstacle.
                keep = [k for k, r in enumerate(e.get("reason_rules", [])) if r in lifted]
                for key in ("reasons", "reasons_nl", "reason_rules"):
                    e[key] = [e[key][k] for k in keep]
            e.setdefault("reasons", []).extend(outcome.reasons)
            e.setdefault("reasons_nl", []).extend(outcome.reasons_nl)
            e.setdefault("reason_rules", []).extend(outcome.reason_rules)
            outcomes[i] = outcome
    return outcomes
