"""Rendering of the Dutch pages: one Jinja2 environment, the page context, error pages."""
from __future__ import annotations

from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from planner.outputs.derive import _MONTHS, _WEEKDAYS

from ..auth import Principal
from ..authz import ADMIN, FIELD_ROLES, INSPECTOR, REGIE, allowed

TEMPLATES = resources.files("templates") / "pages"  # the top-level templates/ package
HOME_TZ = ZoneInfo("Europe/Amsterdam")  # the planning unit reads service timestamps in Dutch time

ROLE_LABELS = {
    REGIE: "regievoerder", ADMIN: "beheerder", INSPECTOR: "inspecteur",
    "escort": "KMar-escort", "medic": "medisch begeleider", "driver": "chauffeur DV&O",
}

templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def stamp(value: datetime | None) -> str:
    """A stored instant as the unit reads it: 'di 3 dec 2026 10:05'."""
    if value is None:
        return "—"
    d = value.astimezone(HOME_TZ)
    return f"{_WEEKDAYS['nl'][d.weekday()]} {d.day} {_MONTHS['nl'][d.month - 1]} {d.year} {d:%H:%M}"


templates.env.filters["stamp"] = stamp
templates.env.globals["role_labels"] = ROLE_LABELS
templates.env.globals["allowed"] = allowed


def home_for(role: str) -> str:
    """Where a role lands after logging in."""
    if role in FIELD_ROLES:
        return "/ik"
    if role == ADMIN:
        return "/beheer"
    return "/"


# Pages load nothing from elsewhere and run only /static/app.js; inline style attributes carry the
# board's server-computed positions. No caching: pages show personal and case data.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page(request: Request, name: str, principal: Principal | None, status_code: int = 200, **context) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"me": principal, "home": home_for(principal.role) if principal
                                                      else "/login", **context}, status_code=status_code,
                                      headers=PAGE_HEADERS)


# Titles of the error page per status; the detail text says what exactly went wrong.
ERROR_TITLES = {
    400: "Verzoek niet begrepen", 401: "Niet ingelogd", 403: "Geen toegang", 404: "Niet gevonden",
    405: "Dat kan hier niet", 409: "Conflict", 412: "Intussen gewijzigd", 413: "Bestand te groot",
    422: "Invoer niet geldig", 428: "Versie ontbreekt", 500: "Er ging iets mis", 503: "Tijdelijk niet beschikbaar",
}
GENERIC = {
    404: "Deze pagina bestaat niet, of u heeft er geen toegang toe.",
    405: "Deze handeling is op deze pagina niet mogelijk.",
    422: "Een waarde in het adres of formulier is niet geldig.",
    500: "Er ging onverwacht iets mis. Er is niets half opgeslagen; probeer het later opnieuw "
         "of meld het bij de beheerder.",
}


def error_page(request: Request, status_code: int, detail: str | None = None) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    if not isinstance(detail, str) or not detail or detail in ("Not Found", "Method Not Allowed",
                                                               "Internal Server Error"):
        detail = GENERIC.get(status_code, "Het verzoek kon niet worden uitgevoerd.")
    return page(request, "error.html", principal, status_code=status_code,
                title=ERROR_TITLES.get(status_code, "Fout"), detail=detail, code=status_code)
