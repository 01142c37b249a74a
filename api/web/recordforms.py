"""The edit forms of one record of the planning book: the record as the form's text values, and the
submitted values back into a record.

Dates are ``YYYY-MM-DD`` (date inputs); instants are shown and read as local wall-clock times
(``datetime-local`` inputs) in one zone per form: the place's zone (the nearest airport of a
departure's pickup location, an escort's or medic's base) or the planning unit's home zone. An
instant whose minute did not change keeps its stored text, offset and all. A value the form cannot
even read is named as a Problem (field, value, what was expected); everything else is validated by
the book (the planner's own ``parse_scenario``), never here. Nothing here knows HTML.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from planner import timeutil
from planner.errors import Problem
from planner.scenario import Scenario

KIND_LABELS = {
    "departures": "vertrek", "escorts": "escort (KMar)", "medics": "medisch begeleider", "vehicles": "voertuig",
    "reception": "ontvangende partij", "airlines": "luchtvaartmaatschappij", "flights": "vlucht",
    "locations": "locatie", "airports": "luchthaven",
}
FORM_KINDS = ("departures", "escorts", "medics", "vehicles", "reception")  # the others: JSON only
WEEKDAYS = (("mon", "maandag"), ("tue", "dinsdag"), ("wed", "woensdag"), ("thu", "donderdag"),
            ("fri", "vrijdag"), ("sat", "zaterdag"), ("sun", "zondag"))
WHEELCHAIRS = ("WCHR", "WCHS", "WCHC")
MEDIC_ROLES = {"nurse": "verpleegkundige", "physician": "arts"}
EMPTY_ROWS = 2  # blank rows under a list, to add to it

# Field paths of the record (as the planner's problems name them) -> the form input that edits it.
INPUT_OF = {
    "travel_document.kind": "doc_kind", "travel_document.valid_from": "doc_from",
    "travel_document.valid_until": "doc_until", "fit_to_fly_until": "fit_to_fly_until",
    "pickup.window": "pickup_start", "ready_from": "ready_from", "deadline": "deadline", "priority": "priority",
    "medical.wheelchair": "med_wheelchair", "medical.medic_role": "med_role",
    "medical.medic_skills": "med_skills", "medical.max_travel_hours": "med_max_hours",
    "seats": "seats", "confirmed": "confirmed", "skills": "skills",
}


@dataclass
class FormState:
    """What an edit form shows: text values per input, the zone of its times, and what is wrong."""
    values: dict[str, Any]
    zone: str = ""
    zone_reason: str = ""
    problems: list[Problem] = field(default_factory=list)

    def invalid(self, name: str) -> bool:
        """Whether a problem concerns input (or list) ``name``: for aria-invalid."""
        return name in {input_for(str(p.field)) for p in self.problems}


LISTS = ("blocked", "available", "closed_dates", "visas", "open")  # fieldsets of rows, by their id


def input_for(path: str) -> str | None:
    """The form input (or fieldset of rows) that edits the record's field ``path``, if any."""
    if path in INPUT_OF:
        return INPUT_OF[path]
    for prefix in LISTS:
        if path == prefix or path.startswith((prefix + "[", prefix + ".")):
            return prefix
    head = path.split("[")[0]
    return INPUT_OF.get(head) or INPUT_OF.get(head.split(".")[0])


# --- Zones -------------------------------------------------------------------------------------

def zone_for(sc: Scenario | None, kind: str, record: dict) -> tuple[ZoneInfo, str]:
    """(zone, why this zone) of the times on a record's form."""
    home = sc.home_tz if sc is not None else timeutil.zone("Europe/Amsterdam")
    if sc is None:
        return home, "tijdzone van de planningseenheid"
    if kind == "departures":
        location = sc.locations.get(str((record.get("pickup") or {}).get("location")))
        drives = {a: m for a, m in (location.drive_minutes if location else {}).items() if a in sc.airports}
        if drives:
            airport = min(drives, key=lambda a: (drives[a], a))
            return sc.tz(airport), f"tijdzone van ophaallocatie {location.id} (luchthaven {airport})"
    if kind in ("escorts", "medics") and record.get("base") in sc.airports:
        return sc.tz(record["base"]), f"tijdzone van standplaats {record['base']}"
    return home, "tijdzone van de planningseenheid"


# --- Reading single values ---------------------------------------------------------------------

