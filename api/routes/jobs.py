"""Solve jobs: start (202 at once), watch (live incumbent, bound, gap), stop (returns once stopped)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import jobs
from ..auth import Principal, db_session, require
from ..deps import NOT_FOUND, PROTECTED, UNREADABLE, hidden, row_by_id, scenario_for
from ..models import SolveJob

router = APIRouter(prefix="/api", tags=["jobs"], responses=PROTECTED)
STOP_TIMEOUT_SECONDS = 120.0


class JobIn(BaseModel):
    time_limit: float = Field(60.0, ge=1, le=3600, description="seconds the solver may use")
    quick: bool = Field(False, description="greedy construction only (seconds)")
    from_scratch: bool = Field(False, description="ignore the unit's published plan. By default, once a plan is "
                                                  "published, a solve re-plans against it: as few changes as the "
                                                  "objective allows, underway departures kept exactly")
    planning_time: AwareDatetime | None = Field(None, description="'now' for this solve (default: the import's)")
    horizon: tuple[AwareDatetime, AwareDatetime] | None = Field(None, description="[start, end) of this solve "
                                                                                  "(default: the import's)")
    fixes: bool = Field(False, description="add verified fixes to unplanned departures (seconds to minutes)")

    def options(self) -> dict:
        out = self.model_dump(exclude_none=True)
        for name in ("planning_time", "horizon"):
            if name in out:
                value = getattr(self, name)
                out[name] = (value.isoformat() if not isinstance(value, tuple)
                             else [v.isoformat() for v in value])
        return out


class JobOut(BaseModel):
    id: int
    scenario_id: int
    status: str
    options: dict[str, Any]
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    stop_requested: bool
    progress: dict[str, Any]
    message: str | None
    plan_id: int | None
    workers_seen_at: datetime | None = Field(None, description="when any worker process was last alive")
    no_worker: bool = Field(False, description="queued, and no worker has been alive for WORKER_SILENT_SECONDS")
    worker_notice: str | None = Field(None, description="what the job page says when no_worker is true")
    queue_notice: str | None = Field(None, description="for a queued job: what it waits behind")


def no_worker_notice(seen_at: datetime | None) -> str:
    from ..web.render import stamp

    last = f"de laatste werd gezien op {stamp(seen_at)}" if seen_at else "er is er nog geen gezien"
    return (f"Er draait geen rekenproces: {last}. Deze berekening begint pas als er weer een draait; "
            "vraag de beheerder de dienst te herstarten.")


def job_out(job: SolveJob, seen_at: datetime | None = None, silent_seconds: float | None = None,
            queue_notice: str | None = None) -> JobOut:
    """The job; with ``silent_seconds`` also whether a queued job waits for a worker that is not there."""
    stuck = silent_seconds is not None and jobs.waits_for_no_worker(job, seen_at, silent_seconds)
    return JobOut(id=job.id, scenario_id=job.scenario_id, status=job.status, options=job.options,
                  requested_by=job.requested_by, created_at=job.created_at, started_at=job.started_at,
                  finished_at=job.finished_at, heartbeat_at=job.heartbeat_at, stop_requested=job.stop_requested,
                  progress=job.progress or {}, message=job.message, plan_id=job.plan_id,
                  workers_seen_at=seen_at, no_worker=stuck, worker_notice=no_worker_notice(seen_at) if stuck else None,
                  queue_notice=queue_notice)


def job_for(session: Session, principal: Principal, job_id: int) -> SolveJob:
    """The job if this principal's unit may see it; 404 otherwise (for the API and the pages)."""
    job = row_by_id(session, SolveJob, job_id)
    if job is None:
        raise hidden("Deze berekening")
    scenario_for(session, principal, job.scenario_id, "Deze berekening")  # unit scope, the same 404
    return job


@router.post("/scenarios/{scenario_id}/jobs", response_model=JobOut, status_code=202,
             responses={**NOT_FOUND, **UNREADABLE})
def start(scenario_id: int, response: Response, body: JobIn = Body(default_factory=JobIn),
          principal: Principal = Depends(require("solve.run")), session: Session = Depends(db_session)):
    with session.begin():
        scenario_for(session, principal, scenario_id)
        job = jobs.start_job(session, scenario_id, principal.username, body.options())
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return job_out(job)


@router.get("/scenarios/{scenario_id}/jobs", response_model=list[JobOut], responses=NOT_FOUND)
def list_jobs(scenario_id: int, request: Request, principal: Principal = Depends(require("solve.read")),
              session: Session = Depends(db_session)):
    with session.begin():
        scenario_for(session, principal, scenario_id)
        jobs.reap_stale(session, request.app.state.settings.job_stale_seconds)
    rows = session.scalars(select(SolveJob).where(SolveJob.scenario_id == scenario_id).order_by(SolveJob.id.desc())
                           .limit(50))
    return [job_out(j) for j in rows]


@router.get("/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
def get_job(job_id: int, request: Request, principal: Principal = Depends(require("solve.read")),
            session: Session = Depends(db_session)):
    with session.begin():
        jobs.reap_stale(session, request.app.state.settings.job_stale_seconds)
    job = job_for(session, principal, job_id)
    session.refresh(job)
    return job_out(job, jobs.workers_seen_at(session), request.app.state.settings.worker_silent_seconds,
                   jobs.queue_notice(session, job))


def stop_and_wait(request: Request, session: Session, principal: Principal, job_id: int) -> SolveJob:
    """Ask a job to stop (a queued one is cancelled at once) and block until it has ended.

    Raises ``jobs.JobNotStopped`` if the worker has not confirmed within STOP_TIMEOUT_SECONDS."""
    with session.begin():
        job = job_for(session, principal, job_id)
        if job.status in jobs.ACTIVE:
            jobs.request_stop(session, job, principal.username)
    return jobs.wait_until_final(request.app.state.db, job_id, request.app.state.settings.job_stale_seconds,
                                 STOP_TIMEOUT_SECONDS)


@router.delete("/jobs/{job_id}", response_model=JobOut,
               responses={**NOT_FOUND, 504: {"description": "Worker did not stop in time"}})
def stop(job_id: int, request: Request, principal: Principal = Depends(require("solve.run")),
         session: Session = Depends(db_session)):
    """Ask the worker to stop and answer only once it has: the best plan found so far is kept."""
    try:
        final = stop_and_wait(request, session, principal, job_id)
    except jobs.JobNotStopped:
        raise HTTPException(504, "De worker heeft het stoppen nog niet bevestigd; het verzoek blijft staan.")
    return job_out(final)
