"""The JSON API fuzzed from its own OpenAPI schema (schemathesis, in process), and request size limits.

Schemathesis generates requests for every operation of ``/api/openapi.json`` (valid and invalid
data, boundary values) and sends them to the ASGI app with a real login: once as a regievoerder
and once as a planner-admin, each with the session cookie and the CSRF header. Path parameters
are tried as generated and, a second time, pointing at objects that exist (the regievoerder's
scenario, a draft and a published plan, a solve job), so the code behind the 404 runs too.

Every response must be no server error, have a status code the schema documents, and match the
documented response schema.
"""
from __future__ import annotations

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, missing_required_header, negative_data_rejection,
                                 not_a_server_error, response_headers_conformance, response_schema_conformance,
                                 status_code_conformance, unsupported_method)
from schemathesis.config import SchemathesisConfig
from schemathesis.transport import requests as st_requests
from sqlalchemy import func, select

import api.auth
import api.throttle
from api.routes.scenarios import XLSX
from api.auth import SESSION_COOKIE
from api.models import BookRecord, ScenarioRow
from publish_support import make_draft
from service import PASSWORD, demo_scenario_bytes, make_service, upload_demo

MAX_EXAMPLES = 20
# Negative data (values the schema forbids) must be refused, an undeclared method must get 405 with an
# Allow header, and a missing required header a 4xx: the schema says what the server checks.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection, missing_required_header, unsupported_method]


def _counts(svc) -> tuple[int, int]:
    with svc.db.sessions() as s:
        return (s.scalar(select(func.count()).select_from(ScenarioRow)),
                s.scalar(select(func.count()).select_from(BookRecord)))


# --- Request size limits ------------------------------------------------------------------------
# First in the file: on PostgreSQL make_service empties the shared test database.

