"""New pools: logsSubscribe notifications carry a decodable pump.fun CreateEvent."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tokenradar.providers.pumpfun import PUMPFUN_PROGRAM_ID, create_event_from_logs
from tokenradar.simulator import run_simulator

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
