"""Solve jobs in the database: the queue, their live status, stopping, and crash detection.

A job row is the only channel between the web process and the workers. The web process
inserts it (queued) and reads it; a worker claims it (running), writes a heartbeat with the
live progress every second, reads ``stop_requested``, and in one final transaction stores the
draft plan together with the job's end state. Claiming is one UPDATE, guarded by the status: on
PostgreSQL the candidate row is taken with ``FOR UPDATE SKIP LOCKED``, so any number of workers
on any number of machines share one queue; SQLite serialises writers itself.

A worker that dies stops its heartbeat; any reader then marks the job failed. Nothing of a
job is written outside that final transaction, so a crash can never leave half a plan.

Each worker process also keeps a row in ``workers`` fresh, busy or idle, so a page can say that a
queued job will not start because no worker is alive.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from . import audit, book
from .db import Database
from .models import SolveJob, WorkerRow, utcnow

ACTIVE = ("queued", "running")
FINAL = ("done", "stopped", "failed", "cancelled")
FORGET_WORKER = timedelta(days=1)  # rows of killed workers are dropped after this; a live one is newer anyway


class JobNotStopped(Exception):
    """The worker did not confirm the stop in time (it is still asked to stop)."""


def start_job(session: Session, scenario_id: int, actor: str, options: dict) -> SolveJob:
    """A queued solve of an import's unit, on the book as it is now (its revision is kept with the job)."""
    job = SolveJob(scenario_id=scenario_id, scenario_version=book.revision(session), status="queued", options=options,
                   requested_by=actor, progress={})
    session.add(job)
    session.flush()
    audit.record(session, actor, "solve.start", "job", job.id, scenario=scenario_id, options=options)
    return job


def claim_next(db: Database, worker: str) -> int | None:
    """Take the oldest queued job for this worker; None when the queue is empty."""
    oldest = select(SolveJob.id).where(SolveJob.status == "queued").order_by(SolveJob.id).limit(1)
    if db.is_postgres:
        oldest = oldest.with_for_update(skip_locked=True)
    now = utcnow()
    with db.transaction() as session:
        claimed = session.execute(
            update(SolveJob).where(SolveJob.id == oldest.scalar_subquery(), SolveJob.status == "queued")
            .values(status="running", worker=worker, started_at=now, heartbeat_at=now)
            .returning(SolveJob.id)).scalar()
    return claimed


def heartbeat(db: Database, job_id: int, progress: dict | None) -> bool:
    """Record liveness (and progress); returns whether a stop was requested."""
    values: dict = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = progress
    with db.transaction() as session:
        session.execute(update(SolveJob).where(SolveJob.id == job_id, SolveJob.status == "running").values(**values))
        return bool(session.scalar(select(SolveJob.stop_requested).where(SolveJob.id == job_id)))


def reap_stale(session: Session, stale_seconds: float, now: datetime | None = None) -> int:
    """Mark running jobs whose worker went silent as failed; returns how many."""
    now = now or utcnow()
    limit = now - timedelta(seconds=stale_seconds)
    result = session.execute(
        update(SolveJob).where(SolveJob.status == "running", SolveJob.heartbeat_at < limit)
        .values(status="failed", finished_at=now,
                message=f"De worker reageert niet meer (geen teken van leven sinds meer dan {stale_seconds:g} s); "
                        "de berekening is afgebroken en er is geen plan opgeslagen."))
    return result.rowcount or 0


def request_stop(session: Session, job: SolveJob, actor: str) -> None:
    """A queued job is cancelled at once; a running one is asked to stop."""
    if job.status == "queued":
        session.execute(update(SolveJob).where(SolveJob.id == job.id, SolveJob.status == "queued")
                        .values(status="cancelled", finished_at=utcnow(), message="Geannuleerd voor de start."))
    elif job.status == "running":
        session.execute(update(SolveJob).where(SolveJob.id == job.id).values(stop_requested=True))
    audit.record(session, actor, "solve.stop", "job", job.id, status_before=job.status)


def wait_until_final(db: Database, job_id: int, stale_seconds: float, timeout: float) -> SolveJob:
    """Block until the job has ended (stopped, done, failed); reaps a silent worker meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        with db.transaction() as session:
            reap_stale(session, stale_seconds)
            job = session.get(SolveJob, job_id)
            if job.status in FINAL:
                session.expunge(job)
                return job
        if time.monotonic() > deadline:
            raise JobNotStopped(job_id)
        time.sleep(0.2)


def finish(session: Session, job_id: int, status: str, message: str | None, progress: dict | None,
           plan_id: int | None) -> bool:
    """The job's end state, in the transaction that stores its plan; False if it was reaped meanwhile."""
    values = {"status": status, "finished_at": utcnow(), "message": message, "plan_id": plan_id}
    if progress is not None:
        values["progress"] = progress
    done = session.execute(update(SolveJob).where(SolveJob.id == job_id, SolveJob.status == "running")
                           .values(**values))
    return done.rowcount == 1


def worker_beat(db: Database, name: str, started_at: datetime) -> None:
    """This worker is alive (upsert of its row); also forgets workers silent for a day."""
    now = utcnow()
    with db.transaction() as session:
        row = session.get(WorkerRow, name)
        if row is None:
            session.add(WorkerRow(name=name, started_at=started_at, seen_at=now))
        else:
            row.seen_at = now
        session.execute(delete(WorkerRow).where(WorkerRow.seen_at < now - FORGET_WORKER))


def worker_gone(db: Database, name: str) -> None:
    """A clean exit: this worker is no longer there to take jobs."""
    with db.transaction() as session:
        session.execute(delete(WorkerRow).where(WorkerRow.name == name))


def workers_seen_at(session: Session) -> datetime | None:
    """When any worker was last alive; None if none ever was (or all left cleanly)."""
    return session.scalar(select(func.max(WorkerRow.seen_at)))


def waits_for_no_worker(job: SolveJob, seen_at: datetime | None, silent_seconds: float,
                        now: datetime | None = None) -> bool:
    """A queued job that no worker will take: none has been alive for ``silent_seconds``."""
    if job.status != "queued":
        return False
    return seen_at is None or (now or utcnow()) - seen_at > timedelta(seconds=silent_seconds)


def queue_notice(session: Session, job: SolveJob) -> str | None:
    """For a queued job: that it waits, and behind how many jobs (of any unit: one queue serves all)."""
    if job.status != "queued":
        return None
    running = session.scalar(select(func.count()).select_from(SolveJob).where(SolveJob.status == "running")) or 0
    before = session.scalar(select(func.count()).select_from(SolveJob)
                            .where(SolveJob.status == "queued", SolveJob.id < job.id)) or 0
    if not running and not before:
        return "In de wachtrij: deze berekening is de volgende en begint zodra een rekenproces vrij is."
    parts = []
    if running:
        parts.append("1 berekening die nu loopt" if running == 1 else f"{running} berekeningen die nu lopen")
    if before:
        parts.append("1 eerder ingediende berekening" if before == 1 else f"{before} eerder ingediende berekeningen")
    return (f"In de wachtrij achter {' en '.join(parts)}; deze begint zodra die klaar "
            f"{'zijn' if running + before != 1 else 'is'}.")
