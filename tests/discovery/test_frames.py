"""Real logs can be large: a notification bigger than aiohttp's default frame limit (4 MiB)."""

from __future__ import annotations

import contextlib

import base58
from aiohttp import web

from tokenradar.discovery import Discovery
from tokenradar.providers.pumpfun import (
    CREATE_INSTRUCTION_LOG,
    PUMPFUN_PROGRAM_ID,
    encode_create_event,
    program_data_log,
)

from .conftest import Recorder, Serve, node_settings, until

SOURCE = f"logs:{PUMPFUN_PROGRAM_ID}"
MINT = base58.b58encode(bytes([42]) * 32).decode()
#: about 5 MiB of log lines: a transaction that logs a lot (CPI-heavy launches do)
PADDING = ["Program log: " + "x" * 1000] * 5000


async def big_node(request: web.Request) -> web.StreamResponse:
    """A node that confirms the subscription, then sends one huge create notification."""
    ws = web.WebSocketResponse(max_msg_size=0)
    await ws.prepare(request)
    async for message in ws:
        call = message.json()
        await ws.send_json({"jsonrpc": "2.0", "result": 7, "id": call["id"]})
        event = encode_create_event("Big", "BIG", "u", bytes([42]) * 32, bytes(32), bytes(32))
        logs = [CREATE_INSTRUCTION_LOG, *PADDING, program_data_log(event)]
        value = {"signature": "5" * 88, "err": None, "logs": logs}
        params = {"result": {"context": {"slot": 1}, "value": value}, "subscription": 7}
        with contextlib.suppress(ConnectionError):  # a client over its limit hangs up
            await ws.send_json({"jsonrpc": "2.0", "method": "logsNotification", "params": params})
    return ws


async def test_a_notification_larger_than_aiohttps_default_limit_is_read(node: Serve) -> None:
    recorder = Recorder()
    async with Discovery(node_settings(await node(big_node)), on_new=recorder):
        await until(lambda: bool(recorder.events), what="the big notification")
    assert [e.token.address for e in recorder.events] == [MINT]


async def test_a_frame_over_the_configured_limit_is_an_error_and_a_reconnect(
    node: Serve,
) -> None:
    recorder = Recorder()
    settings = node_settings(await node(big_node), max_message_size=65536)
    async with Discovery(settings, on_new=recorder) as found:
        await until(lambda: found.stats()[SOURCE].reconnects >= 1, what="a reconnect")
        stats = found.stats()[SOURCE]
    assert recorder.events == []
    assert stats.last_error is not None
    assert "65536" in stats.last_error
