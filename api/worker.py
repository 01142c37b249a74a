"""The worker process: takes solve jobs from the database queue and runs them.

Run it as ``vertrekplanner worker`` (one per core pair is plenty; the solver uses the cores it
is given). The web process never solves: with the embedded SQLite setup it starts one worker
process itself; with PostgreSQL, start workers on as many machines as you like.

While a job runs, a watcher thread writes the heartbeat and the latest progress every second
and turns a ``stop_requested`` flag into ``StopSignal.stop()``. SIGTERM or SIGINT stop the job
in hand the same way, store its best plan, and then end the worker.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
from dataclasses import asdict

from planner.solve import Progress, SolveOptions, StopSignal, level1_gap, scenario_bound

from . import jobs, solving
from .db import Database
from .models import SolveJob, utcnow
from .settings import Settings

log = logging.getLogger("vertrekplanner.worker")
HEARTBEAT_SECONDS = 1.0
WORKER_BEAT_SECONDS = 5.0  # well under WORKER_SILENT_SECONDS (30 s by default)
MAIL_RETRY_SECONDS = 60.0
PURGE_SECONDS = 3600.0  # storage limitation: personal fields of old departures, once an hour


def progress_dict(p: Progress) -> dict:
    return {k: v for k, v in asdict(p).items()}


class Watcher(threading.Thread):
    """Heartbeat + progress out, stop requests in, once a second."""

    def __init__(self, db: Database, job_id: int, signal_: StopSignal):
        super().__init__(daemon=True, name=f"job-{job_id}-watcher")
        self.db, self.job_id, self.signal = db, job_id, signal_
        self.latest: dict | None = None
        self.done = threading.Event()

    def report(self, progress: Progress) -> None:
        self.latest = progress_dict(progress)

    def run(self) -> None:
        while not self.done.wait(HEARTBEAT_SECONDS):
            try:
                if jobs.heartbeat(self.db, self.job_id, self.latest):
                    self.signal.stop()
            except Exception:  # a database hiccup must not kill the solve; the next beat retries
                log.exception("heartbeat of job %s failed", self.job_id)


def solve_options(job_options: dict, settings: Settings, signal_: StopSignal) -> SolveOptions:
    return SolveOptions(time_limit=float(job_options.get("time_limit", settings.solve_time_limit)),
                        quick=bool(job_options.get("quick", False)), workers=int(job_options.get("workers", 0)),
                        seed=int(job_options.get("seed", 0)), stop=signal_)


def run_job(db: Database, job_id: int, settings: Settings, signal_: StopSignal) -> str:
    """Solve one claimed job and store the outcome; returns the job's final status."""
    watcher = Watcher(db, job_id, signal_)
    watcher.start()  # before loading: a programme-scale scenario takes seconds to read
    try:
        with db.sessions() as session:
            job = session.get(SolveJob, job_id)
            options, scenario_id, scenario_version = dict(job.options), job.scenario_id, job.scenario_version
            setup = solving.prepare(session, scenario_id, options)
        result = solving.run(setup, solve_options(options, settings, signal_), on_progress=watcher.report)
        if options.get("fixes") and not result.stopped:  # the search for fixes takes a while: say so
            watcher.report(Progress("fixes", round(result.wall_seconds, 2), result.objective, result.bound,
                                    result.gap))
        plan = solving.plan_document(
            setup, result, job_id,
            {"mode": "quick" if options.get("quick") else "cp-sat",
             "time_limit": options.get("time_limit", settings.solve_time_limit)},
            fixes=bool(options.get("fixes", False)))
        violations = solving.violations(setup, plan)
    finally:
        watcher.done.set()
        watcher.join()
    solver = plan["solver"]
    bound = dict(solver["bound"])
    most = scenario_bound(solver)  # the solver's bound or what no plan can exceed, the lower
    if most is not None:
        bound["planned_priority"] = most
    final_progress = {"stage": "klaar", "elapsed": round(result.wall_seconds, 2), "objective": solver["objective"],
                      "bound": bound, "gap": level1_gap(solver["objective"], bound), "proven": solver["proven"],
                      "restrictions": result.restrictions}
    with db.transaction() as session:
        if violations:
            # A plan that breaks a rule is worse than no plan: the job fails and nothing is stored.
            listed = "; ".join(str(v) for v in violations[:5])
            status = "failed"
            ok = jobs.finish(session, job_id, status,
                             f"Plan afgekeurd door de controle: {len(violations)} regel(s) geschonden: {listed}",
                             final_progress, None)
        else:
            stopped = bool(getattr(result, "stopped", False))
            status = "stopped" if stopped else "done"
            row = solving.draft(setup, plan, scenario_id, scenario_version, job_id, f"job {job_id}", stopped)
            planned, changed = row.summary["planned"], row.summary["changed_departures"]
            session.add(row)
            session.flush()
            done_text = (f"Herplanning van plan {setup.previous.id}: {changed} vertrek(ken) gewijzigd; "
                         if setup.previous is not None else "")
            message = (f"Gestopt op verzoek; beste plan tot dan bewaard ({planned} vertrekken gepland)." if stopped
                       else f"Klaar: {done_text}{planned} van {len(plan['departures'])} vertrekken gepland.")
            ok = jobs.finish(session, job_id, status, message, final_progress, row.id)
        if not ok:
            # Declared dead while we worked (a long pause): its failure stands, our plan is dropped.
            session.rollback()
            return "failed"
    return status


