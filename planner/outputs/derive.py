"""Everything the outputs show, derived once from a scenario and a plan.

Itineraries, handover letters, calendars and the index all read the views built here,
so a check-in time, a MEDIF deadline or a local arrival time has one reading. Templates
only print these values; they never compute a time.

Deadlines chosen for the planning unit (regievoerder):

* MEDIF: the airline's medical clearance must be in while the booking still meets the
  carrier's ``medif_lead_hours`` (rule 5). The deadline is the earliest, over the legs,
  of the leg's departure minus its carrier's lead time — for one carrier simply the first
  departure minus ``medif_lead_hours``. Needed for departures of kind ``medical`` and for
  any departure with a medical need (stretcher, wheelchair, oxygen, medic).
* Removability check (IND): 24 hours before pickup. Late enough that a pending interim
  ruling or a prosecutor's objection is known, early enough to stand down the vehicle,
  the escorts and the medic before anyone sets out.
* Call-ahead to the receiving party: 24 hours before the final arrival, so the party can
  still arrange the transfer and the team learns of a problem before boarding.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .. import airports, breakdown, rules, timeutil
from ..domain import Companion, Departure, Flight, Reception, Scenario
from ..contact import PlanningUnit  # noqa: F401  (derive.PlanningUnit: the service's name for it)

REMOVABILITY_CHECK_HOURS = 24
CALL_AHEAD_HOURS = 24
TASK_MINUTES = 30  # a task shows in the calendar as this long a slot ending at its deadline
HANDOVER_MINUTES = 30  # the handover itself, from the handover time

# Destinations whose receiving parties get the handover letter in French as well.
FRANCOPHONE_COUNTRIES = frozenset({
    "BE", "BF", "BI", "BJ", "CD", "CF", "CG", "CH", "CI", "CM", "DJ", "DZ", "FR", "GA", "GN",
    "GQ", "HT", "KM", "LU", "MA", "MC", "MG", "ML", "MR", "NE", "RW", "SC", "SN", "TD", "TG",
    "TN", "VU",
})

# Receiving parties that are private persons: calendars name only their kind.
PRIVATE_RECEPTION_KINDS = frozenset({"family", "guardian"})

_WEEKDAYS = {
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
_MONTHS = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
}

SERVICE_CODES = {
    "DEPA": ("uitgezette persoon, begeleid (escort aan boord)", "deportee, accompanied"),
    "DEPU": ("uitgezette persoon, onbegeleid", "deportee, unaccompanied"),
    "MEDA": ("medisch geval: MEDIF van de luchtvaartmaatschappij vereist", "medical case (MEDIF)"),
    "WCHR": ("rolstoel tot het vliegtuig; kan trappen lopen en in de cabine lopen", "wheelchair, can climb steps"),
    "WCHS": ("rolstoel; kan geen trappen lopen, wel in de cabine", "wheelchair, cannot climb steps"),
    "WCHC": ("rolstoel; volledig immobiel, tot aan de stoel dragen", "wheelchair, immobile"),
    "STCR": ("brancard", "stretcher"),
    "OXYG": ("zuurstof aan boord", "oxygen on board"),
    "UMNR": ("minderjarige", "minor"),
}

ESCORT_ROLE = {"nl": "KMar-escort", "en": "escort officer (Royal Netherlands Marechaussee)",
               "fr": "agent d'escorte (Maréchaussée royale néerlandaise)"}
LEADER_ROLE = {"nl": "teamleider", "en": "team leader", "fr": "chef d'équipe"}
MEDIC_ROLE = {
    "nurse": {"nl": "verpleegkundige", "en": "nurse", "fr": "infirmier/infirmière"},
    "physician": {"nl": "arts", "en": "physician", "fr": "médecin"},
}
RECEPTION_KIND = {
    "hospital": {"nl": "ziekenhuis", "en": "hospital", "fr": "hôpital"},
    "care_facility": {"nl": "zorginstelling", "en": "care facility", "fr": "établissement de soins"},
    "family": {"nl": "familie", "en": "family", "fr": "famille"},
    "guardian": {"nl": "voogd", "en": "guardian", "fr": "tuteur"},
    "reception_facility": {"nl": "opvangvoorziening", "en": "reception facility", "fr": "structure d'accueil"},
}
MEETING_POINT = {"nl": "in de aankomsthal", "en": "in the arrivals hall", "fr": "dans le hall des arrivées"}
DEPARTURE_KIND = {"medical": "medisch vertrek", "minor": "terugkeer minderjarige (AMV)", "other": "bijzonder vertrek"}


# Airports whose airportsdata city names a district first ("Arnavutköy, Istanbul").
CITY_OF_AIRPORT = {"IST": "Istanbul"}


def zone_city(zone: str) -> str:
    """The city an IANA zone is named after ("Europe/Amsterdam" -> "Amsterdam"); '' for "UTC"."""
    if "/" not in zone or zone.startswith("Etc/"):
        return ""
    return zone.rsplit("/", 1)[1].replace("_", " ")


def airport_city(sc: Scenario, iata: str) -> str:
    """The city an airport serves, from airportsdata, so that a time reads "13:10 Doha, UTC+3" rather
    than "Asia/Qatar"; the zone's city when the airport is not shipped or the scenario gives it
    another zone (then the shipped city may lie elsewhere)."""
    info = airports.shipped(iata)
    ap = sc.airports.get(iata)
    zone = str(ap.tz.key) if ap else (info or {}).get("tz", "")
    if info and info.get("tz") == zone and info.get("city"):
        return CITY_OF_AIRPORT.get(iata) or info["city"].split(",")[0].strip()
    return zone_city(zone)


def offset_text(minutes: int) -> str:
    """A UTC offset as people write it: UTC+1, UTC+2, UTC+5:30, UTC+5:45, UTC-3, UTC+0."""
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}:{m:02d}" if m else f"UTC{sign}{h}"


@dataclass(frozen=True)
class LocalTime:
    """An instant as read on the wall clock of one place, ready to print."""

    minute: int
    dt: datetime  # aware, in the zone of the place
    zone: str  # IANA name, e.g. Europe/Amsterdam
    city: str = ""  # where the clock hangs, e.g. "Doha" (an airport's city); '' for the zone's city

    @property
    def time(self) -> str:
        return self.dt.strftime("%H:%M")

    @property
    def place(self) -> str:
        return self.city or zone_city(self.zone)

    @property
    def offset(self) -> str:
        """UTC+1 in Amsterdam's winter, UTC+2 in its summer, UTC+5:45 in Kathmandu."""
        return offset_text(int(self.dt.utcoffset().total_seconds() // 60))

    @property
    def abbr(self) -> str:
        """Zone abbreviation when the zone has a real one (CET, CEST); '' for '+0545'."""
        name = self.dt.tzname() or ""
        return "" if name[:1] in "+-" or name.startswith("UTC") else name

    @property
    def zone_label(self) -> str:
        """City and offset, "Amsterdam, UTC+1": what the time is read by, in every language."""
        return f"{self.place}, {self.offset}" if self.place else self.offset

    def _date(self, lang: str) -> str:
        d = self.dt
        return f"{_WEEKDAYS[lang][d.weekday()]} {d.day} {_MONTHS[lang][d.month - 1]} {d.year}"

    @property
    def nl(self) -> str:
        return f"{self._date('nl')} {self.time}"

    @property
    def en(self) -> str:
        return f"{self._date('en')} {self.time}"

    @property
    def fr(self) -> str:
        return f"{self._date('fr')} {self.dt.hour:02d} h {self.dt.minute:02d}"

    @property
    def iso(self) -> str:
        return self.dt.isoformat()

    def full(self, lang: str = "nl") -> str:
        """Date, time, city and offset: "di 1 dec 2026 14:14 Amsterdam, UTC+1"."""
        return f"{getattr(self, lang)} {self.zone_label}"

    def clock(self, lang: str = "nl") -> str:
        """The time of day alone, as the language writes it ("14:14", "14 h 14")."""
        return f"{self.dt.hour:02d} h {self.dt.minute:02d}" if lang == "fr" else self.time


def local(minute: int, tz: ZoneInfo, city: str = "") -> LocalTime:
    return LocalTime(minute, timeutil.at(minute, tz), str(tz.key), city)


def span_text(start: LocalTime, end: LocalTime, lang: str = "nl") -> str:
    """From start to end as read where each happens: the end keeps its own date when it falls on
    another day, and its own city and offset when it is read elsewhere or after a clock change
    ("ma 7 dec 2026 06:20 – wo 9 dec 2026 02:05"; "Mon 7 Dec 2026 10:10 Amsterdam, UTC+1 – 15:25
    Istanbul, UTC+3"). A span read in one place carries no zone: the caller names it once."""
    other_day = start.dt.date() != end.dt.date()
    end_text = getattr(end, lang) if other_day else end.clock(lang)
    if start.zone_label == end.zone_label:
        return f"{getattr(start, lang)} – {end_text}"
    return f"{start.full(lang)} – {end_text} {end.zone_label}"


def duration_text(minutes: int, lang: str = "nl") -> str:
    h, m = divmod(int(minutes), 60)
    unit = "u" if lang == "nl" else "h"
    if h and m:
        return f"{h} {unit} {m:02d} min" if lang != "fr" else f"{h} h {m:02d}"
    if h:
        return f"{h} {unit}"
    return f"{m} min"


@dataclass(frozen=True)
class Place:
    code: str  # IATA code
    name: str
    city: str = ""  # airport_city: what its local times are read by

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})" if self.name else self.code


