"""Fault injection (any profile) and the chaos profile's schedule, seen on the wire."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
import orjson
import pytest

from tokenradar.clock import FakeClock
from tokenradar.simulator import ChaosRates, SimulatedMarket, run_simulator

from .conftest import fast_config


def _tokens_url(sim: SimulatedMarket) -> str:
    mints = [t.address for t in sim.world.tokens if t.chain == "solana"][:30]
    return f"{sim.dexscreener_url}/tokens/v1/solana/{','.join(mints)}"


async def test_injected_503_lasts_its_duration_then_the_service_recovers(
    sim: SimulatedMarket, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    sim.inject("dexscreener", "503", duration=20)
    for _ in range(3):
        async with http.get(_tokens_url(sim)) as r:
            assert r.status == 503
            assert r.content_type == "text/html"  # Cloudflare's error page, not JSON
    async with http.get(f"{sim.jupiter_url}/price/v3?ids={sim.world.tokens[0].address}") as r:
        assert r.status == 200  # other providers are unaffected
    clock.advance(20.0)
    async with http.get(_tokens_url(sim)) as r:
        assert r.status == 200
    ep = sim.stats()["endpoints"]["dexscreener.tokens"]
    assert (ep["received"], ep["ok"], ep["faults"]) == (4, 1, {"503": 3})
    # faulted requests never reached the limiter
    assert (
        sim.stats()["limits"]["dexscreener.pairs"]["per_client"]["127.0.0.1"]["accepted_in_window"]
        == 1
    )


async def test_faults_can_be_injected_over_http(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    body = {"provider": "solana_rpc", "fault": "502", "share": 1.0, "duration": 5}
    async with http.post(f"{sim.base_url}/_sim/faults", json=body) as r:
        assert r.status == 200
        assert (await r.json())["active"][0]["fault"] == "502"
    async with http.post(sim.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "getSlot"}) as r:
        assert r.status == 502
    per_call = sim.stats()["endpoints"]["solana_rpc.getSlot"]
    assert (per_call["received"], per_call["faults"]) == (1, {"502": 1})
    async with http.post(
        f"{sim.base_url}/_sim/faults", json={"provider": "x", "fault": "502", "duration": 1}
    ) as r:
        assert r.status == 400
        assert "unknown provider" in (await r.json())["error"]
    async with http.post(
        f"{sim.base_url}/_sim/faults", json={"provider": "jupiter", "fault": "boom", "duration": 1}
    ) as r:
        assert "unknown fault" in (await r.json())["error"]
    async with http.delete(f"{sim.base_url}/_sim/faults") as r:
        assert r.status == 200
    async with http.post(sim.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "getSlot"}) as r:
        assert r.status == 200


async def test_each_fault_kind_looks_like_the_real_failure(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    url = _tokens_url(sim)
    async with http.get(url) as r:
        normal = await r.read()
    sim.inject("dexscreener", "truncated", duration=5)
    async with http.get(url) as r:
        body = await r.read()
        assert r.status == 200
        assert normal.startswith(body)
        assert len(body) < len(normal)
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(body)
    sim.clear_faults()
    sim.inject("dexscreener", "malformed", duration=5)
    async with http.get(url) as r:
        mangled = orjson.loads(await r.read())
        assert mangled != orjson.loads(normal)
    sim.clear_faults()
    sim.inject("dexscreener", "html403", duration=5)
    async with http.get(url) as r:
        assert (r.status, r.content_type) == (403, "text/html")
        assert "Cloudflare" in await r.text()
    sim.clear_faults()
    sim.inject("dexscreener", "429", duration=5)
    async with http.get(url) as r:
        assert r.status == 429
        assert "Retry-After" not in r.headers
    sim.clear_faults()
    sim.inject("dexscreener", "reset", duration=5)
    with pytest.raises(aiohttp.ClientError):
        async with http.get(url) as r:
            await r.read()
    sim.clear_faults()
    faults = sim.stats()["endpoints"]["dexscreener.tokens"]["faults"]
    # aiohttp's client silently retries an idempotent request once after a reset,
    # so the server honestly counts one or two resets for that one call
    assert faults.pop("reset") in (1, 2)
    assert faults == {"429": 1, "html403": 1, "malformed": 1, "truncated": 1}


async def test_a_stall_outlasts_the_client_timeout(http: aiohttp.ClientSession) -> None:
    async with run_simulator(fast_config(stall_s=30.0)) as sim:
        sim.inject("jupiter", "stall", duration=60)
        with pytest.raises(asyncio.TimeoutError):
            async with http.get(
                f"{sim.jupiter_url}/price/v3?ids={sim.world.tokens[0].address}",
                timeout=aiohttp.ClientTimeout(total=0.3),
            ) as r:
                await r.read()
    # leaving the block stopped the server without waiting out the 30 s stall


def _quiet_chaos(**changes: float) -> ChaosRates:
    base = {"server_error": 0.0, "stall": 0.0, "reset": 0.0, "truncated": 0.0, "html403": 0.0,
            "malformed": 0.0, "burst_every_s": 0.0, "outage_at_s": 1e9}  # fmt: skip
    base.update(changes)
    return ChaosRates(**base)  # type: ignore[arg-type]


async def test_chaos_outage_answers_503_for_20_seconds(http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    config = fast_config(profile="chaos", chaos=_quiet_chaos(outage_at_s=30.0))
    async with run_simulator(config, clock=clock) as sim:
        statuses = []
        for step in (0.0, 30.0, 19.9, 0.1):  # t = 0, 30, 49.9, 50
            clock.advance(step)
            async with http.get(_tokens_url(sim)) as r:
                statuses.append(r.status)
    assert statuses == [200, 503, 503, 200]


async def test_chaos_mixes_faults_and_every_request_is_accounted_for(
    http: aiohttp.ClientSession,
) -> None:
    clock = FakeClock()
    rates = _quiet_chaos(
        server_error=0.1, truncated=0.1, html403=0.1, malformed=0.1, burst_every_s=60.0
    )
    async with run_simulator(fast_config(profile="chaos", chaos=rates), clock=clock) as sim:
        url = _tokens_url(sim)
        statuses: Counter[int] = Counter()
        for _ in range(120):
            clock.advance(0.5)
            async with http.get(url) as r:
                await r.read()
                statuses[r.status] += 1
        ep = sim.stats()["endpoints"]["dexscreener.tokens"]
    assert ep["received"] == 120
    assert ep["ok"] + ep["rate_limited"] + ep["client_errors"] + ep["faults_total"] == 120
    assert {"truncated", "html403", "malformed", "429"} <= set(ep["faults"])
    assert statuses[429] >= 4  # one 4 s storm per minute, in each of the two minutes
    assert 30 < ep["ok"] < 100
