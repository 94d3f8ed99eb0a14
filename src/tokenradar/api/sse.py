"""Server-sent events over a bus subscription, as a plain ``StreamingResponse``.

Why not sse-starlette: we need exactly three things it does not make simpler,
(1) the ``id:`` of each event is the bus event id so ``Last-Event-ID`` resumes
from ``bus.replay()``, (2) a keep-alive interleaved with a cancel-safe wait on
the subscription, and (3) the stream ends when the subscription is lost to
overflow (a slow client) — counted — or when the app shuts down; its
process-wide exit signalling would tie app instances together. That is ~40
lines here, with no second dependency.

A slow client is never a growing queue: the subscription is bounded
(``[api] stream_queue``) with ``overflow="disconnect"``. When the client
stops reading, the socket's buffer fills, this generator blocks in ``send``,
the queue fills, the bus ends the subscription, and the stream closes after a
final ``event: lost`` naming the last id delivered (resume from it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from tokenradar.events import AnyEvent, Subscription
from tokenradar.events.subscription import LOST, SubscriptionLost


@dataclass(slots=True)
class StreamCounters:
    clients: int = 0
    dropped_slow: int = 0


def frame(event: str, data: Any, event_id: int | None = None) -> bytes:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event}")
    lines.append(f"data: {json.dumps(data, separators=(',', ':'))}")
    return ("\n".join(lines) + "\n\n").encode()


async def event_stream(
    sub: Subscription,
    backlog: Iterable[AnyEvent],
    *,
    render: Callable[[AnyEvent], dict[str, Any]],
    keepalive: float,
    closing: asyncio.Event,
    until: Callable[[AnyEvent], bool] | None = None,
) -> AsyncIterator[bytes]:
    """``backlog`` (replayed events) then ``sub`` as SSE frames; ends on ``until(event)``."""
    sent = 0
    for event in backlog:
        sent = event.id
        yield frame(event.topic, render(event), event.id)
        if until is not None and until(event):
            return
    stopper = asyncio.ensure_future(closing.wait())
    try:
        while True:
            nxt = asyncio.ensure_future(anext(sub))
            done, _ = await asyncio.wait(
                {nxt, stopper}, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED
            )
            if nxt not in done:
                nxt.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await nxt
                if stopper in done:
                    return
                yield b": keep-alive\n\n"
                continue
            try:
                event = nxt.result()
            except StopAsyncIteration:
                return
            except SubscriptionLost as lost:
                yield frame("lost", {"reason": str(lost.reason), "last_id": lost.last_id})
                return
            if event.id <= sent:
                continue  # already sent from the replay
            yield frame(event.topic, render(event), event.id)
            if until is not None and until(event):
                return
    finally:
        stopper.cancel()


#: after its subscription is lost, how long a stream may take to send ``event: lost``
#: before the client is taken for one that does not read, and dropped
LOST_GRACE_S = 0.5


class SSEResponse(Response):
    """An ASGI response sending ``body`` as ``text/event-stream``.

    Ends when the body ends, the client disconnects, or the subscription is lost
    while the client does not read (then the send blocked on the full socket is
    abandoned and the connection closed: the client is dropped and counted).
    """

    def __init__(
        self,
        body: AsyncIterator[bytes],
        sub: Subscription,
        counters: StreamCounters,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status_code = 200
        self.background = None
        self.stream = body
        self.sub = sub
        self.counters = counters
        self.sse_headers = {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-store",
            "x-accel-buffering": "no",
            **(headers or {}),
        }

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.counters.clients += 1
        tasks: set[asyncio.Task[None]] = set()
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(k.encode(), v.encode()) for k, v in self.sse_headers.items()],
                }
            )
            pump = asyncio.create_task(self._pump(send))
            tasks = {
                pump,
                asyncio.create_task(self._lost()),
                asyncio.create_task(self._gone(receive)),
            }
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if pump.done() and pump.exception() is None:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            for t in tasks:
                t.cancel()
            if tasks:
                await asyncio.wait(tasks)
            if self.sub.reason in LOST:
                self.counters.dropped_slow += 1
            self.sub.close()
            self.counters.clients -= 1
            with contextlib.suppress(Exception):
                await self.stream.aclose()  # type: ignore[attr-defined]

    async def _pump(self, send: Any) -> None:
        async for chunk in self.stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def _lost(self) -> None:
        # a subscription lost while the pump is blocked in send: the client is not reading
        if await self.sub.ended() not in LOST:
            await asyncio.Event().wait()  # a normal end: the pump ends the response
        await asyncio.sleep(LOST_GRACE_S)  # a reading client gets its ``lost`` frame first
        # (returning ends the response unfinished: the server closes the connection)

    async def _gone(self, receive: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
