"""The service's tables (SQLAlchemy 2). Alembic migrations in api/migrations create them.

The planning book holds one row per entity (departure, escort, flight, ...) with that entity's
JSON exactly as the interchange format has it, each with its own version for optimistic
concurrency; an import (``ScenarioRow``) keeps the header it came with. The planner reads a
scenario document assembled from them (api/book.py).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, Boolean, event, select, DateTime, ForeignKey, Integer, LargeBinary, String, Text,
                        TypeDecorator, UniqueConstraint, Index)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonDoc = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """Instants stored in UTC and read back as aware datetimes on every backend (SQLite drops offsets)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored instant needs an offset")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # regievoerder | planner-admin | escort | medic | driver | inspector
    unit: Mapped[str | None] = mapped_column(String(80))  # a regievoerder's planning unit
    owner: Mapped[str | None] = mapped_column(String(120))  # calendar owner of escort/medic/driver: "escort:KMAR-017"
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LoginSession(Base):
    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ScenarioRow(Base):
    """An import into the planning book: who brought which file for which unit, and the header it
    carried (planning time, horizon, parameters). A solve of it plans the unit's departures over the
    whole book, with this header unless the job chooses another planning time or horizon."""
    __tablename__ = "scenarios"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    header: Mapped[dict] = mapped_column(JsonDoc)  # format, name, planning_time, horizon, parameters
    version: Mapped[int] = mapped_column(Integer, default=1)  # unused since the book (see BookState.revision)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(200), default="")  # uploaded file name
    changes: Mapped[dict] = mapped_column(JsonDoc, default=dict)  # what the import added, changed and removed


class BookState(Base):
    """The planning book's one row: its revision, raised by every write to the book. Writers update
    it first, so book writes and publications are serialised (a row lock on PostgreSQL)."""
    __tablename__ = "book_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class BookRecord(Base):
    """One entity of the organisation's planning book, in the interchange format's JSON exactly.

    Escorts, medics, vehicles, locations, receptions, airlines, airports and flights are the
    organisation's: one row per id, whichever unit imported or edited it. A departure belongs to
    the unit that imported it (``unit``); its id is unique across the organisation."""
    __tablename__ = "book_records"
    __table_args__ = (UniqueConstraint("kind", "key"), Index("ix_book_records_unit", "kind", "unit"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # departures, escorts, medics, vehicles, flights, ...
    key: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str | None] = mapped_column(String(80))  # departures only: the owning unit
    position: Mapped[int] = mapped_column(Integer)  # order of first appearance, kept across imports
    data: Mapped[dict] = mapped_column(JsonDoc)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))
    handover_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # departures: the published handover
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # departures: personal fields removed


class SolveJob(Base):
    __tablename__ = "solve_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    scenario_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    # queued -> running -> done | stopped | failed; queued -> cancelled
    options: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    requested_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    worker: Mapped[str | None] = mapped_column(String(200))  # host:pid
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[dict] = mapped_column(JsonDoc, default=dict)  # stage, elapsed, objective, bound, gap
    message: Mapped[str | None] = mapped_column(Text)
    plan_id: Mapped[int | None] = mapped_column(Integer)


class PlanVersion(Base):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(String(80), index=True)  # a unit has one published plan at a time
    scenario_version: Mapped[int] = mapped_column(Integer)  # the book revision it was solved on
    job_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published | superseded
    document: Mapped[dict] = mapped_column(JsonDoc)  # vertrekplanner/plan@1
    violations: Mapped[list] = mapped_column(JsonDoc, default=list)  # the checker's verdict when stored
    summary: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_by: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)


@event.listens_for(PlanVersion, "before_insert")
def _plan_unit(mapper, connection, target: PlanVersion) -> None:
    """A plan belongs to the unit of the import it was solved from."""
    if target.unit is None:
        target.unit = connection.scalar(select(ScenarioRow.unit).where(ScenarioRow.id == target.scenario_id))


class CalendarEvent(Base):
    """One event of one person's calendar, with a UID kept for the event's whole life."""
    __tablename__ = "calendar_events"
    __table_args__ = (UniqueConstraint("unit", "key"), Index("ix_calendar_events_owner", "owner", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(80))  # the unit whose publications keep it
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"))  # last published from
    owner: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(300))
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12))  # CONFIRMED | CANCELLED
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    end: Mapped[datetime] = mapped_column(UtcDateTime)
    tzid: Mapped[str] = mapped_column(String(64))  # the place's zone; times are shown in it
    end_tzid: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    busy: Mapped[bool] = mapped_column(Boolean, default=True)
    plan_id: Mapped[int] = mapped_column(Integer)  # the publication that last changed it
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FeedToken(Base):
    """A feed URL's secret is an HMAC of this row's nonce: the table alone cannot rebuild a URL."""
    __tablename__ = "feed_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), index=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Feed(Base):
    """A person's rendered feed, rebuilt at each publication that touches them."""
    __tablename__ = "feeds"
    owner: Mapped[str] = mapped_column(String(120), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Contact(Base):
    """Where a person's invites go. Kept apart from the scenario, which is pseudonymous."""
    __tablename__ = "contacts"
    owner: Mapped[str] = mapped_column(String(120), primary_key=True)
    email: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)


class OutboxMail(Base):
    """An invite queued in the publishing transaction and sent after it commits."""
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(Integer, index=True)
    owner: Mapped[str] = mapped_column(String(120))
    recipient: Mapped[str] = mapped_column(String(200))
    uid: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))  # REQUEST | CANCEL
    sequence: Mapped[int] = mapped_column(Integer)
    message: Mapped[bytes] = mapped_column(LargeBinary)  # the whole MIME message
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """Append-only: database triggers refuse UPDATE and DELETE (see the first migration)."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict] = mapped_column(JsonDoc, default=dict)




class WorkerRow(Base):
    """A worker process (host:pid) and when it last said it was alive."""
    __tablename__ = "workers"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LoginFailure(Base):
    """A failed login, kept for the throttling window (api/throttle.py); one row per attempt."""
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)


class PendingChange(Base):
    """An account change that grants access to case data, waiting for a second planner-admin."""
    __tablename__ = "pending_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(10))  # create | update
    user_id: Mapped[int | None] = mapped_column(Integer)  # None for a new account
    username: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict] = mapped_column(JsonDoc)  # the new values; a password only as its Argon2 hash
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending|confirmed|rejected
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
