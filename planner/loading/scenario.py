"""Loading a scenario: a ``vertrekplanner/scenario@1`` document checked and turned into the domain.

``parse_scenario`` checks the whole document and reports every problem at once
(entity, id, field, value, what was expected) before anything is built. Times become
integer minutes since the UTC epoch; the original text is kept where output needs it.
"""
from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfoNotFoundError

from .. import limits, timeutil
from ..airports import Airport, shipped
from ..domain import (
    DEPARTURE_KINDS, LOCATION_KINDS, MEDIC_ROLES, RECEPTION_KINDS, RISKS, SCENARIO_FORMAT, SEXES, WHEELCHAIRS,
    Airline, Companion, Departure, Flight, Location, Medical, Parameters, Reception, Scenario, Vehicle, Window,
)
from ..errors import Problem, ScenarioError


class _Reader:
    """Reads typed fields of one record, recording a Problem for each bad one."""

    def __init__(self, problems: list[Problem], entity: str, rid: str | None, record: Any):
        self.problems = problems
        self.entity = entity
        self.id = rid
        self.record = record if isinstance(record, dict) else {}
        if not isinstance(record, dict):
            self.bad("", record, "an object with the fields of the spec")

    def bad(self, fld: str, value: Any, expected: str) -> None:
        self.problems.append(Problem(self.entity, self.id, fld, value, expected))

    def get(self, path: str, optional: bool = False) -> Any:
        node: Any = self.record
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                if not optional:
                    self.bad(path, None, "a value (the field is required)")
                return None
            node = node[part]
        return node

    def typed(self, path: str, check: Callable[[Any], Any], expected: str, optional: bool = False) -> Any:
        value = self.get(path, optional)
        if value is None:
            return None
        try:
            return check(value)
        except (ValueError, TypeError, KeyError):
            self.bad(path, value, expected)
            return None

    def text(self, path: str, optional: bool = False) -> str | None:
        def check(v):
            if not isinstance(v, str) or not v.strip():
                raise ValueError
            return v
        return self.typed(path, check, "non-empty text", optional)

    def integer(self, path: str, minimum: int | None = 0, optional: bool = False, maximum: int | None = None) -> int | None:
        def check(v):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or int(v) != v:
                raise ValueError
            return int(v)
        value = self.typed(path, check, "a whole number", optional)
        if value is None:
            return None
        if maximum is None:  # a sane bound on every whole number, so nothing overflows later
            maximum = limits.integer_limit(path)
        if minimum is not None and value < minimum:
            what = "a duration cannot be negative" if path.endswith(("_minutes", "_hours")) else f"at least {minimum}"
            self.bad(path, value, what)
            return None
        if maximum is not None and value > maximum:
            self.bad(path, value, f"at most {maximum}")
            return None
        return value

    def number(self, path: str, optional: bool = False) -> float | None:
        def check(v):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= limits.MAX_EUR:
                raise ValueError
            return float(v)
        return self.typed(path, check, f"a non-negative number of at most {limits.MAX_EUR:,}", optional)

    def boolean(self, path: str, optional: bool = False, default: bool | None = None) -> bool | None:
        def check(v):
            if not isinstance(v, bool):
                raise ValueError
            return v
        value = self.typed(path, check, "true or false", optional)
        return default if value is None else value

    def enum(self, path: str, allowed: tuple[str, ...], optional: bool = False, nullable: bool = False) -> str | None:
        value = self.get(path, optional or nullable)
        if value is None:
            return None
        if value not in allowed:
            self.bad(path, value, "one of " + ", ".join(allowed))
            return None
        return value

    def instant(self, path: str, optional: bool = False) -> int | None:
        value = self.get(path, optional)
        if value is None:
            return None
        return self._instant(path, value)

    def _instant(self, path: str, value: Any) -> int | None:
        try:
            return timeutil.instant_minutes(value)
        except timeutil.NoOffsetError:
            self.bad(path, value, "an instant with a UTC offset, e.g. 2026-12-03T10:05:00+01:00")
        except (ValueError, TypeError):
            self.bad(path, value, "an ISO 8601 instant with a UTC offset, e.g. 2026-12-03T10:05:00+01:00")
        return None

    def window(self, path: str, value: Any = None) -> Window | None:
        if value is None:
            value = self.get(path)
            if value is None:
                return None
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            self.bad(path, value, "a window [start, end] of two instants")
            return None
        start, end = self._instant(path, value[0]), self._instant(path, value[1])
        if start is None or end is None:
            return None
        if start >= end:
            self.bad(path, value, "a window whose start lies before its end")
            return None
        return (start, end)

    def windows(self, path: str, optional: bool = False) -> tuple[Window, ...]:
        value = self.get(path, optional)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.bad(path, value, "a list of windows [[start, end], ...]")
            return ()
        found = [self.window(f"{path}[{i}]", w) for i, w in enumerate(value)]
        return tuple(sorted(w for w in found if w is not None))

    def day(self, path: str, optional: bool = False, value: Any = None) -> date | None:
        if value is None:
            value = self.get(path, optional)
            if value is None:
                return None
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.bad(path, value, "a date YYYY-MM-DD")
            return None

    def string_list(self, path: str, optional: bool = False) -> list[str]:
        value = self.get(path, optional)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.bad(path, value, "a list of text values")
            return []
        return value

    def visas(self, path: str) -> dict[str, date]:
        value = self.get(path, optional=True)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.bad(path, value, 'an object of country to last valid date, e.g. {"NG": "2027-06-30"}')
            return {}
        out = {}
        for country, until in value.items():
            if not _is_country(country):
                self.bad(f"{path}.{country}", country, "an ISO 3166-1 alpha-2 country code")
                continue
            d = self.day(f"{path}.{country}", value=until)
            if d is not None:
                out[country] = d
        return out


