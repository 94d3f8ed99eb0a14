"""LogsSubscription against a loopback WebSocket node that drops, refuses and garbles."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import base58
import pytest
from aiohttp import web

from tokenradar.clock import FakeClock
from tokenradar.domain import TokenRef
from tokenradar.errors import PermanentError, RateLimited
from tokenradar.providers.pool_feed import LogsSubscription, NewPoolEvent
from tokenradar.providers.pumpfun import (
    CREATE_INSTRUCTION_LOG,
    PUMPFUN_PROGRAM_ID,
    encode_create_event,
    program_data_log,
)
from tokenradar.settings import SolanaRpcSettings

from .conftest import RecordingGate, Serve
from .solana_node import addr

Script = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_logs(mint: str, name: str, symbol: str, creator: str) -> list[str]:
    event = encode_create_event(
        name,
        symbol,
        f"https://ipfs.io/ipfs/{symbol}",
        base58.b58decode(mint),
        base58.b58decode(addr(90)),
        base58.b58decode(creator),
    )
    return [
        f"Program {PUMPFUN_PROGRAM_ID} invoke [1]",
        CREATE_INSTRUCTION_LOG,
        program_data_log(event),
        f"Program {PUMPFUN_PROGRAM_ID} success",
    ]


def notification(sub: int, signature: str, logs: list[str], err: object = None) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "method": "logsNotification",
        "params": {
            "result": {
                "context": {"slot": 341_000_123},
                "value": {"signature": signature, "err": err, "logs": logs},
            },
            "subscription": sub,
        },
    }


class WsNode:
    """Runs one script per incoming connection, in order."""

    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = scripts
        self.subscribe_requests: list[Any] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        index = min(len(self.subscribe_requests), len(self.scripts) - 1)
        self.subscribe_requests.append(None)
        return await self.scripts[index](request)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.handle)
        return app


async def accept(node: WsNode, request: web.Request, sub: int) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    node.subscribe_requests[-1] = await ws.receive_json()
    await ws.send_json({"jsonrpc": "2.0", "result": sub, "id": 1})
    return ws


async def until(predicate: Callable[[], bool]) -> None:
    for _ in range(300):  # bounded: 3 s of loopback I/O at most
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_events_are_decoded_and_noise_is_skipped_across_a_reconnect(serve: Serve) -> None:
    node = WsNode([])

    async def first(request: web.Request) -> web.StreamResponse:
        ws = await accept(node, request, 7)
        noise = create_logs(addr(1), "x", "X", addr(2))
        await ws.send_json(notification(7, "sigA", ["Program log: Instruction: Buy"]))
        await ws.send_json(notification(7, "sigB", noise, err={"InstructionError": [0, 1]}))
        await ws.send_str("{not json")
        await ws.send_json(notification(99, "sigC", noise))  # another subscription's
        dog = create_logs(addr(3), "Dog Coin", "DOG", addr(4))
        await ws.send_json(notification(7, "sigD", dog))
        await ws.close()  # the node drops us
        return ws

    async def second(request: web.Request) -> web.StreamResponse:
        ws = await accept(node, request, 8)
        await ws.send_json(notification(8, "sigE", create_logs(addr(5), "Cat", "CAT", addr(6))))
        await ws.receive()  # stay until the client leaves
        return ws

    node.scripts = [first, second]
    url = await serve(node.app())
    clock, gate = FakeClock(), RecordingGate()
    feed = LogsSubscription(SolanaRpcSettings(url=url), clock=clock, gate=gate)
    events = feed.events()
    try:
        event = await asyncio.wait_for(events.__anext__(), 3)
        assert event == NewPoolEvent(
            signature="sigD",
            slot=341_000_123,
            token=TokenRef("solana", addr(3)),
            name="Dog Coin",
            symbol="DOG",
            uri="https://ipfs.io/ipfs/DOG",
            creator=addr(4),
            bonding_curve=addr(90),
            program=PUMPFUN_PROGRAM_ID,
        )
        after_drop = asyncio.create_task(events.__anext__())
        await until(lambda: clock.next_deadline is not None)  # backing off, on our clock
        assert list(feed.stats.backoffs) == [0.5]
        assert not after_drop.done()
        clock.advance(0.5)
        second_event = await asyncio.wait_for(after_drop, 3)
    finally:
        await events.aclose()
        await feed.aclose()
    assert second_event.token == TokenRef("solana", addr(5))
    assert node.subscribe_requests[0] == {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "logsSubscribe",
        "params": [{"mentions": [PUMPFUN_PROGRAM_ID]}, {"commitment": "confirmed"}],
    }
    assert (feed.stats.connects, feed.stats.disconnects, feed.stats.events) == (2, 1, 2)
    assert feed.stats.skipped == 2  # the Buy and the failed transaction
    assert feed.stats.malformed == 1
    assert gate.calls == [("logsSubscribe", 1)] * 2


async def test_refusals_back_off_exponentially_and_honour_retry_after(serve: Serve) -> None:
    node = WsNode([])

    async def unavailable(_: web.Request) -> web.StreamResponse:
        return web.Response(status=503, text="down")

    async def limited(_: web.Request) -> web.StreamResponse:
        return web.Response(status=429, headers={"Retry-After": "5"})

    async def works(request: web.Request) -> web.StreamResponse:
        ws = await accept(node, request, 1)
        await ws.send_json(notification(1, "sig", create_logs(addr(7), "A", "A", addr(8))))
        await ws.receive()
        return ws

    node.scripts = [unavailable, unavailable, limited, works]
    url = await serve(node.app())
    clock = FakeClock()
    feed = LogsSubscription(SolanaRpcSettings(url=url), clock=clock)
    events = feed.events()
    task = asyncio.create_task(events.__anext__())
    try:
        for expected in ([0.5], [0.5, 1.0], [0.5, 1.0, 5.0]):
            await until(lambda: clock.next_deadline is not None)
            assert list(feed.stats.backoffs) == expected
            clock.advance(expected[-1])
            await until(lambda: clock.next_deadline is None)
        event = await asyncio.wait_for(task, 3)
    finally:
        await events.aclose()
        await feed.aclose()
    assert event.token == TokenRef("solana", addr(7))
    assert isinstance(feed.last_error, RateLimited)
    assert feed.last_error.retry_after == 5.0


@pytest.mark.parametrize("refusal", ["json-rpc", "http-403"])
async def test_permanent_refusal_ends_the_stream(serve: Serve, refusal: str) -> None:
    node = WsNode([])

    async def method_missing(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.receive_json()
        error = {"code": -32601, "message": "Method not found"}
        await ws.send_json({"jsonrpc": "2.0", "error": error, "id": 1})
        await ws.receive()
        return ws

    async def forbidden(_: web.Request) -> web.StreamResponse:
        return web.Response(status=403, text="no websockets for you")

    node.scripts = [method_missing if refusal == "json-rpc" else forbidden]
    url = await serve(node.app())
    feed = LogsSubscription(SolanaRpcSettings(url=url), clock=FakeClock())
    try:
        with pytest.raises(PermanentError):
            async for _ in feed:
                pass
    finally:
        await feed.aclose()
    assert feed.stats.connects == 0
    assert list(feed.stats.backoffs) == []
