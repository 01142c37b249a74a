"""Who may reach what: every route of the app, walked with every role and without a login.

The expected access is written out below as data, from the product's rules, not read from
``api/authz.py``:

* regievoerder: the cases of their own unit: import, edit departures, start and stop solving,
  review and publish plans, and their unit's task feed (``/api/me/*``);
* planner-admin: users, contacts, the resources of a scenario (escorts, medics, vehicles,
  flights, airlines, reception, locations, airports), anyone's feed link, the audit log;
* escort, medic, driver: only their own schedule (``/api/me/*`` and the person page ``/ik``), and the
  itinerary (HTML and PDF) of a departure whose team they are on in its unit's published plan
  (escort or medic on it, or the driver of its vehicle) — not another departure's, not a draft's,
  never the handover letter or the departure page;
* inspector: reads every part of the planning and the audit log, and never writes. Users and
  contacts are account administration of the planner-admin, not planning: the inspector reviews
  that administration through the audit log (every account and contact change is in it);
* ``/feeds/{token}.ics``: no login, the secret token is the key.

A route the table does not name fails ``test_every_route_has_an_access_decision``: a new route
needs a decision here before it can ship. One service and one set of real objects (a scenario
of BV-Noord, a published plan, a draft, a solve job, a feed link) serve the whole module, so
every path parameter names something that exists.
"""
from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Callable

import icalendar
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from starlette.routing import Mount, Route

from api.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from api.models import (AuditEntry, Base, CalendarEvent, FeedToken, PendingChange, PlanVersion, BookRecord, ScenarioRow,
                        SolveJob, User)
from publish_support import make_draft
from service import PASSWORD, demo_scenario_bytes, make_service, upload_demo

# --- The expected access, from the product rules ----------------------------------------------

ANON = "anonymous"
REGIE, ADMIN, ESCORT, MEDIC, DRIVER, INSPECTOR = (
    "regievoerder", "planner-admin", "escort", "medic", "driver", "inspector")
ROLES = (REGIE, ADMIN, ESCORT, MEDIC, DRIVER, INSPECTOR)
PRINCIPALS = (ANON,) + ROLES
USERNAME = {REGIE: "regie", ADMIN: "admin", ESCORT: "escort", MEDIC: "medic", DRIVER: "driver",
            INSPECTOR: "inspector"}

PUBLIC = frozenset(PRINCIPALS)  # no login needed (or, for feeds, the secret token instead)
LOGGED_IN = frozenset(ROLES)
FIELD = frozenset({ESCORT, MEDIC, DRIVER})
CASE_READERS = frozenset({REGIE, INSPECTOR})  # the unit's cases, their solving and plans
SCENARIO_READERS = frozenset({REGIE, ADMIN, INSPECTOR})  # the scenario itself (admins edit its resources)
OWN_CALENDAR = frozenset({REGIE}) | FIELD  # a regievoerder's own calendar is the unit's task feed
ONLY = frozenset


@dataclass(frozen=True)
class ByKind:
    """Access to ``/api/scenarios/{id}/{kind}...`` depends on the kind: cases, receptions or other resources."""
    cases: frozenset
    resources: frozenset
    reception: frozenset | None = None  # None: as the other resources

    def for_kind(self, kind: str) -> frozenset:
        if kind == "reception" and self.reception is not None:
            return self.reception
        return self.cases if kind == "departures" else self.resources


@dataclass(frozen=True)
class OnTeam:
    """The itinerary routes: the case readers always; a field role only on a departure whose team they
    are on in the unit's published plan. A call's kind says which: "team" (the calling principal is on
    that departure's team in the published plan), "other" (another departure, or a draft plan)."""
    readers: frozenset
    team: frozenset

    def for_kind(self, kind: str) -> frozenset:
        return self.readers | self.team if kind == "team" else self.readers


