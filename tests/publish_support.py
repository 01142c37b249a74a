"""Test support for publishing: a draft plan made by the planner, contacts, a loopback SMTP server."""
from __future__ import annotations

import socket
from datetime import datetime

from aiosmtpd.controller import Controller

from api import scenarios as store
from api.models import PlanVersion
from planner.checker import check_plan
from planner.plan import build_plan
from planner.solve import SolveOptions, solve


def make_draft(service, scenario_id: int, quick: bool = True) -> tuple[int, dict]:
    """Solve as a worker would and store the draft; every plan is re-checked here."""
    with service.db.transaction() as session:
        sc = store.load(session, scenario_id)
        result = solve(sc, SolveOptions(quick=quick, time_limit=20, workers=2))
        plan = build_plan(sc, result, generated_at=datetime.now(sc.home_tz))
        assert check_plan(sc, plan) == []
        row = PlanVersion(scenario_id=scenario_id, scenario_version=1, state="draft", document=plan, violations=[],
                          created_by="test", summary={"planned": sum(d["planned"] for d in plan["departures"])})
        session.add(row)
        session.flush()
        return row.id, plan


def owners_in(plan: dict) -> set[str]:
    owners = set()
    for d in plan["departures"]:
        if d["planned"]:
            owners |= {f"escort:{e['id']}" for e in d["escorts"]} | {f"medic:{m['id']}" for m in d["medics"]}
            owners.add(f"vehicle:{d['pickup']['vehicle']}")
    return owners


def add_contacts(client, owners: set[str]) -> dict[str, str]:
    addresses = {}
    for owner in sorted(owners):
        email = owner.replace(":", ".").lower() + "@dienst.example"
        assert client.put(f"/api/contacts/{owner}", json={"email": email}).status_code == 200
        addresses[owner] = email
    return addresses


class Collector:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """aiosmtpd on loopback, collecting every message it accepts."""

    def __init__(self):
        self.collector = Collector()
        self.port = free_port()
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def envelopes(self):
        return self.collector.envelopes