def _is_country(code: Any) -> bool:
    return isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()


def _id_field(key: str) -> str:
    return "iata" if key == "airports" else "code" if key == "airlines" else "id"


def _records(problems: list[Problem], data: dict, key: str, optional: bool = False) -> list[tuple[str, dict]]:
    """The records of one entity list with their ids; reports duplicates and missing ids."""
    items = data.get(key)
    if items is None:
        if not optional:
            problems.append(Problem(key, None, key, None, "a list (the entity is required)"))
        return []
    if not isinstance(items, list):
        problems.append(Problem(key, None, key, type(items).__name__, "a list of records"))
        return []
    id_field = _id_field(key)
    seen: set[str] = set()
    out = []
    for index, record in enumerate(items):
        rid = record.get(id_field) if isinstance(record, dict) else None
        if not isinstance(rid, str) or not rid.strip():
            problems.append(Problem(key, f"#{index + 1}", id_field, rid, "a non-empty text id"))
            continue
        if not limits.ID_PATTERN.fullmatch(rid):  # ids appear in URLs, file names and calendar UIDs
            problems.append(Problem(key, f"#{index + 1}", id_field, rid, limits.ID_RULE))
            continue
        if rid in seen:
            problems.append(Problem(key, rid, id_field, rid, f"a unique {id_field}: this one appears more than once"))
            continue
        seen.add(rid)
        out.append((rid, record))
    return out


def _entities(problems: list[Problem], data: dict, key: str, read: Callable[[_Reader], Any], optional: bool = False,
              like: Scenario | None = None) -> dict:
    """The records of ``data[key]`` by id, each read by ``read`` (None when it has problems), in document order.

    With ``like``, every record of ``data[key]`` must be ``like.raw[key]``'s at the same place, by identity, or one
    of the same id there (see ``_changed_records``): those are ``like``'s records, only the others are read."""
    out = {}
    if like is None:
        for rid, rec in _records(problems, data, key, optional):
            value = read(_Reader(problems, key, rid, rec))
            if value is not None:
                out[rid] = value
        return out
    # The ids are like.raw's, which are valid and unique, so _records has nothing to report.
    old, id_field = getattr(like, key), _id_field(key)
    for rec, was in zip(data[key], like.raw[key]):
        rid = rec[id_field]
        value = old[rid] if rec is was else read(_Reader(problems, key, rid, rec))
        if value is not None:
            out[rid] = value
    return out


ENTITY_KEYS = ("airports", "airlines", "flights", "locations", "vehicles", "escorts", "medics", "reception",
               "departures")


