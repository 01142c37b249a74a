"""The planning board: one lane per escort, medic and vehicle of a plan, a bar per mission.

Positions are computed here, as percentages of the board's span (whole local days in the
planning unit's zone), so the template only places what it is given.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from planner import rules, timeutil
from planner.outputs import derive
from planner.scenario import Scenario

from ..owners import owner_of

DAY = timeutil.MINUTES_PER_DAY
LANE_KINDS = {"escort": "Escorts (KMar)", "medic": "Medische begeleiding", "vehicle": "Voertuigen (DV&O)"}


@dataclass
class Bar:
    label: str  # departure id(s)
    href: str  # the departure page (first departure of a shared trip)
    start: int
    end: int
    kind: str  # medical | minor | other: colour
    title: str = ""
    left: float = 0.0  # % of the board
    width: float = 0.0


@dataclass
class Lane:
    owner: str  # escort:<id> | medic:<id> | vehicle:<id>
    kind: str
    id: str
    label: str
    bars: list[Bar] = field(default_factory=list)


@dataclass
class Day:
    label: str
    left: float
    width: float
    weekend: bool
    month_start: bool


@dataclass
class Board:
    groups: list[tuple[str, str, list[Lane]]]  # (kind, heading, lanes)
    days: list[Day]
    start: int
    end: int
    width_rem: int  # the timeline's minimum width: a readable day even on a long horizon
    missions: int

    @property
    def lanes(self) -> list[Lane]:
        return [lane for _, _, lanes in self.groups for lane in lanes]


def _span_text(sc: Scenario, start: int, end: int) -> str:
    a, b = derive.local(start, sc.home_tz), derive.local(end, sc.home_tz)
    return f"{a.nl} – {b.nl} ({a.zone})"


def build_board(sc: Scenario, plan: dict, departure_href) -> Board:
    """The board of ``plan``; ``departure_href(dep_id)`` gives the link of a bar."""
    lanes: dict[str, Lane] = {}

    def lane(kind: str, oid: str) -> Lane:
        owner = owner_of(kind, oid)
        if owner not in lanes:
            if kind == "escort":
                label = sc.escorts[oid].name
            elif kind == "medic":
                label = f"{sc.medics[oid].name} ({derive.MEDIC_ROLE[sc.medics[oid].role]['nl']})"
            else:
                label = sc.vehicles[oid].kind
            lanes[owner] = Lane(owner, kind, oid, label)
        return lanes[owner]

    missions = 0
    for entry in plan.get("departures", []):
        if not entry.get("planned"):
            continue
        dep = sc.departures[entry["id"]]
        pk = entry["pickup"]
        pickup = timeutil.instant_minutes(pk["time"])
        airport = pk.get("airport") or sc.flights[entry["flights"][0]].origin
        drive = rules.drive_minutes(sc, dep, airport) or 0
        arrival = sc.flights[entry["flights"][-1]].arrives
        href = departure_href(dep.id)
        busy = rules.vehicle_busy(pickup, drive)
        vehicle = lane("vehicle", pk["vehicle"])
        shared = next((b for b in vehicle.bars if (b.start, b.end) == busy), None)
        if shared:  # one trip for a family group: one bar naming every departure
            shared.label += f" + {dep.id}"
        else:
            vehicle.bars.append(Bar(dep.id, href, *busy, dep.kind, f"Rit {dep.id}: {_span_text(sc, *busy)}"))
        for kind, members in (("escort", entry.get("escorts") or []), ("medic", entry.get("medics") or [])):
            for m in members:
                returns = [sc.flights[f] for f in m.get("return_flights") or []]
                end = rules.mission_end(returns) if returns else arrival
                lane(kind, m["id"]).bars.append(
                    Bar(dep.id, href, pickup, end, dep.kind, f"Missie {dep.id}: {_span_text(sc, pickup, end)}"))
                missions += 1

    bars = [b for ln in lanes.values() for b in ln.bars]
    tz = sc.home_tz
    if bars:
        first, last = min(b.start for b in bars), max(b.end for b in bars)
    else:
        first, last = sc.horizon
    start = _midnight(first, tz)
    end = _midnight(last, tz)
    end = end if end >= last and end > start else _next_midnight(last, tz)
    total = end - start
    for b in bars:
        b.left = round(100 * (b.start - start) / total, 3)
        b.width = round(100 * (b.end - b.start) / total, 3)

    days = []
    day = start
    while day < end:
        nxt = _next_midnight(day, tz)
        dt = timeutil.at(day, tz)
        days.append(Day(f"{derive._WEEKDAYS['nl'][dt.weekday()]} {dt.day} {derive._MONTHS['nl'][dt.month - 1]}",
                        round(100 * (day - start) / total, 3), round(100 * (nxt - day) / total, 3),
                        dt.weekday() >= 5, dt.day == 1))
        day = nxt

    groups = []
    for kind, heading in LANE_KINDS.items():
        ls = sorted((ln for ln in lanes.values() if ln.kind == kind), key=lambda ln: ln.id)
        for ln in ls:
            ln.bars.sort(key=lambda b: b.start)
        groups.append((kind, heading, ls))
    return Board(groups, days, start, end, width_rem=max(60, 4 * len(days)), missions=missions)


def _midnight(minute: int, tz) -> int:
    dt = timeutil.at(minute, tz)
    return timeutil.minutes(dt.replace(hour=0, minute=0, second=0, microsecond=0))


def _next_midnight(minute: int, tz) -> int:
    # Over a DST change a day has 23 or 25 hours: step past 24 hours and round down to midnight.
    return _midnight(_midnight(minute, tz) + DAY + 2 * 60, tz)
