"""An API over a running Service on the in-memory lanes, and clients for it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from flow.memory import MemoryPlans, absent_facet, memory_budget, solana_tokens
from tokenradar.api import create_app
from tokenradar.clock import SYSTEM_CLOCK
from tokenradar.domain import Facet, FacetKind, TokenRef
from tokenradar.service.serve import Service
from tokenradar.settings import Settings

MARKET, MINT = FacetKind.MARKET, FacetKind.MINT
ADMIN_KEY = "admin-key-0123456789"
READ_KEY = "read-key-0123456789"
WRONG_KEY = "not-a-configured-key"


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_settings(tmp_path: Path, **api: Any) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 's.db'}"},
            "discovery": {"enabled": False},
            "service": {
                "watchlist": str(tmp_path / "watch.txt"),
                "reload_interval": 0.05,
                "score_delay": 0.05,
                "status_interval": 0,
            },
            "api": {
                "keys": [
                    {"name": "ops", "sha256": sha(ADMIN_KEY), "role": "admin"},
                    {"name": "viewer", "sha256": sha(READ_KEY), "role": "read"},
                ],
                **api,
            },
        }
    )


def memory_service(
    settings: Settings, universe: list[TokenRef], hold: asyncio.Event | None = None
) -> Service:
    """``hold``: mint fetches wait until it is set (a scan that keeps running)."""
    plans = MemoryPlans(SYSTEM_CLOCK)

    async def held(tokens: Sequence[TokenRef]) -> Sequence[Facet[Any]]:
        assert hold is not None
        await hold.wait()
        now = SYSTEM_CLOCK.now()
        return [absent_facet(t, MINT, fetched_at=now, source="mem") for t in tokens]

    mint = plans.plan(MINT, max_batch=100, answer=held if hold is not None else None)
    return Service(
        settings,
        kinds=[MARKET, MINT],
        plans={MARKET: plans.plan(MARKET), MINT: mint},
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
        universe=universe,
    )


async def until(predicate: Any, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"not true within {within}s")
        await asyncio.sleep(0.02)


@dataclass
class Running:
    service: Service
    app: FastAPI
    client: httpx.AsyncClient  # over ASGITransport
    tokens: list[TokenRef]


@contextlib.asynccontextmanager
async def running_api(
    settings: Settings, n_tokens: int = 20, hold: asyncio.Event | None = None
) -> AsyncIterator[Running]:
    tokens = solana_tokens(n_tokens)
    service = memory_service(settings, tokens, hold)
    app = create_app(service, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    transport = httpx.ASGITransport(app=app)
    try:
        await asyncio.wait_for(service.ready(), 10)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield Running(service, app, client, tokens)
    finally:
        if hold is not None:
            hold.set()
        app.state.tokenradar.closing.set()
        await app.state.tokenradar.scans.close()
        stop.set()
        await asyncio.wait_for(task, 30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def loopback(app: FastAPI) -> AsyncIterator[str]:
    """``app`` on a real uvicorn server on 127.0.0.1; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started, 10)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return api_settings(tmp_path)


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


def reader() -> dict[str, str]:
    return {"X-API-Key": READ_KEY}


__all__ = ["solana_tokens"]