@dataclass(frozen=True)
class Leg:
    flight: Flight
    number: str
    origin: Place
    dest: Place
    departs: LocalTime
    arrives: LocalTime
    duration: str


@dataclass(frozen=True)
class Connection:
    airport: Place
    minutes: int
    duration: str
    minimum: str


@dataclass(frozen=True)
class Deadline:
    due: LocalTime  # in the planning unit's zone
    overdue: bool  # already past at planning time: do it at once


@dataclass(frozen=True)
class Member:
    """One companion on the team of a departure."""

    person: Companion
    kind: str  # escort | medic
    leader: bool
    returns: tuple[Leg, ...]
    connections: tuple[Connection, ...]
    mission_start: LocalTime
    mission_end: LocalTime

    @property
    def id(self) -> str:
        return self.person.id

    @property
    def name(self) -> str:
        return self.person.name

    def role(self, lang: str) -> str:
        if self.kind == "medic":
            return MEDIC_ROLE[self.person.role][lang]
        return f"{ESCORT_ROLE[lang]}, {LEADER_ROLE[lang]}" if self.leader else ESCORT_ROLE[lang]


@dataclass(frozen=True)
class ServiceCode:
    code: str
    meaning_nl: str
    meaning_en: str


@dataclass(frozen=True)
class CostLine:
    what: str  # Dutch
    amount: str  # e.g. "EUR 1 200,00"