def fail(db: Database, job_id: int, exc: BaseException) -> None:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    with db.transaction() as session:
        jobs.finish(session, job_id, "failed", f"De berekening is mislukt: {text}", None, None)


class Worker:
    def __init__(self, settings: Settings, poll_seconds: float = 0.5):
        self.settings = settings
        self.db = Database(settings.database_url)
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.poll_seconds = poll_seconds
        self.shutdown = threading.Event()
        self.current: StopSignal | None = None
        self.last_mail_retry = time.monotonic()
        self.last_purge: float | None = None
        self.started_at = utcnow()
        self.beats_done = threading.Event()

    def _beat(self) -> None:
        """The worker's own heartbeat, in a thread so it goes on while a solve holds the main loop."""
        while True:
            try:
                jobs.worker_beat(self.db, self.name, self.started_at)
            except Exception:  # the database may be away for a moment; the next beat retries
                log.exception("worker heartbeat failed")
            if self.beats_done.wait(WORKER_BEAT_SECONDS):
                return

    def request_shutdown(self, *_args) -> None:
        self.shutdown.set()
        if self.current is not None:
            self.current.stop()

    def _retry_mail(self) -> None:
        """Invites that could not be sent at publication (SMTP down) are retried from here."""
        if time.monotonic() - self.last_mail_retry < MAIL_RETRY_SECONDS:
            return
        self.last_mail_retry = time.monotonic()
        try:
            from .publishing import deliver_outbox

            deliver_outbox(self.db, self.settings)
        except Exception:
            log.exception("retrying queued invites failed")

    def _purge(self) -> None:
        """Remove the personal fields of departures past the retention period (api/retention.py)."""
        if self.last_purge is not None and time.monotonic() - self.last_purge < PURGE_SECONDS:
            return
        self.last_purge = time.monotonic()
        try:
            from .retention import purge

            with self.db.transaction() as session:
                purge(session, self.settings.retention_days)
        except Exception:
            log.exception("removing personal data past the retention period failed")

    def _run_one(self, job_id: int, signal_: StopSignal, outcome: list[str]) -> None:
        try:
            outcome.append(run_job(self.db, job_id, self.settings, signal_))
        except Exception as exc:  # the job fails with the reason; the worker lives on
            log.exception("job %s failed", job_id)
            fail(self.db, job_id, exc)
            outcome.append("failed")

    def run(self, max_jobs: int | None = None) -> int:
        log.info("worker %s ready on %s", self.name, self.db.engine.url.render_as_string(hide_password=True))
        beat = threading.Thread(target=self._beat, daemon=True, name="worker-beat")
        beat.start()
        try:
            return self._loop(max_jobs)
        finally:
            self.beats_done.set()
            beat.join()
            try:
                jobs.worker_gone(self.db, self.name)
            except Exception:
                log.exception("could not sign off worker %s", self.name)
            self.db.dispose()

    def _loop(self, max_jobs: int | None) -> int:
        done = 0
        while not self.shutdown.is_set() and (max_jobs is None or done < max_jobs):
            with self.db.transaction() as session:
                jobs.reap_stale(session, self.settings.job_stale_seconds)
            self._retry_mail()
            self._purge()
            job_id = jobs.claim_next(self.db, self.name)
            if job_id is None:
                self.shutdown.wait(self.poll_seconds)
                continue
            self.current = StopSignal()
            if self.shutdown.is_set():
                self.current.stop()
            log.info("job %s started", job_id)
            outcome: list[str] = []
            # The solve runs in a thread: Python runs signal handlers only in the main thread, and
            # only between bytecodes, never while CP-SAT holds it in C++. The main thread waits here.
            runner = threading.Thread(target=self._run_one, args=(job_id, self.current, outcome),
                                      name=f"job-{job_id}")
            runner.start()
            while runner.is_alive():
                runner.join(0.2)
            log.info("job %s ended: %s", job_id, outcome[0] if outcome else "?")
            self.current = None
            done += 1
        return done


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="vertrekplanner worker", description="Run solve jobs from the queue.")
    parser.add_argument("--max-jobs", type=int, default=None, help="end after this many jobs")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between looks at an empty queue")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from .db import migrate

    settings = Settings.from_env()
    migrate(settings.database_url)
    worker = Worker(settings, poll_seconds=args.poll)
    signal.signal(signal.SIGTERM, worker.request_shutdown)
    signal.signal(signal.SIGINT, worker.request_shutdown)
    worker.run(args.max_jobs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

