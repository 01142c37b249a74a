"""What the pages read: parsed scenarios (cached per version), the plan to show, departure rows.

Nothing here knows HTML; the templates only print what these functions return.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import timeutil
from planner.outputs import derive
from planner.scenario import Scenario, parse_scenario

from .. import book
from ..models import BookRecord, PlanVersion, ScenarioRow
from ..publishing import published_plan
from ..scenarios import assemble

PAGE_SIZE = 100  # departures per page: the eu scenario has 1,400 of them

STATE_LABELS = {"draft": "concept", "published": "gepubliceerd", "superseded": "vervangen"}
SOLVER_STATUS = {"OPTIMAL": "optimaal (bewezen)", "FEASIBLE": "geldig plan, niet bewezen optimaal",
                 "GREEDY": "snel eerste plan (niet geoptimaliseerd)"}
RISK_LABELS = {"none": "geen", "low": "laag", "medium": "midden", "high": "hoog"}
SEX_LABELS = {"M": "man", "F": "vrouw", "X": "onbekend"}
VEHICLE_LABELS = {"van": "busje", "ambulance": "ambulance", "car": "auto", "bus": "bus"}
PAST_PICKUP = "Ophalen ligt in het verleden"


class _ScenarioCache:
    """Parsed scenarios by (database, id, book revision): parsing the eu scenario takes most of a second.

    The book's revision rises on every write, so an entry never goes stale; the creation stamp
    guards against a database emptied and refilled under the same ids (tests on PostgreSQL).
    """

    def __init__(self, size: int = 4):
        self.size = size
        self.items: OrderedDict[tuple, Scenario] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, session: Session, row: ScenarioRow) -> Scenario:
        key = (str(session.get_bind().url), row.id, book.revision(session), row.created_at.isoformat())
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        sc = parse_scenario(assemble(session, row.id))
        with self.lock:
            self.items[key] = sc
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return sc


scenarios = _ScenarioCache()


def scenario(session: Session, row: ScenarioRow) -> Scenario:
    return scenarios.get(session, row)


def shown_plan(session: Session, scenario_id: int) -> PlanVersion | None:
    """The plan a dashboard shows: the unit's published one if any, else the import's newest draft."""
    row = session.get(ScenarioRow, scenario_id)
    plan = published_plan(session, row.unit)
    if plan is not None:
        return plan
    return session.scalar(select(PlanVersion).where(PlanVersion.scenario_id == row.id, PlanVersion.state == "draft")
                          .order_by(PlanVersion.id.desc()).limit(1))


def plans_of(session: Session, scenario_id: int, limit: int = 20) -> list[PlanVersion]:
    return list(session.scalars(select(PlanVersion).where(PlanVersion.scenario_id == scenario_id)
                                .order_by(PlanVersion.id.desc()).limit(limit)))


def when_text(iso: str | None) -> str:
    """An instant of the plan document as read on the clock of its own place: 'wo 3 dec 2026 06:35'."""
    if not iso:
        return "—"
    dt = timeutil.parse_instant(iso)
    return (f"{derive._WEEKDAYS['nl'][dt.weekday()]} {dt.day} {derive._MONTHS['nl'][dt.month - 1]} {dt.year} "
            f"{dt:%H:%M}")


@dataclass
class DepartureRow:
    id: str
    kind: str
    priority: int
    country: str
    status: str  # gepland | concept | niet gepland | geen plan
    css: str
    pickup: str = ""
    reasons: list[str] = field(default_factory=list)
    past: bool = False  # planned, but its pickup lies before now or before the planning time


def status_of(entry: dict | None, plan: PlanVersion | None) -> tuple[str, str]:
    """(label, css class) of one departure in the plan shown."""
    if plan is None or entry is None:
        return "geen plan", "none"
    if not entry.get("planned"):
        return "niet gepland", "unplanned"
    return ("gepland", "planned") if plan.state == "published" else ("concept", "draft")


def plan_entries(plan: PlanVersion | None) -> dict[str, dict]:
    return {e["id"]: e for e in (plan.document.get("departures", []) if plan else [])}


@dataclass
class DepartureList:
    rows: list[DepartureRow]
    page: int
    pages: int
    total: int
    counts: dict[str, int]


STATUS_FILTERS = {"gepland": True, "niet-gepland": False}


def departure_list(session: Session, scenario_id: int, plan: PlanVersion | None, page: int = 1,
                   status: str | None = None, now: datetime | None = None) -> DepartureList:
    """One page of the unit's departures in the book's order, with their status in ``plan``
    (and, given ``now``, which planned pickups lie in the past: ``pickup_in_past``)."""
    row = session.get(ScenarioRow, scenario_id)
    entries = plan_entries(plan)
    limit = past_limit(session, plan, now) if now is not None and plan is not None else None
    planned_ids = {k for k, e in entries.items() if e.get("planned")}
    counts = {"gepland": len(planned_ids), "niet gepland": len(entries) - len(planned_ids)}
    where = (BookRecord.kind == "departures", BookRecord.unit == row.unit, BookRecord.purged_at.is_(None))
    # Keys only for the whole list (cheap even for 1,400), whole records only for the page shown.
    keys = list(session.scalars(select(BookRecord.key).where(*where).order_by(BookRecord.position)))
    counts["totaal"] = len(keys)
    if status in STATUS_FILTERS and plan is not None:
        keys = [k for k in keys if (k in planned_ids) == STATUS_FILTERS[status]]
    total = len(keys)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = keys[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    data_of = dict(session.execute(select(BookRecord.key, BookRecord.data).where(*where, BookRecord.key.in_(shown)))
                   .all())
    records = [(k, data_of[k]) for k in shown]
    rows = []
    for key, data in records:
        entry = entries.get(key)
        label, css = status_of(entry, plan)
        rows.append(DepartureRow(
            id=key, kind=derive.DEPARTURE_KIND.get(data.get("kind"), str(data.get("kind"))),
            priority=data.get("priority", 0), country=data.get("destination_country", ""), status=label, css=css,
            pickup=when_text((entry or {}).get("pickup", {}).get("time")) if entry and entry.get("planned") else "",
            reasons=list((entry or {}).get("reasons_nl") or (entry or {}).get("reasons") or []),
            past=limit is not None and pickup_in_past(entry, limit)))
    return DepartureList(rows, page, pages, total, counts)


# --- Pickups in the past --------------------------------------------------------------------------

def planning_time_of(session: Session, plan: PlanVersion) -> datetime | None:
    """The planning time a plan was made for: the header it was solved with, else its import's."""
    text = ((plan.summary or {}).get("header") or {}).get("planning_time")
    if not text:
        row = session.get(ScenarioRow, plan.scenario_id)
        text = (row.header or {}).get("planning_time") if row is not None else None
    try:
        return timeutil.parse_instant(text) if text else None
    except ValueError:
        return None


