"""The planning-book migration (0004) on a database with data of the per-import era: the newest
import's record of each entity survives, plans and events get their unit, and one unit's double
booking of an event key (the fault the book ends) keeps the newest event."""
from __future__ import annotations

import json
import os

from alembic import command
from sqlalchemy import create_engine, text

from api.db import alembic_config


def test_scenarios_and_records_become_one_book(tmp_path):
    if os.environ.get("TEST_DATABASE_URL"):
        import pytest
        pytest.skip("run on a private SQLite file: the PostgreSQL test schema is already at head")
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0003")
    engine = create_engine(url)
    now = "2026-12-01 10:00:00"
    with engine.begin() as c:
        for sid, unit in ((1, "BV-Noord"), (2, "BV-Noord"), (3, "BV-Zuid")):
            c.execute(text("INSERT INTO scenarios (id, unit, name, header, version, created_at, created_by, source) "
                           "VALUES (:i, :u, 'demo', '{}', 1, :t, 'x', '')"), {"i": sid, "u": unit, "t": now})
        rows = [(1, "escorts", "KMAR-1", {"id": "KMAR-1", "name": "oud"}), (2, "escorts", "KMAR-1",
                {"id": "KMAR-1", "name": "nieuw"}), (1, "departures", "BV-1", {"id": "BV-1"}),
                (3, "departures", "BV-9", {"id": "BV-9"})]
        for pos, (sid, kind, key, data) in enumerate(rows):
            c.execute(text("INSERT INTO records (scenario_id, kind, key, position, data, version, updated_at, "
                           "updated_by) VALUES (:s, :k, :key, :p, :d, 1, :t, 'x')"),
                      {"s": sid, "k": kind, "key": key, "p": pos, "d": json.dumps(data), "t": now})
        for pid, sid, state in ((1, 1, "published"), (2, 2, "published"), (3, 3, "draft")):
            c.execute(text("INSERT INTO plans (id, scenario_id, scenario_version, state, document, violations, summary, "
                           "created_at, created_by, version) VALUES (:i, :s, 1, :st, '{}', '[]', '{}', :t, 'x', 1)"),
                      {"i": pid, "s": sid, "st": state, "t": now})
        for eid, sid in ((1, 1), (2, 2), (3, 3)):
            c.execute(text('INSERT INTO calendar_events (id, scenario_id, owner, key, uid, sequence, status, start, "end", '
                           "tzid, end_tzid, summary, location, description, busy, plan_id, updated_at) VALUES "
                           "(:i, :s, 'escort:KMAR-1', 'BV-1/escort', :u, 0, 'CONFIRMED', :t, :t, 'UTC', 'UTC', '', '', "
                           "'', 1, 1, :t)"), {"i": eid, "s": sid, "u": f"uid-{eid}", "t": now})
    command.upgrade(alembic_config(url), "head")
    with engine.begin() as c:
        book = {(k, key): (unit, json.loads(d)) for k, key, unit, d in
                c.execute(text("SELECT kind, key, unit, data FROM book_records"))}
        assert book == {("escorts", "KMAR-1"): (None, {"id": "KMAR-1", "name": "nieuw"}),
                        ("departures", "BV-1"): ("BV-Noord", {"id": "BV-1"}),
                        ("departures", "BV-9"): ("BV-Zuid", {"id": "BV-9"})}
        plans = dict((i, (u, s)) for i, u, s in c.execute(text("SELECT id, unit, state FROM plans")))
        assert plans == {1: ("BV-Noord", "superseded"), 2: ("BV-Noord", "published"), 3: ("BV-Zuid", "draft")}
        events = sorted(c.execute(text("SELECT id, unit FROM calendar_events")).all())
        assert events == [(2, "BV-Noord"), (3, "BV-Zuid")]
        assert c.execute(text("SELECT revision FROM book_state")).scalar() == 0
    engine.dispose()
