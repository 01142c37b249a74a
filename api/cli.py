"""The ``vertrekplanner`` command: the planner's commands plus the service's.

``serve`` runs the web app (and, on the embedded SQLite setup, one worker process beside it),
``worker`` runs solve jobs, ``user`` creates or resets an account. Everything else
(plan, demo, pdf, check, validate, generate, template) is the planner's own CLI.
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys

SERVICE_COMMANDS = {
    "serve": "run the web app (and a worker beside it on the embedded database)",
    "worker": "run solve jobs from the database",
    "user": "create an account or reset its password",
    "purge": "remove personal fields of departures handed over longer ago than RETENTION_DAYS",
}

DEMO_UNIT = "BV-Demo"


def build_parser() -> argparse.ArgumentParser:
    """The planner's parser plus the service's commands, for the top-level help and usage errors.

    The planner knows nothing of the web, so the service's commands are added here; they parse
    their own arguments (``cmd_serve``, ...), these entries only name them.
    """
    from planner.cli import build_parser as planner_parser

    parser = planner_parser()
    parser.description = "Plans special departures, and runs the planning service."
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, text in SERVICE_COMMANDS.items():
        commands.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in SERVICE_COMMANDS:
        parser = build_parser()
        if not argv:
            parser.print_help()
            return 2
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if argv[0] not in commands.choices:
            parser.parse_args(argv)  # --help: every command; anything else: a usage error naming them all
            return 2
        from planner.cli import main as planner_main

        return planner_main(argv)
    command, rest = argv[0], argv[1:]
    if command == "worker":
        from .worker import main as worker_main

        return worker_main(rest)
    if command == "user":
        return cmd_user(rest)
    if command == "purge":
        return cmd_purge(rest)
    return cmd_serve(rest)


def cmd_user(argv: list[str]) -> int:
    from .authz import ROLES

    parser = argparse.ArgumentParser(prog="vertrekplanner user", description="Create an account or reset its password.")
    parser.add_argument("username")
    parser.add_argument("--role", choices=ROLES, required=True)
    parser.add_argument("--unit")
    parser.add_argument("--owner", help="escort:<id>, medic:<id> or vehicle:<id> for field roles")
    parser.add_argument("--email")
    args = parser.parse_args(argv)
    from .passwords import problems

    password = os.environ.get("VERTREKPLANNER_PASSWORD")
    if not password:
        password = secrets.token_urlsafe(12)  # 16 random characters; drawn again in the unlikely case it fails
        while problems(password, args.username):
            password = secrets.token_urlsafe(12)
    found = problems(password, args.username)
    if found:
        print("Wachtwoord (VERTREKPLANNER_PASSWORD) geweigerd: " + "; ".join(found), file=sys.stderr)
        return 2
    from .settings import Settings

    settings = Settings.from_env()
    db = _database(settings)
    _put_user(db, args.username, password, args.role, args.unit, args.owner, args.email)
    print(f"Account {args.username} ({args.role}); wachtwoord: {password}")
    return 0


def cmd_purge(argv: list[str]) -> int:
    from .retention import purge
    from .settings import Settings

    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="vertrekplanner purge", description="Storage limitation: remove the "
                                     "personal fields of departures handed over longer ago than the retention period "
                                     "(the worker also does this every hour).")
    parser.add_argument("--days", type=int, default=settings.retention_days,
                        help=f"retention period in days (default RETENTION_DAYS, now {settings.retention_days})")
    args = parser.parse_args(argv)
    db = _database(settings)
    with db.transaction() as session:
        purged = purge(session, args.days, actor="vertrekplanner purge")
    print(f"{len(purged)} vertrek(ken) opgeschoond (bewaartermijn {args.days} dagen na de overdracht)")
    return 0


def _database(settings):
    from .db import Database, migrate

    migrate(settings.database_url)
    return Database(settings.database_url)


def _put_user(db, username, password, role, unit=None, owner=None, email=None) -> None:
    from sqlalchemy import select

    from . import audit
    from .auth import end_other_sessions, hash_password
    from .models import User

    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, role=role)
            session.add(user)
        user.password_hash, user.role, user.unit, user.owner, user.email = (
            hash_password(password), role, unit, owner, email)
        user.active = True
        session.flush()
        end_other_sessions(session, user.id)  # a reset ends every session of the account
        audit.record(session, "cli", "user.put", "user", user.id, username=username, role=role)


def load_demo(db, settings=None) -> list[tuple[str, str, str]]:
    """Demo accounts and the demo scenario with its draft plan (solved once, here, in a second or two).

    The field accounts are people the demo plan uses: the escort with the most missions, a medic
    and a vehicle of the draft, so that after publishing it each of them sees their own schedule."""
    import json
    from collections import Counter

    from sqlalchemy import select

    from planner.contact import DEMO_CONTACT
    from planner.generator import generate
    from planner.solve import SolveOptions

    from . import book, solving
    from . import scenarios as store
    from .models import PlanVersion, ScenarioRow
    from .owners import owner_of

    if settings is not None:  # the demo unit's letters carry a (fictitious) contact block
        from .units import write_demo_block

        write_demo_block(settings, DEMO_UNIT, dict(DEMO_CONTACT))
    with db.transaction() as session:
        row = session.scalar(select(ScenarioRow).where(ScenarioRow.name == "demo", ScenarioRow.unit == DEMO_UNIT))
        if row is None:
            doc = generate("small", 2026)
            doc["name"] = "demo"
            row = store.import_scenario(session, json.loads(json.dumps(doc)), DEMO_UNIT, "demo", "demo (generated)")
            setup = solving.prepare(session, row.id, {})
            result = solving.run(setup, SolveOptions(time_limit=20.0, workers=2))
            plan = solving.plan_document(setup, result, None, {"mode": "cp-sat", "time_limit": 20.0}, fixes=True)
            problems = solving.violations(setup, plan)
            if problems:  # never stored: a plan that breaks a rule is worse than none
                raise RuntimeError(f"demo plan refused by the checker: {problems[0]}")
            session.add(solving.draft(setup, plan, row.id, book.revision(session), None, "demo"))
        first = session.scalar(select(PlanVersion).where(PlanVersion.scenario_id == row.id)
                               .order_by(PlanVersion.id).limit(1))
        planned = [d for d in first.document["departures"] if d["planned"]]
    missions = Counter(e["id"] for d in planned for e in d["escorts"])
    escort = min(missions, key=lambda e: (-missions[e], e))
    medic = min(m["id"] for d in planned for m in d["medics"])
    vehicle = min(d["pickup"]["vehicle"] for d in planned)
    password = "demo-wachtwoord"
    owners = {"escort": owner_of("escort", escort), "medicus": owner_of("medic", medic),
              "chauffeur": owner_of("vehicle", vehicle)}
    accounts = [("regie", "regievoerder", f"unit {DEMO_UNIT}"), ("beheer", "planner-admin", "gebruikers en middelen"),
                ("inspectie", "inspector", "alleen lezen, auditlog"),
                ("escort", "escort", f"{owners['escort']}, {missions[escort]} missie(s) in het demoplan"),
                ("medicus", "medic", f"{owners['medicus']}, in het demoplan"),
                ("chauffeur", "driver", f"{owners['chauffeur']}, in het demoplan")]
    for username, role, _ in accounts:
        _put_user(db, username, password, role, DEMO_UNIT if role == "regievoerder" else None, owners.get(username),
                  f"{username}@demo.vertrekplanner.invalid")
    return [(u, password, what) for u, _, what in accounts]


def cmd_serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vertrekplanner serve", description="Run the planning service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--demo", action="store_true", help="load demo accounts and the demo scenario")
    parser.add_argument("--no-worker", action="store_true", help="do not start a worker process beside the web app")
    args = parser.parse_args(argv)
    import uvicorn

    from .app import create_app
    from .settings import Settings

    os.environ.setdefault("PUBLIC_URL", f"http://{args.host}:{args.port}")
    settings = Settings.from_env()
    db = _database(settings)
    if args.demo:
        print("Demo laden (de eerste keer wordt het demoscenario ook gepland, een paar seconden)…", flush=True)
    accounts = load_demo(db, settings) if args.demo else []
    db.dispose()
    worker = None
    if settings.embedded_worker and not args.no_worker:
        import logging

        from .supervisor import Supervisor

        # Solves never run in the web process: one worker process beside it, on the same database,
        # restarted (with a line in the log) when it dies.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        env = dict(os.environ, DATABASE_URL=settings.database_url, SECRET_KEY=settings.secret_key)
        worker = Supervisor([sys.executable, "-m", "api.worker"], env).start()
    print(f"\nvertrekplanner draait op {settings.public_url}/  (database: {_safe(settings.database_url)})")
    for username, password, what in accounts:
        print(f"  inloggen als {username:<10} wachtwoord {password}   ({what})")
    print("Stoppen: Ctrl-C\n", flush=True)
    try:
        uvicorn.run(create_app(settings, run_migrations=False), host=args.host, port=args.port, log_level="warning")
    finally:
        if worker is not None:
            worker.stop()
    return 0


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
