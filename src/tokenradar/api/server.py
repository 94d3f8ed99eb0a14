"""Running the app with uvicorn inside the service's own event loop.

::

    await run_api(app, host, port, stop)    # until ``stop`` is set; raises if it cannot bind

The CLI owns the signals (SIGTERM/SIGINT set ``stop`` for the service and the
API together), so uvicorn's own signal capture is turned off. On ``stop`` the
app's streams are ended first (so open SSE connections do not hold the
shutdown), then uvicorn finishes in-flight requests within its grace.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI

from tokenradar.errors import TokenradarError

#: in-flight requests get this long to finish at shutdown
GRACEFUL_S = 5


class ApiStartFailed(TokenradarError):
    """The API could not start (most often: the port is taken)."""


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the CLI's handlers stop the service and the API together


async def run_api(app: FastAPI, host: str, port: int, stop: asyncio.Event) -> None:
    config = uvicorn.Config(
        app, host=host, port=port, lifespan="on", log_level="info",
        timeout_graceful_shutdown=GRACEFUL_S, access_log=False,
    )  # fmt: skip
    server = _Server(config)
    serving = asyncio.create_task(server.serve(), name="api-server")
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.done():
            app.state.tokenradar.closing.set()
            server.should_exit = True
        try:
            await serving
        except SystemExit as exc:  # uvicorn exits the process when it cannot bind
            raise ApiStartFailed(f"the API could not listen on {host}:{port}") from exc
        if not stop.is_set():
            raise ApiStartFailed(f"the API on {host}:{port} stopped on its own")
    finally:
        stopping.cancel()
        if not serving.done():
            server.should_exit = True
            await asyncio.wait({serving})