def _multipart(boundary: str, parts: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize("url, chunked, csrf_in_form", [
    ("/api/scenarios", False, False),
    ("/api/scenarios", True, False),
    ("/scenarios/import", True, False),
    ("/scenarios/import", True, True),  # the CSRF check itself has to read the (too large) form
], ids=["api-content-length", "api-chunked", "page-chunked", "page-chunked-csrf-field"])
def test_upload_over_the_limit_gets_413_and_stores_nothing(tmp_path, url, chunked, csrf_in_form):
    limit = 20_000
    svc = make_service(tmp_path, max_request_bytes=limit)
    client = svc.client("regie")
    csrf = client.headers.pop("X-CSRF-Token") if csrf_in_form else client.headers["X-CSRF-Token"]
    boundary = "limitboundary"
    parts = [("csrf_token", None, csrf.encode())] if csrf_in_form else []
    body = _multipart(boundary, parts + [("file", "demo.json", demo_scenario_bytes())])
    assert len(body) > limit
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if chunked:
        def chunks():  # a generator body: httpx sends it chunked, without Content-Length
            for i in range(0, len(body), 4096):
                yield body[i:i + 4096]
        response = client.post(url, content=chunks(), headers=headers, follow_redirects=False)
        assert "content-length" not in response.request.headers
        assert response.request.headers.get("transfer-encoding") == "chunked"
    else:
        response = client.post(url, content=body, headers=headers, follow_redirects=False)
        assert int(response.request.headers["content-length"]) > limit
    assert response.status_code == 413, (response.status_code, response.text[:300])
    assert "te groot" in response.json()["detail"]
    assert _counts(svc) == (0, 0)
    # A small upload on the same route is read and judged by the route (a broken file: 422).
    small = _multipart(boundary, parts + [("file", "broken.json", b"{not json")])
    response = client.post(url, content=small, headers=headers, follow_redirects=False)
    assert response.status_code == 422
    assert _counts(svc) == (0, 0)
    svc.db.dispose()


# --- Fuzzing --------------------------------------------------------------------------------------

_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory):
    # Argon2 at its real cost takes most of a second per hash here; the fuzzer logs in and creates
    # users hundreds of times. The hashing itself is not what is being fuzzed.
    patch = pytest.MonkeyPatch()
    patch.setattr(api.auth, "_hasher", _CHEAP)
    patch.setattr(api.auth, "_DUMMY_HASH", _CHEAP.hash("not a password anyone has"))
    # The fuzzer sends hundreds of wrong logins from one address; the throttle (tested in
    # test_security.py) would lock its own later logins.
    patch.setattr(api.throttle, "PER_ADDRESS", 10**9)
    patch.setattr(api.throttle, "PER_ACCOUNT", 10**9)
    # urllib3-future (installed with niquests) takes the place of urllib3; its pool container has
    # no keys(), which schemathesis' count of open connections (for resending on a dropped
    # keep-alive connection, moot in process) needs.
    counted = st_requests._count_opened_connections

    def count_connections(session):
        try:
            return counted(session)
        except AttributeError:
            return 0
    patch.setattr(st_requests, "_count_opened_connections", count_connections)
    svc = make_service(tmp_path_factory.mktemp("fuzz"))
    regie, admin = svc.client("regie"), svc.client("admin")
    sid = upload_demo(regie)["id"]
    published, _plan = make_draft(svc, sid)
    assert regie.post(f"/api/plans/{published}/publish").status_code == 200
    draft, _plan = make_draft(svc, sid)
    job = regie.post(f"/api/scenarios/{sid}/jobs", json={"quick": True}).json()["id"]
    # A field role: created at once (an inspector account would wait for a second admin).
    target = admin.post("/api/users", json={"username": "fuzz-target", "password": PASSWORD, "role": "driver"})
    with svc.db.sessions() as s:
        keys = dict(s.execute(select(BookRecord.kind, func.min(BookRecord.key))
                              .group_by(BookRecord.kind)).all())
    world = {
        "svc": svc,
        "auth": {role: (client.cookies.get(SESSION_COOKIE), client.headers["X-CSRF-Token"])
                 for role, client in (("regie", regie), ("admin", admin))},
        "real": {"scenario_id": sid, "plan_id": [draft, published], "job_id": job,
                 "user_id": target.json()["id"]},
        "keys": keys,
        "sent": set(),
    }
    yield world
    svc.db.dispose()
    patch.undo()


def _schema_only_app():
    """The app, for its OpenAPI document only: the schema depends on the routes, not on data.

    Loaded at import, because ``schemathesis.pytest.from_fixture`` reads ``Function._nodeid``,
    which pytest 9 no longer has; the requests go to the fixture's app (``app=`` on each call).
    """
    from pathlib import Path

    from api.app import create_app
    from api.settings import Settings

    settings = Settings(database_url="sqlite://", secret_key="schema-only", data_dir=Path("."))
    return create_app(settings, database=object(), run_migrations=False)


# An uploaded scenario may be an Excel workbook: its bytes go out as they are, like any file.
schemathesis.serializer.alias(XLSX, "application/octet-stream")

schema = schemathesis.openapi.from_asgi(
    "/api/openapi.json", _schema_only_app(), config=SchemathesisConfig.from_dict({"seed": 2026}),
).exclude(
    # Logging out ends the fuzzer's own session: every later request would only test the 401.
    method="DELETE", path="/api/session",
)

FUZZ_SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))


def _real_variants(case, world) -> list:
    """The same request with its path parameters pointing at objects that exist (both plans)."""
    params = dict(case.path_parameters or {})
    real = world["real"]
    names = [name for name in ("scenario_id", "job_id", "user_id", "plan_id") if name in params]
    if not names:
        return []
    params.update({name: real[name] for name in names if name != "plan_id"})
    if "key" in params and params.get("kind") in world["keys"]:
        params["key"] = world["keys"][params["kind"]]
    plans = real["plan_id"] if "plan_id" in names else [None]
    return [case.operation.Case(path_parameters={**params, **({"plan_id": plan} if plan else {})},
                                headers=case.headers, cookies=case.cookies, query=case.query, body=case.body,
                                media_type=case.media_type) for plan in plans]


