"""Service benchmarks: calendar feeds under load, scenario import, publishing a large plan.

Run alone: ``.venv/bin/python benchmarks/service.py [--db sqlite|postgres|both] [--targets feeds,import,publish]``;
``make bench`` runs it after the solver benchmarks (``benchmarks/run.py``) and puts the Markdown
section it prints into RESULTS.md. The figures are measurements, not assertions: nothing here fails
on a slow result.

1. Feeds. The real app (``uvicorn --factory api.app:create_app``, with the HTTP parser and event loop uvicorn picks from what is installed) runs
   in its own process on a published plan of the large scenario; a load generator in another process
   opens 100 keep-alive connections, one per subscriber, each fetching its own person's feed over
   and over (closed loop, no pause) for DURATION seconds after a one-second warm-up. Full-body
   requests and ETag hits (If-None-Match -> 304) are separate runs; ``--workers 1`` and ``2``.
2. Import of the eu scenario: ``read_upload`` + ``import_scenario`` in one transaction (commit
   included), and once through POST /api/scenarios by a logged-in regievoerder (TestClient).
3. Publishing the large scenario's quick-solve draft with a contact for every person and aiosmtpd
   on loopback: ``publish()`` end to end (check, events, feeds, invites rendered and sent).

Scenarios come from ../shared/scenarios when present, else from ``planner.generator`` (seed 1).
SQLite runs on a temporary file; PostgreSQL on a database created for the run and dropped after it
(``BENCH_PG_URL``, default postgresql://postgres@127.0.0.1:5432/postgres, is only used to create it).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "scenarios"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "tests") not in sys.path:  # publish_support (make_draft, owners_in, SmtpServer); appended, so that
    sys.path.append(str(ROOT / "tests"))  # the tests' own ``service`` module never shadows this one

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-key"
UNIT = "BV-Noord"
TARGETS = {"feed_p99_ms": 50, "etag_ms": 10, "import_s": 10, "publish_s": 30}


# --------------------------------------------------------------------------------------------
# environment


def machine() -> str:
    import fastapi
    import sqlalchemy
    import uvicorn

    from run import hardware  # benchmarks/ is on the path when this file runs as a script

    return (f"{hardware()}, "
            f"FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
            f"SQLite {sqlite3.sqlite_version}, {pg_version() or 'PostgreSQL not reachable'}; "
            f"{platform.system()} {platform.release()}")


def uvicorn_stack() -> str:
    """The HTTP parser and event loop uvicorn's ``auto`` settings choose from what is installed."""
    from importlib.util import find_spec
    http = "httptools" if find_spec("httptools") else "h11"
    loop = "uvloop" if find_spec("uvloop") else "asyncio"
    return f"{http} and {loop}"


def load_average() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def pg_version() -> str | None:
    try:
        from sqlalchemy import create_engine, text
        engine = create_engine(PG_ADMIN)
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return f"PostgreSQL {version.split()[0]}"
    except Exception:
        return None


@contextmanager
def database(kind: str, tmp: Path, tag: str):
    """A migrated, empty database for one target: a SQLite file, or a PostgreSQL database of its own."""
    from sqlalchemy import create_engine, text

    from api.db import migrate
    if kind == "sqlite":
        url = f"sqlite:///{tmp / f'{tag}.db'}"
        migrate(url)
        yield url
        return
    name = f"vp_bench_{tag}_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def settings_for(url: str, tmp: Path, **changes):
    from api.settings import Settings
    return Settings(database_url=url, secret_key=SECRET, data_dir=tmp, embedded_worker=False, **changes)


def add_regie(db) -> str:
    from api.auth import hash_password
    from api.models import User
    with db.transaction() as session:
        session.add(User(username="regie", password_hash=hash_password("bench-wachtwoord"), role="regievoerder",
                         unit=UNIT, email="regie@example.test"))
    return "regie"


def scenario_bytes(size: str) -> tuple[bytes, str]:
    path = SHARED / f"{size}.json"
    if path.exists():
        return path.read_bytes(), f"shared/scenarios/{size}.json"
    print(f"  {path} not present: using planner.generator.generate({size!r}, 1)", flush=True)
    from planner.generator import generate
    return json.dumps(generate(size, 1), ensure_ascii=False).encode(), f"generated {size}, seed 1"


