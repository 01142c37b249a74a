"""The Dutch web pages: server-rendered, behind the same permissions as the JSON API.

Every page names its permission through ``require`` (as the API routes do), regievoerders see
only their unit's scenarios (``scenario_for``), every form carries the session's CSRF token,
and every error is a Dutch message page. The pages call the same services as the API; they
never solve, publish or validate anything themselves.
"""
from __future__ import annotations

import hmac
import secrets
import tempfile
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from planner import timeutil
from planner.checker import check_plan
from planner.errors import ScenarioError, shown
from planner.outputs import derive, generated_at, render_itinerary, render_letter
from planner.outputs.pdf import html_to_pdf

from .. import accounts, audit, throttle
from .. import scenarios as store
from ..auth import (LOGIN_CSRF_COOKIE, SESSION_COOKIE, NotLoggedIn, Principal, attempt_login, db_session,
                    end_session, principal_from_cookie, require, start_session)
from ..authz import REGIE, ROLES, allowed
from ..deps import MAX_ID, hidden, row_by_id, scenario_for
from ..models import (AuditEntry, CalendarEvent, Contact, Feed, PendingChange, PlanVersion, ScenarioRow, SolveJob,
                      User, utcnow)
from ..routes.jobs import job_for, job_out, stop_and_wait
from ..routes.session import own_changes, set_session_cookie
from ..routes.plans import PLAN
from ..scenarios import StaleWrite
from ..schemas import ContactIn, UserIn
from . import data
from .board import LANE_KINDS, build_board
from .render import PAGE_HEADERS, error_page, home_for, page

router = APIRouter(include_in_schema=False)

JOB_STATUS = {"queued": "in de wachtrij", "running": "bezig", "done": "klaar", "stopped": "gestopt",
              "failed": "mislukt", "cancelled": "geannuleerd"}
JOB_STAGES = {"greedy": "eerste plan (snelle opbouw)", "targeted search": "gericht verbeteren",
              "levels 1+2": "zoveel mogelijk prioriteit, zo vroeg mogelijk", "level 3 cost": "kosten",
              "level 4 care": "reistijd medische vertrekken", "level 5 fairness": "eerlijke verdeling",
              "level 1 (is more priority possible?)": "kan er meer prioriteit bij? (bewijs van niveau 1)",
              "level 1 + changes": "zoveel mogelijk prioriteit, zo min mogelijk wijzigingen",
              "level 2 waiting": "zo vroeg mogelijk", "klaar": "klaar"}
LEVEL_NAMES = {"planned_priority": "1 prioriteit", "waiting_hours": "2 wachttijd", "cost_eur": "3 kosten",
               "care_hours": "4 reistijd medisch", "max_escort_missions": "5 verdeling escorts"}
QUICK_SECONDS = 10.0


def proven_text(progress: dict) -> str:
    """Which objective levels the finished solve proved optimal for the scenario as given."""
    if "proven" not in progress:
        return "—"
    return ", ".join(LEVEL_NAMES.get(k, k) for k in progress["proven"]) or "geen niveau"


def restricted_text(progress: dict) -> str:
    restrictions = progress.get("restrictions") or []
    if not restrictions:
        return ""
    return ("Beperkt model (programmaschaal): " + "; ".join(restrictions) + ". Niets hiervan heet bewezen "
            "optimaal; de bovengrens geldt voor het hele scenario.")


def register(app: FastAPI) -> None:
    app.include_router(router)
    app.state.render_problems = render_problems
    app.add_exception_handler(NotLoggedIn, _login_needed(app.exception_handlers.get(NotLoggedIn)))
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StaleWrite, _stale_write_page(app.exception_handlers.get(StaleWrite)))
    app.add_exception_handler(Exception, _crash)


# --- Errors: Dutch pages for people, the API's JSON for programs -------------------------------

def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/feeds/", "/static/"))


def _with_principal(request: Request) -> None:
    """Errors raised before ``require`` finished still show who is logged in (for the menu)."""
    if getattr(request.state, "principal", None) is None:
        try:
            with request.app.state.db.sessions() as session:
                request.state.principal = principal_from_cookie(session, request.cookies.get(SESSION_COOKIE))
        except Exception:  # an error page must never fail on its menu
            request.state.principal = None