EXPECTED: dict[tuple[str, str], frozenset | ByKind | OnTeam] = {
    # Public: documentation of the API, static files, logging in, calendar feeds by token.
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/static/swagger-ui/{path}"): PUBLIC,
    ("GET", "/static/{path}"): PUBLIC,
    ("POST", "/api/session"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/feeds/{token}.ics"): PUBLIC,
    # Every logged-in person: who am I, log out, the landing page (which sends non-case roles home).
    ("GET", "/api/session"): LOGGED_IN,
    ("PUT", "/api/session/password"): LOGGED_IN,  # one's own password (the current one is asked)
    ("DELETE", "/api/session"): LOGGED_IN,
    ("POST", "/logout"): LOGGED_IN,
    ("GET", "/"): LOGGED_IN,
    # Scenarios: the regievoerder imports; admins see scenarios to edit their resources.
    ("GET", "/api/scenarios"): SCENARIO_READERS,
    ("POST", "/api/scenarios"): ONLY({REGIE}),
    ("GET", "/api/scenarios/{scenario_id}"): SCENARIO_READERS,
    ("GET", "/api/scenarios/{scenario_id}/{kind}"): ByKind(cases=CASE_READERS, resources=SCENARIO_READERS),
    ("GET", "/api/scenarios/{scenario_id}/{kind}/{key}"): ByKind(cases=CASE_READERS, resources=SCENARIO_READERS),
    # Regievoerders edit their unit's departures and keep receptions current; admins the people and vehicles.
    ("PUT", "/api/scenarios/{scenario_id}/{kind}/{key}"): ByKind(cases=ONLY({REGIE}), resources=ONLY({ADMIN}),
                                                                reception=ONLY({REGIE, ADMIN})),
    ("POST", "/api/book/preview"): ONLY({REGIE}),
    # Changing the plan a little: the unit records disruptions, adds departures, takes a recommended fit.
    ("POST", "/api/scenarios/{scenario_id}/disruptions"): ONLY({REGIE}),
    ("GET", "/api/scenarios/{scenario_id}/disruptions"): CASE_READERS,
    ("POST", "/api/scenarios/{scenario_id}/departures"): ONLY({REGIE}),
    ("GET", "/api/scenarios/{scenario_id}/departures/{departure}/options"): CASE_READERS,
    ("POST", "/api/scenarios/{scenario_id}/departures/{departure}/options/{rank}"): ONLY({REGIE}),
    # Account administration and the audit log.
    ("GET", "/api/users"): ONLY({ADMIN}),
    ("POST", "/api/users"): ONLY({ADMIN}),
    ("PUT", "/api/users/{user_id}"): ONLY({ADMIN}),
    ("POST", "/api/users/{user_id}/unlock"): ONLY({ADMIN}),
    # Account changes that open case data wait for a second planner-admin (never the requester).
    ("GET", "/api/pending-changes"): ONLY({ADMIN}),
    ("POST", "/api/pending-changes/{change_id}/confirm"): ONLY({ADMIN}),
    ("POST", "/api/pending-changes/{change_id}/reject"): ONLY({ADMIN}),
    ("GET", "/api/contacts"): ONLY({ADMIN}),
    ("PUT", "/api/contacts/{owner}"): ONLY({ADMIN}),
    ("GET", "/api/audit"): ONLY({ADMIN, INSPECTOR}),
    # Solving and plans: the regievoerder runs and publishes, the inspector reads along.
    ("POST", "/api/scenarios/{scenario_id}/jobs"): ONLY({REGIE}),
    ("GET", "/api/scenarios/{scenario_id}/jobs"): CASE_READERS,
    ("GET", "/api/jobs/{job_id}"): CASE_READERS,
    ("DELETE", "/api/jobs/{job_id}"): ONLY({REGIE}),
    ("GET", "/api/scenarios/{scenario_id}/plans"): CASE_READERS,
    ("GET", "/api/plans/{plan_id}"): CASE_READERS,
    ("GET", "/api/plans/{plan_id}/diff"): CASE_READERS,
    ("GET", "/api/plans/{plan_id}/plan.xlsx"): CASE_READERS,
    ("POST", "/api/plans/{plan_id}/publish"): ONLY({REGIE}),
    # One's own calendar; anyone's feed link is the admin's.
    ("GET", "/api/me/feed"): OWN_CALENDAR,
    ("POST", "/api/me/feed-token"): OWN_CALENDAR,
    ("DELETE", "/api/me/feed-token"): OWN_CALENDAR,
    ("GET", "/api/me/events"): OWN_CALENDAR,
    ("GET", "/api/me/calendar.ics"): OWN_CALENDAR,
    ("POST", "/api/people/{owner}/feed-token"): ONLY({ADMIN}),
    ("DELETE", "/api/people/{owner}/feed-token"): ONLY({ADMIN}),
    # Pages: the same rules as the API.
    ("GET", "/scenarios/{scenario_id}"): CASE_READERS,
    ("POST", "/scenarios/import"): ONLY({REGIE}),
    ("POST", "/scenarios/import/preview"): ONLY({REGIE}),
    ("GET", "/scenarios/{scenario_id}/verstoringen"): CASE_READERS,
    ("POST", "/scenarios/{scenario_id}/verstoringen"): ONLY({REGIE}),
    ("GET", "/scenarios/{scenario_id}/departures/{dep_id}"): CASE_READERS,
    ("GET", "/scenarios/{scenario_id}/departures/{dep_id}/itinerary.html"): OnTeam(CASE_READERS, FIELD),
    ("GET", "/scenarios/{scenario_id}/departures/{dep_id}/itinerary.pdf"): OnTeam(CASE_READERS, FIELD),
    ("GET", "/scenarios/{scenario_id}/departures/{dep_id}/letter.{lang}.html"): CASE_READERS,
    ("GET", "/scenarios/{scenario_id}/departures/{dep_id}/letter.{lang}.pdf"): CASE_READERS,
    ("GET", "/scenarios/{scenario_id}/board"): CASE_READERS,
    ("POST", "/scenarios/{scenario_id}/solve"): ONLY({REGIE}),
    ("GET", "/jobs/{job_id}"): CASE_READERS,
    ("POST", "/jobs/{job_id}/stop"): ONLY({REGIE}),
    ("GET", "/plans/{plan_id}"): CASE_READERS,
    ("POST", "/plans/{plan_id}/publish"): ONLY({REGIE}),
    ("GET", "/ik"): FIELD,
    ("POST", "/ik/feed-token"): FIELD,
    ("GET", "/ik/agenda.ics"): FIELD,
    ("GET", "/beheer"): ONLY({ADMIN}),
    ("POST", "/beheer/users"): ONLY({ADMIN}),
    ("POST", "/beheer/users/{user_id}/unlock"): ONLY({ADMIN}),
    ("POST", "/beheer/pending/{change_id}/{decision}"): ONLY({ADMIN}),
    ("POST", "/beheer/contacts"): ONLY({ADMIN}),
    ("GET", "/audit"): ONLY({ADMIN, INSPECTOR}),
    # The invite outbox: read-only; regievoerders see their unit's publications, admins and inspectors all.
    ("GET", "/uitnodigingen"): ONLY({REGIE, ADMIN, INSPECTOR}),
    # Search for departures (the unit's) and escorts and medics: the case readers.
    ("GET", "/zoeken"): CASE_READERS,
    # Editing the book from the pages: as the API's PUT (departures, receptions, other resources).
    ("GET", "/scenarios/{scenario_id}/{kind}/{key}/bewerken"): ByKind(cases=ONLY({REGIE}), resources=ONLY({ADMIN}),
                                                                     reception=ONLY({REGIE, ADMIN})),
    ("POST", "/scenarios/{scenario_id}/{kind}/{key}/bewerken"): ByKind(cases=ONLY({REGIE}), resources=ONLY({ADMIN}),
                                                                      reception=ONLY({REGIE, ADMIN})),
    ("GET", "/scenarios/{scenario_id}/departures/nieuw"): ONLY({REGIE}),
    ("POST", "/scenarios/{scenario_id}/departures/nieuw"): ONLY({REGIE}),
    ("GET", "/middelen"): SCENARIO_READERS,
    ("GET", "/scenarios/{scenario_id}/middelen"): SCENARIO_READERS,
    ("GET", "/scenarios/{scenario_id}/departures/{dep_id}/opties"): CASE_READERS,
    ("POST", "/scenarios/{scenario_id}/departures/{dep_id}/opties/{rank}"): ONLY({REGIE}),
}

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
KINDS = ("departures", "airlines", "flights", "locations", "vehicles", "escorts", "medics", "reception", "airports")
LOGIN_ROUTES = {("POST", "/api/session"), ("POST", "/login")}  # public: their own CSRF defence
SESSION_ENDING = {("DELETE", "/api/session"), ("POST", "/logout")}
OWN_PASSWORD = ("PUT", "/api/session/password")  # ends the account's other sessions: a throwaway account per role


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path template) of every route, through included routers (FastAPI keeps those lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
        entries = [(rc.original_route, rc.path, rc.methods) for rc in iter_route_contexts(app.routes)]
    except ImportError:  # older FastAPI: app.routes is already flat
        entries = [(r, r.path, getattr(r, "methods", None)) for r in app.routes]
    found = set()
    for route, path, methods in entries:
        if isinstance(route, Mount):
            found.add(("GET", path.rstrip("/") + "/{path}"))
            continue
        assert isinstance(route, Route) or hasattr(route, "dependant"), f"route of an unknown kind: {route!r}"
        for method in methods or ():
            if method != "HEAD" or "GET" not in methods:  # Starlette adds HEAD to GET routes
                found.add((method, path))
    return found


def allowed_for(key: tuple[str, str], kind: str | None) -> frozenset:
    rule = EXPECTED[key]
    return rule.for_kind(kind) if isinstance(rule, (ByKind, OnTeam)) else rule


# --- The world: one service, real objects ------------------------------------------------------

_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class World:
    svc: object
    clients: dict[str, TestClient]
    sid: int
    published_id: int
    draft_id: int
    job_id: int
    target_user_id: int
    dep_id: str
    lang: str
    feed_token: str
    keys: dict[str, str]
    team_deps: dict[str, str]  # field role -> a planned departure of the published plan with them on its team
    other_deps: dict[str, str]  # field role -> a planned departure without them (where the plan has one)
    counter: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)

    def login(self, username: str) -> TestClient:
        return self.svc.client(username)

    def fresh_draft(self) -> int:
        """A new draft with the published plan's content, valid against the scenario as it is now."""
        with self.svc.db.transaction() as s:
            source = s.get(PlanVersion, self.published_id)
            version = s.get(ScenarioRow, self.sid).version
            row = PlanVersion(scenario_id=self.sid, scenario_version=version, state="draft",
                              document=source.document, violations=[], created_by="matrix", summary=source.summary)
            s.add(row)
            s.flush()
            return row.id

    def record_version(self, kind: str) -> tuple[dict, int]:
        with self.svc.db.sessions() as s:
            record = s.scalar(select(BookRecord).where(BookRecord.kind == kind,
                                                   BookRecord.key == self.keys[kind]))
            return record.data, record.version

    def fresh_pending(self) -> int:
        """An account creation asked for by a second admin, for the admin of the walk to decide."""
        with self.svc.db.transaction() as s:
            row = PendingChange(action="create", username=f"matrix-pending-{self.counter()}", requested_by="admin2",
                                payload={"role": "inspector", "unit": None, "owner": None, "email": None,
                                         "active": True, "password_hash": _CHEAP.hash(PASSWORD), "version": None})
            s.add(row)
            s.flush()
            return row.id

    def user_version(self) -> int:
        with self.svc.db.sessions() as s:
            return s.get(User, self.target_user_id).version


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    svc = make_service(tmp_path_factory.mktemp("authz"))
    # The test accounts get a cheap Argon2 hash: the walk logs in dozens of times (the real cost
    # takes most of a second per login on a small machine). Verification reads the cost from the hash.
    with svc.db.transaction() as s:
        s.execute(update(User).values(password_hash=_CHEAP.hash(PASSWORD)))
        s.add(User(username="admin2", password_hash=_CHEAP.hash(PASSWORD), role=ADMIN))
        s.add_all(User(username=f"pw-{role}", password_hash=_CHEAP.hash(PASSWORD), role=role,
                       unit="BV-Noord" if role == REGIE else None) for role in ROLES)
    clients = {role: svc.client(USERNAME[role]) for role in ROLES}
    clients[ANON] = svc.client()
    regie, admin = clients[REGIE], clients[ADMIN]

    sid = upload_demo(regie)["id"]
    published_id, plan = make_draft(svc, sid)
    assert regie.post(f"/api/plans/{published_id}/publish").status_code == 200
    job = regie.post(f"/api/scenarios/{sid}/jobs", json={"quick": True, "time_limit": 5})
    assert job.status_code == 202, job.text
    target = admin.post("/api/users", json={"username": "matrix-target", "password": PASSWORD,
                                            "role": "driver"})  # a field role: created at once
    assert target.status_code == 201, target.text
    # A feed link nobody in the walk rotates (the walk rotates the escort's and the medic's own).
    link = admin.post("/api/people/medic:MED-001/feed-token")
    assert link.status_code == 201, link.text
    token = re.search(r"/feeds/([^/]+)\.ics$", link.json()["url"]).group(1)
    dep_id = next(d["id"] for d in plan["departures"] if d["planned"])
    team_deps, other_deps = _link_field_accounts(svc, plan)
    page = regie.get(f"/scenarios/{sid}/departures/{dep_id}")
    assert page.status_code == 200
    lang = re.search(r"/letter\.(\w+)\.html", page.text).group(1)
    with svc.db.sessions() as s:
        keys = {kind: s.scalar(select(BookRecord.key).where(BookRecord.kind == kind)
                               .order_by(BookRecord.position).limit(1)) for kind in KINDS}
    assert all(keys.values()), keys
    draft_id, _ = make_draft(svc, sid)
    w = World(svc=svc, clients=clients, sid=sid, published_id=published_id, draft_id=draft_id,
              job_id=job.json()["id"], target_user_id=target.json()["id"], dep_id=dep_id, lang=lang,
              feed_token=token, keys=keys, team_deps=team_deps, other_deps=other_deps)
    yield w
    for client in clients.values():
        client.close()
    svc.db.dispose()