def import_doc(db, content: bytes, name: str) -> int:
    from api.scenarios import import_scenario
    from planner.loading.isolated import read_isolated as read_upload
    doc = read_upload(content, name)
    with db.transaction() as session:
        return import_scenario(session, doc, UNIT, "regie", name).id


def draft(db, scenario_id: int) -> tuple[int, dict, float]:
    """The planner's quick solve, stored as a draft (as tests/publish_support.make_draft does)."""
    from publish_support import make_draft
    started = time.perf_counter()
    plan_id, plan = make_draft(SimpleNamespace(db=db), scenario_id, quick=True)
    return plan_id, plan, time.perf_counter() - started


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


# --------------------------------------------------------------------------------------------
# 1. feeds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(url: str, tmp: Path, workers: int, app: str = "api.app:create_app"):
    """uvicorn with the app factory in its own process (stopped by its pid with SIGTERM)."""
    import httpx
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, VERTREKPLANNER_DATA=str(tmp), EMBEDDED_WORKER="0",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/feeds/x.y.ics", timeout=2).status_code == 404:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 60 s")
            time.sleep(0.2)
        if workers > 1:
            time.sleep(2)  # let every worker finish starting (each runs the idempotent migration check)
        yield port, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


def probe(port: int, tokens: list[str], prefix: str = "/feeds") -> dict[str, tuple[str, int]]:
    """Each feed once: its ETag and body size; also checks 200, text/calendar and 304 on the ETag."""
    import httpx
    found = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for token in tokens:
            r = client.get(f"{prefix}/{token}.ics")
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar"), r.status_code
            again = client.get(f"{prefix}/{token}.ics", headers={"If-None-Match": r.headers["etag"]})
            assert again.status_code == 304 and again.content == b"", again.status_code
            found[token] = (r.headers["etag"], len(r.content))
    return found


def run_loadgen(spec: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    try:
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--loadgen", f.name],
                             capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


async def _client(index: int, spec: dict, token: str, etag: str, size: int, clock: dict, out: dict,
                  ready: asyncio.Event) -> None:
    port, mode, pause = spec["port"], spec["mode"], spec.get("pause")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    inm = f"If-None-Match: {etag}\r\n" if mode == "etag" else ""
    request = (f"GET {spec['prefix']}/{token}.ics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: vp-bench\r\n"
               f"Accept: text/calendar\r\n{inm}\r\n").encode()
    expected = 304 if mode == "etag" else 200
    rng = random.Random(index)
    await ready.wait()
    start, stop, now = clock["start"], clock["stop"], time.perf_counter
    if pause:  # paced: spread the first requests over one pause
        await asyncio.sleep(rng.uniform(0, pause[1]))
    try:
        while True:
            t0 = now()
            if t0 >= stop:
                break
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length) if status != 304 and length else b""
            t1 = now()
            if t0 >= start:  # after the warm-up
                ok = status == expected and (status == 304 or len(body) == size)
                out["latencies" if ok else "errors"].append(t1 - t0)
                out["bytes"] += len(body)
            out["all"] += 1
            if pause:  # a subscriber that polls again after a pause, not back to back
                await asyncio.sleep(rng.uniform(*pause))
    finally:
        writer.close()


async def _loadgen(spec: dict) -> dict:
    """``concurrency`` connections, client i fetching feed i (modulo the number of feeds)."""
    ready = asyncio.Event()
    out = {"latencies": [], "errors": [], "bytes": 0, "all": 0}
    clock: dict = {}
    feeds = spec["feeds"]  # [[token, etag, size], ...]
    tasks = [asyncio.create_task(_client(i, spec, *feeds[i % len(feeds)], clock, out, ready))
             for i in range(spec["concurrency"])]
    await asyncio.sleep(1.0)  # every connection open before the clock starts
    clock["start"] = time.perf_counter() + spec["warmup"]
    clock["stop"] = clock["start"] + spec["duration"]
    ready.set()
    await asyncio.gather(*tasks)
    lat = out["latencies"]
    return {"requests": len(lat), "all_requests": out["all"], "errors": len(out["errors"]), "seconds": spec["duration"],
            "rps": len(lat) / spec["duration"], "mean_body_bytes": out["bytes"] / len(lat) if lat else 0,
            "p50_ms": 1000 * pct(lat, 50) if lat else None, "p95_ms": 1000 * pct(lat, 95) if lat else None,
            "p99_ms": 1000 * pct(lat, 99) if lat else None, "max_ms": 1000 * max(lat) if lat else None}