def _login_needed(api_handler):
    """Pages: back to the page after logging in (query included); a form sent after the session
    ended gets a page saying so instead of the API's JSON."""
    async def handler(request: Request, exc: NotLoggedIn):
        if not _is_page(request) and api_handler is not None:
            return await api_handler(request, exc)
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return _see_other("/login?next=" + quote(target, safe="/"))
        request.state.principal = None
        return error_page(request, 401, "Uw sessie is verlopen of u bent uitgelogd; er is niets opgeslagen. "
                                        "Log opnieuw in en probeer het nog eens.")
    return handler


async def _http_error(request: Request, exc: StarletteHTTPException):
    if not _is_page(request):
        return await http_exception_handler(request, exc)
    _with_principal(request)
    return error_page(request, exc.status_code, exc.detail)


async def _invalid_request(request: Request, exc: RequestValidationError):
    if not _is_page(request):
        return await request_validation_exception_handler(request, exc)
    _with_principal(request)
    fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
    return error_page(request, 422, f"Een waarde in het adres of formulier is niet geldig ({fields}).")


def _stale_write_page(api_handler):
    async def handler(request: Request, exc: StaleWrite):
        if not _is_page(request) and api_handler is not None:
            return await api_handler(request, exc)
        _with_principal(request)
        return error_page(request, 412, "Iemand anders heeft dit intussen gewijzigd; uw wijziging is niet "
                                        "opgeslagen. Laad de pagina opnieuw en probeer het nog eens.")
    return handler


async def _crash(request: Request, exc: Exception):
    if not _is_page(request):
        return JSONResponse({"detail": "Interne fout"}, status_code=500)
    _with_principal(request)
    return error_page(request, 500)


def render_problems(request: Request, exc: ScenarioError) -> HTMLResponse:
    """A rejected import: every problem named (entity, id, field, value, rule); nothing stored."""
    principal = getattr(request.state, "principal", None)
    problems = [{"entity": p.entity, "id": p.id, "field": p.field, "value": _shown_value(p.value),
                 "expected": p.expected, "message": str(p)} for p in exc.problems[:1000]]  # a bounded page
    return page(request, "problems.html", principal, status_code=422, problems=problems, total=len(exc.problems))


def _shown_value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str) and value.isprintable() and len(value) <= 200:
        return value
    return shown(value)  # bounded, control characters escaped, safe to encode as UTF-8


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- Login and logout -------------------------------------------------------------------------

def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never '//host' or 'https://host' (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _login_form(request: Request, next_: str | None, error: str | None = None, status_code: int = 200,
                username: str = "") -> HTMLResponse:
    # Login CSRF, double submit: the same random value in a cookie and in the form; a forged
    # cross-site POST can send neither that cookie's value nor read it.
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", None, status_code=status_code, csrf_login=token, next=next_ or "",
                    error=error, username=username)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies, path="/login")
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = Query(None, max_length=500),
               session: Session = Depends(db_session)):
    principal = principal_from_cookie(session, request.cookies.get(SESSION_COOKIE))
    if principal is not None:
        return _see_other(_safe_next(next) or home_for(principal.role))
    return _login_form(request, _safe_next(next))


@router.post("/login")
def login(request: Request, username: str = Form("", max_length=80), password: str = Form("", max_length=200),
          csrf_token: str = Form(""), next: str = Form("", max_length=500), session: Session = Depends(db_session)):
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not csrf_token or not hmac.compare_digest(cookie, csrf_token):
        return _login_form(request, _safe_next(next), "Het inlogformulier is verlopen of niet via deze site "
                                                      "verstuurd. Probeer het opnieuw.", 403, username)
    with session.begin():
        try:
            user = attempt_login(session, username, password, throttle.address_of(request))
        except throttle.Throttled as exc:
            session.commit()
            response = _login_form(request, _safe_next(next), exc.message, 429, username)
            response.headers["Retry-After"] = str(exc.seconds)
            return response
        if user is None:
            audit.record(session, username[:80] or "?", "login.failed", "user", username[:80] or "?")
            session.commit()
            return _login_form(request, _safe_next(next), "Onbekende gebruikersnaam of onjuist wachtwoord.",
                               401, username)
        token, _csrf = start_session(session, user, request.app.state.settings.session_hours)
        role = user.role
    response = _see_other(_safe_next(next) or home_for(role))
    set_session_cookie(response, request, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, principal: Principal = Depends(require("authenticated")),
           session: Session = Depends(db_session)):
    with session.begin():
        end_session(session, request.cookies.get(SESSION_COOKIE))
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- Dashboard and scenario -------------------------------------------------------------------