def past_limit(session: Session, plan: PlanVersion, now: datetime) -> datetime:
    """A pickup before this instant lies in the past: now, or the plan's planning time if that is later."""
    planning_time = planning_time_of(session, plan)
    return max(now, planning_time) if planning_time is not None else now


def pickup_in_past(entry: dict | None, limit: datetime) -> bool:
    """A planned departure whose pickup lies before ``limit`` (see ``past_limit``)."""
    if not entry or not entry.get("planned"):
        return False
    text = (entry.get("pickup") or {}).get("time")
    try:
        return bool(text) and timeutil.parse_instant(text) < limit
    except ValueError:
        return False


def past_pickups(session: Session, plan: PlanVersion | None, now: datetime) -> list[str]:
    """The ids of the plan's planned departures whose pickup lies in the past."""
    if plan is None:
        return []
    limit = past_limit(session, plan, now)
    return [e["id"] for e in plan.document.get("departures", []) if pickup_in_past(e, limit)]


# --- Names instead of codes -------------------------------------------------------------------------

def vehicle_text(vehicle) -> str:
    """'busje, 8 zitplaatsen, brancard' for a scenario vehicle."""
    parts = [VEHICLE_LABELS.get(vehicle.kind, vehicle.kind), f"{vehicle.seats} zitplaatsen"]
    if vehicle.stretcher:
        parts.append("brancard")
    return ", ".join(parts)