def loadgen_main(path: str) -> None:
    spec = json.loads(Path(path).read_text())
    print(json.dumps(asyncio.run(_loadgen(spec))))


def publish_quietly(db, plan_id: int, tmp: Path, **smtp) -> dict:
    from api.publishing import publish
    out = publish(db, plan_id, "regie", settings_for(db.url, tmp, **smtp))
    return {"events": out.events, "mails_queued": out.mails_queued, "people": out.people}


def feed_tokens(db, owners: set[str]) -> list[str]:
    from api import feedtokens
    with db.transaction() as session:
        rows = [feedtokens.rotate(session, owner, "bench") for owner in sorted(owners)]
        return [feedtokens.token_text(SECRET, row) for row in rows]


def before_app():
    """The app with the feed route as it was before this benchmark's changes (an ORM session from the
    ``db_session`` dependency, one query for the token, one for the row with its body, on every
    request), added under /feeds-before, so that before and after are measured in one run."""
    from fastapi import Depends, HTTPException, Request, Response
    from sqlalchemy.orm import Session

    from api import feedtokens
    from api.app import create_app
    from api.auth import db_session
    from api.calendars.feed import not_modified
    from api.models import Feed, utcnow
    from api.publishing import rebuild_feed
    from api.routes.calendars import FEED_CACHE

    def feed(token: str, request: Request, session: Session = Depends(db_session)):
        owner = feedtokens.owner_of(session, request.app.state.settings.secret_key, token)
        if owner is None:
            raise HTTPException(404, "Onbekende of ingetrokken agenda-link")
        row = session.get(Feed, owner)
        if row is None:  # nobody published anything for this person yet: an empty, valid calendar
            row = rebuild_feed(session, owner, None, utcnow())
            session.commit()
        headers = {"ETag": row.etag, "Cache-Control": FEED_CACHE}
        if not_modified(request.headers.get("if-none-match"), row.etag):
            return Response(status_code=304, headers=headers)
        return Response(row.body, media_type="text/calendar; charset=utf-8",
                        headers={**headers, "Content-Disposition": 'inline; filename="vertrekplanner.ics"'})

    feed.__annotations__ = {"token": str, "request": Request, "session": Session}  # not strings: defined in here
    app = create_app()
    app.add_api_route("/feeds-before/{token}.ics", feed, methods=["GET"], response_class=Response)
    return app


FEED_APPS = {"after": ("api.app:create_app", "/feeds"), "before": ("service:before_app", "/feeds-before")}
# (label, request, pause between one subscriber's requests in seconds: None = back to back)
FEED_MODES = (("full", "full", None), ("ETag", "etag", None), ("full, paced", "full", (0.5, 1.5)),
              ("ETag, paced", "etag", (0.5, 1.5)))


def bench_feeds(kind: str, tmp: Path, size: str, workers_list: list[int], duration: float, paced_duration: float,
                concurrency: int,
                apps: list[str]) -> dict:
    from api.db import Database
    from publish_support import owners_in
    content, source = scenario_bytes(size)
    with database(kind, tmp, "feeds") as url:
        db = Database(url)
        sid = import_doc(db, content, f"{size}.json")
        plan_id, plan, _ = draft(db, sid)
        published = publish_quietly(db, plan_id, tmp)
        owners = owners_in(plan)
        tokens = feed_tokens(db, owners)
        db.dispose()
        result = {"db": kind, "scenario": source, "people": len(owners), "published": published,
                  "concurrency": concurrency, "duration": duration, "paced_duration": paced_duration, "runs": []}
        sizes = None
        for workers in workers_list:
            for label in apps:
                app, prefix = FEED_APPS[label]
                with server(url, tmp, workers, app) as (port, pid):
                    info = probe(port, tokens, prefix)
                    sizes = sizes or [s for _, s in info.values()]
                    feeds = [[t, *info[t]] for t in tokens]
                    for name, mode, pause in FEED_MODES:
                        spec = {"port": port, "prefix": prefix, "mode": mode, "pause": pause,
                                "concurrency": concurrency, "duration": paced_duration if pause else duration,
                                "warmup": 1.0, "feeds": feeds}
                        cpu = tree_cpu(pid)
                        stats = run_loadgen(spec)
                        cpu = tree_cpu(pid) - cpu
                        stats["server_cpu_ms_per_request"] = 1000 * cpu / max(1, stats["all_requests"])
                        stats.update(app=label, workers=workers, mode=name, load=load_average())
                        result["runs"].append(stats)
                        print(f"  feeds {kind:8s} {label:6s} workers={workers} {name:11s} "
                              f"{stats['rps']:7.0f} req/s p50={f1(stats['p50_ms'])} p95={f1(stats['p95_ms'])} "
                              f"p99={f1(stats['p99_ms'])} ms server CPU {stats['server_cpu_ms_per_request']:.2f} "
                              f"ms/request errors={stats['errors']} load={stats['load']}",
                              flush=True)
        result["body_bytes"] = {"min": min(sizes), "median": statistics.median(sizes), "max": max(sizes),
                                "total": sum(sizes)}
        return result


