"""Disruptions recorded in the service: applied to the planning book, then a re-plan.

A disruption (the spec's ``vertrekplanner/disruptions@1``: a cancelled flight, a person or vehicle
unavailable, a withdrawn reception, a departure blocked, cancelled or added) is checked and
applied by the planner's own ``apply_disruptions`` to the unit's view of the book; what changed is
written back record by record, all at once or not at all. ``affected`` says which planned
departures, of every unit's published plan, use what the disruption touched: those a re-plan may
have to change.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from planner.disruptions import DISRUPTIONS_FORMAT, apply_disruptions
from planner.errors import Problem, ScenarioError

from . import audit, book
from .authz import CASE_KINDS, KINDS
from .models import AuditEntry, BookRecord, PlanVersion, ScenarioRow, utcnow

LABELS = {"flight_cancelled": "vlucht geannuleerd", "person_unavailable": "persoon niet beschikbaar",
          "vehicle_unavailable": "voertuig niet beschikbaar", "reception_withdrawn": "opvang trekt bevestiging in",
          "departure_blocked": "vertrek geblokkeerd", "departure_cancelled": "vertrek vervalt",
          "departure_added": "vertrek toegevoegd"}


@dataclass
class Affected:
    departure: str
    unit: str
    plan_id: int
    why: str

    def as_dict(self) -> dict:
        return {"departure": self.departure, "unit": self.unit, "plan_id": self.plan_id, "why": self.why}


@dataclass
class Recorded:
    changed: list[str] = field(default_factory=list)  # "kind/id" of every record written
    affected: list[Affected] = field(default_factory=list)
    planning_time: str | None = None


def single(item: dict, planning_time: str | None = None) -> dict:
    """One disruption as a disruptions document."""
    doc: dict = {"format": DISRUPTIONS_FORMAT, "disruptions": [item]}
    if planning_time:
        doc["planning_time"] = planning_time
    return doc


def affected(session: Session, items: list[dict]) -> list[Affected]:
    """Planned departures of every published plan that use what the disruptions touch."""
    out: list[Affected] = []
    plans = list(session.scalars(select(PlanVersion).where(PlanVersion.state == "published")))
    for plan in plans:
        for dep in plan.document.get("departures", []):
            if not dep.get("planned"):
                continue
            for item in items:
                why = _touches(dep, item)
                if why:
                    out.append(Affected(dep["id"], plan.unit, plan.id, why))
                    break
    return out


def _touches(dep: dict, item: dict) -> str | None:
    kind = item.get("kind")
    companions = dep.get("escorts", []) + dep.get("medics", [])
    if kind == "flight_cancelled":
        flight = item.get("flight")
        if flight in dep.get("flights", []):
            return f"vliegt {flight}"
        if any(flight in c.get("return_flights", []) for c in companions):
            return f"terugvlucht {flight} van de begeleiding"
    elif kind == "person_unavailable":
        person = item.get("person")
        if any(c["id"] == person for c in companions) and _overlaps(dep, item.get("window")):
            return f"{person} gaat mee"
    elif kind == "vehicle_unavailable":
        if (dep.get("pickup") or {}).get("vehicle") == item.get("vehicle") and _overlaps(dep, item.get("window")):
            return f"ophalen met {item.get('vehicle')}"
    elif kind == "reception_withdrawn":
        if (dep.get("handover") or {}).get("reception") == item.get("reception"):
            return f"overdracht aan {item.get('reception')}"
    elif kind in ("departure_blocked", "departure_cancelled") and dep["id"] == item.get("departure"):
        return LABELS[kind]
    return None


MISSION_SLACK = timedelta(days=4)  # a companion's return may end days after the handover


def _overlaps(dep: dict, window) -> bool:
    """Whether the departure's duties may fall in ``window`` (pickup to handover plus the way home)."""
    try:
        start, end = (datetime.fromisoformat(t) for t in window)
        pickup = datetime.fromisoformat(dep["pickup"]["time"])
        handover = datetime.fromisoformat(dep["handover"]["time"])
    except (KeyError, TypeError, ValueError):
        return True
    return pickup < end and handover + MISSION_SLACK > start


def recorded_for(session: Session, unit: str, limit: int = 100) -> list[AuditEntry]:
    """The disruptions a unit recorded, newest first."""
    ids = [str(i) for i in session.scalars(select(ScenarioRow.id).where(ScenarioRow.unit == unit))]
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "disruption.record",
                                                         AuditEntry.entity_id.in_(ids))
                                .order_by(AuditEntry.id.desc()).limit(limit)))


def record(session: Session, scenario_id: int, disruptions_doc: dict, actor: str) -> Recorded:
    """Apply the disruptions to the book in the caller's transaction; ScenarioError names every problem."""
    row = session.get(ScenarioRow, scenario_id)
    before = book.scenario_view(session, scenario_id)
    after = apply_disruptions(before, disruptions_doc)  # every problem of the file, or of the result
    old = {(k, str(i[book.id_field(k)])): i for k in KINDS for i in before.get(k) or []}
    new = {(k, str(i[book.id_field(k)])): i for k in KINDS for i in after.get(k) or []}
    added = [key for key in new if key not in old]
    taken = [key for key in added if book.record(session, *key) is not None]
    if taken:
        raise ScenarioError([Problem("disruptions", None, "departure.id", key[1],
                                     "a departure id not yet in the planning book (another unit uses it)")
                             for key in taken])
    book.bump(session)
    now = utcnow()
    recorded = Recorded(planning_time=disruptions_doc.get("planning_time"))
    for key, data in new.items():
        if key in old and old[key] != data:
            session.execute(update(BookRecord).where(BookRecord.kind == key[0], BookRecord.key == key[1])
                            .values(data=data, version=BookRecord.version + 1, updated_at=now, updated_by=actor))
            recorded.changed.append("/".join(key))
    for key in added:
        position = (session.scalar(select(func.max(BookRecord.position)).where(BookRecord.kind == key[0])) or 0) + 1
        session.add(BookRecord(kind=key[0], key=key[1], unit=row.unit if key[0] in CASE_KINDS else None,
                               position=position, data=new[key], version=1, updated_at=now, updated_by=actor))
        recorded.changed.append("/".join(key))
    for key in old:
        if key not in new:
            session.execute(delete(BookRecord).where(BookRecord.kind == key[0], BookRecord.key == key[1]))
            recorded.changed.append("/".join(key))
    items = disruptions_doc.get("disruptions") or []
    recorded.affected = affected(session, items)
    audit.record(session, actor, "disruption.record", "scenario", scenario_id,
                 kinds=[i.get("kind") for i in items], changed=recorded.changed,
                 affected=[a.departure for a in recorded.affected])
    return recorded