def _team(entry: dict) -> set[str]:
    return ({f"escort:{e['id']}" for e in entry["escorts"]} | {f"medic:{m['id']}" for m in entry["medics"]}
            | {f"vehicle:{entry['pickup']['vehicle']}"})


def _link_field_accounts(svc, plan: dict) -> tuple[dict[str, str], dict[str, str]]:
    """The field accounts as people of the published plan: the escort (escort:KMAR-001) is on it; the
    medic and the driver are linked to a medic (not MED-001, whose feed link the walk keeps) and the
    vehicle of a planned departure. Per field role: a departure with them on its team, and one without."""
    planned = [d for d in plan["departures"] if d["planned"]]
    owners = {ESCORT: "escort:KMAR-001",
              MEDIC: next(f"medic:{m['id']}" for d in planned for m in d["medics"] if m["id"] != "MED-001"),
              DRIVER: f"vehicle:{planned[0]['pickup']['vehicle']}"}
    with svc.db.transaction() as s:
        for role in (MEDIC, DRIVER):
            s.execute(update(User).where(User.username == USERNAME[role]).values(owner=owners[role]))
    team = {role: next(d["id"] for d in planned if owner in _team(d)) for role, owner in owners.items()}
    other = {role: next((d["id"] for d in planned if owner not in _team(d)), None) for role, owner in owners.items()}
    return team, {role: dep for role, dep in other.items() if dep is not None}


