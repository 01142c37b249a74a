"""Publishing a draft plan: one transaction that supersedes the published plan, brings every
person's calendar events up to date (stable UIDs, SEQUENCE raised on change), rebuilds the
feeds of everyone affected and queues their iTIP invites; the invites are sent after commit.

A publication is refused if the plan breaks a rule against the scenario as it stands now (it may
have been edited since the solve), so nothing published ever fails the checker.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from planner.checker import check_plan
from planner.plan import unlisted
from planner.outputs import derive
from planner.scenario import Scenario, parse_scenario

from . import audit, book, owners, retention
from .calendars import itip
from .calendars.events import CONFIRMED, StoredEvent, reconcile
from .calendars.feed import etag, render_feed
from .db import Database
from .models import CalendarEvent, Contact, Feed, OutboxMail, PlanVersion, ScenarioRow, User, utcnow
from .settings import Settings


class PublishRefused(Exception):
    def __init__(self, message: str, violations: list[str] | None = None):
        super().__init__(message)
        self.violations = violations or []


@dataclass
class Published:
    plan_id: int
    superseded: int | None
    events: dict[str, int]
    mails_queued: int
    people: int
    delivered: dict[str, int] = field(default_factory=dict)


owner_key = owners.from_planner  # the planner's "regievoerder" calendar is the unit's own in the service


def owner_name(sc: Scenario | None, owner: str) -> str:
    """How a calendar's owner is named in its calendar and addressed in an invite."""
    kind, oid = owners.parse_owner(owner)
    if kind == "escort" and sc and oid in sc.escorts:
        return sc.escorts[oid].name
    if kind == "medic" and sc and oid in sc.medics:
        return sc.medics[oid].name
    if kind == "vehicle":
        return f"voertuig {oid}"
    if kind == "regie":
        return f"regie {oid} (taken)"
    return oid


def calendar_name(sc: Scenario | None, owner: str) -> str:
    return f"Vertrekplanner — {owner_name(sc, owner)}"


def stored_event(row: CalendarEvent) -> StoredEvent:
    return StoredEvent(uid=row.uid, owner=row.owner, key=row.key, sequence=row.sequence, status=row.status,
                       start=row.start.astimezone(ZoneInfo(row.tzid)), end=row.end.astimezone(ZoneInfo(row.end_tzid)),
                       summary=row.summary, location=row.location, description=row.description, busy=row.busy)


def _zone(dt: datetime) -> str:
    return getattr(dt.tzinfo, "key", None) or "UTC"


def diff_plans(old: dict | None, new: dict) -> list[dict]:
    """Per departure what a publication changes: planned/unplanned, flights, times, team, vehicle."""
    before = {d["id"]: d for d in (old or {}).get("departures", [])}
    out = []
    for dep in new["departures"]:
        prev = before.get(dep["id"])
        if prev is None or prev["planned"] != dep["planned"]:
            if dep["planned"] or prev is not None:
                change = "gepland" if dep["planned"] else "niet meer gepland"
                out.append({"id": dep["id"], "change": change, "fields": []})
            continue
        if not dep["planned"]:
            continue
        fields = [name for name, get in _FIELDS if get(prev) != get(dep)]
        if fields:
            out.append({"id": dep["id"], "change": "gewijzigd", "fields": fields,
                        "before": {n: g(prev) for n, g in _FIELDS if n in fields},
                        "after": {n: g(dep) for n, g in _FIELDS if n in fields}})
    return out


_FIELDS = (
    ("vluchten", lambda d: d["flights"]),
    ("ophaaltijd", lambda d: d["pickup"]["time"]),
    ("voertuig", lambda d: d["pickup"]["vehicle"]),
    ("escorts", lambda d: sorted(e["id"] for e in d["escorts"])),
    ("medici", lambda d: sorted(m["id"] for m in d["medics"])),
    ("terugvluchten", lambda d: sorted((c["id"], c["return_flights"]) for c in d["escorts"] + d["medics"])),
    ("overdracht", lambda d: d["handover"]["time"]),
)


def published_plan(session: Session, unit: str) -> PlanVersion | None:
    """The unit's published plan: a unit has one at a time, whichever import it was solved from."""
    return session.scalar(select(PlanVersion).where(PlanVersion.unit == unit, PlanVersion.state == "published"))


def other_published(session: Session, unit: str) -> list[PlanVersion]:
    """The published plans of every other unit: their seats, missions and vehicles are taken."""
    return list(session.scalars(select(PlanVersion).where(PlanVersion.unit != unit, PlanVersion.state == "published")
                                .order_by(PlanVersion.unit)))