def departure_names(sc: Scenario, dep: dict, vehicle_id: str | None = None) -> dict[str, str]:
    """What the departure page prints beside the codes: the reception's name and city, the pickup
    location's name, the vehicle's description. A code the scenario does not know gives ''."""
    names = {"reception": "", "location": "", "vehicle": ""}
    rec = sc.reception.get(dep.get("reception") or "")
    if rec is not None:
        city = derive.airport_city(sc, rec.airport)
        names["reception"] = f"{rec.name}, {city}" if city and city.casefold() not in rec.name.casefold() else rec.name
    loc = sc.locations.get((dep.get("pickup") or {}).get("location") or "")
    if loc is not None:
        names["location"] = loc.name
    vehicle = sc.vehicles.get(vehicle_id or "")
    if vehicle is not None:
        names["vehicle"] = vehicle_text(vehicle)
    return names


# --- Plan summary and diff -------------------------------------------------------------------

OBJECTIVE_LABELS = {
    "planned_priority": "Geplande prioriteit (som)",
    "waiting_hours": "Wachturen × prioriteit",
    "cost_eur": "Kosten (€)",
    "care_hours": "Reistijd medische vertrekken (uur)",
    "max_escort_missions": "Meeste missies voor één escort",
}


def objective_rows(objective: dict | None, bound: dict | None = None) -> list[tuple[str, str, str]]:
    """(label, value, bound) for each objective level, in the spec's order."""
    objective, bound = objective or {}, bound or {}
    keys = [k for k in OBJECTIVE_LABELS if k in objective] + [k for k in objective if k not in OBJECTIVE_LABELS]
    return [(OBJECTIVE_LABELS.get(k, k), _number(objective.get(k)), _number(bound.get(k))) for k in keys]


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return f"{int(value):,}".replace(",", " ")


def seconds_text(value) -> str:
    return "—" if value is None else f"{float(value):.1f} s".replace(".", ",")


def gap_text(gap) -> str:
    return "—" if gap is None else f"{100 * float(gap):.2f} %".replace(".", ",")


@dataclass
class DiffRow:
    id: str
    what: list[str]  # Dutch lines: "vluchten: KL587 → KL589"


@dataclass
class PlanDiff:
    against: int | None  # the published plan's id; None: nothing published yet
    added: list[DiffRow]
    removed: list[DiffRow]
    changed: list[DiffRow]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _shown(field: str, value) -> str:
    if field in ("ophaaltijd", "overdracht"):
        return when_text(value)
    if field == "terugvluchten":
        return "; ".join(f"{who}: {', '.join(flights) or '—'}" for who, flights in value) or "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def plan_diff(session: Session, plan: PlanVersion) -> PlanDiff:
    """This plan against the scenario's published plan, as the publishing service reads the change.

    For the published plan itself: against the plan it replaced, so its page still says what
    its publication changed.
    """
    from ..publishing import diff_plans

    against = published_plan(session, plan.unit)
    if against is not None and against.id == plan.id:
        against = session.scalar(select(PlanVersion).where(PlanVersion.unit == plan.unit,
                                                           PlanVersion.state == "superseded",
                                                           PlanVersion.id < plan.id)
                                 .order_by(PlanVersion.id.desc()).limit(1))
    new = plan.document
    entries = plan_entries(plan)
    added, removed, changed = [], [], []
    for change in diff_plans(against.document if against else None, new):
        entry = entries.get(change["id"], {})
        if change["change"] == "gepland":
            added.append(DiffRow(change["id"], [f"vluchten: {_shown('vluchten', entry.get('flights') or [])}",
                                                f"ophalen: {when_text(entry['pickup'].get('time'))}"]))
        elif change["change"] == "niet meer gepland":
            removed.append(DiffRow(change["id"], list(entry.get("reasons_nl") or entry.get("reasons") or [])
                                   or ["niet meer in het plan"]))
        else:
            changed.append(DiffRow(change["id"], [
                f"{name}: {_shown(name, change['before'][name])} → {_shown(name, change['after'][name])}"
                for name in change["fields"]]))
    return PlanDiff(against.id if against else None, added, removed, changed)
