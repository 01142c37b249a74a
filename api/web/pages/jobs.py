"""Solving pages: start a solve (quick or with a time limit), follow its job, stop it."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy.orm import Session

from ...auth import Principal, db_session, require
from ...deps import scenario_for
from ...models import ScenarioRow
from ...routes.jobs import job_for, job_out, stop_and_wait
from .. import data
from ..render import page
from .common import _see_other

router = APIRouter(include_in_schema=False)

JOB_STATUS = {"queued": "in de wachtrij", "running": "bezig", "done": "klaar", "stopped": "gestopt",
              "failed": "mislukt", "cancelled": "geannuleerd"}
JOB_STAGES = {"greedy": "eerste plan (snelle opbouw)", "targeted search": "gericht verbeteren",
              "levels 1+2": "zoveel mogelijk prioriteit, zo vroeg mogelijk", "level 3 cost": "kosten",
              "level 4 care": "reistijd medische vertrekken", "level 5 fairness": "eerlijke verdeling",
              "level 1 (is more priority possible?)": "kan er meer prioriteit bij? (bewijs van niveau 1)",
              "priority bound (relaxation of the scenario)": "bovengrens van het scenario berekenen (ontspanning)",
              "level 1 + changes": "zoveel mogelijk prioriteit, zo min mogelijk wijzigingen",
              "level 2 waiting": "zo vroeg mogelijk",
              "fixes": "oplossingen zoeken voor wat niet gepland is (elk gecontroleerd met een herplanning)",
              "klaar": "klaar"}
LEVEL_NAMES = {"planned_priority": "1 prioriteit", "waiting_hours": "2 wachttijd", "cost_eur": "3 kosten",
               "care_hours": "4 reistijd medisch", "max_escort_missions": "5 verdeling escorts"}
QUICK_SECONDS = 10.0


def proven_text(progress: dict) -> str:
    """Which objective levels the finished solve proved optimal for the scenario as given."""
    if "proven" not in progress:
        return "—"
    return ", ".join(LEVEL_NAMES.get(k, k) for k in progress["proven"]) or "geen niveau"


def restricted_text(progress: dict) -> str:
    restrictions = progress.get("restrictions") or []
    if not restrictions:
        return ""
    return ("Beperkt model (programmaschaal): " + "; ".join(restrictions) + ". Niets hiervan heet bewezen "
            "optimaal; de bovengrens geldt voor het hele scenario.")


@router.post("/scenarios/{scenario_id}/solve")
def solve_start(request: Request, scenario_id: int, mode: str = Form("quick", max_length=10),
                time_limit: float = Form(60.0, ge=1, le=3600), from_scratch: bool = Form(False),
                principal: Principal = Depends(require("solve.run")), session: Session = Depends(db_session)):
    from ... import jobs  # the jobs service, imported where used

    # A thorough solve also looks for verified fixes and where to act first (api/solving.py); a quick
    # one does not: it is for a first look within seconds.
    options = {"quick": True, "time_limit": QUICK_SECONDS} if mode == "quick" else \
        {"quick": False, "time_limit": float(time_limit), "fixes": True}
    if from_scratch:  # ignore the unit's published plan: every departure may move (api/solving.py)
        options["from_scratch"] = True
    with session.begin():
        scenario_for(session, principal, scenario_id)
        job = jobs.start_job(session, scenario_id, principal.username, options)
    return _see_other(f"/jobs/{job.id}")


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: int, principal: Principal = Depends(require("solve.read")),
             session: Session = Depends(db_session)):
    from ... import jobs

    with session.begin():
        jobs.reap_stale(session, request.app.state.settings.job_stale_seconds)
    job = job_for(session, principal, job_id)
    progress = job.progress or {}
    worker_notice = job_out(job, jobs.workers_seen_at(session), request.app.state.settings.worker_silent_seconds
                            ).worker_notice
    return page(request, "job.html", principal, job=job, scenario=session.get(ScenarioRow, job.scenario_id),
                worker_notice=worker_notice, queue_notice=jobs.queue_notice(session, job),
                status_label=JOB_STATUS.get(job.status, job.status),
                stage=JOB_STAGES.get(progress.get("stage"), progress.get("stage") or "—"),
                incumbent=data._number((progress.get("objective") or {}).get("planned_priority")),
                bound=data._number((progress.get("bound") or {}).get("planned_priority")),
                gap=data.gap_text(progress.get("gap")), elapsed=data.seconds_text(progress.get("elapsed") or 0),
                proven=proven_text(progress), restricted=restricted_text(progress), level_names=LEVEL_NAMES,
                final=job.status in jobs.FINAL, job_status=JOB_STATUS, job_stages=JOB_STAGES)


@router.post("/jobs/{job_id}/stop")
def job_stop(request: Request, job_id: int, principal: Principal = Depends(require("solve.run")),
             session: Session = Depends(db_session)):
    """Like DELETE /api/jobs/{id}: returns once the worker has stopped and kept its best plan."""
    from ... import jobs

    try:
        stop_and_wait(request, session, principal, job_id)
    except jobs.JobNotStopped:
        raise HTTPException(504, "De berekening heeft het stoppen nog niet bevestigd; het verzoek blijft staan. "
                                 "Kijk over een minuut opnieuw.")
    return _see_other(f"/jobs/{job_id}")