def _scenario_rows(session: Session, principal: Principal) -> list[ScenarioRow]:
    query = select(ScenarioRow).order_by(ScenarioRow.id.desc()).limit(50)
    if principal.role == REGIE:
        query = query.where(ScenarioRow.unit == principal.unit)
    return list(session.scalars(query))


@router.get("/")
def dashboard(request: Request, scenario: int | None = Query(None, ge=1), page_: int = Query(1, ge=1, alias="page"),
              status: str | None = Query(None, max_length=20), imported: int | None = Query(None),
              principal: Principal = Depends(require("authenticated")), session: Session = Depends(db_session)):
    if not allowed(principal.role, "case.read"):
        return _see_other(home_for(principal.role))  # the dashboard is about cases; others have their own home
    scenario_list = _scenario_rows(session, principal)
    selected = None
    if scenario is not None:
        selected = scenario_for(session, principal, scenario)
    elif scenario_list:
        selected = scenario_list[0]
    context: dict = {"scenarios": scenario_list, "selected": selected, "status": status, "imported": imported}
    if selected is not None:
        plan = data.shown_plan(session, selected.id)
        context.update(
            plan=plan, departures=data.departure_list(session, selected.id, plan, page_, status),
            plans=data.plans_of(session, selected.id, 10),
            jobs=list(session.scalars(select(SolveJob).where(SolveJob.scenario_id == selected.id)
                                      .order_by(SolveJob.id.desc()).limit(5))),
            job_status=JOB_STATUS, state_labels=data.STATE_LABELS, quick_seconds=QUICK_SECONDS,
            default_seconds=request.app.state.settings.solve_time_limit)
    return page(request, "dashboard.html", principal, **context)


@router.get("/scenarios/{scenario_id}")
def scenario_page(scenario_id: int, principal: Principal = Depends(require("case.read")),
                  session: Session = Depends(db_session)):
    scenario_for(session, principal, scenario_id)
    return _see_other(f"/?scenario={scenario_id}")


@router.post("/scenarios/import")
async def import_page(request: Request, file: UploadFile = File(...),
                      principal: Principal = Depends(require("scenario.import")),
                      session: Session = Depends(db_session)):
    # Parsed off the event loop, in a child process (the API's reader). A ScenarioError from here is
    # shown by render_problems (the app's handler); nothing is stored.
    doc = await store.read_upload(file)
    with session.begin():
        row = store.import_scenario(session, doc, principal.unit or "", principal.username, file.filename or "")
    return _see_other(f"/?scenario={row.id}&imported=1")


# --- Departure --------------------------------------------------------------------------------

def _plan_for(session: Session, scenario_id: int, plan_id: int | None) -> PlanVersion | None:
    if plan_id is None:
        return data.shown_plan(session, scenario_id)
    plan = row_by_id(session, PlanVersion, plan_id)
    if plan is None or plan.scenario_id != scenario_id:
        raise HTTPException(404, "Dit plan bestaat niet bij dit scenario")
    return plan


def _departure(session: Session, principal: Principal, scenario_id: int, dep_id: str, plan_id: int | None):
    row = scenario_for(session, principal, scenario_id)
    record = store.get_record(session, scenario_id, "departures", dep_id)
    if record is None:
        raise HTTPException(404, f"Vertrek {dep_id} bestaat niet in dit scenario")
    plan = _plan_for(session, scenario_id, plan_id)
    entry = data.plan_entries(plan).get(dep_id)
    return row, record, plan, entry


def _view(session: Session, row: ScenarioRow, plan: PlanVersion | None, entry: dict | None):
    if plan is None or entry is None or not entry.get("planned"):
        raise HTTPException(404, "Dit vertrek is in dit plan niet gepland: er is geen reisplan of brief")
    sc = data.scenario(session, row)
    created = generated_at(sc, plan.document)
    return sc, derive.departure_view(sc, entry), timeutil.minutes(created), created


