"""Real logs can be large: a notification bigger than aiohttp's default frame limit (4 MiB)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import base58
import pytest
from aiohttp import web

from tokenradar.discovery import Discovery
from tokenradar.providers.pumpfun import (
    CREATE_INSTRUCTION_LOG,
    PUMPFUN_PROGRAM_ID,
    encode_create_event,
    program_data_log,
)
from tokenradar.settings import Settings

from .conftest import LOGS_ONLY, Recorder, until

SOURCE = f"logs:{PUMPFUN_PROGRAM_ID}"
MINT = base58.b58encode(bytes([42]) * 32).decode()
#: about 5 MiB of log lines: a transaction that logs a lot (CPI-heavy launches do)
PADDING = ["Program log: " + "x" * 1000] * 5000


async def node(request: web.Request) -> web.StreamResponse:
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


async def rpc(request: web.Request) -> web.Response:
    call = await request.json()
    return web.json_response({"jsonrpc": "2.0", "result": [], "id": call["id"]})


@pytest.fixture
async def url() -> AsyncIterator[str]:
    app = web.Application()
    app.add_routes([web.get("/ws", node), web.post("/rpc", rpc)])
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"{host}:{port}"
    await runner.cleanup()


def settings(url: str, **discovery: object) -> Settings:
    rpc = {"url": f"http://{url}/rpc", "ws_url": f"ws://{url}/ws", "timeout": 5.0}
    return Settings.model_validate(
        {"providers": {"solana_rpc": rpc}, "discovery": {**LOGS_ONLY, **discovery}}
    )


async def test_a_notification_larger_than_aiohttps_default_limit_is_read(url: str) -> None:
    recorder = Recorder()
    async with Discovery(settings(url), on_new=recorder):
        await until(lambda: bool(recorder.events), what="the big notification")
    assert [e.token.address for e in recorder.events] == [MINT]


async def test_a_frame_over_the_configured_limit_is_an_error_and_a_reconnect(url: str) -> None:
    recorder = Recorder()
    async with Discovery(settings(url, max_message_size=65536), on_new=recorder) as found:
        await until(lambda: found.stats()[SOURCE].reconnects >= 1, what="a reconnect")
        stats = found.stats()[SOURCE]
    assert recorder.events == []
    assert stats.last_error is not None
    assert "65536" in stats.last_error
