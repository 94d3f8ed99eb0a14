"""Loopback servers and a recording gate for the provider tests.

``serve(app)`` starts an aiohttp.web app on 127.0.0.1 (port 0) and returns its
base URL; every app is cleaned up when the test ends.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tokenradar.domain import TokenRef

DATA = Path(__file__).parent.parent / "data"

MINTS = {
    "useless": "Dz9mQ9NzkBcCsuGPFJ3r1bS4wgqKMHBPiVuniW8Mbonk",
    "trump": "6p6xgHyF7AeE6TZkSmFsko444wqoP15icUSqi2jfGiPN",
    "aura": "DtR4D9FtVoTX2569gaL837ZgrB6wNjj6tkmnX9Rdk9B2",
    "gor": "71Jvq4Epe2FCJ7JFSF7jLXdNk1Wy4Bhqd9iL6bEFELvg",
    "spx": "J3NKxxXZcnNiMjKw9hYb2K4LUxgwB6t1FtPtQVsv3KFr",
    "mumu": "5LafQUrVco6o7KMz42eqVEJ9LW31StPyGjeeu5sKoMtA",
}
SYMBOLS = tuple(MINTS)


def token(sym: str) -> TokenRef:
    return TokenRef("solana", MINTS[sym])


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def raw(name: str) -> bytes:
    return (DATA / name).read_bytes()


Serve = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def _serve(app: web.Application) -> str:
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    yield _serve
    for runner in reversed(runners):
        await runner.cleanup()


class RecordingGate:
    """A Gate that records every (endpoint, cost) and how each block ended."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.outcomes: list[str] = []  # "ok" or the exception class name

    def __call__(self, endpoint: str, cost: int = 1) -> AbstractAsyncContextManager[None]:
        return self._enter(endpoint, cost)

    @asynccontextmanager
    async def _enter(self, endpoint: str, cost: int) -> AsyncIterator[None]:
        self.calls.append((endpoint, cost))
        try:
            yield
        except BaseException as exc:
            self.outcomes.append(type(exc).__name__)
            raise
        self.outcomes.append("ok")
