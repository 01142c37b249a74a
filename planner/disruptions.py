"""Disruptions (``vertrekplanner/disruptions@1``): what happened, applied to a scenario document.

A disruptions file lists events (a cancelled flight, an escort off sick, a withdrawn reception,
a new departure, ...) so that nobody hand-edits the whole scenario before a re-plan.
``apply_disruptions`` checks the whole file against the scenario first and reports every
problem at once, like ``parse_scenario``; only then does it build a new scenario document,
which must itself pass ``parse_scenario``. See docs/disruptions.md.
"""
from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from . import limits, timeutil
from .errors import Problem, ScenarioError
from .loading.reader import read_json_bytes
from .loading.scenario import parse_scenario

DISRUPTIONS_FORMAT = "vertrekplanner/disruptions@1"
ENTITY = "disruptions"
INSTANT_RULE = "an ISO 8601 instant with a UTC offset, e.g. 2026-12-03T10:05:00+01:00"

# kind -> (the field naming what it applies to, the scenario lists holding such ids, needs a window)
KINDS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "flight_cancelled": ("flight", ("flights",), False),
    "person_unavailable": ("person", ("escorts", "medics"), True),
    "vehicle_unavailable": ("vehicle", ("vehicles",), True),
    "reception_withdrawn": ("reception", ("reception",), False),
    "departure_blocked": ("departure", ("departures",), True),
    "departure_cancelled": ("departure", ("departures",), False),
    "departure_added": ("departure", (), False),
}
_WHAT = {"flight": "a flight id of the scenario", "person": "an escort or medic id of the scenario",
         "vehicle": "a vehicle id of the scenario", "reception": "a reception id of the scenario",
         "departure": "a departure id of the scenario"}