@router.get("/scenarios/{scenario_id}/departures/{dep_id}")
def departure_page(request: Request, scenario_id: int, dep_id: str, plan: int | None = Query(None, ge=1),
                   principal: Principal = Depends(require("case.read")), session: Session = Depends(db_session)):
    row, record, plan_row, entry = _departure(session, principal, scenario_id, dep_id, plan)
    label, css = data.status_of(entry, plan_row)
    view = None
    if entry and entry.get("planned"):
        _sc, view, _gen, _created = _view(session, row, plan_row, entry)
    base = f"/scenarios/{scenario_id}/departures/{quote(dep_id)}"
    query = f"?plan={plan_row.id}" if plan_row is not None else ""
    return page(request, "departure.html", principal, scenario=row, dep=record.data, record=record,
                plan=plan_row, entry=entry, status_label=label, status_css=css, view=view, base=base, query=query,
                kind_label=derive.DEPARTURE_KIND.get(record.data.get("kind"), record.data.get("kind")),
                risk_labels=data.RISK_LABELS, sex_labels=data.SEX_LABELS,
                medic_roles={k: v["nl"] for k, v in derive.MEDIC_ROLE.items()},
                when=data.when_text, state_labels=data.STATE_LABELS)


@router.get("/scenarios/{scenario_id}/departures/{dep_id}/itinerary.html")
def itinerary_html(scenario_id: int, dep_id: str, plan: int | None = Query(None, ge=1),
                   principal: Principal = Depends(require("case.read")), session: Session = Depends(db_session)):
    row, _record, plan_row, entry = _departure(session, principal, scenario_id, dep_id, plan)
    sc, view, generated, _created = _view(session, row, plan_row, entry)
    return HTMLResponse(render_itinerary(sc, view, generated, derive.PlanningUnit.from_scenario(sc)),
                        headers=_DOCUMENT_HEADERS)


@router.get("/scenarios/{scenario_id}/departures/{dep_id}/itinerary.pdf")
def itinerary_pdf(scenario_id: int, dep_id: str, plan: int | None = Query(None, ge=1),
                  principal: Principal = Depends(require("case.read")), session: Session = Depends(db_session)):
    row, _record, plan_row, entry = _departure(session, principal, scenario_id, dep_id, plan)
    sc, view, generated, created = _view(session, row, plan_row, entry)
    html = render_itinerary(sc, view, generated, derive.PlanningUnit.from_scenario(sc), pdf=True)
    return _pdf(html, f"Reisplan {view.id}", created, f"{view.id} — vertrouwelijk",
                f"reisplan-{view.file_stem()}.pdf")


def _letter_view(session, principal, scenario_id, dep_id, plan, lang):
    row, _record, plan_row, entry = _departure(session, principal, scenario_id, dep_id, plan)
    sc, view, generated, created = _view(session, row, plan_row, entry)
    if lang not in view.letter_languages:
        raise HTTPException(404, f"Geen overdrachtsbrief in taal {lang!r} voor dit vertrek "
                                 f"(wel: {', '.join(view.letter_languages)})")
    return sc, view, generated, created


@router.get("/scenarios/{scenario_id}/departures/{dep_id}/letter.{lang}.html")
def letter_html(scenario_id: int, dep_id: str, lang: str, plan: int | None = Query(None, ge=1),
                principal: Principal = Depends(require("case.read")), session: Session = Depends(db_session)):
    sc, view, generated, _created = _letter_view(session, principal, scenario_id, dep_id, plan, lang)
    return HTMLResponse(render_letter(sc, view, lang, generated, derive.PlanningUnit.from_scenario(sc)),
                        headers=_DOCUMENT_HEADERS)


@router.get("/scenarios/{scenario_id}/departures/{dep_id}/letter.{lang}.pdf")
def letter_pdf(scenario_id: int, dep_id: str, lang: str, plan: int | None = Query(None, ge=1),
               principal: Principal = Depends(require("case.read")), session: Session = Depends(db_session)):
    sc, view, generated, created = _letter_view(session, principal, scenario_id, dep_id, plan, lang)
    html = render_letter(sc, view, lang, generated, derive.PlanningUnit.from_scenario(sc), pdf=True)
    return _pdf(html, f"Handover {view.id}", created, view.id, f"brief-{view.file_stem()}.{lang}.pdf")