# --------------------------------------------------------------------------------------------
# 2. import


def bench_import(kind: str, tmp: Path, size: str, repeats: int) -> dict:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.db import Database
    from api.scenarios import import_scenario
    from planner.loading.isolated import read_isolated as read_upload
    from planner.scenario import parse_scenario
    content, source = scenario_bytes(size)
    name = f"{size}.json"
    with database(kind, tmp, "import") as url:
        db = Database(url)
        add_regie(db)
        direct = []
        for _ in range(repeats):
            c0, t0 = time.process_time(), time.perf_counter()
            doc = read_upload(content, name)
            t1 = time.perf_counter()
            with db.transaction() as session:
                import_scenario(session, doc, UNIT, "regie", name)
            t2, c2 = time.perf_counter(), time.process_time()
            parse_scenario(doc)  # the validation alone, for the breakdown (not in the total)
            t3 = time.perf_counter()
            direct.append({"total": t2 - t0, "cpu": c2 - c0, "read": t1 - t0, "validate": t3 - t2,
                           "store": t2 - t1 - (t3 - t2)})
        app = create_app(settings_for(url, tmp), database=db, run_migrations=False)
        http = []
        with TestClient(app) as client:
            login = client.post("/api/session", json={"username": "regie", "password": "bench-wachtwoord"})
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            for _ in range(repeats):
                t0 = time.perf_counter()
                r = client.post("/api/scenarios", files={"file": (name, content, "application/json")})
                http.append(time.perf_counter() - t0)
                assert r.status_code == 201, r.text[:500]
        counts = r.json()["counts"]
        db.dispose()
    med = {k: statistics.median(run[k] for run in direct) for k in direct[0]}
    out = {"db": kind, "scenario": source, "bytes": len(content), "records": sum(counts.values()),
           "counts": counts, "repeats": repeats, "direct": med, "http": statistics.median(http),
           "direct_all": [round(r["total"], 2) for r in direct], "http_all": [round(h, 2) for h in http],
           "load": load_average()}
    print(f"  import {kind:8s} {source}: direct {med['total']:.2f} s ({med['cpu']:.2f} s CPU; read {med['read']:.2f}, validate "
          f"{med['validate']:.2f}, store+commit {med['store']:.2f}), HTTP {out['http']:.2f} s, "
          f"{out['records']} records", flush=True)
    return out


# --------------------------------------------------------------------------------------------
# 3. publish