def _fuzz(case, world, role):
    token, csrf = world["auth"][role]
    variants = [case]
    for real in _real_variants(case, world):
        # Many generated cases differ only in the ids: send each request on real objects once.
        seen = (role, case.operation.label, repr(sorted(real.path_parameters.items())), repr(real.query),
                repr(real.headers), repr(real.body))
        if seen not in world["sent"]:
            world["sent"].add(seen)
            variants.append(real)
    for variant in variants:
        variant.call_and_validate(app=world["svc"].app, headers={"X-CSRF-Token": csrf},
                                  cookies={SESSION_COOKIE: token}, checks=CHECKS)


@FUZZ_SETTINGS
@schema.parametrize()
def test_api_fuzzed_as_regievoerder(case, fuzz_world):
    _fuzz(case, fuzz_world, "regie")


@FUZZ_SETTINGS
@schema.parametrize()
def test_api_fuzzed_as_planner_admin(case, fuzz_world):
    _fuzz(case, fuzz_world, "admin")


# --- Regressions of what the fuzzer found ---------------------------------------------------------

HUGE = 2**63  # no row has it; SQLite cannot bind it at all (OverflowError: a 500 before the fix)


def test_ids_no_row_can_have_are_404_not_a_server_error(fuzz_world):
    svc, sid = fuzz_world["svc"], fuzz_world["real"]["scenario_id"]
    regie, admin = svc.client("regie"), svc.client("admin")
    for url in (f"/api/scenarios/{HUGE}", f"/api/scenarios/{HUGE}/departures", f"/api/scenarios/{HUGE}/jobs",
                f"/api/scenarios/{HUGE}/plans", f"/api/jobs/{HUGE}", f"/api/plans/{HUGE}", f"/api/plans/{HUGE}/diff",
                f"/scenarios/{HUGE}", f"/scenarios/{HUGE}/board", f"/jobs/{HUGE}", f"/plans/{HUGE}",
                f"/?scenario={HUGE}", f"/scenarios/{sid}/board?plan={HUGE}"):
        assert regie.get(url, follow_redirects=False).status_code == 404, url
    assert regie.delete(f"/api/jobs/{HUGE}").status_code == 404
    assert regie.post(f"/api/plans/{HUGE}/publish").status_code == 404
    assert admin.put(f"/api/users/{HUGE}", json={"role": "inspector"}, headers={"If-Match": '"v1"'}).status_code == 404
    assert admin.get(f"/api/audit?before_id={HUGE}").status_code == 422
    assert admin.get(f"/audit?before={HUGE}").status_code == 422


def test_a_scenarios_jobs_and_plans_are_listed_not_taken_for_a_kind(fuzz_world):
    """GET /api/scenarios/{id}/jobs and /plans were answered by /api/scenarios/{id}/{kind}: 422."""
    real = fuzz_world["real"]
    regie = fuzz_world["svc"].client("regie")
    jobs = regie.get(f"/api/scenarios/{real['scenario_id']}/jobs")
    assert jobs.status_code == 200 and real["job_id"] in {j["id"] for j in jobs.json()}
    plans = regie.get(f"/api/scenarios/{real['scenario_id']}/plans")
    assert plans.status_code == 200 and set(real["plan_id"]) <= {p["id"] for p in plans.json()}


def test_an_address_with_a_control_character_is_422_not_a_server_error(fuzz_world):
    """PostgreSQL text cannot hold NUL: a contact address with one was a 500 there."""
    admin = fuzz_world["svc"].client("admin")
    for email in ("a@b\x00", "a\x19@b"):
        assert admin.put("/api/contacts/escort:NUL-TEST", json={"email": email}).status_code == 422
