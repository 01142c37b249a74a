"""What the review and the dashboard say about a plan made against another: its mode (a re-plan of
plan N, from scratch, a recommended fit), what it changes per departure and per person (the plan
document's ``changes``, planner/changes.py), and the unplanned departures with their Dutch reasons
and verified fixes. Nothing here knows HTML; templates/pages/_review.html and _unplanned.html print it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..models import PlanVersion

STATUS_LABELS = {"added": "nieuw gepland", "removed": "vervalt", "changed": "gewijzigd"}
KIND_LABELS = {"escort": "escort", "medic": "medicus", "vehicle": "voertuig"}


@dataclass
class Unplanned:
    id: str
    reasons: list[str]
    fixes: list[str]


@dataclass
class Review:
    mode: str | None  # replan | scratch | recommend | None (a plan stored before modes were kept)
    mode_text: str
    against: int | None
    changes: dict | None  # {"departures": [...], "people": [...], "unchanged": bool} or None
    unplanned: list[Unplanned] = field(default_factory=list)
    unplanned_total: int = 0


def fix_text(fix) -> str:
    """A fix's Dutch description (the spec's ``description.nl``, the planner's ``what_nl``)."""
    if not isinstance(fix, dict):
        return str(fix)
    description = fix.get("description")
    if isinstance(description, dict) and description.get("nl"):
        return str(description["nl"])
    return str(fix.get("what_nl") or fix.get("what") or "")


def unplanned(plan: PlanVersion | None, limit: int | None = None) -> tuple[list[Unplanned], int]:
    """The plan's unplanned departures (at most ``limit``) with reasons and fixes; and how many there are."""
    if plan is None:
        return [], 0
    entries = [e for e in plan.document.get("departures", []) if not e.get("planned")]
    shown = entries if limit is None else entries[:limit]
    return [Unplanned(e["id"], list(e.get("reasons_nl") or e.get("reasons") or []),
                      [t for t in (fix_text(f) for f in e.get("fixes") or []) if t]) for e in shown], len(entries)


def _without_id(text: str, key: str) -> str:
    return text[len(key) + 2:] if text.startswith(f"{key}: ") else text


def review(plan: PlanVersion, names: dict[str, str] | None = None, limit: int = 200) -> Review:
    """The review's account of how ``plan`` came about and what it changes."""
    summary = plan.summary or {}
    doc = plan.document
    mode = summary.get("mode") or ("replan" if doc.get("changes") is not None else None)
    against = summary.get("against")
    if mode == "replan":
        text = (f"Herplanning van plan {against}: zo min mogelijk wijzigingen; vertrekken die al onderweg waren "
                f"zijn gebleven zoals ze waren." if against else "Herplanning.")
    elif mode == "scratch":
        text = "Vanaf nul gepland: elk vertrek mocht verschuiven, los van een eerder gepubliceerd plan."
    elif mode == "recommend":
        added = ", ".join(summary.get("added") or [])
        text = (f"Aanbeveling: voegt {added or 'een vertrek'} toe aan plan {against} zonder iets anders te "
                f"verplaatsen." if against else f"Aanbeveling: voegt {added or 'een vertrek'} toe.")
    else:
        text = ""
    changes = None
    raw = doc.get("changes")
    if isinstance(raw, dict):
        names = names or {}
        departures = [{"id": d["id"], "status": STATUS_LABELS.get(d.get("status"), d.get("status", "")),
                       "text": _without_id(d.get("nl") or "", d["id"])} for d in raw.get("departures") or []]
        people = [{"id": p["id"], "kind": KIND_LABELS.get(p.get("kind"), p.get("kind", "")),
                   "name": names.get(p["id"], ""), "text": _without_id(p.get("nl") or "", p["id"])}
                  for p in raw.get("people") or []]
        changes = {"departures": departures[:limit], "people": people[:limit],
                   "departures_total": len(departures), "people_total": len(people),
                   "unchanged": bool(raw.get("unchanged")) or not (departures or people)}
    rows, total = unplanned(plan, limit)
    return Review(mode, text, against, changes, rows, total)


def review_for(session, plan: PlanVersion, row) -> Review:
    """``review`` with the people's names from the unit's view of the book (the parsed view is cached)."""
    names: dict[str, str] = {}
    if (plan.document.get("changes") or {}).get("people"):
        from planner.errors import ScenarioError

        from . import data

        try:
            sc = data.scenario(session, row)
        except ScenarioError:  # the book may no longer validate as it did: ids are enough then
            sc = None
        if sc is not None:
            names = {pid: c.name for group in (sc.escorts, sc.medics) for pid, c in group.items()}
    return review(plan, names)
