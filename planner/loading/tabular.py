"""Scenarios as an Excel workbook or a folder of CSV files, one sheet per entity.

Reading gives the same plain dict as the JSON form, so one validator
(`planner.scenario.parse_scenario`) checks all three forms. Only cell syntax and
sheet shape are checked here; references, enums and the order of times are the
validator's job. The one thing that looks across sheets: a date-time typed without UTC
offset (an Excel date cell, 15-12-2026 14:30) is given the zone of its place (an airport,
a pickup location, a base) once every sheet is in. The cell syntax is described in
docs/tabular-format.md and, for planners, on the "uitleg" sheet of every workbook written here.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

import pandas as pd

from planner import timeutil
from planner.airports import shipped
from planner.errors import Problem, ScenarioError

FORMAT = "vertrekplanner/scenario@1"



# --------------------------------------------------------------------------- cells


class CellError(Exception):
    """A cell does not fit its syntax; `message` replaces the generic explanation."""

    def __init__(self, detail: str | None = None, message: str | None = None):
        super().__init__(detail or message or "")
        self.detail = detail
        self.message = message


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    """A cell as text. Numbers become their plain spelling so an id 7 stays "7", not "7.0"."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise CellError("Excel made this cell a TRUE/FALSE value")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise CellError("Excel made this cell a date/time; format the column as text and retype it")
    return str(value).strip()


def _items(value: Any) -> list[str]:
    # ';' separates items; a line break (Alt+Enter) does too. Empty items are ignored.
    return [part.strip() for part in re.split(r"[;\n\r]", _text(value)) if part.strip()]


def _code(item: str) -> str:
    if not item or re.search(r"[\s,:/]", item):
        raise CellError(f"{item!r} is not one code; separate items with ';'")
    return item


