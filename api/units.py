"""The planning units' contact blocks for the documents the service renders (handover letters and
itineraries): organisation, unit, telephone, e-mail, signatory (planner/contact.py).

They are kept in one file, ``UNIT_CONTACTS`` (default ``<data folder>/planning-units.json``), a JSON
object of unit -> block, read again when it changes. A unit without a block falls back to the
scenario's own ``planning_unit`` block, and without that the documents say the details are missing.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from planner.contact import PlanningUnit

from .settings import Settings

_lock = threading.Lock()
_cache: dict[Path, tuple[float, dict[str, PlanningUnit]]] = {}


def contacts_path(settings: Settings) -> Path:
    return Path(settings.unit_contacts) if settings.unit_contacts else Path(settings.data_dir) / "planning-units.json"


def _blocks(path: Path) -> dict[str, PlanningUnit]:
    try:
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        return {}
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a JSON object of planning unit -> contact block")
    blocks = {str(unit): PlanningUnit.from_mapping(block, f"{path.name}[{unit}]") for unit, block in raw.items()}
    with _lock:
        _cache[path] = (stamp, blocks)
    return blocks


def contact_for(settings: Settings, unit: str, sc) -> PlanningUnit:
    """The unit's block from the file; else the scenario's ``planning_unit``; else none."""
    return _blocks(contacts_path(settings)).get(unit) or PlanningUnit.from_scenario(sc)


def write_demo_block(settings: Settings, unit: str, block: dict) -> None:
    """Add ``unit``'s block to the file when it has none (the demo shows a filled-in letter)."""
    path = contacts_path(settings)
    current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if unit not in current:
        current[unit] = block
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(current, ensure_ascii=False, indent=2), encoding="utf-8")