@dataclass(frozen=True)
class CostsView:
    """"Kosten en keuzes" on the itinerary: planner/breakdown.py's figures, as text."""

    lines: tuple[CostLine, ...]
    total: str
    waiting: str  # whole hours from ready_from to the first departure
    waiting_weighted: str
    journey: str  # pickup to handover


def costs_view(sc: Scenario, entry: dict) -> CostsView | None:
    cost, goals = breakdown.departure_cost(sc, entry), breakdown.soft_goals(sc, entry)
    if cost is None or goals is None:
        return None
    return CostsView(
        lines=tuple(CostLine(l["what_nl"], breakdown.money(breakdown.cents(l["eur"]), "nl")) for l in cost["lines"]),
        total=breakdown.money(breakdown.cents(cost["total_eur"]), "nl"),
        waiting=f"{goals['waiting_hours']} uur",
        waiting_weighted=f"{goals['waiting_hours_weighted']} uur (× prioriteit {goals['priority']})",
        journey=duration_text(round(goals["pickup_to_handover_hours"] * 60)),  # 0.01 h < half a minute: exact
    )


@dataclass
class DepartureView:
    """One planned departure as the documents and calendars show it."""

    dep: Departure
    reception: Reception
    pickup_location: str
    pickup_location_kind: str
    vehicle_id: str
    vehicle_kind: str
    pickup: LocalTime
    pickup_airport: Place
    drive_minutes: int
    at_airport: LocalTime
    checkin: LocalTime
    legs: tuple[Leg, ...]
    connections: tuple[Connection, ...]
    escorts: tuple[Member, ...]
    medics: tuple[Member, ...]
    codes: tuple[ServiceCode, ...]
    medif: Deadline | None
    medif_lead: str  # e.g. "KL 72 u"
    removability: Deadline
    call_ahead: Deadline
    final_arrival: LocalTime
    handover: LocalTime
    handover_home: LocalTime  # the same instant in the planning unit's zone
    transfer: str
    arrangements_nl: tuple[str, ...]
    letter_languages: tuple[str, ...]
    vehicle_busy: tuple[int, int]
    costs: CostsView | None = None  # None when the entry names something the scenario lacks
    arrival_terminal: str = ""  # the last leg's optional ``arrival_terminal`` (scenario extra field)

    @property
    def id(self) -> str:
        return self.dep.id

    @property
    def unescorted(self) -> bool:
        """No escort on board: the receiving party is asked to meet the person at the airport."""
        return not self.escorts

    def meeting_point(self, lang: str) -> str:
        """Where at the arrival airport the person is met: the arrivals hall, of the terminal
        the flight arrives at when the scenario knows it."""
        hall = MEETING_POINT[lang]
        return f"{hall} ({self.arrival_terminal})" if self.arrival_terminal else hall

    @property
    def kind_label(self) -> str:
        return DEPARTURE_KIND[self.dep.kind]

    @property
    def team(self) -> tuple[Member, ...]:
        return self.escorts + self.medics

    @property
    def return_groups(self) -> list[tuple[tuple[Member, ...], Member]]:
        """Team members who fly home on the same flights, with one of them for the legs."""
        groups: dict[tuple[str, ...], list[Member]] = {}
        for m in self.team:
            groups.setdefault(tuple(leg.flight.id for leg in m.returns), []).append(m)
        return [(tuple(ms), ms[0]) for ms in groups.values()]

    @property
    def stretcher(self) -> bool:
        return self.dep.stretcher

    @property
    def wheelchair(self) -> str | None:
        return self.dep.medical.wheelchair if self.dep.medical else None

    @property
    def oxygen(self) -> bool:
        return bool(self.dep.medical and self.dep.medical.oxygen)

    @property
    def reception_kind(self) -> dict:
        return RECEPTION_KIND[self.reception.kind]

    @property
    def reception_public_label(self) -> str:
        """How calendars name the receiving party: institutions by name, private persons by kind."""
        if self.reception.kind in PRIVATE_RECEPTION_KINDS:
            return f"{RECEPTION_KIND[self.reception.kind]['nl']} ({self.reception.airport})"
        return self.reception.name

    @property
    def first_leg(self) -> Leg:
        return self.legs[0]

    @property
    def last_leg(self) -> Leg:
        return self.legs[-1]

    def transfer_in(self, lang: str) -> str:
        return duration_text(self.reception.transfer_minutes, lang)

    def file_stem(self) -> str:
        return safe_name(self.id)


