"""Helpers for tests of the planning service: a migrated database per test, users for every
role, logged-in clients, and the demo scenario as an upload.

SQLite by default (a fresh file per test); PostgreSQL when TEST_DATABASE_URL is set: each test run
migrates a schema of its own (dropped when the run ends) and empties its tables before each test, so
two runs on one database, say CI and a developer's run, never touch each other's tables.
"""
from __future__ import annotations

import atexit
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from api.app import create_app
from api.auth import hash_password
from api.db import Database, migrate
from api.models import Base, User
from api.settings import Settings, normalise_url

PASSWORD = "wachtwoord-voor-tests"
# username -> (role, unit, calendar owner, e-mail)
USERS = {
    "regie": ("regievoerder", "BV-Noord", None, "regie@example.test"),
    "regie-zuid": ("regievoerder", "BV-Zuid", None, "zuid@example.test"),
    "admin": ("planner-admin", None, None, "admin@example.test"),
    "escort": ("escort", None, "escort:KMAR-001", "escort@example.test"),
    "medic": ("medic", None, "medic:MED-01", "medic@example.test"),
    "driver": ("driver", None, "vehicle:DVO-1", "driver@example.test"),
    "inspector": ("inspector", None, None, "inspectie@example.test"),
}
_PASSWORD_HASH = None


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_url(url) if url else None


_run_url: str | None = None  # this run's schema on the PostgreSQL test database, once migrated


def _run_schema(base_url: str) -> str:
    """A schema for this test run alone, migrated, and the URL that puts it first on the search path
    (the URL also reaches worker subprocesses, so they use it too)."""
    schema = f"vp_test_{os.getpid()}_{secrets.token_hex(4)}"
    engine = create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    atexit.register(_drop_schema, base_url, schema)
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    migrate(rendered)
    return rendered


def _drop_schema(base_url: str, schema: str) -> None:
    engine = create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def fresh_database_url(tmp_path: Path) -> str:
    """A migrated, empty database for one test."""
    global _run_url
    base = postgres_url()
    if base is None:
        url = f"sqlite:///{tmp_path / 'service.db'}"
        migrate(url)
        return url
    if _run_url is None:
        _run_url = _run_schema(base)
        return _run_url
    engine = create_engine(_run_url)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))  # TRUNCATE skips row triggers
    engine.dispose()
    return _run_url


def settings_for(url: str, tmp_path: Path, **changes) -> Settings:
    base = Settings(database_url=url, secret_key="test-secret-key", data_dir=tmp_path, embedded_worker=False,
                    job_stale_seconds=3.0)
    return base.with_(**changes) if changes else base


def add_users(db: Database) -> None:
    global _PASSWORD_HASH
    _PASSWORD_HASH = _PASSWORD_HASH or hash_password(PASSWORD)
    with db.transaction() as session:
        for name, (role, unit, owner, email) in USERS.items():
            session.add(User(username=name, password_hash=_PASSWORD_HASH, role=role, unit=unit, owner=owner,
                             email=email))


@dataclass
class Service:
    app: object
    db: Database
    settings: Settings

    def client(self, username: str | None = None) -> TestClient:
        """A client, logged in as ``username`` with its CSRF header set, or anonymous."""
        client = TestClient(self.app)
        if username:
            response = client.post("/api/session", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.text
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client


def make_service(tmp_path: Path, **changes) -> Service:
    url = fresh_database_url(tmp_path)
    settings = settings_for(url, tmp_path, **changes)
    app = create_app(settings, run_migrations=False)
    add_users(app.state.db)
    return Service(app, app.state.db, settings)


@lru_cache(maxsize=None)
def demo_scenario_bytes(seed: int = 2026) -> bytes:
    from planner.generator import generate

    data = generate("small", seed)
    data["name"] = "demo"
    return json.dumps(data).encode()


def upload_demo(client: TestClient, content: bytes | None = None, name: str = "demo.json") -> dict:
    response = client.post("/api/scenarios", files={"file": (name, content or demo_scenario_bytes())})
    assert response.status_code == 201, response.text
    return response.json()
