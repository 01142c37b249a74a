"""Living-plan benchmark: a planning book holding one scenario, changed a little at a time.

Usage: ``.venv/bin/python benchmarks/book.py [--size large] [--db sqlite|postgres] [--markdown FILE]``;
``make bench`` runs it (benchmarks/run.py, section "Living plan"). One process, one run; the
figures are measurements, nothing fails on a slow one. Steps, through the real API (TestClient) and
an in-process worker (``api.worker.Worker``, as ``vertrekplanner worker`` runs it):

1. import the scenario into an empty book (POST /api/scenarios);
2. preview the same file again (unchanged), and a copy with one travel document renewed and one
   flight given a seat more (POST /api/book/preview), median of 3 each;
3. solve (PLAN_SECONDS) and publish, with an invite address for every person;
4. record a cancelled flight — the planned flight whose departures number closest to 5 — with its
   re-plan (REPLAN_SECONDS): the API call until the draft is stored (end to end), and the draft's
   changed departures;
5. publish that re-plan: seconds, and whether only the people whose events changed got invites;
6. recommend a fit (GET .../options) for up to 5 departures the re-plan left unplanned, or else
   for planned ones: median seconds.

Targets (issue "A living plan"): preview < 5 s, re-plan end to end < 15 s, recommend < 2 s,
publishing a replan < 2 s.
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.append(str(path))

from service import add_regie, database, scenario_bytes, settings_for  # noqa: E402  (benchmarks/service.py)

PLAN_SECONDS = 30.0
REPLAN_SECONDS = 8.0
TARGETS = {"preview_s": 5, "replan_end_to_end_s": 15, "recommend_s": 2, "publish_replan_s": 2}


def timed(fn, repeats: int = 1) -> tuple[float, object]:
    seconds, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), out


def run(size: str, kind: str) -> dict:
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from api.app import create_app
    from api.auth import hash_password
    from api.models import OutboxMail, User
    from api.worker import Worker

    content, source = scenario_bytes(size)
    doc = json.loads(content)
    out: dict = {"size": size, "db": kind, "source": source,
                 "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")}
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp), "book") as url:
        settings = settings_for(url, Path(tmp), job_stale_seconds=60.0)
        app = create_app(settings, run_migrations=False)
        add_regie(app.state.db)
        with app.state.db.transaction() as s:
            s.add(User(username="admin", password_hash=hash_password("bench-wachtwoord"), role="planner-admin"))
        client, admin = TestClient(app), TestClient(app)
        for c, name in ((client, "regie"), (admin, "admin")):
            token = c.post("/api/session", json={"username": name, "password": "bench-wachtwoord"}).json()
            c.headers["X-CSRF-Token"] = token["csrf_token"]

        def worker_job(job_id: int) -> dict:
            Worker(settings, poll_seconds=0.05).run(max_jobs=1)
            return client.get(f"/api/jobs/{job_id}").json()

        out["import_s"], imported = timed(lambda: client.post("/api/scenarios", files={"file": ("s.json", content)}))
        sid = imported.json()["id"]
        out["preview_unchanged_s"], same = timed(
            lambda: client.post("/api/book/preview", files={"file": ("s.json", content)}), 3)
        changed = copy.deepcopy(doc)
        changed["departures"][0]["travel_document"]["valid_until"] = "2028-12-31"
        changed["flights"][0]["seats"] += 1
        body = json.dumps(changed).encode()
        out["preview_s"], preview = timed(lambda: client.post("/api/book/preview", files={"file": ("s.json", body)}), 3)
        out["preview_changes"] = len(preview.json()["changes"])
        out["preview_unchanged"] = same.json()["unchanged"]

        job = client.post(f"/api/scenarios/{sid}/jobs", json={"time_limit": PLAN_SECONDS}).json()
        first = client.get(f"/api/plans/{worker_job(job['id'])['plan_id']}").json()
        assert first["violations"] == [], first["violations"][:3]
        people = set()
        for d in first["document"]["departures"]:
            if d["planned"]:
                people |= {f"escort:{e['id']}" for e in d["escorts"]} | {f"medic:{m['id']}" for m in d["medics"]}
                people.add(f"vehicle:{d['pickup']['vehicle']}")
        for owner in people:
            admin.put(f"/api/contacts/{owner}", json={"email": owner.replace(":", ".") + "@dienst.example"})
        out["publish_first_s"], _ = timed(lambda: client.post(f"/api/plans/{first['id']}/publish"))
        planned = [d for d in first["document"]["departures"] if d["planned"]]
        out["planned"] = len(planned)

        riders = Counter(f for d in planned for f in d["flights"])
        flight = min(riders, key=lambda f: (abs(riders[f] - 5), f))
        started = time.perf_counter()
        recorded = client.post(f"/api/scenarios/{sid}/disruptions", params={"time_limit": REPLAN_SECONDS}, json={
            "format": "vertrekplanner/disruptions@1", "disruptions": [{"kind": "flight_cancelled", "flight": flight}]})
        finished = worker_job(recorded.json()["job_id"])
        out["replan_end_to_end_s"] = time.perf_counter() - started
        out["flight"], out["flight_riders"] = flight, riders[flight]
        out["affected"] = len(recorded.json()["affected"])
        second = client.get(f"/api/plans/{finished['plan_id']}").json()
        out["replan_violations"] = len(second["violations"])
        changes = second["document"]["changes"]
        out["replan_changed"] = len(changes["departures"])
        concerned = {f"{p['kind']}:{p['id']}" for p in changes["people"]}
        out["publish_replan_s"], published = timed(lambda: client.post(f"/api/plans/{second['id']}/publish"))
        with app.state.db.sessions() as s:
            mailed = {m.owner for m in s.scalars(select(OutboxMail).where(OutboxMail.plan_id == second["id"]))}
        out["mailed_people"], out["concerned_people"] = len(mailed), len(concerned)
        out["only_concerned_mailed"] = mailed <= concerned

        unplanned = [d["id"] for d in second["document"]["departures"] if not d["planned"]][:5] \
            or [d["id"] for d in planned[:5]]
        seconds = []
        for did in unplanned:
            s_, answer = timed(lambda: client.get(f"/api/scenarios/{sid}/departures/{did}/options"))
            seconds.append(s_)
        out["recommend_s"] = statistics.median(seconds)
        out["recommend_max_s"] = max(seconds)
        out["recommended"] = len(unplanned)
    return out


def markdown(r: dict) -> str:
    ok = {k: r[k] < v for k, v in TARGETS.items()}
    mark = {True: "yes", False: "**no**"}
    return "\n".join([
        "## Living plan (planning book, replan by default)", "",
        f"Measured {r['measured']} UTC. `benchmarks/book.py` on {r['source']} ({r['db']}), one run through the API and an in-process worker: "
        f"import, plan ({PLAN_SECONDS:.0f} s) and publish, then one cancelled flight re-planned "
        f"({REPLAN_SECONDS:.0f} s budget) and published, then recommend.", "",
        "| step | seconds | target | met | notes |", "|---|---:|---:|---|---|",
        f"| import into an empty book | {r['import_s']:.2f} | | | |",
        f"| preview, unchanged file (median of 3) | {r['preview_unchanged_s']:.2f} | 5 | "
        f"{mark[r['preview_unchanged_s'] < 5]} | unchanged: {r['preview_unchanged']} |",
        f"| preview, 2 changes (median of 3) | {r['preview_s']:.2f} | 5 | {mark[ok['preview_s']]} | "
        f"{r['preview_changes']} changes listed |",
        f"| publish the first plan | {r['publish_first_s']:.2f} | | | {r['planned']} departures planned |",
        f"| cancelled flight → re-plan draft (API call to draft) | {r['replan_end_to_end_s']:.2f} | 15 | "
        f"{mark[ok['replan_end_to_end_s']]} | {r['flight']} ({r['flight_riders']} departures on it, "
        f"{r['affected']} affected): {r['replan_changed']} departures changed, {r['replan_violations']} violations |",
        f"| publish the re-plan | {r['publish_replan_s']:.2f} | 2 | {mark[ok['publish_replan_s']]} | "
        f"invites to {r['mailed_people']} of {r['concerned_people']} people whose duties changed; "
        f"only those: {r['only_concerned_mailed']} |",
        f"| recommend a fit (median of {r['recommended']}) | {r['recommend_s']:.2f} | 2 | {mark[ok['recommend_s']]} | "
        f"slowest {r['recommend_max_s']:.2f} s |", ""])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="large")
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("--markdown")
    args = parser.parse_args()
    result = run(args.size, args.db)
    print(json.dumps(result), flush=True)
    if args.markdown:
        Path(args.markdown).write_text(markdown(result), encoding="utf-8")
    else:
        print(markdown(result))


if __name__ == "__main__":
    main()