def fingerprint(svc) -> tuple:
    """Everything a write could change: row counts, versions, states, live tokens, the audit log."""
    columns = []
    for table in Base.metadata.sorted_tables:
        columns.append(select(func.count()).select_from(table).scalar_subquery())
        if "version" in table.c:
            columns.append(select(func.coalesce(func.sum(table.c.version), 0)).scalar_subquery())
    columns += [
        select(func.count()).select_from(PlanVersion).where(PlanVersion.state == "published").scalar_subquery(),
        select(func.count()).select_from(SolveJob).where(SolveJob.status.in_(("queued", "running")))
        .scalar_subquery(),
        select(func.count()).select_from(FeedToken).where(FeedToken.revoked_at.is_(None)).scalar_subquery(),
        select(func.coalesce(func.max(AuditEntry.id), 0)).scalar_subquery(),
    ]
    with svc.db.sessions() as s:
        return tuple(s.execute(select(*columns)).one())


# --- Requests: one concrete request per route (per kind for the kind routes) -------------------

@dataclass
class Call:
    method: str
    url: str
    kind: str | None = None
    kwargs: dict = field(default_factory=dict)
    client: TestClient | None = None  # a throwaway client instead of the principal's own


def _login_csrf(w: World) -> str:
    """A login form's CSRF value, fetched by an anonymous visitor (cookie value == form value)."""
    with TestClient(w.svc.app) as visitor:
        form = visitor.get("/login")
        return re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)