# Documents about one person: never cached by a shared proxy or the browser's disk cache.
_DOCUMENT_HEADERS = PAGE_HEADERS


def _pdf(html: str, title: str, created, footer: str, filename: str) -> Response:
    # The planner's PDF writer takes a path; a private temporary folder keeps nothing behind.
    with tempfile.TemporaryDirectory() as folder:
        path = html_to_pdf(html, Path(folder) / "document.pdf", title, created, footer)
        body = path.read_bytes()
    return Response(body, media_type="application/pdf",
                    headers={**_DOCUMENT_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'})


# --- Planning board ---------------------------------------------------------------------------

@router.get("/scenarios/{scenario_id}/board")
def board_page(request: Request, scenario_id: int, plan: int | None = Query(None, ge=1),
               kind: str | None = Query(None, max_length=10), principal: Principal = Depends(require("plan.read")),
               session: Session = Depends(db_session)):
    row = scenario_for(session, principal, scenario_id)
    plan_row = _plan_for(session, scenario_id, plan)
    board = None
    if plan_row is not None:
        sc = data.scenario(session, row)
        href = lambda dep_id: f"/scenarios/{scenario_id}/departures/{quote(dep_id)}?plan={plan_row.id}"  # noqa: E731
        board = build_board(sc, plan_row.document, href)
        if kind in LANE_KINDS:  # one kind of lane only: the eu plan has hundreds of lanes
            board.groups = [g for g in board.groups if g[0] == kind]
    return page(request, "board.html", principal, scenario=row, plan=plan_row, board=board, kind=kind,
                lane_kinds=LANE_KINDS, plans=data.plans_of(session, scenario_id), state_labels=data.STATE_LABELS)


# --- Solving ----------------------------------------------------------------------------------

@router.post("/scenarios/{scenario_id}/solve")
def solve_start(request: Request, scenario_id: int, mode: str = Form("quick", max_length=10),
                time_limit: float = Form(60.0, ge=1, le=3600),
                principal: Principal = Depends(require("solve.run")), session: Session = Depends(db_session)):
    from .. import jobs  # the jobs service, imported where used

    options = {"quick": True, "time_limit": QUICK_SECONDS} if mode == "quick" else \
        {"quick": False, "time_limit": float(time_limit)}
    with session.begin():
        row = scenario_for(session, principal, scenario_id)
        job = jobs.start_job(session, scenario_id, row.version, principal.username, options)
    return _see_other(f"/jobs/{job.id}")


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: int, principal: Principal = Depends(require("solve.read")),
             session: Session = Depends(db_session)):
    from .. import jobs

    with session.begin():
        jobs.reap_stale(session, request.app.state.settings.job_stale_seconds)
    job = job_for(session, principal, job_id)
    progress = job.progress or {}
    worker_notice = job_out(job, jobs.workers_seen_at(session), request.app.state.settings.worker_silent_seconds
                            ).worker_notice
    return page(request, "job.html", principal, job=job, scenario=session.get(ScenarioRow, job.scenario_id),
                worker_notice=worker_notice,
                status_label=JOB_STATUS.get(job.status, job.status),
                stage=JOB_STAGES.get(progress.get("stage"), progress.get("stage") or "—"),
                incumbent=data._number((progress.get("objective") or {}).get("planned_priority")),
                bound=data._number((progress.get("bound") or {}).get("planned_priority")),
                gap=data.gap_text(progress.get("gap")), elapsed=data.seconds_text(progress.get("elapsed") or 0),
                proven=proven_text(progress), restricted=restricted_text(progress), level_names=LEVEL_NAMES,
                final=job.status in jobs.FINAL, job_status=JOB_STATUS, job_stages=JOB_STAGES)


@router.post("/jobs/{job_id}/stop")
def job_stop(request: Request, job_id: int, principal: Principal = Depends(require("solve.run")),
             session: Session = Depends(db_session)):
    """Like DELETE /api/jobs/{id}: returns once the worker has stopped and kept its best plan."""
    from .. import jobs

    try:
        stop_and_wait(request, session, principal, job_id)
    except jobs.JobNotStopped:
        raise HTTPException(504, "De berekening heeft het stoppen nog niet bevestigd; het verzoek blijft staan. "
                                 "Kijk over een minuut opnieuw.")
    return _see_other(f"/jobs/{job_id}")


# --- Plan review and publishing ---------------------------------------------------------------

def _plan(session: Session, principal: Principal, plan_id: int) -> tuple[PlanVersion, ScenarioRow]:
    plan = row_by_id(session, PlanVersion, plan_id)
    if plan is None:
        raise hidden(PLAN)
    return plan, scenario_for(session, principal, plan.scenario_id, PLAN)  # the same 404 for another unit's


@router.get("/plans/{plan_id}")
def plan_page(request: Request, plan_id: int, published: int | None = Query(None, ge=0),
              sent: int | None = Query(None, ge=0), principal: Principal = Depends(require("plan.read")),
              session: Session = Depends(db_session)):
    plan, row = _plan(session, principal, plan_id)
    doc = plan.document
    solver = doc.get("solver") or {}
    entries = doc.get("departures", [])
    return page(request, "plan.html", principal, plan=plan, scenario=row, solver=solver,
                planned=sum(1 for e in entries if e.get("planned")), total=len(entries),
                objective=data.objective_rows(solver.get("objective"), solver.get("bound")),
                gap=data.gap_text(solver.get("gap")), violations=_verdict(session, plan, row),
                solver_status=data.SOLVER_STATUS.get(solver.get("status"), solver.get("status") or "—"),
                solver_seconds=data.seconds_text(solver.get("wall_seconds")),
                diff=data.plan_diff(session, plan), state_labels=data.STATE_LABELS, published=published, sent=sent,
                outdated=plan.scenario_version != row.version, unreachable=_unreachable(session, plan, row))


def _unreachable(session: Session, plan: PlanVersion, row: ScenarioRow) -> list[tuple[str, str]]:
    """(owner, name) of the people in the plan that no invite can reach."""
    from ..publishing import owner_name, without_address

    owners = without_address(session, plan.document)
    sc = data.scenario(session, row) if owners else None
    return [(o, owner_name(sc, o)) for o in owners]


def _verdict(session: Session, plan: PlanVersion, row: ScenarioRow) -> list[str]:
    """The checker's verdict against the scenario as it is now, as publishing will judge it.

    The stored verdict holds while the scenario is unchanged since the solve; after an edit the
    plan is checked again (the parsed scenario is cached per version).
    """
    if plan.scenario_version == row.version or plan.state != "draft":
        return [_violation(v) for v in plan.violations or []]
    return [str(v) for v in check_plan(data.scenario(session, row), plan.document)]


def _violation(v) -> str:
    if isinstance(v, dict):
        where = ", ".join(str(v[k]) for k in ("departure", "resource") if v.get(k))
        head = f"regel {v.get('rule', '?')}" + (f" [{where}]" if where else "")
        return f"{head}: {v.get('message', '')}"
    return str(v)


@router.post("/plans/{plan_id}/publish")
def plan_publish(request: Request, plan_id: int, principal: Principal = Depends(require("plan.publish")),
                 session: Session = Depends(db_session)):
    from .. import publishing

    plan, row = _plan(session, principal, plan_id)
    session.commit()  # end this read before publishing writes in its own transaction
    try:
        outcome = publishing.publish(request.app.state.db, plan.id, principal.username, request.app.state.settings)
    except publishing.PublishRefused as exc:
        return page(request, "refused.html", principal, status_code=409, plan=plan, scenario=row,
                    message=str(exc), violations=exc.violations)
    sent = outcome.delivered.get("sent", 0)
    return _see_other(f"/plans/{plan_id}?published={outcome.mails_queued}&sent={sent}")


# --- The field roles' own page ----------------------------------------------------------------

def now():
    """The instant from which missions count as upcoming (a seam for tests of a dated scenario)."""
    return utcnow()


@router.get("/ik")
def my_page(request: Request, nieuw: int | None = Query(None), principal: Principal = Depends(require("schedule.own")),
            session: Session = Depends(db_session)):
    events, feed_url = [], None
    if principal.owner:
        rows = session.scalars(select(CalendarEvent).where(
            CalendarEvent.owner == principal.owner, CalendarEvent.status == "CONFIRMED",
            CalendarEvent.end >= now()).order_by(CalendarEvent.start).limit(100))
        events = [_event_row(e) for e in rows]
        feed_url = _feed_url(request, session, principal.owner)
    return page(request, "ik.html", principal, events=events, feed_url=feed_url, rotated=nieuw,
                changes=own_changes(session, principal))


def _event_row(e: CalendarEvent) -> dict:
    """An event as its owner reads it: in the zone of the place where it starts (and ends)."""
    start_tz, end_tz = ZoneInfo(e.tzid), ZoneInfo(e.end_tzid)
    start, end = derive.local(timeutil.minutes(e.start), start_tz), derive.local(timeutil.minutes(e.end), end_tz)
    return {"summary": e.summary, "location": e.location, "description": e.description,
            "start": start, "end": end, "span": derive.span_text(start, end), "one_zone": start.zone == end.zone}


def _feed_url(request: Request, session: Session, owner: str) -> str | None:
    """The person's live feed link, or None before they made one (a GET never creates it)."""
    from .. import feedtokens
    from ..routes.calendars import link

    return link(request, session, owner).url if feedtokens.current(session, owner) else None


def _own(principal: Principal) -> str:
    if not principal.owner:
        raise HTTPException(409, "Uw account is nog niet aan een escort, medicus of voertuig gekoppeld. "
                                 "Vraag de beheerder om de koppeling.")
    return principal.owner


@router.post("/ik/feed-token")
def my_feed_rotate(request: Request, principal: Principal = Depends(require("schedule.own")),
                   session: Session = Depends(db_session)):
    """A new secret link; the old one stops working at once (a leaked link is closed this way)."""
    from .. import feedtokens

    owner = _own(principal)
    with session.begin():
        feedtokens.rotate(session, owner, principal.username)
    return _see_other("/ik?nieuw=1")


@router.get("/ik/agenda.ics")
def my_calendar(request: Request, principal: Principal = Depends(require("schedule.own")),
                session: Session = Depends(db_session)):
    from ..publishing import rebuild_feed

    owner = _own(principal)
    # The feed as published; before any publication, an empty valid calendar (not stored).
    row = session.get(Feed, owner) or rebuild_feed(session, owner, None, utcnow())
    body = row.body
    session.rollback()
    filename = "agenda-" + derive.safe_name(owner.replace(":", "-")) + ".ics"
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={**_DOCUMENT_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'})


# --- Administration and audit -----------------------------------------------------------------

def _admin_context(session: Session) -> dict:
    users = list(session.scalars(select(User).order_by(User.username)))
    return {"locked": {u.id: throttle.locked(session, u.username) for u in users},
            "pending": [(row, accounts.shown_changes(row.payload)) for row in accounts.pending(session)],
            "users": users,
            "contacts": list(session.scalars(select(Contact).order_by(Contact.owner))), "roles": ROLES}


@router.get("/beheer")
def admin_page(request: Request, done: str | None = Query(None, max_length=40),
               principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    return page(request, "beheer.html", principal, done=done, form={}, errors=[], **_admin_context(session))


def _form_errors(exc: ValidationError) -> list[str]:
    labels = {"username": "gebruikersnaam", "password": "wachtwoord", "role": "rol", "unit": "eenheid",
              "owner": "koppeling", "email": "e-mail"}
    return [f"{labels.get(str(e['loc'][-1]), e['loc'][-1])}: {_pydantic_nl(e)}" for e in exc.errors()]


def _pydantic_nl(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "password_policy":
        return error["msg"]
    if kind == "string_too_short":
        return f"minstens {ctx.get('min_length')} tekens"
    if kind == "string_too_long":
        return f"hoogstens {ctx.get('max_length')} tekens"
    if kind == "string_pattern_mismatch":
        return "vorm klopt niet"
    if kind in ("literal_error", "enum"):
        return "kies een van de mogelijkheden"
    return "ongeldige waarde"


@router.post("/beheer/users")
def admin_create_user(request: Request, username: str = Form("", max_length=200),
                      password: str = Form("", max_length=400), role: str = Form("", max_length=40),
                      unit: str = Form("", max_length=200), owner: str = Form("", max_length=200),
                      email: str = Form("", max_length=400),
                      principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    form = {"username": username, "role": role, "unit": unit, "owner": owner, "email": email}
    try:
        body = UserIn(username=username, password=password, role=role, unit=unit or None, owner=owner or None,
                      email=email or None)
    except ValidationError as exc:
        return page(request, "beheer.html", principal, status_code=422, form=form, errors=_form_errors(exc),
                    **_admin_context(session))
    try:
        with session.begin():
            result = accounts.create_user(session, body, principal.username)
    except IntegrityError:
        session.rollback()
        return page(request, "beheer.html", principal, status_code=409, form=form,
                    errors=[f"Gebruikersnaam {body.username!r} bestaat al."], **_admin_context(session))
    done = "aanvraag" if isinstance(result, PendingChange) else "gebruiker"
    return _see_other(f"/beheer?done={done}")



@router.post("/beheer/pending/{change_id}/{decision}")
def admin_decide(request: Request, change_id: int, decision: Literal["bevestigen", "afwijzen"],
                 principal: Principal = Depends(require("users.manage")), session: Session = Depends(db_session)):
    """A second planner-admin confirms or rejects an account change (see api/accounts.py)."""
    try:
        with session.begin():
            accounts.decide(session, change_id, principal.username, decision == "bevestigen")
    except accounts.ChangeRefused as exc:
        raise HTTPException(exc.status, exc.message)
    except IntegrityError:
        raise HTTPException(409, "Gebruikersnaam bestaat al")
    return _see_other(f"/beheer?done={'bevestigd' if decision == 'bevestigen' else 'afgewezen'}")


@router.post("/beheer/users/{user_id}/unlock")
def admin_unlock(request: Request, user_id: int, principal: Principal = Depends(require("users.manage")),
                 session: Session = Depends(db_session)):
    with session.begin():
        user = row_by_id(session, User, user_id)
        if user is None:
            raise HTTPException(404, "Deze gebruiker bestaat niet")
        throttle.unlock(session, user, principal.username)
    return _see_other("/beheer?done=ontgrendeld")



@router.post("/beheer/contacts")
def admin_put_contact(request: Request, owner: str = Form("", max_length=200), email: str = Form("", max_length=400),
                      version: int | None = Form(None), principal: Principal = Depends(require("contacts.manage")),
                      session: Session = Depends(db_session)):
    owner = owner.strip()
    errors = []
    if owner.partition(":")[0] not in ("escort", "medic", "vehicle") or not owner.partition(":")[2].strip():
        errors.append("koppeling: verwacht escort:<id>, medic:<id> of vehicle:<id>")
    try:
        body = ContactIn(email=email.strip())
    except ValidationError:
        errors.append("e-mail: vorm klopt niet")
    if errors:
        return page(request, "beheer.html", principal, status_code=422, form={}, errors=errors,
                    contact_form={"owner": owner, "email": email}, **_admin_context(session))
    with session.begin():
        contact = session.get(Contact, owner)
        if contact is None:
            session.add(Contact(owner=owner, email=body.email, version=1))
        else:
            # The form carries the version it showed; an older one would overwrite someone's change.
            if version is not None and version != contact.version:
                raise StaleWrite(contact.version)
            contact.email = body.email
            contact.version += 1
        audit.record(session, principal.username, "contact.put", "contact", owner)
    return _see_other(f"/beheer?done={quote('contact')}")


AUDIT_PAGE = 100


@router.get("/audit")
def audit_page(request: Request, before: int | None = Query(None, ge=1, le=MAX_ID),
               action: str | None = Query(None, max_length=60),
               principal: Principal = Depends(require("audit.read")), session: Session = Depends(db_session)):
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE + 1)
    if before:
        query = query.where(AuditEntry.id < before)
    if action:
        query = query.where(AuditEntry.action == action)
    entries = list(session.scalars(query))
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    older = None
    if more:
        older = "/audit?" + urlencode({k: v for k, v in (("before", entries[-1].id), ("action", action)) if v})
    return page(request, "audit.html", principal, entries=entries, action=action or "", older=older,
                detail_text=_detail_text)


def _detail_text(detail: dict | None) -> str:
    if not detail:
        return ""
    return "; ".join(f"{k}: {v}" for k, v in detail.items())