def safe_name(text: str) -> str:
    """A file name part: ids keep letters, digits, '-' and '_'; anything else becomes '_'."""
    return "".join(c if c.isalnum() and c.isascii() or c in "-_" else "_" for c in text)


def place(sc: Scenario, iata: str) -> Place:
    ap = sc.airports.get(iata)
    return Place(iata, ap.name if ap else "", airport_city(sc, iata) if ap else "")


def legs_of(sc: Scenario, flight_ids: list[str]) -> tuple[Leg, ...]:
    out = []
    for fid in flight_ids:
        f = sc.flights[fid]
        origin, dest = place(sc, f.origin), place(sc, f.dest)
        out.append(Leg(f, f.number, origin, dest,
                       local(f.departs, sc.tz(f.origin), origin.city), local(f.arrives, sc.tz(f.dest), dest.city),
                       duration_text(f.arrives - f.departs)))
    return tuple(out)


def connections_of(sc: Scenario, legs: tuple[Leg, ...]) -> tuple[Connection, ...]:
    out = []
    for a, b in zip(legs, legs[1:]):
        gap = b.flight.departs - a.flight.arrives
        out.append(Connection(a.dest, gap, duration_text(gap),
                              duration_text(rules.connection_minutes(sc, a.flight.dest))))
    return tuple(out)