class _Reader:
    """Turns form text into record values, collecting a Problem for each that cannot be read."""

    def __init__(self, kind: str, key: str, tz: ZoneInfo):
        self.kind, self.key, self.tz = kind, key, tz
        self.problems: list[Problem] = []

    def bad(self, path: str, value: Any, expected: str) -> None:
        self.problems.append(Problem(self.kind, self.key, path, value, expected))

    def text(self, path: str, value: str, required: bool = True) -> str | None:
        value = (value or "").strip()
        if not value and required:
            self.bad(path, value, "een waarde (verplicht)")
            return None
        return value or None

    def day(self, path: str, value: str, required: bool = True) -> str | None:
        value = (value or "").strip()
        if not value:
            if required:
                self.bad(path, value, "een datum (verplicht)")
            return None
        try:
            if len(value) != 10:
                raise ValueError
            return date.fromisoformat(value).isoformat()
        except ValueError:
            self.bad(path, value, "een datum JJJJ-MM-DD")
            return None

    def integer(self, path: str, value: str, required: bool = True) -> int | None:
        value = (value or "").strip()
        if not value:
            if required:
                self.bad(path, value, "een geheel getal (verplicht)")
            return None
        try:
            return int(value)
        except ValueError:
            self.bad(path, value, "een geheel getal")
            return None

    def instant(self, path: str, value: str, original: Any = None) -> str | None:
        """A local wall-clock time in the form's zone as an ISO instant with its offset; the stored
        text when it names the same minute."""
        value = (value or "").strip()
        if not value:
            self.bad(path, value, f"een datum en tijd ({self.tz.key})")
            return None
        try:
            local = datetime.fromisoformat(value)
            if local.tzinfo is not None or len(value) < 16:
                raise ValueError
        except ValueError:
            self.bad(path, value, f"een datum en tijd JJJJ-MM-DDTuu:mm ({self.tz.key})")
            return None
        moment = local.replace(tzinfo=self.tz)
        # A time the clocks skip (the hour lost when summer time starts) does not exist here.
        if moment.astimezone(timezone.utc).astimezone(self.tz).replace(tzinfo=None) != local:
            self.bad(path, value, f"een tijd die in {self.tz.key} bestaat (de klok springt dan vooruit)")
            return None
        minute = timeutil.minutes(moment)
        if isinstance(original, str):
            try:
                if timeutil.instant_minutes(original) == minute:
                    return original
            except ValueError:
                pass
        return timeutil.iso(minute, self.tz)

    def windows(self, path: str, rows: list[tuple[str, str]], original: Any) -> list[list[str]]:
        """Rows of (start, end); a row left empty is dropped, a half-filled one is a problem."""
        stored = original if isinstance(original, list) else []
        out = []
        for i, (start, end) in enumerate(rows):
            start, end = (start or "").strip(), (end or "").strip()
            if not start and not end:
                continue
            before = stored[i] if i < len(stored) and isinstance(stored[i], list) and len(stored[i]) == 2 \
                else [None, None]
            where = f"{path}[{len(out)}]"
            if not start or not end:
                self.bad(where, [start, end], "een begin én een einde (of beide leeg om de regel te schrappen)")
                continue
            s, e = self.instant(where, start, before[0]), self.instant(where, end, before[1])
            if s is not None and e is not None:
                out.append([s, e])
        return out