def _check_texts(problems: list[Problem], data: dict, only: dict[str, list[int]] | None = None) -> None:
    """Every string (values and keys) and every number of the document, extra fields included:
    text must be storable in PostgreSQL JSONB, publishable on one calendar line, and fit its column.
    Of an entity section in ``only``, only the records at the places listed are checked (the others
    were checked before, as they are)."""
    for key, value in data.items():
        if key in ENTITY_KEYS and isinstance(value, list):
            id_field = _id_field(key)
            for index in (only or {}).get(key, range(len(value))):
                record = value[index]
                rid = record.get(id_field) if isinstance(record, dict) else None
                if not (isinstance(rid, str) and limits.ID_PATTERN.fullmatch(rid)):
                    rid = f"#{index + 1}"
                _check_node(problems, key, rid, "", record)
        else:
            _check_node(problems, "scenario", None, "", {key: value},
                        limits.MAX_NAME_CHARS if key == "name" else limits.MAX_TEXT_CHARS)


def _check_node(problems: list[Problem], entity: str, rid: str | None, path: str, node: Any,
                limit: int = limits.MAX_TEXT_CHARS) -> None:
    if isinstance(node, str):
        why = limits.text_problem(node, limit)
        if why:
            problems.append(Problem(entity, rid, path or "(value)", node, why))
    elif isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                continue
            why = limits.text_problem(key)
            if why:
                problems.append(Problem(entity, rid, f"{path}(key)" if not path else f"{path}.(key)", key,
                                        "a field name: " + why))
                continue
            _check_node(problems, entity, rid, f"{path}.{key}" if path else key, value, limit)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _check_node(problems, entity, rid, f"{path}[{index}]", value, limit)
    elif isinstance(node, float) and not math.isfinite(node):
        problems.append(Problem(entity, rid, path or "(value)", node, "a finite number (not NaN or Infinity)"))


# The other entity sections each section's reading looks at (ids, or the records read from them).
_READS = {"flights": ("airlines",), "departures": ("locations", "reception")}


def _changed_records(data: dict, like: Scenario | None) -> dict[str, list[int]]:
    """The entity sections of ``data`` whose records are ``like.raw``'s at the same places, by identity,
    but for some that keep the id found there: the places of those (none for ``like.raw``'s own list).
    A record added, removed or given another id leaves its section out: it is read again as a whole,
    so that _records sees to ids and their uniqueness."""
    if like is None or not isinstance(like.raw, dict):
        return {}
    out = {}
    for key in ENTITY_KEYS:
        new, old = data.get(key), like.raw.get(key)
        if not isinstance(new, list) or not isinstance(old, list) or len(new) != len(old):
            continue
        id_field = _id_field(key)
        changed = [] if new is old else [i for i, (rec, was) in enumerate(zip(new, old)) if rec is not was]
        if all(isinstance(new[i], dict) and isinstance(old[i], dict) and new[i].get(id_field) == old[i].get(id_field)
               for i in changed):
            out[key] = changed
    return out