def earlier_of(session: Session, plan: PlanVersion) -> dict | None:
    """The plan a re-plan was made against (its underway departures were kept as they were)."""
    against = (plan.summary or {}).get("against")
    earlier = session.get(PlanVersion, against) if against else None
    return earlier.document if earlier is not None else None


def plan_scenario(session: Session, plan: PlanVersion) -> Scenario:
    """The unit's view of the book as it is now, with the planning time and horizon the plan was
    solved with (a job may choose others than its import's)."""
    return parse_scenario(book.scenario_view(session, plan.scenario_id, header=(plan.summary or {}).get("header")))


def as_of_now(sc: Scenario, document: dict) -> dict:
    """The plan against the book as it is now: departures added since are listed as not planned, and
    unplanned entries of departures removed since are dropped (a planned one stays, to be refused)."""
    kept = [d for d in document.get("departures", []) if d.get("planned") or d.get("id") in sc.departures]
    added = unlisted(sc, document)
    if not added and len(kept) == len(document.get("departures", [])):
        return document
    return {**document, "departures": kept + added}


def verdict(session: Session, plan: PlanVersion, sc: Scenario | None = None) -> list[str]:
    """The one verdict on a plan: the checker against its unit's view of the book as it is now (it
    may have changed since the solve), with the plan it re-planned as the earlier plan. ``sc``: that
    view already parsed (the pages keep it cached)."""
    sc = sc or plan_scenario(session, plan)
    return [str(v) for v in check_plan(sc, as_of_now(sc, plan.document), earlier_of(session, plan))]


def recipients(session: Session, keys: set[str]) -> dict[str, str]:
    """owner -> e-mail: a contact entry first, else the address of the person's own account."""
    found = {u.owner: u.email for u in session.scalars(select(User).where(User.owner.in_(keys), User.active,
                                                                          User.email.is_not(None)))}
    found.update({c.owner: c.email for c in session.scalars(select(Contact).where(Contact.owner.in_(keys)))})
    return found


def plan_owners(document: dict) -> set[str]:
    """Everyone with a duty in a plan: the escorts, medics and vehicles of its planned departures."""
    found: set[str] = set()
    for dep in document.get("departures", []):
        if dep.get("planned"):
            found.update(owners.owner_of("escort", e["id"]) for e in dep.get("escorts", []))
            found.update(owners.owner_of("medic", m["id"]) for m in dep.get("medics", []))
            if (dep.get("pickup") or {}).get("vehicle"):
                found.add(owners.owner_of("vehicle", dep["pickup"]["vehicle"]))
    return found


def without_address(session: Session, document: dict) -> list[str]:
    """Who in a plan has no e-mail address on file: publishing reaches them through their feed only,
    so the regievoerder must tell them another way (or have an address added first)."""
    keys = plan_owners(document)
    return sorted(keys - set(recipients(session, keys)))


def organizer(settings: Settings) -> tuple[str, str]:
    return (settings.mail_from_name, settings.mail_from_address)


def publish(db: Database, plan_id: int, actor: str, settings: Settings) -> Published:
    with db.transaction() as session:
        outcome = _publish_in(session, plan_id, actor, settings)
    outcome.delivered = deliver_outbox(db, settings, plan_id=plan_id)
    return outcome