_INT_RE = re.compile(r"[+-]?\d+(?:\.0*)?")
_NUMBER_RE = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("a TRUE/FALSE value is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise CellError("not a whole number")
    text = _text(value)
    if not _INT_RE.fullmatch(text):
        raise CellError("not a whole number")
    return int(float(text))


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise CellError("a TRUE/FALSE value is not a number")
    if isinstance(value, (int, float)):
        number = value
    else:
        text = _text(value)
        if not _NUMBER_RE.fullmatch(text):
            raise CellError("not a number")
        number = float(text.replace(",", "."))
    if not math.isfinite(number):
        raise CellError("not a number")
    return int(number) if float(number).is_integer() else float(number)


_TRUE = {"true", "ja", "yes", "waar", "1"}
_FALSE = {"false", "nee", "no", "onwaar", "0"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = _text(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError()


_INSTANT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")
# A local date-time (no UTC offset): ISO (2026-12-15T14:30, 2026-12-15 14:30) or the Dutch
# day-month-year form (15-12-2026 14:30, 1-2-2027 9:05); a date alone is its midnight.
_LOCAL_ISO_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")
_LOCAL_NL_RE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_DATE_NL_RE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
_INSTANT_EXPECTED = ("an ISO 8601 date-time with UTC offset, or a local date-time (an Excel date-time cell, "
                     "15-12-2026 14:30 or 2026-12-15T14:30) read in the time zone of its place")


@dataclass(frozen=True)
class LocalDateTime:
    """A date-time typed without UTC offset: a wall-clock reading whose zone is not known yet.

    It lives only while a workbook is read: once every sheet is in, the zone of the place the
    field belongs to turns it into an instant (``_resolve_local_times``).
    """

    wall: dt.datetime  # naive, whole seconds
    cell: Any  # as read, for the Problem if the time does not exist in its zone


def _wall(value: dt.datetime) -> dt.datetime:
    """An Excel date-time cell as a naive datetime in whole seconds (Excel stores day fractions)."""
    wall = dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                       value.microsecond)
    if wall.microsecond:
        wall = (wall + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    return wall


def _local_text(text: str) -> dt.datetime | None:
    """A local date-time typed as text, or None when the text has another shape."""
    match = _LOCAL_ISO_RE.fullmatch(text)
    if match:
        year, month, day = (int(x) for x in match.group(1, 2, 3))
    else:
        match = _LOCAL_NL_RE.fullmatch(text)
        if not match:
            return None
        day, month, year = (int(x) for x in match.group(1, 2, 3))
    hour, minute, second = (int(x) if x else 0 for x in match.group(4, 5, 6))
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise CellError(f"{text!r} is not a real date-time") from None


def _instant_text(text: str) -> str | LocalDateTime:
    match = _INSTANT_RE.fullmatch(text)
    if match and match.group(1) is not None:
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:
            raise CellError(f"{text!r} is not a real date-time") from None
        return text  # kept exactly as typed
    wall = _local_text(text)
    if wall is None:
        raise CellError(f"{text!r} is neither an ISO 8601 date-time nor a date-time like 15-12-2026 14:30")
    return LocalDateTime(wall, text)


def _instant(value: Any) -> str | LocalDateTime:
    if isinstance(value, dt.datetime):  # an Excel date(-time) cell: local time, no zone
        return LocalDateTime(_wall(value), value)
    if isinstance(value, dt.date):
        return LocalDateTime(dt.datetime(value.year, value.month, value.day), value)
    if isinstance(value, dt.time):
        raise CellError("a time of day without a date")
    return _instant_text(_text(value))


def _date_text(text: str) -> str:
    match = _DATE_NL_RE.fullmatch(text)
    if match:  # Dutch day-month-year
        day, month, year = (int(x) for x in match.groups())
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            raise CellError(f"{text!r} is not a real date") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise CellError(f"{text!r} is not a date YYYY-MM-DD or DD-MM-YYYY")
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text!r} is not a real date") from None
    return text


def _date(value: Any) -> str:
    # A date has no time zone, so an Excel date cell is as good as the text.
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise CellError("a date cell with a time of day; a date has no time")
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _date_text(_text(value))


def _window_text(text: str) -> list:
    parts = text.split("/")
    if len(parts) != 2:
        raise CellError(f"{text!r} is not start/end")
    return [_instant_text(parts[0].strip()), _instant_text(parts[1].strip())]


_WINDOW_CELL = "one date-time cell is not a window: type start/end as text, e.g. 01-12-2026 08:00/15-12-2026 18:00"


def _window(value: Any) -> list:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise CellError(_WINDOW_CELL)
    return _window_text(_text(value))


def _windows(value: Any) -> list[list]:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise CellError(_WINDOW_CELL)
    return [_window_text(item) for item in _items(value)]


def _codes(value: Any) -> list[str]:
    return [_code(item) for item in _items(value)]


def _dates(value: Any) -> list[str]:
    if isinstance(value, (dt.datetime, dt.date)):
        return [_date(value)]
    return [_date_text(item) for item in _items(value)]


def _map(value: Any, parse_value: Callable[[str], Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in _items(value):
        key, colon, rest = item.partition(":")
        if not colon:
            raise CellError(f"{item!r} has no ':' between key and value")
        key = _code(key.strip())
        if key in result:
            raise CellError(f"{key} appears twice")
        result[key] = parse_value(rest.strip())
    return result


def _int_map(value: Any) -> dict[str, int]:
    return _map(value, _int)


def _date_map(value: Any) -> dict[str, str]:
    return _map(value, _date_text)


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_INDEX = {d: i for i, d in enumerate(DAYS)} | {
    d: i for i, d in enumerate(("ma", "di", "wo", "do", "vr", "za", "zo"))
}
_HOURS_RE = re.compile(r"([a-z]+)(?:\s*-\s*([a-z]+))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})")


def _time_of_day(text: str) -> str:
    hours, minutes = (int(x) for x in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise CellError(f"{text} is not a time of day 00:00..24:00")
    return f"{hours:02d}:{minutes:02d}"


def _hours(value: Any) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for item in _items(value):
        match = _HOURS_RE.fullmatch(item.casefold())
        if not match:
            raise CellError(f"{item!r} is not 'day HH:MM-HH:MM'")
        first, last, opens, closes = match.groups()
        if first not in _DAY_INDEX or (last is not None and last not in _DAY_INDEX):
            raise CellError(f"{item!r}: days are mon..sun or ma..zo")
        start, end = _DAY_INDEX[first], _DAY_INDEX[last if last is not None else first]
        if end < start:
            raise CellError(f"{item!r}: a day range runs forward, e.g. mon-fri")
        span = [_time_of_day(opens), _time_of_day(closes)]
        for index in range(start, end + 1):
            if DAYS[index] in result:
                raise CellError(f"{DAYS[index]} appears twice")
            result[DAYS[index]] = list(span)
    return result


def _scalar(value: Any) -> Any:
    """Extra (unknown) columns: kept as the cell holds it, text stripped."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return value


# ------------------------------------------------------------------ cell writers


def _fmt_bool(v: Any) -> Any:
    return ("true" if v else "false") if isinstance(v, bool) else v


def _fmt_window(v: Any) -> str:
    return f"{v[0]}/{v[1]}"


def _fmt_windows(v: Any) -> str:
    return "; ".join(_fmt_window(w) for w in v)


def _fmt_list(v: Any) -> str:
    return "; ".join(str(x) for x in v)


def _fmt_map(v: Any) -> str:
    return "; ".join(f"{k}: {x}" for k, x in v.items())


def _fmt_hours(v: Any) -> str:
    return "; ".join(f"{day} {span[0]}-{span[1]}" for day, span in v.items())


def _same(v: Any) -> Any:
    return v


@dataclass(frozen=True)
class Kind:
    parse: Callable[[Any], Any]
    write: Callable[[Any], Any]
    expected: str  # English, for Problems
    nl: str  # Dutch explanation for the uitleg sheet
    en: str
    example: str
    container: bool = False  # an empty cell of a required field is an empty list/map
    text_format: bool = True  # format the column as Excel text so typing is kept verbatim


KINDS: dict[str, Kind] = {
    "text": Kind(
        _text, _same, "text", "Tekst zoals getypt (spaties aan begin en eind vallen weg).",
        "Text as typed (leading and trailing spaces are dropped).", "KMAR-017",
    ),
    "int": Kind(
        _int, _same, "a whole number", "Geheel getal (minuten, uren, aantallen); 30,5 is fout.",
        "Whole number (minutes, hours, counts); 30.5 is an error.", "90", text_format=False,
    ),
    "number": Kind(
        _number, _same, "a number (euros)", "Bedrag in euro's; decimaalteken punt of komma, geen duizendtallen.",
        "Amount in euros; decimal point or comma, no thousands separator.", "850", text_format=False,
    ),
    "bool": Kind(
        _bool, _fmt_bool, "true or false (also ja/nee, yes/no, waar/onwaar, 1/0)",
        "true of false (ook goed: ja/nee, yes/no, waar/onwaar, 1/0).",
        "true or false (also accepted: ja/nee, yes/no, waar/onwaar, 1/0).", "true",
    ),
    "instant": Kind(
        _instant, _same, _INSTANT_EXPECTED,
        "Tijdstip: een Excel-datum/tijdcel, 15-12-2026 14:30 of 2026-12-15T14:30 (lokale tijd van de plaats "
        "waar het veld bij hoort), of ISO 8601 met UTC-verschil (2026-12-03T10:05:00+01:00, blijft zoals getypt).",
        "Instant: an Excel date-time cell, 15-12-2026 14:30 or 2026-12-15T14:30 (local time of the field's "
        "place), or ISO 8601 with UTC offset (2026-12-03T10:05:00+01:00, kept as typed).",
        "2026-12-03T10:05:00+01:00",
    ),
    "date": Kind(
        _date, _same, "a date YYYY-MM-DD or DD-MM-YYYY",
        "Datum JJJJ-MM-DD of DD-MM-JJJJ (een Excel-datumcel mag ook).",
        "Date YYYY-MM-DD or DD-MM-YYYY (an Excel date cell is fine too).", "2026-12-31",
    ),
    "window": Kind(
        _window, _fmt_window, "one window start/end of two date-times (ISO 8601 with UTC offset or local)",
        "Eén periode: begin/eind, twee tijdstippen gescheiden door '/' (elk zoals bij tijdstip, "
        "bijv. 01-12-2026 08:00/15-12-2026 18:00).",
        "One window: start/end, two instants separated by '/' (each as for an instant, "
        "e.g. 01-12-2026 08:00/15-12-2026 18:00).",
        "2026-12-01T00:00:00+01:00/2026-12-15T00:00:00+01:00",
    ),
    "windows": Kind(
        _windows, _fmt_windows, "windows start/end separated by ';'",
        "Nul of meer periodes begin/eind, gescheiden door ';' (tijdstippen zoals bij periode).",
        "Zero or more windows start/end, separated by ';' (instants as for a window).",
        "2026-12-01T00:00:00+01:00/2026-12-07T00:00:00+01:00; "
        "2026-12-09T06:00:00+01:00/2026-12-22T18:00:00+01:00",
        container=True,
    ),
    "codes": Kind(
        _codes, _fmt_list, "codes separated by ';'",
        "Lijst van codes gescheiden door ';' (geen komma's of spaties in een code).",
        "List of codes separated by ';' (no commas or spaces inside a code).", "team_leader; minors",
        container=True,
    ),
    "dates": Kind(
        _dates, _fmt_list, "dates YYYY-MM-DD (or DD-MM-YYYY) separated by ';'",
        "Lijst van datums JJJJ-MM-DD (of DD-MM-JJJJ) gescheiden door ';'.",
        "List of dates YYYY-MM-DD (or DD-MM-YYYY) separated by ';'.",
        "2026-12-25; 2026-12-26", container=True,
    ),
    "int_map": Kind(
        _int_map, _fmt_map, "entries KEY: whole number separated by ';'",
        "Paren CODE: geheel getal, gescheiden door ';'.", "Pairs CODE: whole number, separated by ';'.",
        "AMS: 30; RTM: 75", container=True,
    ),
    "date_map": Kind(
        _date_map, _fmt_map, "entries COUNTRY: YYYY-MM-DD (or DD-MM-YYYY) separated by ';'",
        "Paren LAND: JJJJ-MM-DD of DD-MM-JJJJ (laatste geldige dag), gescheiden door ';'.",
        "Pairs COUNTRY: YYYY-MM-DD or DD-MM-YYYY (last valid day), separated by ';'.",
        "NG: 2027-06-30; GH: 2026-12-21", container=True,
    ),
    "hours": Kind(
        _hours, _fmt_hours, "opening hours 'day HH:MM-HH:MM' separated by ';' (days mon..sun or ma..zo)",
        "Openingstijden: dag UU:MM-UU:MM, gescheiden door ';'. Dagen mon..sun of ma..zo, "
        "een reeks als ma-vr mag; 24:00 is middernacht. Niet genoemde dagen zijn dicht.",
        "Opening hours: day HH:MM-HH:MM, separated by ';'. Days mon..sun or ma..zo, a range "
        "like mon-fri is allowed; 24:00 is midnight. Days not listed are closed.",
        "mon 08:00-20:00; tue 08:00-20:00; sat 00:00-24:00", container=True,
    ),
    "scalar": Kind(
        _scalar, _same, "a value", "Extra kolom: de waarde wordt bewaard zoals ze in de cel staat.",
        "Extra column: the value is kept as the cell holds it.", "", text_format=False,
    ),
}


# ----------------------------------------------------------------------- schema


OPTIONAL_GROUPS = {"medical"}  # nested objects that may be absent as a whole


@dataclass(frozen=True)
class Column:
    name: str  # dotted path inside the record
    kind: str
    optional: bool = False  # the field may be absent
    nullable: bool = False  # an empty cell is null rather than absent
    example: str | None = None

    @property
    def required_column(self) -> bool:
        return not self.optional and self.name.split(".")[0] not in OPTIONAL_GROUPS

    @property
    def on_empty(self) -> str:
        if self.nullable:
            return "null"
        if KINDS[self.kind].container and not self.optional:
            return "empty"
        return "absent"

    def expected(self) -> str:
        kind = KINDS[self.kind]
        example = self.example if self.example is not None else kind.example
        return f"{kind.expected}, e.g. {example}" if example else kind.expected


def C(name: str, kind: str = "text", **kw: Any) -> Column:
    return Column(name, kind, **kw)


# Key/value sheets: one row per field.
SCENARIO_KEYS = [
    C("format", example=FORMAT),
    C("name", example="december-2026"),
    C("planning_time", "instant", example="2026-11-30T09:00:00+01:00"),
    C("horizon", "window"),
]
PARAMETER_KEYS = [
    C("checkin_minutes", "int", example="180"),
    C("min_connection_minutes", "int", example="90"),
    C("escorts_by_risk", "int_map", example="none: 0; low: 2; medium: 2; high: 3"),
    C("escort_min_turnaround_minutes", "int", example="120"),
    C("escort_max_away_hours", "int", example="72"),
    C("escort_rest_hours", "int", example="12"),
    C("overnight_cost_eur", "number", example="160"),
    C("visa_required_countries", "codes", example="NG; GH; EG"),
    C("stretcher_seats", "int", example="6"),
    C("max_connections", "int", example="1"),
]
KEY_VALUE_SHEETS = {"scenario": SCENARIO_KEYS, "parameters": PARAMETER_KEYS}

# Entity sheets: one row per record, one column per (dotted) field.
ENTITY_SHEETS: dict[str, list[Column]] = {
    "airports": [
        C("iata", example="KTM"),
        C("timezone", optional=True, example="Asia/Kathmandu"),
        C("country", optional=True, example="NP"),
        C("mct_minutes", "int", optional=True, example="60"),
    ],
    "airlines": [
        C("code", example="KL"),
        C("max_escorted_per_flight", "int", example="2"),
        C("accepts_stretcher", "bool"),
        C("medif_lead_hours", "int", example="72"),
    ],
    "flights": [
        C("id", example="KL587-20261203"),
        C("carrier", example="KL"),
        C("number", example="KL587"),
        C("from", example="AMS"),
        C("to", example="LOS"),
        C("departs", "instant"),
        C("arrives", "instant", example="2026-12-03T16:30:00+01:00"),
        C("seats", "int", example="9"),
        C("stretcher", "bool", example="false"),
        C("fare_eur", "number"),
        C("cancelled", "bool", optional=True, example="false"),
    ],
    "locations": [
        C("id", example="AMC"),
        C("name", example="Amsterdam UMC"),
        C("kind", example="hospital"),
        C("drive_minutes", "int_map", example="AMS: 30; RTM: 75; EIN: 105"),
    ],
    "vehicles": [
        C("id", example="DVO-AMB-1"),
        C("kind", example="ambulance"),
        C("stretcher", "bool"),
        C("seats", "int", example="4"),
        C("available", "windows"),
    ],
    "escorts": [
        C("id", example="KMAR-017"),
        C("name", example="Wachtmeester J. de Vries"),
        C("sex", example="F"),
        C("base", example="AMS"),
        C("skills", "codes"),
        C("visas", "date_map"),
        C("available", "windows"),
    ],
    "medics": [
        C("id", example="MED-04"),
        C("name", example="T. Dijkstra"),
        C("role", example="nurse"),
        C("skills", "codes", example="icu; psychiatric"),
        C("base", example="AMS"),
        C("visas", "date_map"),
        C("available", "windows"),
        C("day_rate_eur", "number", example="650"),
    ],
    "reception": [
        C("id", example="REC-LOS-1"),
        C("name", example="Lagos University Teaching Hospital"),
        C("kind", example="hospital"),
        C("country", example="NG"),
        C("airport", example="LOS"),
        C("transfer_minutes", "int", example="90"),
        C("confirmed", "bool"),
        C("open", "hours"),
        C("closed_dates", "dates"),
        C("contact", example="desk +234 1 234567"),
    ],
    "departures": [
        C("id", example="BV-2026-0042"),
        C("kind", example="medical"),
        C("person.ref", example="P-0042"),
        C("person.sex", example="M"),
        C("person.birth_date", "date", example="2009-05-01"),
        C("priority", "int", example="3"),
        C("risk", example="low"),
        C("pickup.location", example="AMC"),
        C("pickup.window", "window"),
        C("ready_from", "instant", example="2026-12-02T00:00:00+01:00"),
        C("deadline", "instant", example="2026-12-20T00:00:00+01:00"),
        C("destination_country", example="NG"),
        C("destination_airports", "codes", example="LOS; ABV"),
        C("reception", example="REC-LOS-1"),
        C("travel_document.kind", example="laissez-passer"),
        C("travel_document.valid_from", "date", example="2026-12-01"),
        C("travel_document.valid_until", "date"),
        C("fit_to_fly_until", "date", optional=True, example="2026-12-15"),
        C("medical.stretcher", "bool", example="false"),
        C("medical.wheelchair", nullable=True, example="WCHS"),
        C("medical.oxygen", "bool", example="false"),
        C("medical.medic_role", nullable=True, example="nurse"),
        C("medical.medic_skills", "codes", example="psychiatric"),
        C("medical.max_travel_hours", "int", example="16"),
        C("family_group", optional=True, example="FAM-7"),
        C("blocked", "windows", optional=True),
    ],
}
OPTIONAL_SHEETS = {"airports"}
SHEETS = ["scenario", "parameters", *ENTITY_SHEETS]
ID_COLUMN = {"airports": "iata", "airlines": "code"}  # others use "id"


# ---------------------------------------------------------------------- reading


def read_workbook(path: str | Path) -> dict:
    """Read a scenario workbook (.xlsx) into the plain scenario dict."""
    frames = pd.read_excel(
        path, sheet_name=None, header=None, dtype=object,
        keep_default_na=False, na_values=[], engine="openpyxl",  # "NA" is Namibia, not missing
    )
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        key = str(name).strip().casefold()
        if key in SHEETS and key not in tables:
            tables[key] = frame
    return _read_tables(tables, "sheet")


def read_csv_folder(path: str | Path) -> dict:
    """Read a folder holding `<sheet>.csv` per sheet into the plain scenario dict."""
    folder = Path(path)
    files = {f.stem.strip().casefold(): f for f in sorted(folder.iterdir()) if f.suffix.lower() == ".csv"}
    tables = {name: _read_csv(files[name]) for name in SHEETS if name in files}
    return _read_tables(tables, "file")


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # Excel "CSV" on Windows without UTF-8
    # Dutch Excel separates with ';'. Column names never hold ',' or ';', so the
    # header line tells the separator apart from the ';' inside cells.
    header = text.split("\n", 1)[0]
    sep = ";" if ";" in header and "," not in header else ","
    return pd.read_csv(
        StringIO(text), sep=sep, header=None, dtype=object,
        keep_default_na=False, na_values=[], skip_blank_lines=False,
    )


def _read_tables(tables: dict[str, pd.DataFrame], what: str) -> dict:
    problems: list[Problem] = []
    scenario: dict[str, Any] = {}
    pending: list[_Pending] = []  # cells with local date-times, resolved once every sheet is in
    for sheet in SHEETS:
        frame = tables.get(sheet)
        if frame is None:
            if sheet not in OPTIONAL_SHEETS:
                problems.append(Problem(sheet, None, "(sheet)", None, f"a {what} named {sheet!r}"))
            continue
        if sheet == "scenario":
            scenario.update(_read_key_value(sheet, frame, problems))
        elif sheet in KEY_VALUE_SHEETS:
            scenario[sheet] = _read_key_value(sheet, frame, problems)
        else:
            records = _read_entities(sheet, frame, problems, pending)
            if records or sheet not in OPTIONAL_SHEETS:
                scenario[sheet] = records
    _resolve_local_times(scenario, pending, problems)
    if problems:
        raise ScenarioError(problems)
    return scenario


# ------------------------------------------------------------------ local times


@dataclass(frozen=True)
class _Pending:
    sheet: str
    rid: str
    column: Column
    record: dict
    cell: Any


def _has_local(value: Any) -> bool:
    if isinstance(value, LocalDateTime):
        return True
    return isinstance(value, list) and any(_has_local(v) for v in value)


def _localized(value: Any, tz) -> Any:
    """``value`` with every LocalDateTime in it made an ISO 8601 instant in ``tz``."""
    if isinstance(value, LocalDateTime):
        try:
            return timeutil.localize(value.wall, tz).isoformat()
        except timeutil.NonexistentLocalTime:
            later = value.wall + dt.timedelta(hours=1)
            raise CellError(message=(
                f"a local time that exists in {tz.key}: {value.wall:%d-%m-%Y %H:%M} falls in the hour the clocks "
                f"skip when summer time starts; type the time after the jump, e.g. {later:%d-%m-%Y %H:%M}, "
                "or give the UTC offset")) from None
    if isinstance(value, list):
        return [_localized(v, tz) for v in value]
    return value


class _Zones:
    """The IANA zone of the place each kind of field belongs to, from the scenario as read.

    Airports: the scenario's `airports` sheet first, then the airport data shipped with the planner.
    """

    def __init__(self, scenario: dict):
        self.home = timeutil.zone(timeutil.HOME_ZONE)
        self.overrides: dict[str, Any] = {}
        for rec in scenario.get("airports") or []:
            iata, name = rec.get("iata"), rec.get("timezone")
            if isinstance(iata, str) and isinstance(name, str):
                try:
                    self.overrides.setdefault(iata, timeutil.zone(name))
                except ZoneInfoNotFoundError:
                    pass  # the validator reports it
        self.locations: dict[str, dict] = {}
        for rec in scenario.get("locations") or []:
            if isinstance(rec.get("id"), str):
                self.locations.setdefault(rec["id"], rec)

    def airport(self, iata: Any):
        if not isinstance(iata, str):
            return None
        if iata in self.overrides:
            return self.overrides[iata]
        info = shipped(iata)
        if info is None:
            return None
        try:
            return timeutil.zone(info["tz"])
        except ZoneInfoNotFoundError:
            return None

    def pickup(self, departure: dict):
        """The zone of a departure's pickup location: that of its nearest airport (fewest drive
        minutes, then the first code), as the edit forms of the service take it."""
        pickup = departure.get("pickup")
        location = self.locations.get(pickup.get("location")) if isinstance(pickup, dict) else None
        drives = location.get("drive_minutes") if location else None
        if not isinstance(drives, dict):
            return None
        known = sorted((m, a) for a, m in drives.items() if isinstance(m, int) and self.airport(a) is not None)
        return self.airport(known[0][1]) if known else None

    def of(self, sheet: str, column: str, record: dict):
        if sheet == "flights":
            tz = self.airport(record.get("from" if column == "departs" else "to"))
        elif sheet in ("escorts", "medics"):
            tz = self.airport(record.get("base"))
        elif sheet == "departures":
            tz = self.pickup(record)
        else:  # vehicles, and anything else: the planning unit's zone
            tz = None
        return tz or self.home


def _resolve_local_times(scenario: dict, pending: list[_Pending], problems: list[Problem]) -> None:
    if not pending:
        return
    zones = _Zones(scenario)
    for item in pending:
        path = item.column.name.split(".")
        node = item.record
        for part in path[:-1]:
            node = node[part]
        try:
            node[path[-1]] = _localized(node[path[-1]], zones.of(item.sheet, item.column.name, item.record))
        except CellError as err:
            del node[path[-1]]
            problems.append(_cell_problem(item.sheet, item.rid, item.column, item.cell, err))


def _header(sheet: str, frame: pd.DataFrame, problems: list[Problem]) -> tuple[dict[str, int], list]:
    """Column name -> position, and the data rows (with their sheet row numbers)."""
    values = frame.to_numpy(dtype=object).tolist()
    if not values:
        return {}, []
    names: dict[str, int] = {}
    for pos, cell in enumerate(values[0]):
        name = "" if _is_empty(cell) else _scalar_name(cell)
        if not name:
            if any(not _is_empty(row[pos]) for row in values[1:]):
                problems.append(Problem(sheet, None, f"(column {pos + 1})", None, "a column name in the header row"))
            continue
        if name in names:
            problems.append(Problem(sheet, None, name, None, "each column name once"))
            continue
        names[name] = pos
    rows = [(number, row) for number, row in enumerate(values[1:], start=2)
            if not all(_is_empty(c) for c in row)]
    return names, rows


def _scalar_name(cell: Any) -> str:
    try:
        return _text(cell)
    except CellError:
        return str(cell).strip()


def _set_path(target: dict, path: list[str], value: Any) -> bool:
    for part in path[:-1]:
        node = target.setdefault(part, {})
        if not isinstance(node, dict):
            return False
        target = node
    if isinstance(target.get(path[-1]), dict):
        return False
    target[path[-1]] = value
    return True


def _read_entities(sheet: str, frame: pd.DataFrame, problems: list[Problem],
                   pending: list[_Pending]) -> list[dict]:
    names, rows = _header(sheet, frame, problems)
    schema = {c.name: c for c in ENTITY_SHEETS[sheet]}
    for column in schema.values():
        if column.required_column and column.name not in names:
            problems.append(Problem(sheet, None, column.name, None, f"a column {column.name!r} ({column.expected()})"))
    # Known columns first (record keys in spec order), unknown ones kept as extra fields.
    plan = [(schema[n], names[n]) for n in schema if n in names]
    plan += [(Column(n, "scalar", optional=True), p) for n, p in names.items() if n not in schema]
    for name in names:
        if any(other.startswith(name + ".") for other in names):
            problems.append(Problem(sheet, None, name, None, f"either a column {name!r} or columns {name}.*, not both"))
    id_pos = names.get(ID_COLUMN.get(sheet, "id"))

    records = []
    for number, row in rows:
        rid = f"row {number}"
        if id_pos is not None and not _is_empty(row[id_pos]):
            try:
                rid = _text(row[id_pos])
            except CellError:
                pass
        # A nested object (e.g. medical) is present when any of its cells is filled.
        groups = {c.name.split(".")[0] for c, p in plan if "." in c.name and not _is_empty(row[p])}
        record: dict[str, Any] = {}
        for column, pos in plan:
            path = column.name.split(".")
            if len(path) > 1 and path[0] not in groups:
                continue
            cell = row[pos]
            value = _cell_value(sheet, rid, column, cell, problems)
            if value is _SKIP:
                continue
            if _set_path(record, path, value) and _has_local(value):
                pending.append(_Pending(sheet, rid, column, record, cell))
        records.append(record)
    return records


def _empty_value(column: Column) -> Any:
    return {} if column.kind in ("int_map", "date_map", "hours") else []


_SKIP = object()  # the cell gives no value: an empty optional field, or a reported problem


def _cell_value(sheet: str, rid, column: Column, cell, problems: list) -> object:
    """The value a cell stands for under its column's syntax, or _SKIP (problems are recorded)."""
    if _is_empty(cell):
        if column.on_empty == "absent":
            return _SKIP
        return None if column.on_empty == "null" else _empty_value(column)
    try:
        return KINDS[column.kind].parse(cell)
    except CellError as err:
        problems.append(_cell_problem(sheet, rid, column, cell, err))
        return _SKIP


def _cell_problem(sheet: str, rid: str | None, column: Column, cell: Any, err: CellError) -> Problem:
    if err.message:
        expected = err.message
    else:
        expected = column.expected() + (f" ({err.detail})" if err.detail else "")
    return Problem(sheet, rid, column.name, cell, expected)


def _read_key_value(sheet: str, frame: pd.DataFrame, problems: list[Problem]) -> dict:
    names, rows = _header(sheet, frame, problems)
    for column in ("key", "value"):
        if column not in names:
            problems.append(Problem(sheet, None, column, None, f"a column {column!r}; one row per field"))
    if "key" not in names or "value" not in names:
        return {}
    schema = {c.name: c for c in KEY_VALUE_SHEETS[sheet]}
    result: dict[str, Any] = {}
    seen: set[str] = set()
    for number, row in rows:
        raw_key, cell = row[names["key"]], row[names["value"]]
        key = "" if _is_empty(raw_key) else _scalar_name(raw_key)
        if not key:
            if not _is_empty(cell):
                problems.append(Problem(sheet, f"row {number}", "key", raw_key, "the field name in column 'key'"))
            continue
        if key in seen:
            problems.append(Problem(sheet, None, key, cell, "each key once"))
            continue
        seen.add(key)
        column = schema.get(key) or Column(key, "scalar", optional=True)
        value = _cell_value(sheet, None, column, cell, problems)
        if value is _SKIP:
            continue
        if _has_local(value):  # scenario-wide times (planning_time, horizon): the planning unit's zone
            try:
                value = _localized(value, timeutil.zone(timeutil.HOME_ZONE))
            except CellError as err:
                problems.append(_cell_problem(sheet, None, column, cell, err))
                continue
        if not _set_path(result, key.split("."), value):
            problems.append(Problem(sheet, None, key, cell, f"either a key {key.split('.')[0]!r} or keys with that prefix, not both"))
    for column in schema.values():
        if not column.optional and column.name not in seen:
            problems.append(Problem(sheet, None, column.name, None, f"a row with key {column.name!r} ({column.expected()})"))
    return result


# ---------------------------------------------------------------------- writing


def _flatten(record: dict, known: set[str], prefix: str = "") -> dict[str, Any]:
    """Dotted column -> value: nested objects become dotted columns unless a column holds them whole."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = prefix + str(key)
        if name not in known and isinstance(value, dict):
            out.update(_flatten(value, known, name + "."))
        else:
            out[name] = value
    return out


def _write_cell(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "scalar" and isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    try:
        return KINDS[column.kind].write(value)
    except (TypeError, KeyError, IndexError, AttributeError):
        return json.dumps(value, ensure_ascii=False, default=str)  # not of the spec's shape


def _tables(scenario: dict) -> dict[str, tuple[list[Column], list[list[Any]]]]:
    """Sheet -> (columns, rows of cell values) for a scenario dict."""
    tables: dict[str, tuple[list[Column], list[list[Any]]]] = {}
    for sheet, schema in KEY_VALUE_SHEETS.items():
        if sheet == "scenario":  # top-level fields, other than the sheets themselves
            source = {k: v for k, v in scenario.items() if k not in SHEETS}
        else:
            source = scenario.get(sheet) or {}
        flat = _flatten(source, {c.name for c in schema})
        columns = {c.name: c for c in schema}
        rows = [[c.name, _write_cell(c, flat.get(c.name))] for c in schema]
        rows += [[k, _write_cell(Column(k, "scalar"), v)] for k, v in flat.items() if k not in columns]
        tables[sheet] = ([Column("key", "text"), Column("value", "scalar")], rows)
    for sheet, schema in ENTITY_SHEETS.items():
        known = {c.name for c in schema}
        flats = [_flatten(r, known) for r in scenario.get(sheet) or []]
        extra = list(dict.fromkeys(k for f in flats for k in f if k not in known))
        columns = schema + [Column(k, "scalar", optional=True) for k in extra]
        rows = [[_write_cell(c, f.get(c.name)) for c in columns] for f in flats]
        tables[sheet] = (columns, rows)
    return tables


def write_workbook(scenario: dict, path: str | Path) -> Path:
    """Write a scenario dict as a workbook (with an "uitleg" sheet); returns the path."""
    return _write_xlsx(_tables(scenario), Path(path))


# The parameters a new template starts with, and why (the "toelichting" column of its parameters
# sheet). The numbers are those of the reference scenarios and the spec's example; only
# visa_required_countries is left empty, since which countries demand a visa is policy, not a default.
def _template_parameters() -> dict[str, Any]:
    from ..generator import PARAMETERS  # the reference scenarios' parameters: one place for the numbers

    return {**PARAMETERS, "visa_required_countries": []}


TEMPLATE_PARAMETERS: dict[str, Any] = _template_parameters()
TEMPLATE_PARAMETER_NOTES = {
    "checkin_minutes": "Standaard 180: terugkeerder en begeleiders zijn zoveel minuten voor de eerste vlucht op de "
                       "luchthaven.",
    "min_connection_minutes": "Standaard 90: minimale overstaptijd tussen twee vluchten; mct_minutes van een "
                              "luchthaven (blad airports) gaat voor.",
    "escorts_by_risk": "Standaard none: 0; low: 2; medium: 2; high: 3 escorts per risiconiveau. Een minderjarige "
                       "krijgt er altijd minstens één.",
    "escort_min_turnaround_minutes": "Standaard 120: de terugvlucht van een begeleider vertrekt zoveel minuten na "
                                     "de aankomst van de terugkeerder.",
    "escort_max_away_hours": "Standaard 72: een missie (ophalen tot terug op de standplaats) duurt hoogstens zoveel "
                             "uur.",
    "escort_rest_hours": "Standaard 12: rust na een missie, in uren.",
    "overnight_cost_eur": "Standaard 160: kosten per begeleider per nacht in het buitenland, in euro.",
    "visa_required_countries": "Niet ingevuld: leeg betekent dat geen land een visum vraagt. Vul de landen in "
                               "(bijv. NG; GH; EG) waar escorts en medici een geldig visum nodig hebben.",
    "stretcher_seats": "Standaard 6: stoelen die een brancard per vlucht inneemt (en tickets die hij kost).",
    "max_connections": "Standaard 1: hoogstens zoveel overstappen per reis (0, 1 of 2).",
}


def write_template(path: str | Path) -> Path:
    """A workbook to fill in: every sheet and column, the "uitleg" sheet, the `scenario` key rows
    (only `format` filled in) and the `parameters` filled with TEMPLATE_PARAMETERS, each with a
    note in a "toelichting" column (ignored on reading)."""
    tables = _tables({"format": FORMAT, "parameters": TEMPLATE_PARAMETERS})
    columns, rows = tables["parameters"]
    tables["parameters"] = (columns + [Column("toelichting", "text")],
                            [row + [TEMPLATE_PARAMETER_NOTES.get(row[0], "")] for row in rows])
    return _write_xlsx(tables, Path(path))


def write_csv_folder(scenario: dict, path: str | Path) -> Path:
    """Write a scenario dict as `<sheet>.csv` files (UTF-8, comma-separated) in a folder."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, (columns, rows) in _tables(scenario).items():
        frame = pd.DataFrame([[_csv_cell(v) for v in row] for row in rows],
                             columns=[c.name for c in columns], dtype=object)
        # BOM so that Excel opens the file as UTF-8 (names with ë, é).
        frame.to_csv(folder / f"{sheet}.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    return folder


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_xlsx(tables: dict[str, tuple[list[Column], list[list[Any]]]], path: Path) -> Path:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path.parent.mkdir(parents=True, exist_ok=True)
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E78")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _readme_frame().to_excel(writer, sheet_name="uitleg", index=False)
        for sheet, (columns, rows) in tables.items():
            frame = pd.DataFrame(rows, columns=[c.name for c in columns], dtype=object)
            frame.to_excel(writer, sheet_name=sheet, index=False)
        for sheet, ws in writer.sheets.items():
            columns = tables[sheet][0] if sheet in tables else None
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font, cell.fill = bold, fill
                cell.alignment = Alignment(horizontal="left")
            if sheet == "uitleg":
                for row in ws.iter_rows(min_row=2):
                    for cell in row:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
            for pos in range(ws.max_column):
                letter = get_column_letter(pos + 1)
                sample = [ws.cell(row=r, column=pos + 1).value for r in range(1, min(ws.max_row, 40) + 1)]
                width = max((len(str(v)) for v in sample if v is not None), default=8)
                ws.column_dimensions[letter].width = min(max(width + 2, 10), 70)
                kind = "value" if columns is None else columns[pos].kind
                # Text columns stay text when typed into, so Excel keeps instants verbatim.
                if columns is not None and (sheet in KEY_VALUE_SHEETS or KINDS[kind].text_format):
                    ws.column_dimensions[letter].number_format = "@"
            if sheet in tables and any(isinstance(v, str) and v.startswith("=") for row in tables[sheet][1] for v in row):
                for row in ws.iter_rows(min_row=2):
                    for cell in row:
                        if cell.data_type == "f":
                            cell.data_type = "s"  # data, never a formula
    return path


# ----------------------------------------------------------------- uitleg sheet

_GENERAL = [
    ("Eén blad per onderdeel; de eerste rij bevat de kolomnamen. Lege rijen worden overgeslagen.",
     "One sheet per entity; the first row holds the column names. Empty rows are skipped."),
    ("'scenario' en 'parameters' hebben kolommen key en value: één rij per veld.",
     "'scenario' and 'parameters' have columns key and value: one row per field."),
    (("Tijdstippen mogen als Excel-datum/tijdcel, als 15-12-2026 14:30 of als 2026-12-15T14:30: dat is de "
      "lokale tijd van de plaats (vertrek: luchthaven van de ophaallocatie; vlucht: luchthaven van vertrek resp. "
      "aankomst; escort/medicus: standplaats; overig: Europe/Amsterdam). Met UTC-verschil "
      "(2026-12-03T10:05:00+01:00) blijft een tijdstip precies zoals getypt."),
     ("Instants may be Excel date-time cells, 15-12-2026 14:30 or 2026-12-15T14:30: that is local time at the "
      "field's place (departure: its pickup location's airport; flight: its departure resp. arrival airport; "
      "escort/medic: base; otherwise Europe/Amsterdam). With a UTC offset (2026-12-03T10:05:00+01:00) an "
      "instant is kept exactly as typed.")),
    (("Zomertijd telt mee. Een tijd in het uur dat eind oktober twee keer voorkomt is de eerste keer (nog "
      "zomertijd); een tijd in het uur dat eind maart wordt overgeslagen is fout."),
     ("Daylight saving counts. A time in the hour that occurs twice at the end of October is its first "
      "occurrence (still summer time); a time in the hour skipped at the end of March is an error.")),
    ("Lijsten en paren scheiden met ';' (een regeleinde met Alt+Enter mag ook).",
     "Separate list items and pairs with ';' (a line break with Alt+Enter works too)."),
    ("Kolommen met een punt (person.ref) zijn velden van een genest onderdeel; medical.* leeg = geen medische gegevens.",
     "Dotted columns (person.ref) are fields of a nested object; all medical.* empty = no medical object."),
    ("Extra kolommen worden als extra velden bewaard. Dit blad (uitleg) wordt bij inlezen genegeerd.",
     "Extra columns are kept as extra fields. This sheet (uitleg) is ignored on reading."),
]
_EMPTY_TEXT = {
    "missing": ("Leeg = ontbreekt (wordt bij controle afgekeurd).", "Empty = missing (rejected by the check)."),
    "absent": ("Leeg = niet opgegeven.", "Empty = not given."),
    "null": ("Leeg = geen (null).", "Empty = none (null)."),
    "empty": ("Leeg = lege lijst.", "Empty = empty list."),
}


def _readme_frame() -> pd.DataFrame:
    header = ["blad / sheet", "kolom / column", "verplicht / required", "uitleg (NL)", "explanation (EN)", "voorbeeld / example"]
    rows = [["(algemeen / general)", "", "", nl, en, ""] for nl, en in _GENERAL]
    for sheet in SHEETS:
        schema = KEY_VALUE_SHEETS.get(sheet) or ENTITY_SHEETS[sheet]
        for column in schema:
            kind = KINDS[column.kind]
            mode = column.on_empty
            if mode == "empty" and column.kind in ("int_map", "date_map", "hours"):
                empty_nl, empty_en = "Leeg = geen.", "Empty = none."
            else:
                if mode == "absent" and not column.optional and column.required_column:
                    mode = "missing"
                empty_nl, empty_en = _EMPTY_TEXT[mode]
            where = f"{sheet} (key)" if sheet in KEY_VALUE_SHEETS else sheet
            example = column.example if column.example is not None else kind.example
            rows.append([where, column.name, "ja / yes" if column.required_column else "nee / no",
                         f"{kind.nl} {empty_nl}", f"{kind.en} {empty_en}", example])
    return pd.DataFrame(rows, columns=header, dtype=object)