def calls_for(w: World, key: tuple[str, str], principal: str) -> list[Call]:
    method, template = key
    n = w.counter()
    params = {"scenario_id": w.sid, "job_id": w.job_id, "plan_id": w.draft_id, "user_id": w.target_user_id,
              "dep_id": w.dep_id, "lang": w.lang, "token": w.feed_token, "path": "app.css",
              "owner": "escort:MATRIX-FEED", "departure": w.dep_id, "rank": 1}
    kwargs: dict = {}
    client = None
    if template == "/static/swagger-ui/{path}":
        params["path"] = "swagger-ui.css"
    if key in {("POST", "/api/plans/{plan_id}/publish"), ("POST", "/plans/{plan_id}/publish")}:
        params["plan_id"] = w.fresh_draft()
    if "{change_id}" in template:
        params["change_id"] = w.fresh_pending()
        params["decision"] = "bevestigen"
    if key == ("PUT", "/api/contacts/{owner}"):
        params["owner"] = f"escort:MATRIX-{n}"
        kwargs["json"] = {"email": f"matrix{n}@dienst.example"}
    if "{kind}" in template:
        calls = []
        for kind in KINDS:
            url = template.format(scenario_id=w.sid, kind=kind, key=w.keys[kind])
            if method == "POST":  # the edit page's whole-record form
                data, version = w.record_version(kind)
                calls.append(Call(method, url, kind, {"data": {"version": str(version), "modus": "json",
                                                               "json": json.dumps(data)}}))
            elif method == "PUT":
                data, version = w.record_version(kind)
                calls.append(Call(method, url, kind, {"json": data, "headers": {"If-Match": f'"v{version}"'}}))
            else:
                calls.append(Call(method, url, kind))
        return calls
    if isinstance(EXPECTED.get(key), OnTeam):
        # A departure with the principal on its team (field roles; the case readers get the world's),
        # another departure, and the team's departure in a draft plan (never the team's to read).
        own = w.team_deps.get(principal, w.dep_id)
        url_of = lambda dep: template.format(scenario_id=w.sid, dep_id=dep)  # noqa: E731
        calls = [Call(method, url_of(own), "team" if principal in FIELD else "other"),
                 Call(method, url_of(own) + f"?plan={w.draft_id}", "other")]
        if principal in w.other_deps:
            calls.append(Call(method, url_of(w.other_deps[principal]), "other"))
        return calls
    url = template.format(**{k: v for k, v in params.items() if "{" + k + "}" in template})
    if key == ("GET", "/zoeken"):
        url += f"?q={w.dep_id}"
    elif key == ("GET", "/uitnodigingen"):
        url += "?mislukt=0"

    if key in {("POST", "/api/scenarios"), ("POST", "/api/book/preview")}:
        kwargs["files"] = {"file": ("matrix.json", demo_scenario_bytes())}
    elif key == ("POST", "/api/scenarios/{scenario_id}/disruptions"):
        url += "?replan=false"
        kwargs["json"] = {"format": "vertrekplanner/disruptions@1", "disruptions": [
            {"kind": "vehicle_unavailable", "vehicle": w.keys["vehicles"],
             "window": [f"2027-0{1 + n % 9}-01T00:00:00+01:00", f"2027-0{1 + n % 9}-01T01:00:00+01:00"]}]}
    elif key == ("POST", "/api/scenarios/{scenario_id}/departures"):
        data, _ = w.record_version("departures")
        kwargs["json"] = {**data, "id": f"BV-MATRIX-{n}"}
    elif key in {("POST", "/scenarios/import"), ("POST", "/scenarios/import/preview")}:
        kwargs["files"] = {"file": ("matrix.json", demo_scenario_bytes())}
    elif key == ("POST", "/scenarios/{scenario_id}/verstoringen"):
        kwargs["data"] = {"kind": "vehicle_unavailable", "vehicle": w.keys["vehicles"], "time_limit": "5",
                          "window_start": f"2027-0{1 + n % 9}-01T00:00", "window_end": f"2027-0{1 + n % 9}-01T01:00"}
    elif key == ("POST", "/api/users"):
        kwargs["json"] = {"username": f"matrix-{n}", "password": PASSWORD, "role": "inspector"}
    elif key == ("PUT", "/api/users/{user_id}"):
        kwargs["json"] = {"role": "inspector", "email": f"target{n}@example.test"}
        kwargs["headers"] = {"If-Match": f'"v{w.user_version()}"'}
    elif key == ("POST", "/api/scenarios/{scenario_id}/jobs"):
        kwargs["json"] = {"quick": True, "time_limit": 5}
    elif key == ("POST", "/scenarios/{scenario_id}/departures/nieuw"):
        data, _ = w.record_version("departures")
        kwargs["data"] = {"id": f"BV-MATRIX-PAGE-{n}", "json": json.dumps({k: v for k, v in data.items()
                                                                            if k != "family_group"})}
    elif key == ("POST", "/scenarios/{scenario_id}/solve"):
        kwargs["data"] = {"mode": "quick"}
    elif key == ("POST", "/beheer/users"):
        kwargs["data"] = {"username": f"matrix-page-{n}", "password": PASSWORD, "role": "inspector"}
    elif key == ("POST", "/beheer/contacts"):
        kwargs["data"] = {"owner": f"medic:MATRIX-{n}", "email": f"page{n}@dienst.example"}
    elif key == ("POST", "/api/session"):
        # Logging in (again): the principal's own account; a visitor logs in as the inspector.
        client = w.login(USERNAME[principal]) if principal != ANON else TestClient(w.svc.app)
        kwargs["json"] = {"username": USERNAME.get(principal, "inspector"), "password": PASSWORD}
    elif key == ("POST", "/login"):
        client = w.login(USERNAME[principal]) if principal != ANON else TestClient(w.svc.app)
        token = _login_csrf(w)
        client.cookies.set(LOGIN_CSRF_COOKIE, token)
        kwargs["data"] = {"username": USERNAME.get(principal, "inspector"), "password": PASSWORD,
                          "csrf_token": token}
    elif key == OWN_PASSWORD:
        client = w.login(f"pw-{principal}") if principal != ANON else None
        kwargs["json"] = {"current_password": PASSWORD, "new_password": PASSWORD}
    elif key in SESSION_ENDING and principal != ANON:
        client = w.login(USERNAME[principal])  # a session of its own: the principal's stays usable
    return [Call(method, url, None, kwargs, client)]


