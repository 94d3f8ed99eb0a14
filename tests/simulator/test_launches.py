"""New pools: logsSubscribe notifications carry a decodable pump.fun CreateEvent."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tokenradar.clock import FakeClock
from tokenradar.providers.pumpfun import PUMPFUN_PROGRAM_ID, create_event_from_logs
from tokenradar.simulator import SimulatedMarket, run_simulator

from .conftest import fast_config


async def _next(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return await asyncio.wait_for(ws.receive_json(), timeout=5)


async def test_a_launch_arrives_on_logs_subscribe_and_its_mint_decodes(
    http: aiohttp.ClientSession,
) -> None:
    async with run_simulator(fast_config(tokens=10, launch_rate=20.0)) as sim:
        async with http.ws_connect(sim.ws_url) as ws:
            await ws.send_json(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "logsSubscribe",
                    "params": [{"mentions": [PUMPFUN_PROGRAM_ID]}, {"commitment": "confirmed"}],
                }
            )
            ack = await _next(ws)
            assert ack["id"] == 1
            sub = ack["result"]
            assert isinstance(sub, int)
            event = None
            for _ in range(50):  # skip Buy/Sell noise and failed creates
                note = await _next(ws)
                assert note["method"] == "logsNotification"
                assert note["params"]["subscription"] == sub
                value = note["params"]["result"]["value"]
                assert isinstance(note["params"]["result"]["context"]["slot"], int)
                if value["err"] is None:
                    event = create_event_from_logs(value["logs"])
                    if event is not None:
                        break
            assert event is not None
            truth = sim.world.truth(event.mint)
            assert truth.is_launch
            assert (truth.symbol, truth.name, truth.via) == (event.symbol, event.name, "pumpfun")
            assert truth.mint_authority is None  # pump.fun revokes both at creation
            async with http.get(f"{sim.dexscreener_url}/token-pairs/v1/solana/{event.mint}") as r:
                pairs = await r.json()
            assert pairs[0]["dexId"] == "pumpfun"
            assert pairs[0]["pairAddress"] == event.bonding_curve
            async with http.get(f"{sim.dexscreener_url}/token-profiles/latest/v1") as r:
                feed = [p["tokenAddress"] for p in await r.json()]
            assert event.mint in feed
            await ws.send_json(
                {"jsonrpc": "2.0", "id": 2, "method": "logsUnsubscribe", "params": [sub]}
            )
            while (reply := await _next(ws)).get("id") != 2:
                pass
            assert reply["result"] is True
        assert sim.stats()["websocket"]["subscriptions"] == 1


async def test_subscribe_rejects_more_than_one_mentioned_address(
    http: aiohttp.ClientSession,
) -> None:
    async with run_simulator(fast_config(tokens=10)) as sim, http.ws_connect(sim.ws_url) as ws:
        await ws.send_json(
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "logsSubscribe",
                "params": [{"mentions": [PUMPFUN_PROGRAM_ID, PUMPFUN_PROGRAM_ID]}],
            }
        )
        reply = await _next(ws)
        assert reply["error"]["code"] == -32602
        await ws.send_json({"jsonrpc": "2.0", "id": 4, "method": "blockSubscribe", "params": []})
        assert (await _next(ws))["error"]["code"] == -32601


async def test_the_nth_launch_of_a_seed_is_always_the_same_token() -> None:
    mints = []
    for _ in range(2):
        async with run_simulator(fast_config(tokens=10)) as sim:
            for _ in range(5):
                await sim.launches.launch_once()
            mints.append([t.ref.address for t in sim.world.all_tokens() if t.is_launch])
    assert mints[0] == mints[1]
    assert len(mints[0]) >= 4  # about 2 % of creates fail and make no token


async def _subscribed(http: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(url, autoping=False)
    await ws.send_json(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "logsSubscribe",
            "params": [{"mentions": [PUMPFUN_PROGRAM_ID]}, {"commitment": "confirmed"}],
        }
    )
    assert (await _next(ws))["id"] == 1
    return ws


async def test_a_drop_cuts_open_sockets_and_refuses_handshakes_for_a_while(
    sim: SimulatedMarket, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    ws = await _subscribed(http, sim.ws_url)
    assert sim.launches.drop(refuse_for=5.0) == 1
    message = await asyncio.wait_for(ws.receive(), timeout=5)
    assert message.type in {aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(sim.ws_url)
    assert refused.value.status == 503
    clock.advance(5.0)
    again = await _subscribed(http, sim.ws_url)
    await again.close()
    ws_stats = sim.stats()["websocket"]
    assert (ws_stats["dropped"], ws_stats["refused"], ws_stats["connections"]) == (1, 1, 2)


async def test_a_silent_socket_sends_nothing_and_ignores_pings(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    ws = await _subscribed(http, sim.ws_url)
    await ws.ping(b"alive?")
    pong = await asyncio.wait_for(ws.receive(), timeout=5)
    assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"alive?")
    assert sim.launches.silence() == 1
    await ws.ping(b"still?")
    await sim.launches.burst(2)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.receive(), timeout=0.3)
    fresh = await _subscribed(http, sim.ws_url)  # a new connection is served normally
    (tok,) = await sim.launches.burst(1)
    note = await _next(fresh)
    event = create_event_from_logs(note["params"]["result"]["value"]["logs"])
    assert event is not None
    assert event.mint == tok.ref.address
    await fresh.close()
    await ws.close()


async def test_websocket_faults_can_be_applied_over_http(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{sim.base_url}/_sim/ws/faults", json={"fault": "burst", "count": 3}
    ) as r:
        body = await r.json()
    assert r.status == 200
    assert len(body["launched"]) == 3
    assert all(sim.world.truth(a).is_launch for a in body["launched"])
    for bad in ({"fault": "melt"}, {"fault": "burst", "count": 0}, {"refuse_for": 1}, [1]):
        async with http.post(f"{sim.base_url}/_sim/ws/faults", json=bad) as r:
            assert r.status == 400
            assert "error" in await r.json()
