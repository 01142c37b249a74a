"""The embedded worker is supervised: killed, it is started again (and the log says so); a worker
that dies at once is restarted with a growing delay; and a job page says when no worker is alive."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select

from api.models import WorkerRow, utcnow
from api.supervisor import Supervisor
from service import upload_demo

REPO = Path(__file__).resolve().parent.parent


def worker_env(service, tmp_path: Path) -> dict:
    return dict(os.environ, DATABASE_URL=service.settings.database_url, VERTREKPLANNER_DATA=str(tmp_path),
                SECRET_KEY="test-secret-key", PYTHONPATH=str(REPO))


def worker_rows(service) -> dict[str, WorkerRow]:
    with service.db.sessions() as s:
        return {r.name: r for r in s.scalars(select(WorkerRow))}


def eventually(condition, timeout: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def test_worker_keeps_its_row_fresh_and_removes_it_on_a_clean_exit(service, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "api.worker", "--poll", "0.2"], cwd=REPO,
                            env=worker_env(service, tmp_path), stderr=subprocess.DEVNULL)
    try:
        name = f"{os.uname().nodename}:{proc.pid}"
        first = eventually(lambda: worker_rows(service).get(name), what="worker row")
        # Idle, the worker still says it is alive.
        later = eventually(lambda: (r := worker_rows(service).get(name)) and r.seen_at > first.seen_at and r,
                           timeout=15, what="a later beat")
        assert later.started_at == first.started_at
        proc.terminate()
        assert proc.wait(30) == 0
        assert name not in worker_rows(service)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_killed_worker_is_restarted_with_a_log_line_and_takes_queued_jobs(service, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="vertrekplanner.supervisor")
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    supervisor = Supervisor([sys.executable, "-m", "api.worker", "--poll", "0.2"], worker_env(service, tmp_path),
                            min_delay=0.2).start()
    try:
        first = supervisor.process
        eventually(lambda: worker_rows(service), what="first worker alive")
        os.kill(first.pid, signal.SIGKILL)
        second = eventually(lambda: supervisor.process is not first and supervisor.process, timeout=20,
                            what="a new worker process")
        assert second.poll() is None and supervisor.restarts == 1
        assert any("onverwacht gestopt" in r.getMessage() and str(first.pid) in r.getMessage()
                   for r in caplog.records)
        assert any("herstart" in r.getMessage() and str(second.pid) in r.getMessage() for r in caplog.records)
        job = client.post(f"/api/scenarios/{sid}/jobs", json={"quick": True}).json()
        done = eventually(lambda: (j := client.get(f"/api/jobs/{job['id']}").json())["status"] not in
                          ("queued", "running") and j, timeout=120, what="the job ended")
        assert done["status"] == "done", done
    finally:
        supervisor.stop()
    assert supervisor.process.poll() is not None
    assert supervisor.restarts == 1  # stopping is not a death to restart from


def test_a_worker_that_dies_at_once_is_restarted_with_a_growing_delay(caplog):
    caplog.set_level(logging.WARNING, logger="vertrekplanner.supervisor")
    supervisor = Supervisor([sys.executable, "-c", "raise SystemExit(3)"], min_delay=0.2, max_delay=0.8).start()
    time.sleep(3.0)
    supervisor.stop()
    # Delays 0.2, 0.4, 0.8, 0.8, ...: a handful of restarts in three seconds, not hundreds.
    assert 2 <= supervisor.restarts <= 5, supervisor.restarts
    said = [r.getMessage() for r in caplog.records if "herstart over" in r.getMessage()]
    assert "(code 3)" in said[0]
    assert [float(m.rsplit("herstart over", 1)[1].split()[0]) for m in said[:4]] == [0.2, 0.4, 0.8, 0.8]


def test_job_says_when_no_worker_has_been_seen_for_a_while(service):
    client = service.client("regie")
    sid = upload_demo(client)["id"]
    job_id = client.post(f"/api/scenarios/{sid}/jobs", json={"quick": True}).json()["id"]  # no worker runs
    seen = utcnow() - timedelta(seconds=service.settings.worker_silent_seconds + 60)
    with service.db.transaction() as s:
        s.add(WorkerRow(name="elders:1", started_at=seen, seen_at=seen))
    job = client.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "queued" and job["no_worker"] is True
    assert job["workers_seen_at"] is not None
    assert job["worker_notice"].startswith("Er draait geen rekenproces: de laatste werd gezien op ")
    page = client.get(f"/jobs/{job_id}").text
    assert "Er draait geen rekenproces" in page and "vraag de beheerder de dienst te herstarten" in page

    with service.db.transaction() as s:
        s.get(WorkerRow, "elders:1").seen_at = utcnow()
    job = client.get(f"/api/jobs/{job_id}").json()
    assert job["no_worker"] is False and job["worker_notice"] is None
    assert "Er draait geen rekenproces" not in client.get(f"/jobs/{job_id}").text

    with service.db.transaction() as s:  # never any worker at all
        s.execute(delete(WorkerRow))
    job = client.get(f"/api/jobs/{job_id}").json()
    assert job["no_worker"] is True and "er is er nog geen gezien" in job["worker_notice"]