def send(w: World, principal: str, call: Call, client: TestClient | None = None):
    client = client or call.client or w.clients[principal]
    return client.request(call.method, call.url, follow_redirects=False, **call.kwargs)


def is_page(url: str) -> bool:
    return not url.startswith(("/api/", "/feeds/", "/static/"))


def assert_refused(principal: str, call: Call, response) -> None:
    where = f"{call.method} {call.url} as {principal}"
    if principal == ANON:
        if is_page(call.url) and call.method == "GET":
            assert response.status_code == 303, (where, response.status_code)
            assert response.headers["location"].startswith("/login"), where
        else:
            assert response.status_code == 401, (where, response.status_code, response.text[:200])
    else:
        assert response.status_code == 403, (where, response.status_code, response.text[:200])


def assert_allowed(principal: str, call: Call, response) -> None:
    where = f"{call.method} {call.url} as {principal}"
    assert response.status_code not in (401, 403), (where, response.status_code, response.text[:300])
    assert response.status_code < 400, (where, response.status_code, response.text[:300])


# --- The walk ----------------------------------------------------------------------------------

def test_every_route_has_an_access_decision(world):
    routes = app_routes(world.svc.app)
    undecided = sorted(routes - set(EXPECTED))
    stale = sorted(set(EXPECTED) - routes)
    assert not undecided, f"routes without an access decision in EXPECTED: {undecided}"
    assert not stale, f"EXPECTED names routes the app does not have: {stale}"  # also: routes not enumerated


