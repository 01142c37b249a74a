"""Request size limit as pure ASGI middleware: refuses early on Content-Length, and also counts
the bytes of chunked bodies, so no upload can exhaust memory or disk."""
from __future__ import annotations

import json


class BodyTooLarge(Exception):
    pass


class RequestSizeLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                return await self._refuse(send, 400, "Content-Length is not a number")
            if too_big:
                return await self._refuse(send, 413, self._message())
        seen = 0
        started = False
        exceeded = False

        async def counting_receive():
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if exceeded:
                # The app caught BodyTooLarge (FastAPI turns any error while reading a form into
                # 400 "error parsing the body"): whatever it answers, the answer is 413.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refuse(send, 413, self._message())
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, 413, self._message())

    def _message(self) -> str:
        return f"Verzoek te groot: hooguit {self.max_bytes} bytes (MAX_REQUEST_BYTES)"

    @staticmethod
    async def _refuse(send, status: int, detail: str):
        body = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
