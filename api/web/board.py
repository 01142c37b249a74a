"""The planning board: one lane per escort, medic and vehicle of a plan, a bar per mission.

The board shows one period at a time (``ZOOMS``: a day, a week, or the whole plan); positions
are computed here, as percentages of that period (whole local days in the planning unit's
zone), so the template only places what it is given. Each lane also carries the person's or
vehicle's availability windows from the scenario (drawn behind the bars: who is free when) and
every mission in full, for the table view that is the board's text alternative.

Readability is decided here too: the track has a minimum width per zoom (``TRACK_REM``), a bar
is never narrower than ``BAR_MIN_REM``, and a label that would not fit inside its bar (estimated
at the track's minimum width) goes beside it, or shortens, where the lane has room.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from planner import rules, timeutil
from planner.outputs import derive
from planner.scenario import Scenario

from ..owners import owner_of

DAY = timeutil.MINUTES_PER_DAY
LANE_KINDS = {"escort": "Escorts (KMar)", "medic": "Medische begeleiding", "vehicle": "Voertuigen (DV&O)"}
ZOOMS = {"dag": "Dag", "week": "Week", "alles": "Hele plan"}
DEPARTURE_KINDS = {"medical": "medisch", "minor": "minderjarige", "other": "overig"}
KIND_GLYPHS = {"medical": "✚", "minor": "◆", "other": ""}  # beside colour and pattern: the kind as text
DEFAULT_ZOOM = "week"

TRACK_REM = {"dag": 60.0, "week": 56.0}  # the track's minimum width; the whole plan: per day
ALL_DAY_REM = 5.0
BAR_MIN_REM = 1.6  # in step with --bar-min in app.css
CHAR_REM = 0.55  # a bold label character at 12 px (0.8 rem): digits and capitals, a little generous
LABEL_PAD_REM = 0.6
GLYPH_REM = 0.9
POP_UP_LANES = 4  # the last lanes open their details upwards (the board scrolls, it does not grow)


@dataclass
class Mission:
    """One escort's or medic's mission, or one vehicle trip (a family group shares a trip)."""
    owner: str
    departures: list[str]
    href: str  # the departure page (first departure of a shared trip)
    start: int
    end: int
    kind: str  # medical | minor | other
    what: str  # "Missie KMar-escort", "Rit naar AMS en terug", ...
    start_text: str = ""
    end_text: str = ""
    destination: str = ""
    start_day: str = ""  # ISO date of the start, for a link to the board's period

    @property
    def label(self) -> str:
        return " + ".join(self.departures)

    @property
    def short_label(self) -> str:
        first = self.departures[0]
        tail = first.rsplit("-", 1)[-1] if "-" in first else first
        return tail + (f" +{len(self.departures) - 1}" if len(self.departures) > 1 else "")

    @property
    def kind_text(self) -> str:
        return DEPARTURE_KINDS.get(self.kind, self.kind)

    @property
    def span(self) -> str:
        return f"{self.start_text} – {self.end_text}"

    @property
    def name(self) -> str:
        """The accessible name of its bar: departure, kind, what, from–until."""
        what = self.what[:1].lower() + self.what[1:]
        return f"Vertrek {self.label}: {self.kind_text}, {what}, {self.span}"


@dataclass
class Bar:
    mission: Mission
    left: float  # % of the track
    width: float
    text: str  # the label shown (the full one or its short form)
    place: str = "in"  # in | right | left: the label inside the bar or beside it
    cut_start: bool = False  # the mission began before the period shown
    cut_end: bool = False
    pop_up: bool = False  # the details open upwards
    pop_end: bool = False  # the details align to the bar's right edge

    @property
    def kind(self) -> str:
        return self.mission.kind

    @property
    def glyph(self) -> str:
        return KIND_GLYPHS.get(self.mission.kind, "")


@dataclass
class Band:
    left: float
    width: float


@dataclass
class Lane:
    owner: str  # escort:<id> | medic:<id> | vehicle:<id>
    kind: str
    id: str
    name: str  # the person's full name; a vehicle's id
    detail: str = ""  # medic: role; vehicle: its kind
    href: str = ""  # the person's page: the edit form for who may edit, else the detail view
    missions: list[Mission] = field(default_factory=list)
    available: list[tuple[int, int]] = field(default_factory=list)
    available_text: list[str] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    free_in_view: str = ""  # availability in the period shown, as text
    facts: list[tuple[str, str]] = field(default_factory=list)  # the detail view's facts

    @property
    def label(self) -> str:
        return f"{self.name} ({self.detail})" if self.detail else self.name


@dataclass
class Tick:
    label: str
    left: float
    width: float
    weekend: bool = False
    major: bool = False  # a new day (day zoom) or a month's first day


@dataclass
class View:
    zoom: str
    start: int
    end: int
    title: str  # "week 50: ma 7 – zo 13 dec 2026"
    van: str = ""  # ISO date of the period's first day
    prev: str = ""
    next: str = ""


@dataclass
class Board:
    groups: list[tuple[str, str, list[Lane]]]  # (kind, heading, lanes)
    ticks: list[Tick]
    view: View
    track_rem: float
    missions: int  # escorts' and medics' missions in the lanes shown (whole plan)
    trips: int
    in_view: int  # bars in the period shown

    @property
    def lanes(self) -> list[Lane]:
        return [lane for _, _, lanes in self.groups for lane in lanes]

    @property
    def days(self) -> list[Tick]:  # the former name
        return self.ticks


def _text(sc: Scenario, minute: int) -> str:
    return derive.local(minute, sc.home_tz).nl


def _window_text(sc: Scenario, start: int, end: int) -> str:
    return f"{_text(sc, start)} – {_text(sc, end)}"


def parse_van(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _lane_of(sc: Scenario, kind: str, oid: str) -> Lane:
    owner = owner_of(kind, oid)
    if kind in ("escort", "medic"):
        c = sc.escorts[oid] if kind == "escort" else sc.medics[oid]
        role = derive.MEDIC_ROLE[c.role]["nl"] if kind == "medic" else ""
        facts = [("Soort", role or derive.ESCORT_ROLE["nl"]), ("Standplaats", c.base),
                 ("Vaardigheden", ", ".join(sorted(c.skills)) or "geen")]
        return Lane(owner, kind, oid, c.name, role, available=list(c.available), facts=facts)
    v = sc.vehicles[oid]
    facts = [("Soort", v.kind), ("Plaatsen", str(v.seats)), ("Brancard", "ja" if v.stretcher else "nee")]
    return Lane(owner, kind, oid, oid, v.kind, available=list(v.available), facts=facts)


def _matches(lane: Lane, person: str) -> bool:
    needle = person.casefold()
    return any(needle in text.casefold() for text in (lane.id, lane.name, lane.detail, lane.owner))


def plan_missions(sc: Scenario, plan: dict, departure_href) -> list[Mission]:
    """Every mission of ``plan``: one per escort and medic of a departure, one per vehicle trip."""
    out: list[Mission] = []
    trips: dict[tuple[str, int, int], Mission] = {}
    for entry in plan.get("departures", []):
        if not entry.get("planned"):
            continue
        dep = sc.departures[entry["id"]]
        pk = entry["pickup"]
        pickup = timeutil.instant_minutes(pk["time"])
        airport = pk.get("airport") or sc.flights[entry["flights"][0]].origin
        drive = rules.drive_minutes(sc, dep, airport) or 0
        last = sc.flights[entry["flights"][-1]]
        href = departure_href(dep.id)
        busy = rules.vehicle_busy(pickup, drive)
        key = (pk["vehicle"], *busy)
        if key in trips:  # one trip for a family group: one bar naming every departure
            trips[key].departures.append(dep.id)
        else:
            trips[key] = Mission(owner_of("vehicle", pk["vehicle"]), [dep.id], href, *busy, dep.kind,
                                 f"Rit naar {airport} en terug", destination=last.dest)
            out.append(trips[key])
        for kind, members in (("escort", entry.get("escorts") or []), ("medic", entry.get("medics") or [])):
            for m in members:
                returns = [sc.flights[f] for f in m.get("return_flights") or []]
                end = rules.mission_end(returns) if returns else last.arrives
                if kind == "escort":
                    what = "Missie KMar-escort"
                else:
                    what = f"Medische begeleiding ({derive.MEDIC_ROLE[sc.medics[m['id']].role]['nl']})"
                out.append(Mission(owner_of(kind, m["id"]), [dep.id], href, pickup, end, dep.kind, what,
                                   destination=last.dest))
    for mission in out:
        mission.start_text, mission.end_text = _text(sc, mission.start), _text(sc, mission.end)
        mission.start_day = timeutil.local_date(mission.start, sc.home_tz).isoformat()
    return out


def build_board(sc: Scenario, plan: dict, departure_href, *, zoom: str = DEFAULT_ZOOM, van: date | None = None,
                soort: str | None = None, persoon: str | None = None, lane_kind: str | None = None,
                middel: str | None = None, alle: bool = False, person_href=None) -> Board:
    """The board of ``plan`` for one period and the filters given.

    ``departure_href(dep_id)`` gives the link of a bar, ``person_href(lane)`` a lane's link;
    ``soort`` keeps one kind of departure, ``persoon`` the lanes whose id or name contains it,
    ``lane_kind`` one kind of lane, ``middel`` one lane (its owner key); ``alle`` adds the
    resources without a mission in the plan (who could still be asked)."""
    zoom = zoom if zoom in ZOOMS else DEFAULT_ZOOM
    missions = plan_missions(sc, plan, departure_href)
    lanes: dict[str, Lane] = {}
    for mission in missions:
        kind, _, oid = mission.owner.partition(":")
        if mission.owner not in lanes:
            lanes[mission.owner] = _lane_of(sc, kind, oid)
        if soort in DEPARTURE_KINDS and mission.kind != soort:
            continue
        lanes[mission.owner].missions.append(mission)
    if soort in DEPARTURE_KINDS and not alle:  # lanes without a mission of that kind say nothing here
        lanes = {o: ln for o, ln in lanes.items() if ln.missions}
    if alle:
        for kind, pool in (("escort", sc.escorts), ("medic", sc.medics), ("vehicle", sc.vehicles)):
            for oid in pool:
                owner = owner_of(kind, oid)
                if owner not in lanes:
                    lanes[owner] = _lane_of(sc, kind, oid)
    shown = [ln for ln in lanes.values()
             if (lane_kind not in LANE_KINDS or ln.kind == lane_kind)
             and (not middel or ln.owner == middel)
             and (not persoon or _matches(ln, persoon))]
    for ln in shown:
        ln.missions.sort(key=lambda m: (m.start, m.end))
        ln.available_text = [_window_text(sc, a, b) for a, b in ln.available]
        if person_href is not None:
            ln.href = person_href(ln)

    view = _view(sc, zoom, van, [m for ln in shown for m in ln.missions] or missions)
    total = view.end - view.start
    track_rem = TRACK_REM.get(zoom) or max(60.0, ALL_DAY_REM * round(total / DAY))
    groups = []
    for kind, heading in LANE_KINDS.items():
        ls = sorted((ln for ln in shown if ln.kind == kind), key=lambda ln: ln.id)
        groups.append((kind, heading, ls))
    ordered = [ln for _, _, ls in groups for ln in ls]
    for index, ln in enumerate(ordered):
        # Downwards the scrolling board grows to fit the details; upwards only where lanes lie above.
        _place(sc, ln, view, total, track_rem, pop_up=index >= max(len(ordered) - POP_UP_LANES, POP_UP_LANES + 1))
    return Board(groups, _ticks(sc, view), view, track_rem,
                 missions=sum(len(ln.missions) for ln in ordered if ln.kind != "vehicle"),
                 trips=sum(len(ln.missions) for ln in ordered if ln.kind == "vehicle"),
                 in_view=sum(len(ln.bars) for ln in ordered))


# --- The period shown ---------------------------------------------------------------------------

def _midnight_of(day: date, tz) -> int:
    return timeutil.minutes(datetime(day.year, day.month, day.day, tzinfo=tz))


def _view(sc: Scenario, zoom: str, van: date | None, missions: list[Mission]) -> View:
    tz = sc.home_tz
    if missions:
        first, last = min(m.start for m in missions), max(m.end for m in missions)
    else:
        first, last = sc.horizon
    if zoom == "alles":
        start = _midnight(first, tz)
        end = _midnight(last, tz)
        end = end if end >= last and end > start else _next_midnight(last, tz)
        a, b = timeutil.at(start, tz).date(), timeutil.at(end - 1, tz).date()
        return View(zoom, start, end, f"{_day_text(a)} – {_day_text(b)} {b.year}", a.isoformat())
    day = van or timeutil.local_date(first, tz)
    if zoom == "week":
        day -= timedelta(days=day.weekday())
        last_day = day + timedelta(days=6)
        _, week, _ = day.isocalendar()
        title = f"week {week}: {_day_text(day)} – {_day_text(last_day)} {last_day.year}"
        return View(zoom, _midnight_of(day, tz), _midnight_of(last_day + timedelta(days=1), tz), title,
                    day.isoformat(), (day - timedelta(days=7)).isoformat(), (day + timedelta(days=7)).isoformat())
    return View(zoom, _midnight_of(day, tz), _midnight_of(day + timedelta(days=1), tz),
                f"{_day_text(day)} {day.year}", day.isoformat(), (day - timedelta(days=1)).isoformat(),
                (day + timedelta(days=1)).isoformat())


def _day_text(d: date) -> str:
    return f"{derive._WEEKDAYS['nl'][d.weekday()]} {d.day} {derive._MONTHS['nl'][d.month - 1]}"


def _ticks(sc: Scenario, view: View) -> list[Tick]:
    tz, total, ticks = sc.home_tz, view.end - view.start, []
    if view.zoom == "dag":
        minute = view.start
        while minute < view.end:
            dt = timeutil.at(minute, tz)
            nxt = min(view.end, minute + 60 - dt.minute)
            ticks.append(Tick(f"{dt.hour:02d}", _pct(minute - view.start, total), _pct(nxt - minute, total),
                              major=dt.hour % 6 == 0))
            minute = nxt
        return ticks
    day = view.start
    while day < view.end:
        nxt = min(view.end, _next_midnight(day, tz))
        d = timeutil.at(day, tz).date()
        ticks.append(Tick(_day_text(d), _pct(day - view.start, total), _pct(nxt - day, total),
                          weekend=d.weekday() >= 5, major=d.day == 1))
        day = nxt
    return ticks


def _pct(minutes: int, total: int) -> float:
    return round(100 * minutes / total, 3)


# --- Bars, labels and availability bands -----------------------------------------------------------

def _label_rem(text: str, glyph: str = "") -> float:
    return len(text) * CHAR_REM + LABEL_PAD_REM + (GLYPH_REM if glyph else 0)


def _place(sc: Scenario, lane: Lane, view: View, total: int, track_rem: float, pop_up: bool) -> None:
    for a, b in lane.available:
        a, b = max(a, view.start), min(b, view.end)
        if a < b:
            lane.bands.append(Band(_pct(a - view.start, total), _pct(b - a, total)))
    windows = [(max(a, view.start), min(b, view.end)) for a, b in lane.available if a < view.end and b > view.start]
    lane.free_in_view = "; ".join(_window_text(sc, a, b) for a, b in windows) or "niet beschikbaar"
    rem = track_rem / total  # rem per minute at the track's minimum width
    spans = []  # (left, right) of every bar, in rem
    for m in lane.missions:
        a, b = max(m.start, view.start), min(m.end, view.end)
        if a >= b:
            continue
        bar = Bar(m, _pct(a - view.start, total), _pct(b - a, total), m.label, cut_start=m.start < view.start,
                  cut_end=m.end > view.end, pop_up=pop_up, pop_end=(a - view.start) / total > 0.6)
        lane.bars.append(bar)
        left = (a - view.start) * rem
        spans.append((left, left + max(BAR_MIN_REM, (b - a) * rem)))
    for i, bar in enumerate(lane.bars):
        left, right = spans[i]
        room_after = (spans[i + 1][0] if i + 1 < len(spans) else track_rem + BAR_MIN_REM) - right
        room_before = left - (spans[i - 1][1] if i else 0.0)
        for text in dict.fromkeys((bar.mission.label, bar.mission.short_label)):
            if _label_rem(text, bar.glyph) <= right - left:
                bar.text, bar.place = text, "in"
                break
            need = _label_rem(text)  # beside the bar: the kind's sign stays inside it
            if need + 0.3 <= room_after:
                bar.text, bar.place = text, "right"
                break
            if need + 0.3 <= room_before:
                bar.text, bar.place = text, "left"
                break
        else:  # no room anywhere: the short label beside the bar; a later bar covers what it must
            bar.text, bar.place = bar.mission.short_label, "right"


def _midnight(minute: int, tz) -> int:
    dt = timeutil.at(minute, tz)
    return timeutil.minutes(dt.replace(hour=0, minute=0, second=0, microsecond=0))


def _next_midnight(minute: int, tz) -> int:
    # Over a DST change a day has 23 or 25 hours: step past 24 hours and round down to midnight.
    return _midnight(_midnight(minute, tz) + DAY + 2 * 60, tz)
