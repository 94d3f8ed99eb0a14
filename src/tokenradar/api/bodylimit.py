"""A request-body limit enforced while the body is read (pure ASGI).

A declared ``Content-Length`` above the limit is refused with 413 before the
app runs. Otherwise the bytes of ``receive()`` are counted as the app pulls
them; the first chunk past the limit answers 413 at once and the app is told
the client disconnected, so the rest is never read (nor buffered).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tokenradar.api.errors import ErrorBody


def _body_413(limit: int) -> bytes:
    body = ErrorBody(error="too_large", detail=f"request body over {limit} bytes")
    return json.dumps(body.model_dump(mode="json")).encode()


class BodyCounter:
    """How many bodies were refused (shared with the app's stats)."""

    def __init__(self) -> None:
        self.refused = 0


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, counter: BodyCounter | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.counter = counter or BodyCounter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        seen = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # we answered 413; what the app says after is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send) -> None:
        self.counter.refused += 1
        body = _body_413(self.max_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