def service_codes(sc: Scenario, dep: Departure, escorted: bool) -> tuple[ServiceCode, ...]:
    codes = ["DEPA" if escorted else "DEPU"]
    if rules.needs_medif(dep):
        codes.append("MEDA")
    if dep.medical and dep.medical.wheelchair:
        codes.append(dep.medical.wheelchair)
    if dep.stretcher:
        codes.append("STCR")
    if dep.medical and dep.medical.oxygen:
        codes.append("OXYG")
    if rules.is_minor(dep) and not escorted:
        codes.append("UMNR")  # a minor in the airline's care; an escorted minor is not one
    out = []
    for c in codes:
        nl, en = SERVICE_CODES[c]
        if c == "STCR":
            nl = f"{nl} ({sc.parameters.stretcher_seats} stoelen per vlucht)"
        out.append(ServiceCode(c, nl, en))
    return tuple(out)


def _deadline(sc: Scenario, minute: int) -> Deadline:
    return Deadline(local(minute, sc.home_tz), minute < sc.planning_time)


def _member(sc: Scenario, person: Companion, kind: str, leader: bool, return_ids: list[str],
            pickup: int) -> Member:
    returns = legs_of(sc, return_ids)
    end = returns[-1].flight.arrives if returns else pickup
    end_tz = sc.tz(returns[-1].flight.dest) if returns else sc.home_tz
    end_city = returns[-1].dest.city if returns else ""
    return Member(person, kind, leader, returns, connections_of(sc, returns),
                  local(pickup, sc.home_tz), local(end, end_tz, end_city))


def departure_view(sc: Scenario, entry: dict) -> DepartureView:
    dep = sc.departures[entry["id"]]
    rec = sc.reception[entry.get("handover", {}).get("reception") or dep.reception]
    pk = entry["pickup"]
    loc = sc.locations[pk.get("location") or dep.pickup_location]
    vehicle = sc.vehicles[pk["vehicle"]]
    legs = legs_of(sc, entry["flights"])
    airport = pk.get("airport") or legs[0].flight.origin
    drive = rules.drive_minutes(sc, dep, airport) or 0
    pickup = timeutil.instant_minutes(pk["time"])
    dep_tz = sc.tz(airport)
    from_airport = place(sc, airport)
    final = legs[-1].flight.arrives
    handover_text = entry.get("handover", {}).get("time")
    handover = timeutil.instant_minutes(handover_text) if handover_text else rules.handover_time(rec, final)

    escort_entries = entry.get("escorts") or []
    head = rules.team_leader([sc.escorts[e["id"]] for e in escort_entries])
    leader = head.id if head else None
    escorts = tuple(_member(sc, sc.escorts[e["id"]], "escort", e["id"] == leader, e.get("return_flights") or [], pickup)
                    for e in escort_entries)
    medics = tuple(_member(sc, sc.medics[m["id"]], "medic", False, m.get("return_flights") or [], pickup)
                   for m in entry.get("medics") or [])

    medif = _deadline(sc, rules.medif_due(sc, [leg.flight for leg in legs])) if rules.needs_medif(dep) else None
    leads = sorted({(leg.flight.carrier, sc.airlines[leg.flight.carrier].medif_lead_hours) for leg in legs})
    arrangements = _arrangements_nl(sc, dep, rec, medics, vehicle.kind)
    langs = ("en", "fr") if rec.country in FRANCOPHONE_COUNTRIES else ("en",)

    return DepartureView(
        dep=dep, reception=rec,
        pickup_location=loc.name, pickup_location_kind=loc.kind,
        vehicle_id=vehicle.id, vehicle_kind=vehicle.kind,
        pickup=local(pickup, dep_tz), pickup_airport=from_airport, drive_minutes=drive,
        at_airport=local(pickup + drive, dep_tz, from_airport.city),
        checkin=local(rules.checkin_time(sc, legs[0].flight.departs), dep_tz, from_airport.city),
        legs=legs, connections=connections_of(sc, legs),
        escorts=escorts, medics=medics,
        codes=service_codes(sc, dep, bool(escorts)),
        medif=medif, medif_lead=", ".join(f"{c} {h} u" for c, h in leads),
        removability=_deadline(sc, pickup - REMOVABILITY_CHECK_HOURS * 60),
        call_ahead=_deadline(sc, final - CALL_AHEAD_HOURS * 60),
        final_arrival=legs[-1].arrives,
        handover=local(handover, sc.tz(rec.airport), airport_city(sc, rec.airport)),
        handover_home=local(handover, sc.home_tz),
        transfer=duration_text(rec.transfer_minutes),
        arrangements_nl=arrangements,
        letter_languages=langs,
        vehicle_busy=rules.vehicle_busy(pickup, drive),
        costs=costs_view(sc, entry),
        arrival_terminal=arrival_terminal(sc, legs[-1].flight.id),
    )


