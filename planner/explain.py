"""Why a departure stays unplanned, in Dutch and English, naming the rule, resource and dates.

Two sources: findings of the candidate builder (no option survives the departure's own
rules, or nobody could serve it even with every resource free) and, for departures that had
options, what the final plan had already taken on each of them (seats, airline caps,
companions, vehicles), found by offering each option to the plan's resources.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import rules, timeutil, wording
from .candidates import Candidates, Finding, Unit
from .greedy import Ledger, try_option
from .rulebook import rule_of
from .selection import Selection

MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")


@dataclass(frozen=True)
class Reason:
    rule: int  # from the rulebook, by code
    code: str
    nl: str
    en: str


def _d(day: date | None) -> tuple[str, str]:
    if day is None:
        return "?", "?"
    return f"{day.day} {MONTHS_NL[day.month - 1]}", f"{day.day} {MONTHS_EN[day.month - 1]}"


def _span(first: date | None, last: date | None) -> tuple[str, str]:
    """'tussen 3 en 5 december' / 'between 3 and 5 December' (or 'op 3 december')."""
    if first is None:
        return "in de planperiode", "within the planning horizon"
    if last is None or last == first:
        nl, en = _d(first)
        return f"op {nl}", f"on {en}"
    (f_nl, f_en), (l_nl, l_en) = _d(first), _d(last)
    if first.month == last.month and first.year == last.year:
        return f"tussen {first.day} en {l_nl}", f"between {first.day} and {l_en}"
    return f"tussen {f_nl} en {l_nl}", f"between {f_en} and {l_en}"


def _dm(day: date, lang: str = "nl") -> str:
    return wording.day(day, lang)


def finding_reason(cands: Candidates, f: Finding) -> Reason:
    sc = cands.sc
    dep = sc.departures[f.departure]
    d = f.detail
    rec = sc.reception[dep.reception]
    when_nl, when_en = _span(d.get("first_day"), d.get("last_day"))
    code = f.code
    if code == "reception_unconfirmed":
        nl = f"Opvang {rec.name} ({rec.id}) heeft de overdracht niet bevestigd"
        en = f"Reception {rec.name} ({rec.id}) has not confirmed the handover"
    elif code == "minor_reception_kind":
        nl = f"Een minderjarige mag alleen naar familie, een voogd of adequate opvang; {rec.id} is een {rec.kind}"
        en = f"A minor may only be returned to family, a guardian or adequate reception; {rec.id} is a {rec.kind}"
    elif code == "no_stretcher_vehicle":
        nl, en = "Geen brancardvoertuig in de planning", "No stretcher vehicle in the scenario"
    elif code == "no_pickup_time":
        nl = "Het ophaalvenster ligt buiten de planperiode of vóór het vrijgavemoment"
        en = "The pickup window lies outside the horizon or before the departure is ready"
    elif code == "document":
        if d.get("day") and d["day"] < dep.document_valid_from:
            nl = f"Reisdocument is pas geldig vanaf {_dm(dep.document_valid_from)}, na de laatste mogelijke vlucht op {_dm(d['last_day'])}"
            en = f"Travel document is only valid from {_dm(dep.document_valid_from, 'en')}, after the last possible flight on {_dm(d['last_day'], 'en')}"
        elif d.get("at") == "arrival":
            nl = f"Reisdocument verloopt op {_dm(dep.document_valid_until)}, vóór de eerste mogelijke aankomst op {_dm(d['day'])}"
            en = f"Travel document expires on {_dm(dep.document_valid_until, 'en')}, before the first possible arrival on {_dm(d['day'], 'en')}"
        else:
            nl = f"Reisdocument verloopt op {_dm(dep.document_valid_until)}, vóór de eerste mogelijke vlucht op {_dm(d['first_day'])}"
            en = f"Travel document expires on {_dm(dep.document_valid_until, 'en')}, before the first possible flight on {_dm(d['first_day'], 'en')}"
    elif code == "fit_to_fly":
        nl = f"Fit-to-fly-verklaring geldt tot {_dm(dep.fit_to_fly_until)}, vóór de eerste mogelijke aankomst op {_dm(d['day'])}"
        en = f"Fit-to-fly declaration is valid until {_dm(dep.fit_to_fly_until, 'en')}, before the first possible arrival on {_dm(d['day'], 'en')}"
    elif code == "travel_time":
        limit = dep.medical.max_travel_hours
        shortest = d["min_minutes"] / 60
        nl = f"Snelste reis van ophalen tot overdracht duurt {wording.number(shortest, 'nl')} uur; maximaal {limit} uur toegestaan"
        en = f"The fastest journey from pickup to handover takes {wording.number(shortest, 'en')} hours; at most {limit} hours allowed"
    elif code == "reception_closed":
        n = d["count"]
        nl = f"Opvang {rec.name} ({rec.id}) is gesloten op elk mogelijk overdrachtsmoment ({n} {wording.plural(n, 'vluchtoptie', 'vluchtopties')} {when_nl})"
        en = f"Reception {rec.name} ({rec.id}) is closed at every possible handover time ({n} {wording.plural(n, 'flight option', 'flight options')} {when_en})"
    elif code == "blocked":
        s, e = d["window"]
        tz = sc.home_tz
        span_nl = f"{wording.moment(timeutil.at(s, tz), 'nl')} tot {wording.moment(timeutil.at(e, tz), 'nl')}"
        span_en = f"{wording.moment(timeutil.at(s, tz), 'en')} to {wording.moment(timeutil.at(e, tz), 'en')}"
        n = d["count"]
        if d.get("only"):
            nl = f"Vertrek geblokkeerd van {span_nl}; geen vlucht daarbuiten"
            en = f"Departure blocked from {span_en}; no flight outside it"
        else:
            nl = f"Vertrek geblokkeerd van {span_nl}; {n} {wording.plural(n, 'vluchtoptie valt', 'vluchtopties vallen')} daarin"
            en = f"Departure blocked from {span_en}; {n} flight {wording.plural(n, 'option falls', 'options fall')} in it"
    elif code in ("pickup_window", "horizon"):
        nl, en = "Geen vlucht past in het ophaalvenster en de planperiode", "No flight fits the pickup window and the horizon"
    elif code == "escort_shortage":
        who_nl = "escort" if d["need"] == 1 else f"{d['need']} escorts"
        who_en = "escort" if d["need"] == 1 else f"{d['need']} escorts"
        if d.get("visa"):
            land_nl, land_en = wording.country(d["country"], "nl"), wording.country(d["country"], "en")
            nl = f"Geen {who_nl} met geldig visum voor {land_nl} beschikbaar {when_nl}"
            en = f"No {who_en} with a valid visa for {land_en} available {when_en}"
        else:
            nl = f"Geen {who_nl} beschikbaar {when_nl}"
            en = f"No {who_en} available {when_en}"
    elif code == "escort_visa":
        who_nl = who_en = "escort" if d["need"] == 1 else f"{d['need']} escorts"
        land_nl, land_en = wording.country(d["country"], "nl"), wording.country(d["country"], "en")
        nl = f"Geen {who_nl} met de nodige visa (reis naar {land_nl}) {when_nl}; zonder visumeis wel"
        en = f"No {who_en} holding the visas needed (travel to {land_en}) {when_en}; visas aside there are"
    elif code == "escort_skill":
        lacks = d["lacks"]
        parts_nl = {"team_leader": "een teamleider", "minors": "een escort met aantekening minderjarigen"}
        parts_en = {"team_leader": "a team leader", "minors": "an escort qualified for minors"}
        nl_items = [parts_nl.get(x, f"een escort van hetzelfde geslacht ({dep.sex})") for x in lacks]
        en_items = [parts_en.get(x, f"an escort of the same sex ({dep.sex})") for x in lacks]
        nl = f"Geen team met {' en '.join(nl_items)} beschikbaar {when_nl}"
        en = f"No team with {' and '.join(en_items)} available {when_en}"
    elif code == "medic_shortage":
        skills = {lang: wording.listing([wording.skill(s, lang) for s in d["skills"]], lang) for lang in wording.LANGS}
        role_nl = {"nurse": "verpleegkundige", "physician": "arts"}[d["role"]]
        n = len(d["skills"])
        with_nl = f" met de {wording.plural(n, 'vaardigheid', 'vaardigheden')} {skills['nl']}" if n else ""
        nl = f"Geen {role_nl}{with_nl} beschikbaar {when_nl}"
        en = f"No {d['role']}{' skilled in ' + skills['en'] if n else ''} available {when_en}"
    elif code == "no_vehicle":
        kind_nl, kind_en = ("brancardvoertuig", "stretcher vehicle") if d.get("stretcher") else ("voertuig", "vehicle")
        nl = f"Geen {kind_nl} voor {d['passengers']} personen beschikbaar {when_nl}"
        en = f"No {kind_en} for {d['passengers']} people available {when_en}"
    elif code == "no_route":
        nl = f"Geen vlucht(combinatie) naar {d['airport']} binnen ophaalvenster en deadline"
        en = f"No flight or connection to {d['airport']} within the pickup window and deadline"
    elif code == "no_stretcher_route":
        nl = f"Geen vlucht naar {d['airport']} die een brancard meeneemt binnen ophaalvenster en deadline"
        en = f"No flight to {d['airport']} that takes a stretcher within the pickup window and deadline"
    elif code == "medif_lead":
        nl = f"Geen vlucht naar {d['airport']} die de MEDIF-termijn van de maatschappij haalt"
        en = f"No flight to {d['airport']} far enough ahead for the carrier's MEDIF lead time"
    elif code == "no_seats_route":
        nl = f"Geen vlucht naar {d['airport']} met {d['seats']} stoelen voor terugkeerder en begeleiders"
        en = f"No flight to {d['airport']} with {d['seats']} seats for the returnee and companions"
    else:
        nl = en = code
    return Reason(rule_of(code), code, nl, en)


_CONTENTION = {
    "seats_full": ("alle stoelen zijn al ingezet voor andere vertrekken", "all seats are taken by other departures"),
    "airline_cap": ("het maximum aantal begeleide terugkeerders per vlucht is bereikt",
                    "the airline's limit of escorted returnees per flight is reached"),
    "escorts_busy": ("alle geschikte escorts zijn al ingezet", "every suitable escort is already deployed"),
    "medic_busy": ("alle geschikte medici zijn al ingezet", "every suitable medic is already deployed"),
    "vehicle_busy": ("alle geschikte voertuigen zijn al ingezet", "every suitable vehicle is already in use"),
    # Only a search stopped by its time limit leaves out a departure that still fits: say so.
    "still_fits": ("het vertrek past nog, maar is binnen de rekentijd niet ingepland",
                   "the departure still fits but was not planned within the time limit"),
}


def _holders(cands: Candidates, ledger: Ledger, opt, code: str, detail: dict) -> set[str]:
    """The planned departures that hold what ``code`` says is taken on ``opt``."""
    if code in ("seats_full", "airline_cap"):
        users = ledger.seat_users if code == "seats_full" else ledger.escorted_users
        return {d for leg in opt.legs if leg.number == detail.get("flight") for d in users.get(leg.id, ())}
    out: set[str] = set()
    if code in ("escorts_busy", "medic_busy"):
        for i, m in enumerate(opt.members):
            if m.dep.id == detail.get("departure"):
                for c in (opt.escorts[i] if code == "escorts_busy" else opt.medics[i]):
                    out.update(ledger.holders(c.companion.id, c.start, c.end + ledger.rest))
    elif code == "vehicle_busy":
        for trip in opt.trips:
            for v in trip.vehicles:
                out.update(ledger.holders(v, *trip.busy))
    return out


def _named(ids: list[str], lang: str, most: int = 4) -> str:
    if len(ids) <= most:
        return wording.listing(ids, lang)
    rest = len(ids) - most
    return f"{', '.join(ids[:most])} {'en' if lang == 'nl' else 'and'} {rest} {'andere' if lang == 'nl' else 'more'}"


def contention_reasons(cands: Candidates, unit: Unit, ledger: Ledger) -> list[Reason]:
    """For a unit with options that the plan left out: what the plan took on each option, and
    which planned departures hold it (with their priority beside this one's)."""
    sc = cands.sc
    causes: dict[str, list[date]] = {}
    holders: dict[str, set[str]] = {}
    for opt in unit.options:
        _, blocker = try_option(cands, ledger, opt)
        code = blocker[0] if blocker else "still_fits"
        causes.setdefault(code, []).append(rules.local_date(sc, opt.first_departs, opt.legs[0].origin))
        if blocker:
            holders.setdefault(code, set()).update(_holders(cands, ledger, opt, code, blocker[1]))
    out = []
    total = len(unit.options)
    for code, days in sorted(causes.items(), key=lambda kv: -len(kv[1])):
        nl, en = _CONTENTION[code]
        when_nl, when_en = _span(min(days), max(days))
        n = len(days)
        lead_nl = f"Op {wording.how_many(n, total, ('passende vluchtoptie', 'passende vluchtopties'), 'nl')} {when_nl}"
        lead_en = f"On {wording.how_many(n, total, ('fitting flight option', 'fitting flight options'), 'en')} {when_en}"
        held = sorted(holders.get(code, ()), key=lambda d: (-sc.departures[d].priority, d))
        if held:
            mine = unit.priority
            theirs = sum(sc.departures[d].priority for d in held)
            nl += (f", door {_named(held, 'nl')} (prioriteit samen {theirs}; dit vertrek "
                   f"{'samen ' if len(unit.members) > 1 else ''}{mine})")
            en += (f", by {_named(held, 'en')} (priority {theirs} together; this departure "
                   f"{'together ' if len(unit.members) > 1 else ''}{mine})")
        out.append(Reason(rule_of(code), code, f"{lead_nl}: {nl}", f"{lead_en}: {en}"))
    if len(unit.members) > 1:
        ids = [d.id for d in unit.members]
        out.append(Reason(rule_of("family"), "family",
                          f"Het gezin ({wording.listing(ids, 'nl')}) reist samen of niet: voor alle gezinsleden samen is geen plek",
                          f"The family ({wording.listing(ids, 'en')}) travels together or not at all: "
                          f"there is no room for all members together"))
    return out


def _about(reason, me: str) -> Reason:
    """A reason as one family member reads it: another member's finding names that member."""
    if isinstance(reason, Reason):
        return reason
    whose, r = reason
    if whose == me:
        return r
    return Reason(r.rule, r.code, f"Gezinslid {whose} (het gezin reist samen): {r.nl}",
                  f"Family member {whose} (the family travels together): {r.en}")


def unplanned_reasons(cands: Candidates, selection: Selection) -> dict[str, list[Reason]]:
    """Reasons per unplanned departure id."""
    ledger = Ledger(cands)
    for chosen in selection.chosen.values():
        ledger.commit(chosen)
    out: dict[str, list[Reason]] = {}
    for unit in cands.units:
        if unit.index in selection.chosen:
            continue
        if unit.options:
            reasons = contention_reasons(cands, unit, ledger)
        else:
            reasons = [(f.departure, finding_reason(cands, f)) for f in unit.diagnosis]
        reasons = reasons or [Reason(rule_of("unknown"), "unknown", "Geen geldige planning gevonden", "No valid plan found")]
        for dep in unit.members:
            out[dep.id] = [_about(r, dep.id) for r in reasons]
    return out