class SmtpProcess:
    """tests/publish_support.SmtpServer (aiosmtpd on loopback) in a process of its own, as a mail
    server would be: in the publishing process it would compete with it for the GIL."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--smtp-server"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        return self

    def received(self) -> int:
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def __exit__(self, *exc):
        self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def smtp_server_main() -> None:
    from publish_support import SmtpServer
    with SmtpServer() as server:
        print(server.port, flush=True)
        for _ in sys.stdin:
            print(len(server.envelopes), flush=True)


def publish_before(db, plan_id: int, actor: str, settings, wrap=lambda name, fn: fn):
    """``publish`` as it was before this benchmark's changes: delivery parses every queued mail back
    from its stored bytes and marks each sent with an UPDATE of its own (kept here for the
    side-by-side comparison; the transaction body is the current one)."""
    from email import message_from_bytes
    from email.policy import default as default_policy

    from sqlalchemy import select, update

    import api.publishing as publishing
    from api.calendars import itip
    from api.models import OutboxMail, utcnow
    with db.transaction() as session:
        outcome = publishing._publish_in(session, plan_id, actor, settings)

    def deliver_outbox(db, settings, plan_id=None, limit=50_000):
        smtp = publishing.smtp_settings(settings)
        with db.sessions() as session:
            query = select(OutboxMail).where(OutboxMail.sent_at.is_(None), OutboxMail.attempts < publishing.MAX_ATTEMPTS)
            if plan_id is not None:
                query = query.where(OutboxMail.plan_id == plan_id)
            pending = list(session.scalars(query.order_by(OutboxMail.id).limit(limit)))
        if not pending:
            return {"sent": 0, "failed": 0, "pending": 0}
        messages = [message_from_bytes(m.message, policy=default_policy) for m in pending]
        results = itip.send(smtp, messages)
        now = utcnow()
        sent = failed = 0
        with db.transaction() as session:
            for mail, result in zip(pending, results):
                values = {"attempts": OutboxMail.attempts + 1}
                if result.ok:
                    values["sent_at"] = now
                    sent += 1
                else:
                    values["error"] = (result.error or "")[:2000]
                    failed += 1
                session.execute(update(OutboxMail).where(OutboxMail.id == mail.id).values(**values))
        return {"sent": sent, "failed": failed, "pending": failed}

    outcome.delivered = wrap("deliver", deliver_outbox)(db, settings, plan_id=plan_id)
    return outcome


def bench_publish(kind: str, tmp: Path, size: str, variant: str = "after") -> dict:
    import api.publishing as publishing
    from api.calendars import itip
    from api.db import Database
    from api.models import Contact
    from publish_support import owners_in
    content, source = scenario_bytes(size)
    phases: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - t0
        return wrapper

    with SmtpProcess() as smtp, database(kind, tmp, "publish") as url:
        db = Database(url)
        sid = import_doc(db, content, f"{size}.json")
        plan_id, plan, solve_s = draft(db, sid)
        owners = owners_in(plan)
        with db.transaction() as session:
            for owner in sorted(owners):
                session.add(Contact(owner=owner, email=owner.replace(":", ".").lower() + "@dienst.example"))
        settings = settings_for(url, tmp, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none",
                                mail_from_address="regie-bv@dtv.example")
        names = ("_publish_in", "deliver_outbox", "rebuild_feed")
        originals = [getattr(publishing, n) for n in names] + [itip.send, itip.message]
        publishing._publish_in = timed("transaction body", publishing._publish_in)
        publishing.deliver_outbox = timed("deliver", publishing.deliver_outbox)
        publishing.rebuild_feed = timed("feeds rendered", publishing.rebuild_feed)
        itip.send = timed("SMTP send", itip.send)
        itip.message = timed("invites rendered", itip.message)
        try:
            load = load_average()
            c0, t0 = time.process_time(), time.perf_counter()
            if variant == "after":
                out = publishing.publish(db, plan_id, "regie", settings)
            else:
                out = publish_before(db, plan_id, "regie", settings, timed)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        finally:
            for n, fn in zip(names, originals):
                setattr(publishing, n, fn)
            itip.send, itip.message = originals[3:]
        received = smtp.received()
        db.dispose()
    phases["commit and the rest"] = seconds - phases["transaction body"] - phases["deliver"]
    planned = sum(1 for d in plan["departures"] if d["planned"])
    result = {"db": kind, "variant": variant, "scenario": source, "planned": planned, "departures": len(plan["departures"]),
              "people": len(owners), "solve_s": solve_s, "seconds": seconds, "cpu_s": cpu, "events": out.events,
              "events_total": sum(out.events.values()), "mails_queued": out.mails_queued,
              "delivered": out.delivered, "smtp_received": received, "feeds": out.people, "phases": phases,
              "load": load}
    print(f"  publish {kind:8s} {variant:6s} {source}: {seconds:.2f} s ({cpu:.2f} s CPU), events {out.events}, mails "
          f"{out.mails_queued} queued, {out.delivered.get('sent')} sent, {received} received; phases "
          + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()) + f"; load {load}", flush=True)
    return result


# --------------------------------------------------------------------------------------------
# report


def f1(v, digits=1) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def summary(results: dict) -> list[str]:
    """The targets against the current code's figures, per database."""
    dbs = sorted({r["db"] for part in ("feeds", "import", "publish") for r in results.get(part) or []},
                 key=["sqlite", "postgres"].index)
    if not dbs:
        return []

    def verdict(value, limit):
        return "–" if value is None else f"{value:,.1f} {'✓' if value < limit else '✗'}"

    def feed(db, mode, key):
        runs = [r for res in results.get("feeds") or [] if res["db"] == db for r in res["runs"]
                if r["app"] == "after" and r["mode"] == mode]
        return " / ".join(f"{verdict(r[key], TARGETS['etag_ms' if 'ETag' in mode else 'feed_p99_ms'])} "
                          f"(w{r['workers']})" for r in sorted(runs, key=lambda r: r["workers"])) or "–"

    def one(part, db, fn):
        found = [r for r in results.get(part) or [] if r["db"] == db and r.get("variant", "after") == "after"]
        return fn(found[0]) if found else "–"

    def size(part):
        found = results.get(part) or []
        return Path(found[0]["scenario"].split(",")[0]).stem.replace("generated ", "") if found else ""

    rows = [("feed p99, full, paced (ms) < 50", lambda db: feed(db, "full, paced", "p99_ms")),
            ("feed p99, ETag hit, paced (ms) < 10", lambda db: feed(db, "ETag, paced", "p99_ms")),
            ("feed p50, ETag hit, paced (ms) < 10", lambda db: feed(db, "ETag, paced", "p50_ms")),
            (f"import {size('import')}, direct / HTTP (s) < 10", lambda db: one(
                "import", db, lambda r: f"{verdict(r['direct']['total'], 10)} / {verdict(r['http'], 10)}")),
            (f"publish {size('publish')}, wall (CPU) (s) < 30", lambda db: one(
                "publish", db, lambda r: f"{verdict(r['seconds'], 30)} ({r['cpu_s']:.1f})"))]
    lines = ["Targets against the current code (✓ met, ✗ missed in this run; *w1*/*w2*: uvicorn workers):", "",
             "| target | " + " | ".join(dbs) + " |", "|---|" + "---|" * len(dbs)]
    lines += [f"| {name} | " + " | ".join(fn(db) for db in dbs) + " |" for name, fn in rows]
    return lines + [""]


