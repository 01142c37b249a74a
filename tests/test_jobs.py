"""Solve jobs through the API with a real worker process: 202 at once, live progress, a stop that
waits for the solver, crashes that end as failed, and several workers sharing one queue."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.models import PlanVersion, SolveJob
from planner.checker import check_plan
from planner.generator import generate
from planner.scenario import parse_scenario
from service import upload_demo

REPO = Path(__file__).resolve().parent.parent


def start_worker(service, tmp_path: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=service.settings.database_url, VERTREKPLANNER_DATA=str(tmp_path),
               SECRET_KEY="test-secret-key", JOB_STALE_SECONDS=str(service.settings.job_stale_seconds),
               PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "api.worker", "--poll", "0.2", *extra], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def worker(service, tmp_path):
    proc = start_worker(service, tmp_path)
    yield proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for(client, job_id: int, until, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if until(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never reached the expected state: {job}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stored_plan_is_valid(service, plan_id: int, scenario_doc: dict) -> dict:
    with service.db.sessions() as s:
        plan = s.get(PlanVersion, plan_id).document
    assert check_plan(parse_scenario(scenario_doc), plan) == []
    return plan


def test_solve_job_answers_202_at_once_and_stores_a_checked_draft(service, worker):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    started = time.perf_counter()
    response = client.post(f"/api/scenarios/{sid}/jobs", json={"time_limit": 20})
    assert response.status_code == 202 and time.perf_counter() - started < 2.0
    job = response.json()
    assert job["status"] == "queued" and response.headers["location"] == f"/api/jobs/{job['id']}"
    done = wait_for(client, job["id"], lambda j: j["status"] in ("done", "failed", "stopped"))
    assert done["status"] == "done", done["message"]
    assert done["progress"]["objective"]["planned_priority"] > 0
    from service import demo_scenario_bytes
    plan = stored_plan_is_valid(service, done["plan_id"], json.loads(demo_scenario_bytes()))
    assert sum(d["planned"] for d in plan["departures"]) > 0
    with service.db.sessions() as s:
        assert s.get(PlanVersion, done["plan_id"]).state == "draft"


@pytest.fixture
def large_scenario(service):
    doc = generate("large", 7)
    sid = upload_demo(service.client("regie"), json.dumps(doc).encode(), "large.json")["id"]
    return sid, doc


def test_stop_answers_after_the_solver_stopped_and_keeps_the_best_plan(service, worker, large_scenario):
    sid, doc = large_scenario
    client = service.client("regie")
    job = client.post(f"/api/scenarios/{sid}/jobs", json={"time_limit": 600}).json()
    live = wait_for(client, job["id"], lambda j: j["status"] == "running" and j["progress"].get("stage")
                    not in (None, "greedy"), timeout=180)
    assert live["progress"]["objective"]["planned_priority"] > 0  # a live incumbent is shown
    response = client.delete(f"/api/jobs/{job['id']}")
    assert response.status_code == 200
    stopped = response.json()
    assert stopped["status"] == "stopped", stopped["message"]
    # Answered only once the solver stopped: the worker now idles (it polls the queue, nothing more).
    before = cpu_seconds(worker.pid)
    time.sleep(1.5)
    assert cpu_seconds(worker.pid) - before < 0.5
    plan = stored_plan_is_valid(service, stopped["plan_id"], doc)
    assert plan["solver"]["status"] != "OPTIMAL" or plan["solver"]["stages"]


def kill_worker_mid_solve(service, tmp_path, client, sid: int, solving, timeout: float, settle: float = 0.0) -> dict:
    """Start a long solve on a worker of its own, SIGKILL the worker once ``solving(job)`` holds (and
    ``settle`` seconds more), and return the job as it ends."""
    proc = start_worker(service, tmp_path)
    try:
        job = client.post(f"/api/scenarios/{sid}/jobs", json={"time_limit": 600}).json()
        wait_for(client, job["id"], solving, timeout=timeout)
        time.sleep(settle)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        return wait_for(client, job["id"], lambda j: j["status"] != "running",
                        timeout=service.settings.job_stale_seconds + 10)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_killed_worker_leaves_the_job_failed_with_a_message_and_no_plan(service, tmp_path, large_scenario):
    sid, _ = large_scenario
    client = service.client("regie")
    failed = kill_worker_mid_solve(service, tmp_path, client, sid, lambda j: j["status"] == "running", timeout=60,
                                   settle=1.0)
    assert failed["status"] == "failed" and "worker" in failed["message"].lower()
    assert failed["plan_id"] is None
    with service.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PlanVersion)) == 0


def test_sigterm_stops_the_job_in_hand_and_stores_its_plan(service, tmp_path, large_scenario):
    sid, doc = large_scenario
    client = service.client("regie")
    proc = start_worker(service, tmp_path)
    job = client.post(f"/api/scenarios/{sid}/jobs", json={"time_limit": 600}).json()
    wait_for(client, job["id"], lambda j: j["status"] == "running" and j["progress"].get("stage") not in (None, "greedy"),
             timeout=180)
    proc.terminate()
    assert proc.wait(60) == 0
    ended = client.get(f"/api/jobs/{job['id']}").json()
    assert ended["status"] == "stopped"
    stored_plan_is_valid(service, ended["plan_id"], doc)


def test_queued_job_is_cancelled_at_once(service):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    job = client.post(f"/api/scenarios/{sid}/jobs", json={"quick": True}).json()  # no worker runs
    response = client.delete(f"/api/jobs/{job['id']}")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_two_workers_share_one_queue_and_run_each_job_once(service, tmp_path):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    procs = [start_worker(service, tmp_path) for _ in range(2)]
    try:
        ids = [client.post(f"/api/scenarios/{sid}/jobs", json={"quick": True}).json()["id"] for _ in range(6)]
        finished = [wait_for(client, i, lambda j: j["status"] in ("done", "failed"), timeout=120) for i in ids]
    finally:
        for p in procs:
            p.terminate()
            p.wait(20)
    assert [j["status"] for j in finished] == ["done"] * 6
    with service.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PlanVersion)) == 6
        workers = set(s.scalars(select(SolveJob.worker)))
    assert len(workers) >= 1 and all(":" in w for w in workers)


def test_job_of_another_unit_is_not_visible(service):
    sid = upload_demo(service.client("regie"))["id"]
    job = service.client("regie").post(f"/api/scenarios/{sid}/jobs", json={"quick": True}).json()
    other = service.client("regie-zuid")
    assert other.get(f"/api/jobs/{job['id']}").status_code == 404
    assert other.delete(f"/api/jobs/{job['id']}").status_code == 404


def test_killing_the_worker_mid_solve_loses_no_published_data(service, tmp_path, large_scenario):
    from api.models import CalendarEvent, Feed
    from publish_support import make_draft

    sid, _ = large_scenario
    client = service.client("regie")
    draft, _ = make_draft(service, sid)
    assert client.post(f"/api/plans/{draft}/publish").status_code == 200

    def published_state():
        with service.db.sessions() as s:
            plans = dict(s.execute(select(PlanVersion.id, PlanVersion.state)).all())
            events = sorted(s.execute(select(CalendarEvent.uid, CalendarEvent.sequence, CalendarEvent.status)).all())
            feeds = dict(s.execute(select(Feed.owner, Feed.etag)).all())
        return plans, events, feeds
    before = published_state()
    failed = kill_worker_mid_solve(service, tmp_path, client, sid, lambda j: j["status"] == "running" and
                                   j["progress"].get("stage") not in (None, "greedy"), timeout=180)
    assert failed["status"] == "failed"
    assert published_state() == before and before[0] == {draft: "published"}
