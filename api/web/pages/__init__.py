"""The Dutch web pages: server-rendered, behind the same permissions as the JSON API.

This package holds one module per resource (session, scenarios, departures, board, jobs, plans,
own, admin); here are ``register(app)``, the one ``router`` they make together, and the error
handlers that turn every error into a Dutch message page.

Every page names its permission through ``require`` (as the API routes do), regievoerders see
only their unit's scenarios (``scenario_for``), every form carries the session's CSRF token,
and every error is a Dutch message page. The pages call the same services as the API; they
never solve, publish or validate anything themselves.
"""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from planner.errors import ScenarioError, shown

from ...auth import SESSION_COOKIE, NotLoggedIn, principal_from_cookie
from ...scenarios import StaleWrite
from ..board import build_board
from ..problems_nl import dutch
from ..render import error_page, page
from . import admin, board, departures, jobs, own, plans, scenarios, session
from . import edit, recommend
from . import disruptions, imports
from . import invites, search
from .common import _see_other
from .own import now

# The seams tests replace (api.web.pages.now, api.web.pages.build_board): the page modules look
# them up here when called.
__all__ = ["build_board", "now", "register", "render_problems", "router"]

router = APIRouter(include_in_schema=False)
# In the order the routes were always matched.
# edit before departures: /scenarios/{id}/departures/nieuw is not the page of a departure 'nieuw'.
# imports early: /scenarios/import/preview is no scenario's page.
for _module in (session, scenarios, imports, edit, departures, recommend, board, jobs, plans, own, admin, disruptions,
                invites, search):
    router.include_router(_module.router)


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
    problems = []
    for p in exc.problems[:1000]:  # a bounded page
        # The rule in Dutch where the table knows it (api/web/problems_nl.py); else the English original.
        expected_nl, translated = dutch(p.expected)
        problems.append({"entity": p.entity, "id": p.id, "field": p.field, "value": _shown_value(p.value),
                         "expected": p.expected, "expected_nl": expected_nl, "translated": translated,
                         "message": str(p)})
    return page(request, "problems.html", principal, status_code=422, problems=problems, total=len(exc.problems))


def _shown_value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str) and value.isprintable() and len(value) <= 200:
        return value
    return shown(value)  # bounded, control characters escaped, safe to encode as UTF-8