def local_text(value: Any, tz: ZoneInfo) -> str:
    """A stored instant as a datetime-local value in ``tz`` (the stored text if it is no instant)."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    try:
        return timeutil.parse_instant(value).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    except ValueError:
        return value


def _window_rows(windows: Any, tz: ZoneInfo) -> list[tuple[str, str]]:
    rows = []
    for w in windows if isinstance(windows, list) else []:
        if isinstance(w, list) and len(w) == 2:
            rows.append((local_text(w[0], tz), local_text(w[1], tz)))
    return rows + [("", "")] * EMPTY_ROWS


def _pairs(form, first: str, second: str) -> list[tuple[str, str]]:
    a, b = form.getlist(first), form.getlist(second)
    n = max(len(a), len(b))
    a, b = a + [""] * (n - len(a)), b + [""] * (n - len(b))
    rows = [(str(x), str(y)) for x, y in zip(a, b)]
    if not rows or any(rows[-1]):
        rows.append(("", ""))  # always room to add one more
    return rows


def _listed(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]


# --- Per kind: record -> values, form -> values, values -> record ------------------------------

def _departure_values(rec: dict, tz: ZoneInfo) -> dict:
    doc, pickup, med = rec.get("travel_document") or {}, rec.get("pickup") or {}, rec.get("medical") or {}
    window = pickup.get("window") if isinstance(pickup.get("window"), list) else [None, None]
    window = (window + [None, None])[:2]
    return {
        "doc_kind": str(doc.get("kind") or ""), "doc_from": str(doc.get("valid_from") or ""),
        "doc_until": str(doc.get("valid_until") or ""), "fit_to_fly_until": str(rec.get("fit_to_fly_until") or ""),
        "pickup_start": local_text(window[0], tz), "pickup_end": local_text(window[1], tz),
        "ready_from": local_text(rec.get("ready_from"), tz), "deadline": local_text(rec.get("deadline"), tz),
        "priority": str(rec.get("priority", "")), "blocked": _window_rows(rec.get("blocked"), tz),
        "med_stretcher": bool(med.get("stretcher")), "med_oxygen": bool(med.get("oxygen")),
        "med_wheelchair": str(med.get("wheelchair") or ""), "med_role": str(med.get("medic_role") or ""),
        "med_skills": ", ".join(str(s) for s in med.get("medic_skills") or []),
        "med_max_hours": "" if med.get("max_travel_hours") is None else str(med.get("max_travel_hours")),
    }


def _departure_form(form) -> dict:
    names = ("doc_kind", "doc_from", "doc_until", "fit_to_fly_until", "pickup_start", "pickup_end", "ready_from",
             "deadline", "priority", "med_wheelchair", "med_role", "med_skills", "med_max_hours")
    values: dict[str, Any] = {n: str(form.get(n) or "") for n in names}
    values["blocked"] = _pairs(form, "blocked_start", "blocked_end")
    values["med_stretcher"] = form.get("med_stretcher") is not None
    values["med_oxygen"] = form.get("med_oxygen") is not None
    return values


def _put(target: dict, name: str, value: Any, default: Any) -> None:
    """Set a field; a default value is not added where the record did not have the field."""
    if value == default and name not in target:
        return
    if value is None:
        target.pop(name, None)
    else:
        target[name] = value


def _departure_apply(rec: dict, v: dict, r: _Reader) -> dict:
    doc = dict(rec.get("travel_document") or {})
    for name, path, read in (("kind", "doc_kind", r.text), ("valid_from", "doc_from", r.day),
                             ("valid_until", "doc_until", r.day)):
        value = read(f"travel_document.{name}", v[path])
        if value is not None:
            doc[name] = value
    rec["travel_document"] = doc
    fit = r.day("fit_to_fly_until", v["fit_to_fly_until"], required=False)
    if fit is None and not v["fit_to_fly_until"].strip():
        rec.pop("fit_to_fly_until", None)
    elif fit is not None:
        rec["fit_to_fly_until"] = fit
    pickup = dict(rec.get("pickup") or {})
    window = pickup.get("window") if isinstance(pickup.get("window"), list) else []
    window = (list(window) + [None, None])[:2]
    start = r.instant("pickup.window", v["pickup_start"], window[0])
    end = r.instant("pickup.window", v["pickup_end"], window[1])
    if start is not None and end is not None:
        pickup["window"] = [start, end]
    rec["pickup"] = pickup
    for name in ("ready_from", "deadline"):
        value = r.instant(name, v[name], rec.get(name))
        if value is not None:
            rec[name] = value
    priority = r.integer("priority", v["priority"])
    if priority is not None:
        rec["priority"] = priority
    blocked = r.windows("blocked", v["blocked"], rec.get("blocked"))
    _put(rec, "blocked", blocked, [])
    med = dict(rec.get("medical") or {}) if isinstance(rec.get("medical"), dict) else {}
    _put(med, "stretcher", bool(v["med_stretcher"]), False)
    _put(med, "oxygen", bool(v["med_oxygen"]), False)
    wheelchair = v["med_wheelchair"].strip() or None
    if wheelchair is not None and wheelchair not in WHEELCHAIRS:
        r.bad("medical.wheelchair", wheelchair, "geen, of een van " + ", ".join(WHEELCHAIRS))
    elif wheelchair is not None or "wheelchair" in med:
        med["wheelchair"] = wheelchair
    role = v["med_role"].strip() or None
    if role is not None and role not in MEDIC_ROLES:
        r.bad("medical.medic_role", role, "geen, of een van " + ", ".join(MEDIC_ROLES))
    elif role is not None or "medic_role" in med:
        med["medic_role"] = role
    _put(med, "medic_skills", _listed(v["med_skills"]), [])
    hours = r.integer("medical.max_travel_hours", v["med_max_hours"], required=False)
    if hours is not None:
        med["max_travel_hours"] = hours
    elif not v["med_max_hours"].strip():
        med.pop("max_travel_hours", None)
    if med or "medical" in rec:
        rec["medical"] = med
    return rec


def _companion_values(rec: dict, tz: ZoneInfo) -> dict:
    visas = rec.get("visas") if isinstance(rec.get("visas"), dict) else {}
    return {"available": _window_rows(rec.get("available"), tz),
            "visas": [(str(c), str(d)) for c, d in visas.items()] + [("", "")] * EMPTY_ROWS,
            "skills": ", ".join(str(s) for s in rec.get("skills") or [])}


def _companion_form(form) -> dict:
    return {"available": _pairs(form, "available_start", "available_end"),
            "visas": _pairs(form, "visa_country", "visa_until"), "skills": str(form.get("skills") or "")}


def _companion_apply(rec: dict, v: dict, r: _Reader) -> dict:
    rec["available"] = r.windows("available", v["available"], rec.get("available"))
    visas: dict[str, str] = {}
    for country, until in v["visas"]:
        country, until = country.strip().upper(), until.strip()
        if not country and not until:
            continue
        if not country or not until:
            r.bad(f"visas.{country or '?'}", [country, until], "een land én een datum (of beide leeg om te schrappen)")
            continue
        if country in visas:
            r.bad(f"visas.{country}", country, "elk land één keer")
            continue
        day = r.day(f"visas.{country}", until)
        if day is not None:
            visas[country] = day
    _put(rec, "visas", visas, {})
    rec["skills"] = _listed(v["skills"])
    return rec


def _vehicle_values(rec: dict, tz: ZoneInfo) -> dict:
    return {"available": _window_rows(rec.get("available"), tz), "seats": str(rec.get("seats", "")),
            "stretcher": bool(rec.get("stretcher"))}


def _vehicle_form(form) -> dict:
    return {"available": _pairs(form, "available_start", "available_end"), "seats": str(form.get("seats") or ""),
            "stretcher": form.get("stretcher") is not None}


def _vehicle_apply(rec: dict, v: dict, r: _Reader) -> dict:
    rec["available"] = r.windows("available", v["available"], rec.get("available"))
    seats = r.integer("seats", v["seats"])
    if seats is not None:
        rec["seats"] = seats
    rec["stretcher"] = bool(v["stretcher"])
    return rec


def _reception_values(rec: dict, tz: ZoneInfo) -> dict:
    opening = rec.get("open") if isinstance(rec.get("open"), dict) else {}
    hours = {}
    for day, _label in WEEKDAYS:
        span = opening.get(day)
        hours[day] = (str(span[0]), str(span[1])) if isinstance(span, list) and len(span) == 2 else ("", "")
    closed = [str(d) for d in rec.get("closed_dates") or []]
    return {"confirmed": bool(rec.get("confirmed")), "open": hours, "closed": closed + [""] * EMPTY_ROWS}


def _reception_form(form) -> dict:
    hours = {day: (str(form.get(f"open_{day}") or ""), str(form.get(f"close_{day}") or "")) for day, _ in WEEKDAYS}
    closed = [str(d) for d in form.getlist("closed_date")]
    if not closed or closed[-1]:
        closed.append("")
    return {"confirmed": form.get("confirmed") is not None, "open": hours, "closed": closed}


def _reception_apply(rec: dict, v: dict, r: _Reader) -> dict:
    rec["confirmed"] = bool(v["confirmed"])
    opening = {}
    for day, _label in WEEKDAYS:
        opens, closes = (x.strip() for x in v["open"][day])
        if not opens and not closes:
            continue  # closed all day
        if not opens or not closes:
            r.bad(f"open.{day}", [opens, closes], "een openings- én sluitingstijd (of beide leeg: gesloten)")
            continue
        opening[day] = [opens, closes]  # HH:MM checked by the planner's reader
    rec["open"] = opening
    closed = []
    for i, text in enumerate(d for d in v["closed"] if d.strip()):
        day = r.day(f"closed_dates[{i}]", text)
        if day is not None and day not in closed:
            closed.append(day)
    _put(rec, "closed_dates", closed, [])
    return rec


@dataclass(frozen=True)
class KindForm:
    values: Callable[[dict, ZoneInfo], dict]
    from_form: Callable[[Any], dict]
    apply: Callable[[dict, dict, _Reader], dict]


FORMS = {
    "departures": KindForm(_departure_values, _departure_form, _departure_apply),
    "escorts": KindForm(_companion_values, _companion_form, _companion_apply),
    "medics": KindForm(_companion_values, _companion_form, _companion_apply),
    "vehicles": KindForm(_vehicle_values, _vehicle_form, _vehicle_apply),
    "reception": KindForm(_reception_values, _reception_form, _reception_apply),
}


def initial_state(sc: Scenario | None, kind: str, record: dict) -> FormState:
    tz, why = zone_for(sc, kind, record)
    values = FORMS[kind].values(record, tz) if kind in FORMS else {}
    return FormState(values, tz.key, why)


def submitted_state(sc: Scenario | None, kind: str, record: dict, form) -> FormState:
    tz, why = zone_for(sc, kind, record)
    return FormState(FORMS[kind].from_form(form), tz.key, why)


def record_from(kind: str, key: str, stored: dict, state: FormState) -> tuple[dict, list[Problem]]:
    """The stored record with the form's values applied; the problems of values that cannot be read."""
    reader = _Reader(kind, key, timeutil.zone(state.zone))
    data = FORMS[kind].apply(copy.deepcopy(stored), state.values, reader)
    return data, reader.problems


def pretty(record: dict) -> str:
    """A record as the JSON textarea shows it."""
    return json.dumps(record, ensure_ascii=False, indent=2)
