"""The plan as an Excel workbook (``plan.xlsx``): one row per departure, and one per mission of
each escort, medic and vehicle.

Sheets, in this order:

* ``vertrekken``: every departure of the plan, planned or not, in the plan's order;
* ``escorts`` and ``medici``: one row per person per departure they go along with;
* ``voertuigen``: one row per trip (members of one family group sharing a trip share a row);
* ``uitleg``: what the columns and the times mean.

Times are real Excel date-time cells holding the *local* wall-clock time of the place where it
happens (Excel has no time zones), each followed by a text column naming the zone and the UTC
offset in force, e.g. ``Europe/Amsterdam (UTC+01:00)``, so the instant is exact even in the hour
that repeats when summer time ends. Nothing here computes a rule: the values come from the plan
and the scenario.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from .. import breakdown, rules, timeutil
from ..domain import Scenario

DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
MONEY_FORMAT = "#,##0.00"
SEPARATOR = "; "

# (header, width, kind) per column; kind "time" columns hold a local date-time cell.
DEPARTURE_COLUMNS = [
    ("vertrek", 18, "text"), ("soort", 10, "text"), ("prioriteit", 10, "int"), ("gepland", 9, "text"),
    ("redenen", 60, "text"), ("oplossingen", 40, "text"),
    ("ophaallocatie", 14, "text"), ("ophaaltijd", 17, "time"), ("ophaaltijd zone", 34, "text"),
    ("voertuig", 14, "text"), ("luchthaven", 11, "text"), ("vluchten", 48, "text"),
    ("eerste vertrek", 17, "time"), ("eerste vertrek zone", 34, "text"),
    ("opvang", 14, "text"), ("overdracht", 17, "time"), ("overdracht zone", 34, "text"),
    ("escorts", 24, "text"), ("medici", 14, "text"), ("kosten (EUR)", 13, "money"),
]
_MISSION_TAIL = [
    ("vertrek", 18, "text"), ("van", 17, "time"), ("van zone", 34, "text"), ("tot", 17, "time"),
    ("tot zone", 34, "text"), ("heenvluchten", 48, "text"), ("terugvluchten", 48, "text"),
]
ESCORT_COLUMNS = [("escort", 12, "text"), ("naam", 30, "text"), ("teamleider", 11, "text"), *_MISSION_TAIL]
MEDIC_COLUMNS = [("medicus", 12, "text"), ("naam", 30, "text"), ("rol", 16, "text"), *_MISSION_TAIL]
VEHICLE_COLUMNS = [
    ("voertuig", 14, "text"), ("soort", 12, "text"), ("vertrek", 24, "text"), ("van", 17, "time"),
    ("van zone", 34, "text"), ("tot", 17, "time"), ("tot zone", 34, "text"),
    ("ophaallocatie", 14, "text"), ("luchthaven", 11, "text"),
]
MEDIC_ROLES_NL = {"nurse": "verpleegkundige", "physician": "arts"}

EXPLANATION = [
    ("(alle bladen)", ("Tijden zijn echte Excel-datum/tijdcellen in de plaatselijke tijd van de plaats waar het "
                      "gebeurt (Excel kent geen tijdzones). De kolom '… zone' ernaast noemt de tijdzone en het "
                      "UTC-verschil dat op dat moment geldt, bijv. Europe/Amsterdam (UTC+01:00).")),
    ("(alle bladen)", "Lijsten (vluchten, escorts, redenen) zijn gescheiden door '; '."),
    ("vertrekken", ("Eén rij per vertrek uit het plan, gepland of niet. Bij een niet gepland vertrek staan de "
                   "redenen en, als die gevonden zijn, de kleinste wijzigingen die het planbaar maken.")),
    ("vertrekken: ophaaltijd", "Ophalen bij de ophaallocatie, in de tijdzone van de luchthaven van vertrek."),
    ("vertrekken: eerste vertrek", "Vertrek van de eerste vlucht, plaatselijke tijd op die luchthaven."),
    ("vertrekken: overdracht", "Overdracht aan de opvang, plaatselijke tijd op de luchthaven van de opvang."),
    ("vertrekken: kosten (EUR)", "Tickets, dagtarieven van medici en overnachtingen van dit vertrek."),
    ("escorts, medici", ("Eén rij per missie: van het ophalen tot de aankomst van de terugreis op de standplaats "
                        "(tijdzone van die luchthaven).")),
    ("voertuigen", ("Eén rij per rit: van het ophalen tot terug bij de ophaallocatie (twee keer de rijtijd). "
                   "Leden van één gezin die samen rijden delen een rij.")),
]


class _Sheet:
    """One write-only sheet with a styled header, frozen under the header."""

    def __init__(self, wb, title: str, columns: list[tuple[str, int, str]]):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        self.ws = wb.create_sheet(title)
        self.kinds = [kind for _, _, kind in columns]
        self.cell = WriteOnlyCell
        for pos, (_, width, _) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(pos)].width = width
        self.ws.freeze_panes = "A2"
        self.last_column = get_column_letter(len(columns))
        bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E78")
        header = []
        for name, _, _ in columns:
            cell = WriteOnlyCell(self.ws, value=name)
            cell.font, cell.fill, cell.alignment = bold, fill, Alignment(horizontal="left")
            header.append(cell)
        self.ws.append(header)
        self.rows = 1

    def append(self, values: list[Any]) -> None:
        row = []
        for kind, value in zip(self.kinds, values, strict=True):
            if kind == "time" and value is not None:
                cell = self.cell(self.ws, value=value)
                cell.number_format = DATETIME_FORMAT
            elif kind == "money" and value is not None:
                cell = self.cell(self.ws, value=value)
                cell.number_format = MONEY_FORMAT
            elif isinstance(value, str) and value.startswith("="):
                cell = self.cell(self.ws, value=value)
                cell.data_type = "s"  # data, never a formula
            else:
                cell = value
            row.append(cell)
        self.ws.append(row)
        self.rows += 1

    def add_filter(self) -> None:
        """A filter over the header and every row (write-only sheets write it when saved)."""
        self.ws.auto_filter.ref = f"A1:{self.last_column}{self.rows}"


def _joined(items: Any) -> str:
    return SEPARATOR.join(str(x) for x in items or [])


def zone_text(moment: datetime) -> str:
    """The zone column of an aware local time: IANA name and the offset in force, e.g.
    ``Europe/Amsterdam (UTC+01:00)``."""
    offset = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if offset >= 0 else "-"
    return f"{moment.tzinfo.key} (UTC{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d})"


class _Times:
    """Instants as (naive local date-time for the Excel cell, text for the zone column)."""

    def __init__(self, sc: Scenario):
        self.sc = sc

    def zone(self, airport: str | None):
        return self.sc.tz(airport) if airport in self.sc.airports else self.sc.home_tz

    def at(self, minute: int | None, airport: str | None) -> tuple[datetime | None, str]:
        if minute is None:
            return None, ""
        moment = timeutil.at(minute, self.zone(airport))
        return moment.replace(tzinfo=None), zone_text(moment)

    def text(self, text: Any, airport: str | None) -> tuple[datetime | None, str]:
        try:
            minute = timeutil.instant_minutes(text) if isinstance(text, str) else None
        except ValueError:
            minute = None
        return self.at(minute, airport)


def _flight(sc: Scenario, fid: Any):
    return sc.flights.get(fid) if isinstance(fid, str) else None


def _departure_row(sc: Scenario, entry: dict, times: _Times) -> list[Any]:
    dep = sc.departures.get(entry.get("id"))
    planned = bool(entry.get("planned"))
    reasons = entry.get("reasons_nl") or entry.get("reasons") or []
    fixes = [f.get("what_nl") or f.get("what") or "" for f in entry.get("fixes") or [] if isinstance(f, dict)]
    pickup = entry.get("pickup") or {}
    flights = entry.get("flights") or []
    first = _flight(sc, flights[0]) if flights else None
    airport = pickup.get("airport") or (first.origin if first else None)
    handover = entry.get("handover") or {}
    reception = sc.reception.get(handover.get("reception") or (dep.reception if dep else None))
    cost = None
    if planned:
        block = entry.get("cost") if isinstance(entry.get("cost"), dict) else breakdown.departure_cost(sc, entry)
        cost = block.get("total_eur") if block else None
    pickup_time = times.text(pickup.get("time"), airport) if planned else (None, "")
    first_departs = times.at(first.departs, first.origin) if planned and first else (None, "")
    handover_time = (times.text(handover.get("time"), reception.airport if reception else None)
                     if planned else (None, ""))
    return [
        entry.get("id"), dep.kind if dep else None, dep.priority if dep else None, "ja" if planned else "nee",
        _joined(reasons), _joined(fixes),
        pickup.get("location") or (dep.pickup_location if dep else None), *pickup_time,
        pickup.get("vehicle"), airport if planned else None, _joined(flights), *first_departs,
        handover.get("reception") or (dep.reception if dep else None), *handover_time,
        _joined(e.get("id") for e in entry.get("escorts") or []),
        _joined(m.get("id") for m in entry.get("medics") or []),
        cost,
    ]


def _mission_rows(sc: Scenario, entry: dict, times: _Times, kind: str) -> list[tuple[tuple, list[Any]]]:
    """(sort key, row) of each escort or medic of a planned departure."""
    pickup = entry.get("pickup") or {}
    flights = entry.get("flights") or []
    first = _flight(sc, flights[0]) if flights else None
    airport = pickup.get("airport") or (first.origin if first else None)
    start_minute = None
    try:
        start_minute = timeutil.instant_minutes(pickup["time"])
    except (KeyError, TypeError, ValueError):
        pass
    start = times.at(start_minute, airport)
    people = sc.escorts if kind == "escorts" else sc.medics
    members = [m for m in entry.get("escorts" if kind == "escorts" else "medics") or [] if isinstance(m, dict)]
    leader = rules.team_leader([people[m["id"]] for m in members if m.get("id") in people]) \
        if kind == "escorts" else None
    out = []
    for member in members:
        person = people.get(member.get("id"))
        returns = member.get("return_flights") or []
        last = _flight(sc, returns[-1]) if returns else None
        end = times.at(last.arrives, last.dest) if last else (None, "")
        extra = ("ja" if leader is not None and person is leader else "nee") if kind == "escorts" else \
            (MEDIC_ROLES_NL.get(person.role, person.role) if person else None)
        row = [member.get("id"), person.name if person else None, extra, entry.get("id"), *start, *end,
               _joined(flights), _joined(returns)]
        out.append(((str(member.get("id")), start_minute or 0, str(entry.get("id"))), row))
    return out


def _vehicle_rows(sc: Scenario, planned: list[dict], times: _Times) -> list[list[Any]]:
    trips: dict[tuple, list[str]] = {}
    for entry in planned:
        pickup = entry.get("pickup") or {}
        flights = entry.get("flights") or []
        first = _flight(sc, flights[0]) if flights else None
        airport = pickup.get("airport") or (first.origin if first else None)
        key = (str(pickup.get("vehicle")), pickup.get("time"), pickup.get("location"), airport)
        trips.setdefault(key, []).append(entry.get("id"))
    rows = []
    for (vid, text, location, airport), ids in trips.items():
        try:
            start = timeutil.instant_minutes(text)
        except (TypeError, ValueError):
            start = None
        drive = sc.locations[location].drive_minutes.get(airport) if location in sc.locations else None
        end = rules.vehicle_busy(start, drive)[1] if start is not None and drive is not None else None
        vehicle = sc.vehicles.get(vid)
        rows.append(((vid, start or 0), [vid, vehicle.kind if vehicle else None, _joined(ids),
                                         *times.at(start, airport), *times.at(end, airport), location, airport]))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def write_plan_workbook(sc: Scenario, plan: dict, path: str | Path) -> Path:
    """Write ``plan`` (a ``vertrekplanner/plan@1`` document made from ``sc``) as ``path`` (.xlsx)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    times = _Times(sc)
    entries = [e for e in plan.get("departures") or [] if isinstance(e, dict)]
    planned = [e for e in entries if e.get("planned")]

    wb = Workbook(write_only=True)
    sheet = _Sheet(wb, "vertrekken", DEPARTURE_COLUMNS)
    for entry in entries:
        sheet.append(_departure_row(sc, entry, times))
    sheet.add_filter()
    for title, kind, columns in (("escorts", "escorts", ESCORT_COLUMNS), ("medici", "medics", MEDIC_COLUMNS)):
        sheet = _Sheet(wb, title, columns)
        rows = [item for entry in planned for item in _mission_rows(sc, entry, times, kind)]
        for _, row in sorted(rows, key=lambda r: r[0]):
            sheet.append(row)
        sheet.add_filter()
    sheet = _Sheet(wb, "voertuigen", VEHICLE_COLUMNS)
    for row in _vehicle_rows(sc, planned, times):
        sheet.append(row)
    sheet.add_filter()
    sheet = _Sheet(wb, "uitleg", [("onderwerp", 28, "text"), ("uitleg", 110, "text")])
    wrap = Alignment(wrap_text=True, vertical="top")
    for topic, text in EXPLANATION:
        cell = sheet.cell(sheet.ws, value=text)
        cell.alignment = wrap
        sheet.ws.append([topic, cell])
    wb.save(path)
    return path

