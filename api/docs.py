"""/api/docs: Swagger UI from files the fastapi-offline package ships, not from a CDN.

FastAPI's own docs page loads Swagger UI from a CDN, so every visit told a third party that
someone reads this API, and the page broke offline. The page keeps FastAPI's HTML; its one inline
script (the Swagger UI set-up) is allowed by its hash, everything else comes from this server.
"""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static/swagger-ui"  # registered before /static, which would take it otherwise


def _script_hashes(html: str) -> str:
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)


def register(app: FastAPI, docs_url: str = "/api/docs") -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="swagger-ui")
    html = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - API",
                               swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                               swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                               swagger_favicon_url=f"{ASSETS_URL}/favicon.png").body.decode()
    headers = {
        # Swagger UI sets inline styles and shows data: images (e.g. its logo).
        "Content-Security-Policy": f"default-src 'self'; script-src 'self' {_script_hashes(html)}; "
                                   "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                                   "frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }

    @app.get(docs_url, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(html, headers=headers)