def read_disruptions(path: str | Path) -> dict:
    """The disruptions document in a JSON file, read as strictly as a scenario; ScenarioError if not."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError([Problem(ENTITY, None, "path", str(path), "an existing JSON file")])
    if path.stat().st_size > limits.MAX_DOCUMENT_BYTES:
        raise ScenarioError([Problem(ENTITY, None, "file", path.name,
                                     f"a file of at most {limits.MAX_DOCUMENT_BYTES // 2**20} MB")])
    try:
        return read_json_bytes(path.read_bytes(), path.name)
    except ScenarioError as exc:  # the reader speaks of "scenario": this file is the disruptions
        raise ScenarioError([dataclasses.replace(p, entity=ENTITY) if p.entity == "scenario" else p
                             for p in exc.problems]) from None


def apply_disruptions(scenario_doc: dict, disruptions_doc: Any) -> dict:
    """A new scenario document with every disruption applied in order (the input is not modified).

    Raises ScenarioError with every problem of the disruptions file, or of the resulting scenario.
    """
    items = check_disruptions(scenario_doc, disruptions_doc)
    doc = copy.deepcopy(scenario_doc)
    if "planning_time" in disruptions_doc:
        doc["planning_time"] = disruptions_doc["planning_time"]
    for item in items:
        _apply(doc, item)
    parse_scenario(doc)  # an added departure is checked here like any other
    return doc


def check_disruptions(scenario_doc: dict, disruptions_doc: Any) -> list[dict]:
    """The disruption items, or ScenarioError naming every problem of the file."""
    problems: list[Problem] = []

    def bad(rid: str | None, fld: str, value: Any, expected: str) -> None:
        problems.append(Problem(ENTITY, rid, fld, value, expected))

    if not isinstance(disruptions_doc, dict):
        raise ScenarioError([Problem(ENTITY, None, "", type(disruptions_doc).__name__, "a JSON object")])
    fmt = disruptions_doc.get("format")
    if fmt != DISRUPTIONS_FORMAT:
        bad(None, "format", fmt, f'"{DISRUPTIONS_FORMAT}"')
    if "planning_time" in disruptions_doc and not _is_instant(disruptions_doc["planning_time"]):
        bad(None, "planning_time", disruptions_doc["planning_time"], INSTANT_RULE)
    items = disruptions_doc.get("disruptions")
    if not isinstance(items, list):
        bad(None, "disruptions", items, "a list of disruptions [{\"kind\": ...}, ...]")
        raise ScenarioError(problems)

    known = {key: _ids(scenario_doc, key) for key in ("flights", "escorts", "medics", "vehicles", "reception")}
    departures = _ids(scenario_doc, "departures")  # changes as items add and cancel departures
    cancelled_by: dict[str, str] = {}
    for index, item in enumerate(items):
        rid = f"#{index + 1}"
        if not isinstance(item, dict):
            bad(rid, "", item, "an object {\"kind\": ..., ...}")
            continue
        kind = item.get("kind")
        if kind not in KINDS:
            bad(rid, "kind", kind, "one of " + ", ".join(KINDS))
            continue
        fld, lists, needs_window = KINDS[kind]
        if needs_window:
            for expected in _window_problems(item.get("window")):
                bad(rid, "window", item.get("window"), expected)
        target = item.get(fld)
        if kind == "departure_added":
            new_id = target.get("id") if isinstance(target, dict) else None
            if not isinstance(target, dict):
                bad(rid, fld, target, "a departure object as in the scenario")
            elif not isinstance(new_id, str) or not limits.ID_PATTERN.fullmatch(new_id):
                bad(rid, "departure.id", new_id, limits.ID_RULE)
            elif new_id in departures:
                bad(rid, "departure.id", new_id, "a new departure id (a departure with this id exists already)")
            else:
                departures.add(new_id)
                cancelled_by.pop(new_id, None)
            continue
        if target is None:
            bad(rid, fld, None, f"{_WHAT[fld]} (the field is required)")
            continue
        ids = departures if fld == "departure" else set().union(*(known[key] for key in lists))
        if isinstance(target, str) and target in cancelled_by and target not in ids:
            bad(rid, fld, target, f"{_WHAT[fld]} (this one is cancelled by {cancelled_by[target]})")
        elif not isinstance(target, str) or target not in ids:
            bad(rid, fld, target, _WHAT[fld])
        elif kind == "departure_cancelled":
            departures.discard(target)
            cancelled_by[target] = rid
    if problems:
        raise ScenarioError(problems)
    return items


def _ids(doc: dict, key: str) -> set[str]:
    records = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(records, list):
        return set()
    return {r["id"] for r in records if isinstance(r, dict) and isinstance(r.get("id"), str)}


def _is_instant(value: Any) -> bool:
    try:
        timeutil.instant_minutes(value)
        return True
    except (ValueError, TypeError):  # NoOffsetError is a ValueError
        return False


def _window_problems(value: Any) -> list[str]:
    """What is wrong with a window [start, end] (empty if nothing), in the words of the scenario."""
    if value is None:
        return ["a window [start, end] of two instants (the field is required)"]
    if not isinstance(value, list) or len(value) != 2:
        return ["a window [start, end] of two instants"]
    if not all(_is_instant(v) for v in value):
        return [f"a window of two instants: {INSTANT_RULE}"]
    if timeutil.instant_minutes(value[0]) >= timeutil.instant_minutes(value[1]):
        return ["a window whose start lies before its end"]
    return []


# --- applying (after the whole file was checked) ----------------------------------------------

def _apply(doc: dict, item: dict) -> None:
    kind = item["kind"]
    if kind == "departure_added":
        doc.setdefault("departures", []).append(copy.deepcopy(item["departure"]))
        return
    if kind == "departure_cancelled":
        doc["departures"] = [d for d in doc["departures"] if not (isinstance(d, dict) and d.get("id") == item["departure"])]
        return
    fld, lists, _ = KINDS[kind]
    for key in lists:
        for record in doc.get(key) or []:
            if isinstance(record, dict) and record.get("id") == item[fld]:
                _change(kind, record, item)


def _change(kind: str, record: dict, item: dict) -> None:
    if kind == "flight_cancelled":
        record["cancelled"] = True
    elif kind == "reception_withdrawn":
        record["confirmed"] = False
    elif kind == "departure_blocked":
        if record.get("blocked") is None:
            record["blocked"] = []
        if isinstance(record["blocked"], list):  # anything else: parse_scenario names it
            record["blocked"].append(list(item["window"]))
    elif isinstance(record.get("available"), list):  # person_unavailable, vehicle_unavailable
        record["available"] = cut_windows(record["available"], item["window"])


def cut_windows(windows: list, gap: list) -> list:
    """``windows`` without the span ``gap``: a window around it is cut in two, one wholly inside
    it is dropped, one overlapping it is shortened. Untouched ends keep their own text, cut ends
    take the gap's; a window that cannot be read is left for parse_scenario to name."""
    gap_start, gap_end = (timeutil.instant_minutes(t) for t in gap)
    out = []
    for window in windows:
        try:
            start, end = (timeutil.instant_minutes(t) for t in window)
        except (ValueError, TypeError):
            out.append(window)
            continue
        if gap_end <= start or end <= gap_start:  # end-exclusive windows: touching is not overlapping
            out.append(window)
            continue
        if start < gap_start:
            out.append([window[0], gap[0]])
        if gap_end < end:
            out.append([gap[1], window[1]])
    return out


def summary(disruptions_doc: dict, shown: int = 5) -> list[str]:
    """One line per kind (in the order of KINDS), e.g. ``flight_cancelled: 2 (KL587, KL588)``."""
    by_kind: dict[str, list[str]] = {}
    for item in disruptions_doc.get("disruptions") or []:
        fld = KINDS[item["kind"]][0]
        target = item[fld]["id"] if item["kind"] == "departure_added" else item[fld]
        by_kind.setdefault(item["kind"], []).append(str(target))
    lines = []
    if "planning_time" in disruptions_doc:
        lines.append(f"planning_time: {disruptions_doc['planning_time']}")
    for kind in KINDS:
        ids = by_kind.get(kind)
        if ids:
            more = f", … {len(ids) - shown} more" if len(ids) > shown else ""
            lines.append(f"{kind}: {len(ids)} ({', '.join(ids[:shown])}{more})")
    return lines