def _publish_in(session: Session, plan_id: int, actor: str, settings: Settings) -> Published:
    plan = session.get(PlanVersion, plan_id)
    if plan is None:
        raise KeyError(plan_id)
    # Take the book's write lock first (a row lock on PostgreSQL, the database lock on SQLite), so
    # publications and book writes of every unit run one after the other, never interleaved.
    book.lock(session)
    session.refresh(plan)
    if plan.state != "draft":
        from .web.data import STATE_LABELS  # the Dutch word for the state, as the pages show it

        raise PublishRefused(f"Plan {plan_id} is geen concept meer (het is {STATE_LABELS.get(plan.state, plan.state)})")
    sc = plan_scenario(session, plan)
    plan.document = as_of_now(sc, plan.document)
    violations = [str(v) for v in check_plan(sc, plan.document, earlier_of(session, plan))]
    if violations:
        raise PublishRefused(f"Het plan breekt {len(violations)} regel(s) tegen het scenario zoals het nu is", violations)
    conflicts = book_conflicts(session, plan)
    if conflicts:
        raise PublishRefused(f"Het plan botst met {len(conflicts)} toezegging(en) in gepubliceerde plannen van "
                             "andere eenheden", conflicts)

    previous = published_plan(session, plan.unit)
    if previous is not None:
        previous.state = "superseded"
    plan.state = "published"
    retention.record_handovers(session, plan.document)
    plan.published_at = utcnow()
    plan.published_by = actor
    plan.version += 1
    session.flush()

    fresh = derive.plan_events(sc, derive.planned_views(sc, plan.document))
    fresh = [_with_owner(ev, owner_key(ev.owner, plan.unit)) for ev in fresh]
    # The unit's events, whichever of its imports published them: one schedule per person.
    rows = {r.key: r for r in session.scalars(select(CalendarEvent).where(CalendarEvent.unit == plan.unit))}
    # An event that is over is history: a plan without it (its departure handed over and purged, say)
    # neither cancels nor changes it.
    fresh_keys, now = {ev.key for ev in fresh}, utcnow()
    changes = reconcile({k: stored_event(r) for k, r in rows.items() if k in fresh_keys or r.end >= now}, fresh)
    for ev in changes.created + changes.updated + changes.reconfirmed + changes.cancelled:
        row = rows.get(ev.key)
        if row is None:
            row = CalendarEvent(unit=plan.unit, scenario_id=plan.scenario_id, key=ev.key, uid=ev.uid)
            session.add(row)
        row.owner, row.sequence, row.status = ev.owner, ev.sequence, ev.status
        row.start, row.end, row.tzid, row.end_tzid = ev.start, ev.end, _zone(ev.start), _zone(ev.end)
        row.summary, row.location, row.description, row.busy = ev.summary, ev.location, ev.description, ev.busy
        row.plan_id, row.updated_at, row.scenario_id = plan.id, utcnow(), plan.scenario_id
    session.flush()

    outgoing = changes.outgoing()
    affected = {ev.owner for _, ev in outgoing}
    stamp = plan.published_at
    for owner in affected:
        rebuild_feed(session, owner, sc, stamp)
    addresses = recipients(session, affected)
    queued = 0
    for method, ev in outgoing:
        email = addresses.get(ev.owner)
        if not email:
            continue  # no address on file: the feed still carries it; the review lists who has none
        msg = itip.message(method, ev, organizer(settings), (owner_name(sc, ev.owner), email), stamp)
        # Stored as it goes over the wire, so delivery (now or a retry later) sends these bytes as they are.
        session.add(OutboxMail(plan_id=plan.id, owner=ev.owner, recipient=email, uid=ev.uid, method=method,
                               sequence=ev.sequence, message=itip.wire_bytes(msg)))
        queued += 1
    counts = {"created": len(changes.created), "updated": len(changes.updated),
              "reconfirmed": len(changes.reconfirmed), "cancelled": len(changes.cancelled),
              "unchanged": len(changes.unchanged)}
    audit.record(session, actor, "plan.publish", "plan", plan.id, scenario=plan.scenario_id,
                 superseded=previous.id if previous else None, events=counts, mails=queued, people=len(affected))
    return Published(plan.id, previous.id if previous else None, counts, queued, len(affected))


def book_conflicts(session: Session, plan: PlanVersion) -> list[str]:
    """What publishing ``plan`` beside every other unit's published plan would break: the checker over
    the whole book, less what those plans already break among themselves; each conflict names the
    other unit's departure that holds the seat, person or vehicle."""
    others = other_published(session, plan.unit)
    if not others:
        return []
    plans = others + [plan]
    headers = [session.get(ScenarioRow, p.scenario_id).header for p in plans]
    header = dict(session.get(ScenarioRow, plan.scenario_id).header)
    # Wide enough for every plan: the earliest planning time, the union of the horizons.
    header["planning_time"] = min((h["planning_time"] for h in headers), key=_instant)
    header["horizon"] = [min((h["horizon"][0] for h in headers), key=_instant),
                         max((h["horizon"][1] for h in headers), key=_instant)]
    units = [p.unit for p in plans]
    sc = parse_scenario(book.view(session, header, units))

    def merged(which: list[PlanVersion]) -> dict:
        listed = {d["id"]: d for p in which for d in p.document.get("departures", []) if d["id"] in sc.departures}
        return {"format": plan.document.get("format"), "scenario": sc.name,
                "departures": [listed.get(did) or {"id": did, "planned": False, "reasons": ["not in this check"]}
                               for did in sc.departures]}

    before = {str(v) for v in check_plan(sc, merged(others))}
    mine = {d["id"] for d in plan.document.get("departures", [])}
    holders = _holders(others)
    out = []
    for v in check_plan(sc, merged(plans)):
        if str(v) in before or (v.rule == 0 and v.departure not in mine):
            continue
        held = sorted(holders.get(v.resource or "", set()) - mine)
        out.append(f"{v}" + (f" — gehouden door {', '.join(held[:5])}" if held else ""))
    return out