def test_the_walk_reads_itineraries_as_each_field_role_on_and_off_a_team(world):
    """Every field role is on some departure's team in the published plan (their call is allowed), and
    the escort and the medic are also refused another departure's (the plan's one vehicle drives all)."""
    assert set(world.team_deps) == FIELD
    assert {ESCORT, MEDIC} <= set(world.other_deps)
    calls = calls_for(world, ("GET", "/scenarios/{scenario_id}/departures/{dep_id}/itinerary.pdf"), ESCORT)
    assert [c.kind for c in calls] == ["team", "other", "other"]


# Reads first, so the writes of the walk (a new import, a publication) come after every read.
WALK = sorted(EXPECTED, key=lambda key: (key[0] in UNSAFE, key))


@pytest.mark.parametrize("key", WALK, ids=[f"{m} {p}" for m, p in WALK])
def test_route_admits_exactly_the_roles_the_rules_name(world, key):
    for principal in PRINCIPALS:
        for call in calls_for(world, key, principal):
            allowed = principal in allowed_for(key, call.kind)
            before = fingerprint(world.svc) if key[0] in UNSAFE and not allowed else None
            response = send(world, principal, call)
            if allowed:
                assert_allowed(principal, call, response)
            else:
                assert_refused(principal, call, response)
                if before is not None:
                    assert fingerprint(world.svc) == before, f"refused {call.method} {call.url} changed data"


UNSAFE_ROUTES = [key for key in WALK if key[0] in UNSAFE and key not in LOGIN_ROUTES]


@pytest.mark.parametrize("key", UNSAFE_ROUTES, ids=[f"{m} {p}" for m, p in UNSAFE_ROUTES])
def test_unsafe_request_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(world, key):
    checked = 0
    for principal in ROLES:
        for call in calls_for(world, key, principal):
            if principal not in allowed_for(key, call.kind):
                continue
            own = call.client or world.clients[principal]
            bare = TestClient(world.svc.app)
            bare.cookies.set(SESSION_COOKIE, own.cookies.get(SESSION_COOKIE))
            someone_else = world.clients[INSPECTOR if principal != INSPECTOR else REGIE].headers["X-CSRF-Token"]
            for headers in ({}, {"X-CSRF-Token": someone_else}):
                sent = dict(call.kwargs)
                sent["headers"] = {**call.kwargs.get("headers", {}), **headers}
                before = fingerprint(world.svc)
                response = bare.request(call.method, call.url, follow_redirects=False, **sent)
                assert response.status_code == 403, (key, principal, headers, response.status_code)
                assert "CSRF" in response.text
                assert fingerprint(world.svc) == before, f"{key} without a valid CSRF token changed data"
                checked += 1
            if key in SESSION_ENDING:  # the session survived the refused logout
                assert own.get("/api/session").status_code == 200
    assert checked, f"no role may {key}: nothing to check"


def test_login_routes_refuse_cross_site_posts_and_create_no_session(world):
    anonymous = TestClient(world.svc.app)
    before = fingerprint(world.svc)
    # The login form without the double-submit cookie (a forged cross-site form): refused.
    response = anonymous.post("/login", data={"username": "regie", "password": PASSWORD, "csrf_token": "x"},
                              follow_redirects=False)
    assert response.status_code == 403 and SESSION_COOKIE not in response.cookies
    # JSON login only as JSON: a cross-site form post cannot log anyone in.
    response = anonymous.post("/api/session", data={"username": "regie", "password": PASSWORD})
    assert response.status_code in (415, 422) and SESSION_COOKIE not in response.cookies
    assert fingerprint(world.svc) == before


def test_inspector_writes_nothing_even_with_a_valid_csrf_token(world):
    inspector = world.clients[INSPECTOR]
    assert inspector.get("/api/session").json()["csrf_token"] == inspector.headers["X-CSRF-Token"]
    with world.svc.db.sessions() as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == "inspector"))
    for key in UNSAFE_ROUTES:
        if key in SESSION_ENDING or key == OWN_PASSWORD:
            continue  # logging oneself out or changing one's own password is not a write to the planning
        for call in calls_for(world, key, INSPECTOR):
            before = fingerprint(world.svc)
            response = send(world, INSPECTOR, call)
            assert response.status_code == 403, (key, call.kind, response.status_code)
            assert fingerprint(world.svc) == before
    with world.svc.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.actor == "inspector")) == audit_before


