"""Reconnecting politely: a node that keeps hanging up is not hammered."""

from __future__ import annotations

from aiohttp import web

from tokenradar.clock import FakeClock
from tokenradar.discovery import Discovery
from tokenradar.providers.pumpfun import PUMPFUN_PROGRAM_ID

from .conftest import Recorder, Serve, drive, node_settings

SOURCE = f"logs:{PUMPFUN_PROGRAM_ID}"


async def test_a_node_that_hangs_up_after_each_subscription_sees_a_growing_backoff(
    node: Serve,
) -> None:
    handshakes = 0

    async def flaky(request: web.Request) -> web.StreamResponse:
        nonlocal handshakes
        handshakes += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        call = await ws.receive_json()
        await ws.send_json({"jsonrpc": "2.0", "result": 1, "id": call["id"]})
        await ws.close()  # confirmed, then gone at once
        return ws

    clock = FakeClock()
    settings = node_settings(await node(flaky), reconnect_initial="500ms", reconnect_max="30s")
    async with Discovery(settings, on_new=Recorder(), clock=clock) as found:
        await drive(clock, 120.0, step=0.1)
        stats = found.stats()[SOURCE]
    # 0.5 + 1 + 2 + ... + 30 + 30 ...: about ten in two minutes, not one every 0.5 s
    assert 5 <= handshakes <= 12
    assert stats.reconnects == handshakes
    assert stats.polls == handshakes  # each was subscribed, briefly