def _holders(plans: list[PlanVersion]) -> dict[str, set[str]]:
    """resource id (person, vehicle, flight) -> "departure (unit)" entries of published plans using it."""
    out: dict[str, set[str]] = {}
    for p in plans:
        for d in p.document.get("departures", []):
            if not d.get("planned"):
                continue
            label = f"{d['id']} (eenheid {p.unit}, plan {p.id})"
            used = [c["id"] for c in d.get("escorts", []) + d.get("medics", [])]
            used += list(d.get("flights", [])) + [f for c in d.get("escorts", []) + d.get("medics", [])
                                                  for f in c.get("return_flights", [])]
            used.append((d.get("pickup") or {}).get("vehicle") or "")
            for r in used:
                out.setdefault(r, set()).add(label)
    return out


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _with_owner(ev, owner: str):
    from dataclasses import replace
    return replace(ev, owner=owner) if ev.owner != owner else ev


def rebuild_feed(session: Session, owner: str, sc: Scenario | None, stamp: datetime) -> Feed:
    """A person's whole feed: their confirmed events of every scenario, rendered once and kept."""
    events = [stored_event(r) for r in session.scalars(
        select(CalendarEvent).where(CalendarEvent.owner == owner, CalendarEvent.status == CONFIRMED))]
    body = render_feed(calendar_name(sc, owner), events, stamp)
    feed = session.get(Feed, owner)
    if feed is None:
        feed = Feed(owner=owner, body=body, etag=etag(body), updated_at=stamp)
        session.add(feed)
    else:
        feed.body, feed.etag, feed.updated_at = body, etag(body), stamp
    return feed


def smtp_settings(settings: Settings) -> itip.SmtpSettings | None:
    if not settings.smtp_host:
        return None
    return itip.SmtpSettings(host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
                             username=settings.smtp_username, password=settings.smtp_password,
                             sender_name=settings.mail_from_name, sender_address=settings.mail_from_address,
                             helo_name="vertrekplanner.local")


MAX_ATTEMPTS = 5


def deliver_outbox(db: Database, settings: Settings, plan_id: int | None = None, limit: int = 50_000) -> dict[str, int]:
    """Send queued invites (all, or one publication's) as stored; failures stay queued with the error."""
    smtp = smtp_settings(settings)
    if smtp is None:
        return {"sent": 0, "failed": 0, "pending": _pending_count(db, plan_id)}
    with db.sessions() as session:
        query = select(OutboxMail).where(OutboxMail.sent_at.is_(None), OutboxMail.attempts < MAX_ATTEMPTS)
        if plan_id is not None:
            query = query.where(OutboxMail.plan_id == plan_id)
        pending = list(session.scalars(query.order_by(OutboxMail.id).limit(limit)))
    if not pending:
        return {"sent": 0, "failed": 0, "pending": 0}
    sender = settings.mail_from_address
    results = itip.send(smtp, [itip.Outgoing(None, sender, (m.recipient,), m.message) for m in pending])
    now = utcnow()
    delivered = [mail.id for mail, result in zip(pending, results) if result.ok]
    failed = 0
    with db.transaction() as session:
        for start in range(0, len(delivered), 500):  # one UPDATE per 500 sent, not one per mail
            session.execute(update(OutboxMail).where(OutboxMail.id.in_(delivered[start:start + 500]))
                            .values(attempts=OutboxMail.attempts + 1, sent_at=now))
        for mail, result in zip(pending, results):
            if not result.ok:
                failed += 1
                session.execute(update(OutboxMail).where(OutboxMail.id == mail.id)
                                .values(attempts=OutboxMail.attempts + 1, error=(result.error or "")[:2000]))
    return {"sent": len(delivered), "failed": failed, "pending": failed}


def _pending_count(db: Database, plan_id: int | None) -> int:
    from sqlalchemy import func
    with db.sessions() as session:
        query = select(func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None))
        if plan_id is not None:
            query = query.where(OutboxMail.plan_id == plan_id)
        return session.scalar(query) or 0