_terminals: tuple[object, dict[str, str]] = (None, {})


def arrival_terminal(sc: Scenario, flight_id: str) -> str:
    """A flight's optional ``arrival_terminal`` ("Terminal 2"): an extra field of the scenario's
    flights (docs/documents.md), read from the document itself; '' when not given. The flights are
    indexed once per scenario document, not once per departure."""
    global _terminals
    raw = sc.raw if isinstance(sc.raw, dict) else {}
    if _terminals[0] is not raw:
        index = {}
        for f in raw.get("flights") or []:
            value = f.get("arrival_terminal") if isinstance(f, dict) else None
            if isinstance(value, int) and not isinstance(value, bool):
                value = f"Terminal {value}"  # a spreadsheet cell holding just the number
            if isinstance(value, str) and value.strip():
                index[str(f.get("id"))] = " ".join(value.split())
        _terminals = (raw, index)
    return _terminals[1].get(flight_id, "")


def _arrangements_nl(sc: Scenario, dep: Departure, rec: Reception, medics, vehicle_kind: str) -> tuple[str, ...]:
    out = [f"vervoer naar de luchthaven: {vehicle_kind}"]
    for m in medics:
        out.append(f"medische begeleiding: {MEDIC_ROLE[m.person.role]['nl']} {m.name}")
    if dep.stretcher:
        out.append(f"brancard aan boord ({sc.parameters.stretcher_seats} stoelen per vlucht)")
    if dep.medical and dep.medical.wheelchair:
        out.append(f"rolstoel ({dep.medical.wheelchair})")
    if dep.medical and dep.medical.oxygen:
        out.append("zuurstof aan boord")
    out.append(f"transfer luchthaven {rec.airport} → {rec.name}: {duration_text(rec.transfer_minutes)}")
    return tuple(out)


def planned_views(sc: Scenario, plan: dict) -> list[DepartureView]:
    return [departure_view(sc, e) for e in plan.get("departures", []) if e.get("planned")]


def unplanned(plan: dict) -> list[dict]:
    return [e for e in plan.get("departures", []) if not e.get("planned")]


# --- Calendar events ------------------------------------------------------------------------

@dataclass(frozen=True)
class CalEvent:
    """One calendar event. ``key`` makes its UID; it never appears in the output."""

    owner: str  # calendar: escort:<id> | medic:<id> | vehicle:<id> | regievoerder
    key: str
    summary: str
    start: datetime  # aware, zone of the place where it starts
    end: datetime
    location: str
    description: str
    busy: bool = True


def _team_lines(view: DepartureView, me: str | None = None) -> list[str]:
    """The team in a fixed order (leader, escorts, medics, then by id), whatever order the plan lists
    them in: a re-plan that only reorders a team changes no one's calendar event."""
    lines = []
    for m in sorted(view.team, key=lambda m: (not m.leader, m.kind != "escort", m.id)):
        if m.id == me:
            continue
        lines.append(f"- {m.name} ({m.role('nl')})")
    return lines


def _needs_line(view: DepartureView) -> list[str]:
    """Only what the task needs: stretcher and wheelchair, nothing about why."""
    out = [f"Brancard: {'ja' if view.stretcher else 'nee'}"]
    if view.wheelchair:
        out.append("Rolstoel: ja")
    return out


def _describe(view: DepartureView, task: str, me: str | None, extra: list[str] = ()) -> str:
    lines = [f"Zaak: {view.id}", f"Taak: {task}"]
    lines += list(extra)
    lines += _needs_line(view)
    team = _team_lines(view, me)
    if team:
        lines.append("Team:" if me is None else "Collega's:")
        lines += team
    lines.append(f"Voertuig: {view.vehicle_id}")
    return "\n".join(lines)


def _leg_event(owner: str, key: str, view: DepartureView, leg: Leg, task: str, me: str) -> CalEvent:
    return CalEvent(
        owner, key, f"Vlucht {leg.number} {leg.origin.code}→{leg.dest.code} ({view.id})",
        leg.departs.dt, leg.arrives.dt, f"{leg.origin.label} → {leg.dest.label}",
        _describe(view, task, me, [f"Vlucht {leg.number}: vertrek {leg.departs.nl} {leg.departs.zone_label}, "
                                   f"aankomst {leg.arrives.nl} {leg.arrives.zone_label}"]),
    )