def parse_scenario(data: Any, like: Scenario | None = None) -> Scenario:
    """Validate a scenario document and build the typed scenario, or raise ScenarioError.

    ``like`` is a scenario read (without problems) from a document ``data`` was derived from
    without changing it, such as a copy-on-write patched copy (``loading.patching``). The records
    of an entity section that are ``like.raw``'s own, by identity at the same place, are not
    checked again, and are ``like``'s when the sections it reads are all ``like.raw``'s; only the
    other records are checked and read (see ``_changed_records`` for when a whole section is read
    again). The checks across sections all run, so the result (or the problems) equal those of
    ``parse_scenario(data)``: a record's problems depend on the record alone, and ``like`` had none."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise ScenarioError([Problem("scenario", None, "", type(data).__name__, "a JSON object")])
    changed = _changed_records(data, like)

    def section(key: str, read: Callable[[Scenario | None], dict]) -> dict:
        # A section reading a changed one is read again as a whole: its records may read differently.
        same_reads = all(changed.get(d) == [] for d in _READS.get(key, ()))
        return read(like if key in changed and same_reads else None)

    _check_texts(problems, data, changed)
    top = _Reader(problems, "scenario", None, data)
    fmt = data.get("format")
    if fmt != SCENARIO_FORMAT:
        top.bad("format", fmt, f'"{SCENARIO_FORMAT}"')
    name = top.text("name") or ""
    planning_time = top.instant("planning_time")
    horizon = top.window("horizon")
    parameters = _parameters(problems, data)

    # Airports: those listed only (need_airport below adds the shipped ones used again).
    airports = section("airports", lambda reuse: _airports(problems, data, reuse))
    airlines = section("airlines", lambda reuse: _airlines(problems, data, reuse))
    locations = section("locations", lambda reuse: _locations(problems, data, reuse))
    vehicles = section("vehicles", lambda reuse: _vehicles(problems, data, reuse))
    escorts = section("escorts", lambda reuse: _companions(problems, data, "escorts", reuse))
    medics = section("medics", lambda reuse: _companions(problems, data, "medics", reuse))
    reception = section("reception", lambda reuse: _reception(problems, data, reuse))
    flights = section("flights", lambda reuse: _flights(problems, data, reuse))
    departures = section("departures", lambda reuse: _departures(problems, data, locations, reception, reuse))

    def need_airport(entity: str, rid: str, fld: str, iata: Any) -> None:
        if not isinstance(iata, str):
            return
        if iata in airports:
            return
        info = shipped(iata)
        if info is None:
            problems.append(Problem(entity, rid, fld, iata, "a known IATA airport code (add it under airports to define it)"))
            return
        try:
            tz = timeutil.zone(info["tz"])
        except ZoneInfoNotFoundError:
            problems.append(Problem(entity, rid, fld, iata, f"an airport with a known time zone (its zone {info['tz']!r} is unknown)"))
            return
        airports[iata] = Airport(iata, tz, info.get("country", ""), None, info.get("name", ""))

    for f in flights.values():
        need_airport("flights", f.id, "from", f.origin)
        need_airport("flights", f.id, "to", f.dest)
    for loc in locations.values():
        for iata in loc.drive_minutes:
            need_airport("locations", loc.id, f"drive_minutes.{iata}", iata)
    for c in list(escorts.values()) + list(medics.values()):
        need_airport("escorts" if not c.is_medic else "medics", c.id, "base", c.base)
    for r in reception.values():
        need_airport("reception", r.id, "airport", r.airport)
    for d in departures.values():
        for i, iata in enumerate(d.destination_airports):
            need_airport("departures", d.id, f"destination_airports[{i}]", iata)
        rec = reception.get(d.reception)
        if rec is not None and rec.airport not in d.destination_airports:
            problems.append(Problem("departures", d.id, "reception", d.reception,
                                    f"a reception at one of the destination airports {list(d.destination_airports)} (its airport is {rec.airport})"))
        if rec is not None and rec.country != d.destination_country:
            problems.append(Problem("departures", d.id, "destination_country", d.destination_country,
                                    f"the country of its reception {rec.id} ({rec.country})"))

    if problems:
        raise ScenarioError(problems)
    return Scenario(
        name=name, planning_time=planning_time, planning_time_text=data["planning_time"], horizon=horizon,
        parameters=parameters, airports=airports, airlines=airlines, flights=flights, locations=locations,
        vehicles=vehicles, escorts=escorts, medics=medics, reception=reception, departures=departures, raw=data,
    )


def _parameters(problems: list[Problem], data: dict) -> Parameters | None:
    r = _Reader(problems, "parameters", None, data.get("parameters"))
    ebr = r.get("escorts_by_risk")
    escorts_by_risk: dict[str, int] = {}
    if isinstance(ebr, dict):
        for risk in RISKS:
            n = r.integer(f"escorts_by_risk.{risk}")
            if n is not None:
                escorts_by_risk[risk] = n
        for risk in ebr:
            if risk not in RISKS:
                r.bad(f"escorts_by_risk.{risk}", risk, "a risk level: one of " + ", ".join(RISKS))
    elif ebr is not None:
        r.bad("escorts_by_risk", ebr, 'an object of risk level to number of escorts, e.g. {"none": 0, "low": 2}')
    visa_required = r.string_list("visa_required_countries")
    for code in visa_required:
        if not _is_country(code):
            r.bad("visa_required_countries", code, "ISO 3166-1 alpha-2 country codes")
    values = dict(
        checkin_minutes=r.integer("checkin_minutes"),
        min_connection_minutes=r.integer("min_connection_minutes"),
        escort_min_turnaround_minutes=r.integer("escort_min_turnaround_minutes"),
        escort_max_away_hours=r.integer("escort_max_away_hours"),
        escort_rest_hours=r.integer("escort_rest_hours"),
        overnight_cost_eur=r.number("overnight_cost_eur"),
        stretcher_seats=r.integer("stretcher_seats", minimum=1),
        max_connections=r.integer("max_connections", maximum=2),
    )
    if any(v is None for v in values.values()) or len(escorts_by_risk) != len(RISKS):
        return None
    layover = r.integer("max_layover_minutes", optional=True)
    return Parameters(escorts_by_risk=escorts_by_risk, visa_required_countries=frozenset(visa_required),
                      max_layover_minutes=layover, **values)


def _airports(problems: list[Problem], data: dict, like: Scenario | None = None) -> dict[str, Airport]:
    def read(r: _Reader) -> Airport | None:
        tzname = r.text("timezone")
        country = r.text("country", optional=True)
        mct = r.integer("mct_minutes", optional=True)
        info = shipped(r.id) or {}
        if tzname is None:
            return None
        try:
            tz = timeutil.zone(tzname)
        except ZoneInfoNotFoundError:
            r.bad("timezone", tzname, "an IANA time zone such as Europe/Amsterdam")
            return None
        if country is not None and not _is_country(country):
            r.bad("country", country, "an ISO 3166-1 alpha-2 country code")
        return Airport(r.id, tz, country or info.get("country", ""), mct, info.get("name", ""))
    return _entities(problems, data, "airports", read, optional=True, like=like)


def _airlines(problems: list[Problem], data: dict, like: Scenario | None = None) -> dict[str, Airline]:
    def read(r: _Reader) -> Airline | None:
        values = (r.integer("max_escorted_per_flight"), r.boolean("accepts_stretcher"), r.integer("medif_lead_hours"))
        return None if None in values else Airline(r.id, *values)
    return _entities(problems, data, "airlines", read, like=like)


def _flights(problems: list[Problem], data: dict, like: Scenario | None = None) -> dict[str, Flight]:
    carrier_codes = {code for code, _ in _plain_ids(data, "airlines", "code")}

    def read(r: _Reader) -> Flight | None:
        rec = r.record
        carrier = r.text("carrier")
        if carrier is not None and carrier not in carrier_codes:
            r.bad("carrier", carrier, "a carrier listed under airlines")
        values = dict(
            number=r.text("number"), origin=r.text("from"), dest=r.text("to"),
            departs=r.instant("departs"), arrives=r.instant("arrives"), seats=r.integer("seats"),
            stretcher=r.boolean("stretcher"), fare_eur=r.number("fare_eur"),
            cancelled=r.boolean("cancelled", optional=True, default=False),
        )
        if values["departs"] is not None and values["arrives"] is not None and values["arrives"] <= values["departs"]:
            r.bad("arrives", rec.get("arrives"), f"an arrival after the departure {rec.get('departs')}")
            return None
        if values["origin"] is not None and values["origin"] == values["dest"]:
            r.bad("to", values["dest"], "an airport other than the one it leaves from")
            return None
        if carrier is None or None in values.values():
            return None
        return Flight(r.id, carrier, **values)
    return _entities(problems, data, "flights", read, like=like)


def _plain_ids(data: dict, key: str, id_field: str) -> list[tuple[str, Any]]:
    items = data.get(key) if isinstance(data.get(key), list) else []
    return [(rec.get(id_field), rec) for rec in items if isinstance(rec, dict)]


def _locations(problems: list[Problem], data: dict, like: Scenario | None = None) -> dict[str, Location]:
    def read(r: _Reader) -> Location | None:
        name, kind = r.text("name"), r.enum("kind", LOCATION_KINDS)
        drive = r.get("drive_minutes")
        drive_minutes: dict[str, int] = {}
        if isinstance(drive, dict):
            for iata in drive:
                n = r.integer(f"drive_minutes.{iata}")
                if n is not None:
                    drive_minutes[iata] = n
        elif drive is not None:
            r.bad("drive_minutes", drive, 'an object of airport to minutes, e.g. {"AMS": 30}')
        return Location(r.id, name, kind, drive_minutes) if name is not None and kind is not None else None
    return _entities(problems, data, "locations", read, like=like)


def _vehicles(problems: list[Problem], data: dict, like: Scenario | None = None) -> dict[str, Vehicle]:
    def read(r: _Reader) -> Vehicle | None:
        kind, stretcher, seats = r.text("kind"), r.boolean("stretcher"), r.integer("seats", minimum=1)
        available = r.windows("available")
        return None if None in (kind, stretcher, seats) else Vehicle(r.id, kind, stretcher, seats, available)
    return _entities(problems, data, "vehicles", read, like=like)


def _companions(problems: list[Problem], data: dict, key: str, like: Scenario | None = None) -> dict[str, Companion]:
    medic = key == "medics"

    def read(r: _Reader) -> Companion | None:
        name, base = r.text("name"), r.text("base")
        skills = frozenset(r.string_list("skills"))
        visas = r.visas("visas")
        available = r.windows("available")
        if medic:
            role = r.enum("role", MEDIC_ROLES)
            rate = r.number("day_rate_eur")
            if None not in (name, base, role, rate):
                return Companion(r.id, name, base, skills, visas, available, role=role, day_rate_eur=rate)
        else:
            sex = r.enum("sex", SEXES)
            if None not in (name, base, sex):
                return Companion(r.id, name, base, skills, visas, available, sex=sex)
        return None
    return _entities(problems, data, key, read, like=like)


def _opening_hours(r: _Reader) -> dict[int, tuple[int, int]]:
    value = r.get("open")
    if value is None:
        return {}
    if not isinstance(value, dict):
        r.bad("open", value, 'an object of weekday to ["HH:MM", "HH:MM"], e.g. {"mon": ["08:00", "20:00"]}')
        return {}
    out = {}
    for day, span in value.items():
        path = f"open.{day}"
        if day not in timeutil.WEEKDAYS:
            r.bad(path, day, "a weekday: one of " + ", ".join(timeutil.WEEKDAYS))
            continue
        if not isinstance(span, (list, tuple)) or len(span) != 2:
            r.bad(path, span, 'a pair ["HH:MM", "HH:MM"]')
            continue
        try:
            opens, closes = timeutil.parse_time_of_day(span[0]), timeutil.parse_time_of_day(span[1])
        except ValueError:
            r.bad(path, span, 'times of day "HH:MM" ("24:00" allowed as closing time)')
            continue
        if closes <= opens:
            r.bad(path, span, "a closing time after the opening time")
            continue
        out[timeutil.WEEKDAYS.index(day)] = (opens, closes)
    return out


def _reception(problems: list[Problem], data: dict, like: Scenario | None = None) -> dict[str, Reception]:
    def read(r: _Reader) -> Reception | None:
        name, kind = r.text("name"), r.enum("kind", RECEPTION_KINDS)
        country, airport = r.text("country"), r.text("airport")
        if country is not None and not _is_country(country):
            r.bad("country", country, "an ISO 3166-1 alpha-2 country code")
        transfer, confirmed = r.integer("transfer_minutes"), r.boolean("confirmed")
        opening = _opening_hours(r)
        closed = []
        for i, text in enumerate(r.string_list("closed_dates", optional=True)):
            d = r.day(f"closed_dates[{i}]", value=text)
            if d is not None:
                closed.append(d)
        contact = r.get("contact", optional=True)
        if None in (name, kind, country, airport, transfer, confirmed):
            return None
        return Reception(r.id, name, kind, country, airport, transfer, confirmed, opening, frozenset(closed),
                         str(contact or ""))
    return _entities(problems, data, "reception", read, like=like)


def _medical(r: _Reader) -> Medical | None:
    value = r.get("medical", optional=True)
    if value is None:
        return None
    if not isinstance(value, dict):
        r.bad("medical", value, "an object with the medical needs")
        return None
    role = r.enum("medical.medic_role", MEDIC_ROLES, nullable=True)
    return Medical(
        stretcher=bool(r.boolean("medical.stretcher", optional=True, default=False)),
        wheelchair=r.enum("medical.wheelchair", WHEELCHAIRS, nullable=True),
        oxygen=bool(r.boolean("medical.oxygen", optional=True, default=False)),
        medic_role=role,
        medic_skills=frozenset(r.string_list("medical.medic_skills", optional=True)),
        max_travel_hours=r.integer("medical.max_travel_hours", optional=True),
    )


def _departures(problems: list[Problem], data: dict, locations: dict, reception: dict,
                like: Scenario | None = None) -> dict[str, Departure]:
    location_ids = {i for i, _ in _plain_ids(data, "locations", "id")}
    reception_ids = {i for i, _ in _plain_ids(data, "reception", "id")}

    def read(r: _Reader) -> Departure | None:
        rec = r.record
        kind = r.enum("kind", DEPARTURE_KINDS)
        ref = r.text("person.ref")
        sex = r.enum("person.sex", SEXES)
        birth = r.day("person.birth_date", optional=True)
        priority = r.integer("priority", minimum=1, maximum=5)
        risk = r.enum("risk", RISKS)
        location = r.text("pickup.location")
        if location is not None and location not in location_ids:
            r.bad("pickup.location", location, "a location id listed under locations")
        window = r.window("pickup.window")
        ready_from, deadline = r.instant("ready_from"), r.instant("deadline")
        country = r.text("destination_country")
        if country is not None and not _is_country(country):
            r.bad("destination_country", country, "an ISO 3166-1 alpha-2 country code")
        dest = r.string_list("destination_airports")
        if not dest and r.get("destination_airports", optional=True) is not None:
            r.bad("destination_airports", [], "at least one IATA airport code")
        rec_id = r.text("reception")
        if rec_id is not None and rec_id not in reception_ids:
            r.bad("reception", rec_id, "a reception id listed under reception")
        doc_kind = r.text("travel_document.kind")
        doc_from, doc_until = r.day("travel_document.valid_from"), r.day("travel_document.valid_until")
        if doc_from and doc_until and doc_until < doc_from:
            r.bad("travel_document.valid_until", rec["travel_document"]["valid_until"],
                  f"a date on or after valid_from {doc_from.isoformat()}")
        fit = r.day("fit_to_fly_until", optional=kind != "medical")
        medical = _medical(r)
        group = r.get("family_group", optional=True)
        if group is not None and not (isinstance(group, str) and limits.ID_PATTERN.fullmatch(group)):
            r.bad("family_group", group, "a family group id: " + limits.ID_RULE.removeprefix("an id "))
            group = None
        blocked = r.windows("blocked", optional=True)
        required = (kind, ref, sex, priority, risk, location, window, ready_from, deadline, country, rec_id,
                    doc_kind, doc_from, doc_until)
        if None in required or not dest or (kind == "medical" and fit is None):
            return None
        if location not in locations or rec_id not in reception:
            return None
        return Departure(r.id, kind, ref, sex, birth, priority, risk, location, window, ready_from, deadline,
                         country, tuple(dest), rec_id, doc_kind, doc_from, doc_until, fit, medical, group, blocked)
    return _entities(problems, data, "departures", read, like=like)


# --- Records added to a loaded scenario (the generator builds one record by record) ----------

def add_receptions(sc: Scenario, records: list[dict]) -> None:
    """Read reception records into ``sc`` (replacing those with the same id), or raise ScenarioError."""
    problems: list[Problem] = []
    found = _reception(problems, {"reception": records})
    for rec in found.values():
        if rec.airport not in sc.airports and shipped(rec.airport) is not None:
            info = shipped(rec.airport)
            sc.airports[rec.airport] = Airport(rec.airport, timeutil.zone(info["tz"]), info.get("country", ""), None,
                                               info.get("name", ""))
    if problems:
        raise ScenarioError(problems)
    sc.reception.update(found)


def parse_departures(sc: Scenario, records: list[dict]) -> dict[str, Departure]:
    """Departure records read against ``sc``'s locations and receptions, or raise ScenarioError."""
    problems: list[Problem] = []
    data = {"departures": records, "locations": [{"id": i} for i in sc.locations],
            "reception": [{"id": i} for i in sc.reception]}
    found = _departures(problems, data, sc.locations, sc.reception)
    if problems:
        raise ScenarioError(problems)
    return found


def load_json(path: str | Path) -> dict:
    """A scenario document from a JSON file, by the one reader the service uses too."""
    from .reader import read_path

    return read_path(path)


def load_scenario(path: str | Path) -> Scenario:
    """A scenario from a JSON file, an Excel workbook (.xlsx) or a folder of CSV files."""
    from .reader import read_path

    return parse_scenario(read_path(path))
