"""Response headers every route gets, as pure ASGI middleware.

* ``Cache-Control: no-store`` on everything under /api/: the JSON carries case data and
  /api/me/calendar.ics a person's schedule; no browser or proxy should keep a copy. Feeds
  (/feeds/) keep their own revalidation headers.
* A true ``Allow``: Starlette answers a method a path lacks with the methods of the first route
  that matched the path only (``GET`` for /api/scenarios, which also takes POST), and OPTIONS
  with 405. Here OPTIONS gets 204 with every method of the path, and a 405's Allow says the same.
"""
from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.routing import Mount, compile_path

NO_STORE_PREFIX = "/api/"


def _route_methods(app) -> list[tuple[object, frozenset[str]]]:
    from fastapi.routing import iter_route_contexts

    table = []
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if isinstance(original, Mount):  # static files: read-only
            table.append((original.path_regex, frozenset({"GET", "HEAD"})))
        elif route.methods and route.path:
            table.append((compile_path(route.path)[0], frozenset(route.methods)))
    return table


class ApiHeaders:
    def __init__(self, app):
        self.app = app
        self._table: list | None = None  # built on the first request, when every route is there

    def allowed(self, app, path: str) -> set[str]:
        if self._table is None:
            self._table = _route_methods(app)
        methods = set().union(*(m for regex, m in self._table if regex.match(path)))
        return methods | {"OPTIONS"} if methods else methods

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if scope["method"] == "OPTIONS":
            allowed = self.allowed(scope["app"], path)
            if allowed:
                headers = [(b"allow", ", ".join(sorted(allowed)).encode()), (b"content-length", b"0")]
                if path.startswith(NO_STORE_PREFIX):
                    headers.append((b"cache-control", b"no-store"))
                await send({"type": "http.response.start", "status": 204, "headers": headers})
                return await send({"type": "http.response.body", "body": b""})

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if path.startswith(NO_STORE_PREFIX):
                    headers["Cache-Control"] = "no-store"
                if message["status"] == 405:
                    allowed = self.allowed(scope["app"], path)
                    if allowed:
                        headers["Allow"] = ", ".join(sorted(allowed))
            await send(message)

        await self.app(scope, receive, send_with_headers)
