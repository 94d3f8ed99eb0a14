"""Discovery against the simulated market on loopback: settings, a recorder, waiting."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from tokenradar.clock import FakeClock
from tokenradar.domain import TokenRef
from tokenradar.service.topics import PoolCreated
from tokenradar.settings import Settings
from tokenradar.simulator.config import SimConfig
from tokenradar.simulator.server import SimulatedMarket

#: a quiet, instant market: no added latency, no scheduled launches
FAST = {"latency_median_ms": 0.0, "latency_p99_ms": 0.0, "launch_rate": 0.0, "tokens": 60}
#: the logs listener alone, with test-sized heartbeat and backoff
LOGS_ONLY = {
    "profiles": False,
    "boosts": False,
    "ping_interval": "200ms",
    "silence_timeout": "2s",
    "reconnect_initial": "50ms",
    "reconnect_max": "500ms",
}


def sim_config(**overrides: Any) -> SimConfig:
    return SimConfig(**{**FAST, **overrides})


def settings_for(sim: SimulatedMarket, *, ws_url: str | None = None, **discovery: Any) -> Settings:
    """Settings pointing the RPC and DexScreener at ``sim``; ``discovery`` is ``[discovery]``."""
    rpc = {"url": sim.rpc_url, "ws_url": ws_url or sim.ws_url, "timeout": 2.0}
    return Settings.model_validate(
        {
            "providers": {"dexscreener": {"base_url": sim.dexscreener_url}, "solana_rpc": rpc},
            "discovery": discovery,
        }
    )


class Recorder:
    """``on_new``: keeps every event, in order."""

    def __init__(self) -> None:
        self.events: list[PoolCreated] = []

    def __call__(self, event: PoolCreated) -> None:
        self.events.append(event)

    @property
    def tokens(self) -> list[TokenRef]:
        return [e.token for e in self.events]

    def by_source(self) -> Counter[str]:
        return Counter(e.source for e in self.events)


async def until(condition: Callable[[], bool], *, within: float = 10.0, what: str = "") -> None:
    """Wait (real time) until ``condition()`` holds; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g}s waiting for {what or condition}")
        await asyncio.sleep(0.01)


async def drive(clock: FakeClock, seconds: float, *, step: float = 0.25) -> None:
    """Move a fake clock shared by the simulator and the client, letting loopback I/O run."""
    end = clock.monotonic() + seconds
    while clock.monotonic() < end:
        await asyncio.sleep(0.002)  # real time: sockets need the event loop, not just a tick
        clock.advance(step)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Serve = Callable[[Handler], Awaitable[str]]


async def empty_rpc(request: web.Request) -> web.Response:
    """A JSON-RPC node that has no signatures (the listener's anchor finds none)."""
    call = await request.json()
    return web.json_response({"jsonrpc": "2.0", "result": [], "id": call["id"]})


@pytest.fixture
async def node() -> AsyncIterator[Serve]:
    """``await node(ws_handler)`` serves it at ``/ws`` (and an empty RPC at ``/rpc``) on
    loopback; returns ``host:port``."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.add_routes([web.get("/ws", handler), web.post("/rpc", empty_rpc)])
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"{host}:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def node_settings(address: str, **discovery: Any) -> Settings:
    rpc = {"url": f"http://{address}/rpc", "ws_url": f"ws://{address}/ws", "timeout": 5.0}
    return Settings.model_validate(
        {"providers": {"solana_rpc": rpc}, "discovery": {**LOGS_ONLY, **discovery}}
    )