def events_of(sc: Scenario, view: DepartureView) -> list[CalEvent]:
    """Every calendar event of one departure: team, vehicle and planning unit."""
    out: list[CalEvent] = []
    d = view.id
    for m in view.team:
        owner = f"{m.kind}:{m.id}"
        k = f"{d}|{owner}"
        out.append(CalEvent(
            owner, f"{k}|mission|0", f"Missie {view.id}: {view.pickup_airport.code}→{view.last_leg.dest.code}",
            view.pickup.dt, m.mission_end.dt, f"{view.pickup_location} ({view.pickup_airport.code})",
            _describe(view, f"begeleiding {view.kind_label} als {m.role('nl')}", m.id, [
                f"Ophalen: {view.pickup.nl} {view.pickup.zone_label}, {view.pickup_location}",
                f"Inchecken uiterlijk: {view.checkin.nl} ({view.pickup_airport.code})",
                f"Terug op {m.mission_end.nl} {m.mission_end.zone_label}",
            ]),
        ))
        for i, leg in enumerate(view.legs):
            out.append(_leg_event(owner, f"{k}|outbound|{i}", view, leg, "heenvlucht met de vertrekker", m.id))
        out.append(CalEvent(
            owner, f"{k}|handover|0", f"Overdracht {view.id} aan {view.reception_public_label}",
            view.handover.dt, view.handover.dt + _minutes(HANDOVER_MINUTES),
            f"{view.reception_public_label} ({view.reception.airport})",
            _describe(view, "overdracht aan de ontvangende partij", m.id, [
                f"Aankomst: {view.final_arrival.nl} {view.final_arrival.zone_label}",
                f"Transfer vanaf {view.reception.airport}: {view.transfer}",
            ]),
        ))
        for i, leg in enumerate(m.returns):
            out.append(_leg_event(owner, f"{k}|return|{i}", view, leg, "terugreis", m.id))

    v = f"vehicle:{view.vehicle_id}"
    busy_start, busy_end = view.vehicle_busy
    tz = view.pickup.dt.tzinfo
    out.append(CalEvent(
        v, f"{d}|{v}|trip|0",
        f"Rit {view.id}: {view.pickup_location} → {view.pickup_airport.code} en terug",
        timeutil.at(busy_start, tz), timeutil.at(busy_end, tz),
        f"{view.pickup_location} → {view.pickup_airport.label}",
        _describe(view, "vervoer naar de luchthaven", None, [
            f"Ophalen: {view.pickup.nl} {view.pickup.zone_label}",
            f"Aankomst luchthaven: {view.at_airport.nl}; rijtijd {duration_text(view.drive_minutes)}",
            f"Passagiers: {1 + len(view.team)}",
        ]),
    ))

    r = "regievoerder"
    tasks = []
    if view.medif is not None:
        tasks.append(("medif", "MEDIF indienen bij de luchtvaartmaatschappij", view.medif,
                      f"Lead time: {view.medif_lead}; vluchten {', '.join(l.number for l in view.legs)}",
                      view.pickup_airport.code))
    tasks.append(("removability", "Vertrekbaarheidscheck IND", view.removability,
                  f"Ophalen: {view.pickup.nl} {view.pickup.zone_label}", view.pickup_airport.code))
    tasks.append(("callahead", "Ontvangende partij bellen (call-ahead)", view.call_ahead,
                  f"Aankomst {view.last_leg.number}: {view.final_arrival.nl} {view.final_arrival.zone_label}; "
                  "contactgegevens: zie reisplan", view.reception.airport))
    for kind, title, dl, extra, airport in tasks:
        late = " — VERLOPEN, direct doen" if dl.overdue else ""
        out.append(CalEvent(
            r, f"{d}|{r}|{kind}|0", f"{title} ({view.id}){late}",
            dl.due.dt - _minutes(TASK_MINUTES), dl.due.dt, f"DT&V regie ({airport})",
            _describe(view, f"{title}, uiterlijk {dl.due.nl}", None, [extra]), busy=False,
        ))
    return out


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def plan_events(sc: Scenario, views: list[DepartureView]) -> list[CalEvent]:
    return [e for v in views for e in events_of(sc, v)]