# --- Object-level checks -----------------------------------------------------------------------

OBJECT_PARAMS = ("{scenario_id}", "{job_id}", "{plan_id}")


def test_another_units_regievoerder_gets_404_on_every_object_of_this_unit(world):
    zuid = world.svc.client("regie-zuid")
    checked = []
    for key in WALK:
        if not any(p in key[1] for p in OBJECT_PARAMS):
            continue
        for call in calls_for(world, key, REGIE):
            if REGIE not in allowed_for(key, call.kind):
                continue
            before = fingerprint(world.svc)
            response = zuid.request(call.method, call.url, follow_redirects=False, **call.kwargs)
            assert response.status_code == 404, (call.method, call.url, response.status_code, response.text[:200])
            if key[0] in UNSAFE:
                assert fingerprint(world.svc) == before
            checked.append(key)
    assert {("GET", "/api/scenarios/{scenario_id}"), ("GET", "/api/jobs/{job_id}"), ("GET", "/api/plans/{plan_id}"),
            ("GET", "/scenarios/{scenario_id}/departures/{dep_id}"),
            ("PUT", "/api/scenarios/{scenario_id}/{kind}/{key}")} <= set(checked)
    assert world.sid not in {s["id"] for s in zuid.get("/api/scenarios").json()}
    assert zuid.get(f"/?scenario={world.sid}", follow_redirects=False).status_code == 404
    zuid.close()


def _uids(ics_text: str) -> set[str]:
    return {str(e["UID"]) for e in icalendar.Calendar.from_ical(ics_text).walk("VEVENT")}


def test_escorts_feed_and_schedule_hold_only_their_own_events(world):
    escort = world.svc.client("escort")  # escort:KMAR-001, on the published plan
    with world.svc.db.sessions() as s:
        mine = set(s.scalars(select(CalendarEvent.uid).where(CalendarEvent.owner == "escort:KMAR-001")))
        mine_confirmed = set(s.scalars(select(CalendarEvent.uid).where(CalendarEvent.owner == "escort:KMAR-001",
                                                                       CalendarEvent.status == "CONFIRMED")))
        others = set(s.scalars(select(CalendarEvent.uid).where(CalendarEvent.owner != "escort:KMAR-001")))
    assert mine and others and not mine & others

    url = escort.post("/api/me/feed-token").json()["url"]
    token = re.search(r"/feeds/([^/]+)\.ics$", url).group(1)
    feed = TestClient(world.svc.app).get(f"/feeds/{token}.ics")  # no login: the token is the key
    assert feed.status_code == 200
    assert _uids(feed.text) == mine
    assert {e["uid"] for e in escort.get("/api/me/events").json()} == mine_confirmed
    assert _uids(escort.get("/api/me/calendar.ics").text) == mine
    assert _uids(escort.get("/ik/agenda.ics").text) == mine

    # Another person's schedule is out of reach: no link of theirs, no plan, no departure, no board.
    for method, url in (("POST", "/api/people/medic:MED-001/feed-token"),
                        ("DELETE", "/api/people/medic:MED-001/feed-token"),
                        ("GET", f"/api/plans/{world.published_id}"),
                        ("GET", f"/api/scenarios/{world.sid}/escorts"),
                        ("GET", f"/scenarios/{world.sid}/departures/{world.dep_id}"),
                        ("GET", f"/scenarios/{world.sid}/board")):
        assert escort.request(method, url, follow_redirects=False).status_code == 403, (method, url)
    # A token is bound to its owner: the escort's MAC with the medic's nonce is no key at all.
    medic_nonce = world.feed_token.partition(".")[0]
    forged = f"{medic_nonce}.{token.partition('.')[2]}"
    assert TestClient(world.svc.app).get(f"/feeds/{forged}.ics").status_code == 404
    assert TestClient(world.svc.app).get("/feeds/not-a-token.ics").status_code == 404
    escort.close()


def test_unit_task_feed_is_per_unit(world):
    """A regievoerder's own calendar is their unit's task list, never another unit's."""
    with world.svc.db.sessions() as s:
        noord = set(s.scalars(select(CalendarEvent.uid).where(CalendarEvent.owner == "regie:BV-Noord",
                                                              CalendarEvent.status == "CONFIRMED")))
    zuid = world.svc.client("regie-zuid")
    assert {e["uid"] for e in world.clients[REGIE].get("/api/me/events").json()} == noord
    assert zuid.get("/api/me/events").json() == []
    assert not _uids(zuid.get("/api/me/calendar.ics").text) & noord
    zuid.close()
