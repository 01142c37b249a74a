"""The FastAPI application: JSON API under /api, pages in Dutch, calendar feeds under /feeds."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from planner.errors import ScenarioError, json_value

from . import docs
from .auth import NotLoggedIn
from .db import Database, migrate
from .headers import ApiHeaders
from .limits import RequestSizeLimit
from .scenarios import StaleWrite
from .settings import Settings

STATIC = Path(__file__).parent / "static"


SHOWN_PROBLEMS = 1000  # in one answer: a sheet of 100,000 bad rows must not make a 100 MB answer


def problems_json(exc: ScenarioError) -> dict:
    shown = exc.problems[:SHOWN_PROBLEMS]
    more = f" (de eerste {len(shown)} staan hieronder)" if len(shown) < len(exc.problems) else ""
    return {"detail": f"{len(exc.problems)} fout(en) in de invoer; er is niets opgeslagen{more}",
            "problems": [{"entity": p.entity, "id": p.id, "field": p.field, "value": _jsonable(p.value),
                          "expected": p.expected, "message": str(p)} for p in shown]}


def _jsonable(value):
    return json_value(value)  # bounded, finite, UTF-8 safe: a rejected value never makes the answer a 500


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/feeds/"))


def create_app(settings: Settings | None = None, database: Database | None = None, run_migrations: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    if run_migrations:
        migrate(settings.database_url)
    app = FastAPI(title="vertrekplanner", version="1", description="Planning service for special departures",
                  docs_url=None, openapi_url="/api/openapi.json", redoc_url=None)
    app.state.settings = settings
    app.state.db = database or Database(settings.database_url)

    @app.exception_handler(ScenarioError)
    async def _invalid(request: Request, exc: ScenarioError):
        if _wants_html(request) and hasattr(request.app.state, "render_problems"):
            return request.app.state.render_problems(request, exc)
        return JSONResponse(problems_json(exc), status_code=422)

    @app.exception_handler(StaleWrite)
    async def _stale(request: Request, exc: StaleWrite):
        return JSONResponse({"detail": "Iemand anders heeft dit intussen gewijzigd; uw wijziging is niet opgeslagen. "
                                       "Laad de huidige versie en probeer opnieuw.",
                             "current_version": exc.current_version}, status_code=412,
                            headers={"ETag": f'"v{exc.current_version}"'})

    @app.exception_handler(NotLoggedIn)
    async def _login_needed(request: Request, exc: NotLoggedIn):
        if _wants_html(request) and request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse({"detail": "Niet ingelogd"}, status_code=401)

    from .routes import admin, book, calendars, jobs, plans, scenarios, session
    from .web import pages
    # Jobs and plans before scenarios: GET /api/scenarios/{id}/jobs and /plans would otherwise be taken
    # by GET /api/scenarios/{id}/{kind} (the first matching route wins) and answered 422, not a kind.
    for module in (jobs, plans, calendars, book):
        app.include_router(module.router)
    app.include_router(book.imports)
    pages.register(app)
    for module in (session, scenarios, admin):
        app.include_router(module.router)
    docs.register(app)  # /api/docs, with Swagger UI's files under /static/swagger-ui
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(ApiHeaders)
    # Outermost, so even the body parser never sees more than the limit.
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    return app