def markdown(results: dict) -> str:
    lines = ["## Service", "",
             f"Measured {results['started']} (local time {results['local_time']}) by `benchmarks/service.py` "
             f"on: {results['machine']}. Load average at the start: {results['load_start']}; the machine is "
             "shared and other processes ran beside these measurements (the *load* columns show the load "
             "average at each run), so wall times are inflated by waiting for a core: CPU seconds are given "
             "where they say more. Every figure below comes from this one run; where there are *before* "
             "and *after* rows (the code before and after the changes made with this benchmark), they ran "
             "one after the other in it. Nothing asserts on time.", ""]
    lines += summary(results)
    feeds = results.get("feeds") or []
    if feeds:
        first = feeds[0]
        lines += ["### Calendar feeds under load", "",
                  f"The app as deployed, `uvicorn --factory api.app:create_app` ({uvicorn_stack()}, "
                  f"access log off), "
                  + " and ".join(f"`--workers {w}`" for w in sorted({r['workers'] for r in first['runs']}))
                  + f", in its own process; a published "
                  f"quick-solve plan of {first['scenario']} ({first['published']['events'].get('created', 0):,} "
                  f"events), one feed token per person in the plan ({first['people']}). A load generator in "
                  f"another process (raw asyncio sockets, HTTP/1.1 keep-alive) holds {first['concurrency']} "
                  "connections, one per subscriber, each fetching its own person's feed for "
                  f"{first['duration']:.0f} s (paced: {first.get('paced_duration', first['duration']):.0f} s, about "
                  f"{100 * first.get('paced_duration', first['duration']):,.0f} requests, so that p99 is not one "
                  "stray request) after a 1 s warm-up. *full*: GET, 200 with the whole body; "
                  "*ETag*: GET with the feed's If-None-Match, 304 without body. Back to back (closed loop): "
                  "each subscriber asks again as soon as it has its answer, so the server is saturated and "
                  "latency ≈ subscribers ÷ throughput; this measures capacity. *paced*: each subscriber waits "
                  "0.5–1.5 s (uniform) between requests, about 100 requests/s offered in all, still far more "
                  "than calendar apps polling hourly; this is where the latency targets apply (p99 < 50 ms "
                  "full, < 10 ms ETag hit). Latency runs from writing the request to reading its last byte. "
                  "*server CPU*: CPU seconds of the uvicorn processes during the run ÷ requests answered (warm-up "
                  "included), which the shared machine's load disturbs far less than latency. *before*: the route "
                  "before the changes (kept in `benchmarks/service.py`, served at /feeds-before/ by the same app).",
                  "",
                  "| database | workers | requests | code | req/s | p50 ms | p95 ms | p99 ms | max ms | server CPU ms/request | errors | load | after ÷ before: req/s, CPU/request |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for res in feeds:
            index = {(r["workers"], r["mode"], r["app"]): r for r in res["runs"]}
            for run in sorted(res["runs"], key=lambda r: (r["workers"], [m[0] for m in FEED_MODES].index(r["mode"]),
                                                          r["app"] != "before")):
                before = index.get((run["workers"], run["mode"], "before"))
                ratio = (f"{run['rps'] / before['rps']:.2f}, {run['server_cpu_ms_per_request'] / before['server_cpu_ms_per_request']:.2f}"
                         if run["app"] == "after" and before and before["rps"] and before["server_cpu_ms_per_request"]
                         else "")
                lines.append(f"| {res['db']} | {run['workers']} | {run['mode']} | {run['app']} | {run['rps']:,.0f} | "
                             f"{f1(run['p50_ms'])} | {f1(run['p95_ms'])} | {f1(run['p99_ms'])} | "
                             f"{f1(run['max_ms'])} | {run['server_cpu_ms_per_request']:.2f} | {run['errors']} | "
                             f"{run['load']} | {ratio} |")
        b = first["body_bytes"]
        lines += ["", f"Feed bodies: median {b['median']:,.0f} bytes, smallest {b['min']:,}, largest {b['max']:,} "
                  f"({first['people']} feeds, {b['total'] / 1e6:.1f} MB in all).", ""]
        lines += results.get("feed_notes", [])
    imports = results.get("import") or []
    if imports:
        first = imports[0]
        lines += ["### Scenario import", "",
                  f"{first['scenario']} ({first['bytes'] / 1e6:.1f} MB, {first['records']:,} records: "
                  + ", ".join(f"{v:,} {k}" for k, v in sorted(first['counts'].items())) + "). *direct*: "
                  "`read_upload` + `import_scenario` in one transaction, commit included (CPU: this process "
                  "only, not the database server); *read*: JSON parsing; *validate*: `parse_scenario` timed "
                  "apart (the same call `import_scenario` makes); *store*: the rest (rows, executemany, commit). "
                  "*HTTP*: POST /api/scenarios (multipart) by a logged-in regievoerder through TestClient. "
                  f"Medians of {first['repeats']} imports each into the same database. Target < 10 s.", "",
                  "| database | direct s | CPU s | read s | validate s | store + commit s | HTTP s | runs direct / HTTP s | load |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for res in imports:
            d = res["direct"]
            lines.append(f"| {res['db']} | {d['total']:.2f} | {d['cpu']:.2f} | {d['read']:.2f} | {d['validate']:.2f} | "
                         f"{d['store']:.2f} | {res['http']:.2f} | {res['direct_all']} / {res['http_all']} | "
                         f"{res['load']} |")
        lines.append("")
    pubs = results.get("publish") or []
    if pubs:
        first = pubs[0]
        lines += ["### Publishing", "",
                  f"{first['scenario']}: quick-solve draft ({first['planned']}/{first['departures']} departures "
                  f"planned), a contact address for each of the {first['people']} people in it, aiosmtpd on "
                  "loopback in a process of its own. `publish()` timed end to end: the checked transaction "
                  "(check against the scenario, calendar events, every affected feed rendered, every invite "
                  "rendered into the outbox), commit, then every invite sent over SMTP and marked sent "
                  "(CPU: the publishing process only). One publication per row, each on a fresh database. "
                  "*before*: the current transaction with delivery as it was before (every queued mail parsed "
                  "back from the outbox and rendered again for SMTP, one UPDATE per mail sent); *after*: the "
                  "outbox holds each mail as it goes over the wire and delivery sends those bytes. "
                  "Target < 30 s.", "",
                  "| database | code | publish s | CPU s | events | mails queued / sent / received | feeds | phases s | load | after ÷ before (CPU) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for res in pubs:
            ph = "; ".join(f"{k} {v:.1f}" for k, v in res["phases"].items())
            before = next((r for r in pubs if r["db"] == res["db"] and r["variant"] == "before"), None)
            ratio = (f"{res['seconds'] / before['seconds']:.2f} ({res['cpu_s'] / before['cpu_s']:.2f})"
                     if res["variant"] == "after" and before else "")
            lines.append(f"| {res['db']} | {res['variant']} | {res['seconds']:.1f} | {res['cpu_s']:.1f} | "
                         f"{res['events_total']:,} ({', '.join(f'{v} {k}' for k, v in res['events'].items() if v)}) | "
                         f"{res['mails_queued']:,} / {res['delivered'].get('sent', 0):,} / {res['smtp_received']:,} | "
                         f"{res['feeds']} | {ph} | {res['load']} | {ratio} |")
        lines += ["", "Phases (wall s): *transaction body* contains *feeds rendered* and *invites rendered*; "
                  "*deliver* contains *SMTP send*; the quick solve that made the draft is not included.", ""]
        lines += results.get("publish_notes", [])
    for note in results.get("skipped", []):
        lines.append(f"- skipped: {note}")
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--targets", default="feeds,import,publish")
    parser.add_argument("--feed-size", default="large")
    parser.add_argument("--import-size", default="eu")
    parser.add_argument("--publish-size", default="large")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--no-before", action="store_true",
                        help="measure the code as it is only, not also the feed route and delivery as they were "
                             "before the changes made with this benchmark (kept in this file)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per back-to-back feed run")
    parser.add_argument("--paced-duration", type=float, default=30.0, help="seconds per paced feed run")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="imports per database")
    parser.add_argument("--markdown", help="write the RESULTS.md section here")
    parser.add_argument("--json", help="write the raw figures here")
    parser.add_argument("--loadgen", help=argparse.SUPPRESS)
    parser.add_argument("--smtp-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        return loadgen_main(args.loadgen)
    if args.smtp_server:
        return smtp_server_main()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = {"started": f"{datetime.now(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC",
               "local_time": f"{datetime.now(ZoneInfo('Europe/Amsterdam')):%H:%M} Europe/Amsterdam",
               "machine": machine(), "load_start": load_average(), "skipped": [], "feeds": [], "import": [],
               "publish": []}
    if "postgres" in dbs and pg_version() is None:
        print(f"PostgreSQL not reachable at {PG_ADMIN}: skipping the PostgreSQL runs", flush=True)
        results["skipped"].append(f"PostgreSQL (not reachable at {PG_ADMIN})")
        dbs.remove("postgres")
    targets = args.targets.split(",")
    variants = ["after"] if args.no_before else ["before", "after"]
    with tempfile.TemporaryDirectory(prefix="vp-bench-") as folder:
        tmp = Path(folder)
        for kind in dbs:
            if "feeds" in targets:
                (tmp / f"feeds-{kind}").mkdir()
                results["feeds"].append(bench_feeds(kind, tmp / f"feeds-{kind}", args.feed_size,
                                                    [int(w) for w in args.workers.split(",")], args.duration,
                                                    args.paced_duration, args.concurrency, variants))
            if "import" in targets:
                (tmp / f"import-{kind}").mkdir()
                results["import"].append(bench_import(kind, tmp / f"import-{kind}", args.import_size, args.repeats))
            if "publish" in targets:
                for variant in variants:
                    (tmp / f"publish-{kind}-{variant}").mkdir()
                    results["publish"].append(bench_publish(kind, tmp / f"publish-{kind}-{variant}",
                                                            args.publish_size, variant))
    text = markdown(results)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
