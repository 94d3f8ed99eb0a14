"""The world: deterministic for a seed, evolving on the clock, consistent across services."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tokenradar.clock import FakeClock
from tokenradar.simulator import Fate, SimConfig, SimulatedMarket, World, run_simulator
from tokenradar.simulator.model import SimToken

from .conftest import FAST, fast_config


async def _snapshot(sim: SimulatedMarket, http: aiohttp.ClientSession) -> list[Any]:
    """Everything a client could see about the first 30 Solana tokens."""
    mints = [t.address for t in sim.world.tokens if t.chain == "solana"][:30]
    seen: list[Any] = []
    async with http.get(f"{sim.dexscreener_url}/tokens/v1/solana/{','.join(mints)}") as r:
        seen.append(await r.json())
    rpc = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "getMultipleAccounts",
            "params": [mints, {"encoding": "jsonParsed"}],
        },
        {"jsonrpc": "2.0", "id": 2, "method": "getTokenLargestAccounts", "params": [mints[7]]},
    ]
    async with http.post(sim.rpc_url, json=rpc) as r:
        seen.append(await r.json())
    async with http.get(f"{sim.rugcheck_url}/v1/tokens/{mints[7]}/report") as r:
        seen.append(await r.json())
    async with http.get(f"{sim.jupiter_url}/price/v3?ids={','.join(mints)}") as r:
        seen.append(await r.json())
    async with http.get(f"{sim.base_url}/_sim/truth/{mints[7]}") as r:
        seen.append(await r.json())
    return seen


async def test_same_seed_same_world_at_the_same_instant(http: aiohttp.ClientSession) -> None:
    views = []
    for _ in range(2):
        clock = FakeClock(start=1_750_000_000.0)
        async with run_simulator(fast_config(time_scale=30.0), clock=clock) as sim:
            first = await _snapshot(sim, http)
            clock.advance(120.0)  # one hour of world time later
            later = await _snapshot(sim, http)
            views.append((first, later))
    assert views[0] == views[1]
    assert views[0][0] != views[0][1]  # and the world did move


async def test_another_seed_is_another_world(http: aiohttp.ClientSession) -> None:
    async with (
        run_simulator(fast_config(seed=1), clock=FakeClock()) as a,
        run_simulator(fast_config(seed=2), clock=FakeClock()) as b,
    ):
        assert a.world.tokens[5:] != b.world.tokens[5:]  # the five majors are shared


async def test_a_rug_pulls_liquidity_and_shows_everywhere(http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    async with run_simulator(fast_config(), clock=clock) as sim:
        tok = _first(sim, lambda t: t.fate is Fate.RUG and (t.rug_time() or 0) > 0)
        mint = tok.ref.address
        before = await _views(sim, http, mint)
        assert before["truth"]["rugged"] is False
        assert before["rugcheck"]["rugged"] is False
        clock.advance((tok.rug_time() or 0) + 120.0)
        after = await _views(sim, http, mint)
    assert after["truth"]["rugged"] is True
    assert after["truth"]["rug_at"] == before["truth"]["rug_at"]
    assert after["rugcheck"]["rugged"] is True
    liq_before = sum(p["liquidity"]["usd"] for p in before["pairs"] if "liquidity" in p)
    liq_after = sum(p["liquidity"]["usd"] for p in after["pairs"] if "liquidity" in p)
    assert liq_after < 0.03 * liq_before
    assert float(after["pairs"][0]["priceUsd"]) < 0.1 * float(before["pairs"][0]["priceUsd"])
    assert (
        mint not in after["jupiter"]
        or after["jupiter"][mint]["liquidity"] < before["jupiter"][mint]["liquidity"]
    )


async def test_authority_revoked_minutes_after_launch_disappears_from_the_mint(
    http: aiohttp.ClientSession,
) -> None:
    clock = FakeClock()
    async with run_simulator(fast_config(tokens=400, profile="unlimited"), clock=clock) as sim:
        tok = _first(sim, lambda t: (t.mint_authority.revoked_at or -1) > 0)
        assert tok.mint_authority.status == "revoked"
        before = await _mint_info(sim, http, tok.ref.address)
        clock.advance((tok.mint_authority.revoked_at or 0) + 1.0)
        after = await _mint_info(sim, http, tok.ref.address)
    assert before["mintAuthority"] == tok.mint_authority.address
    assert after["mintAuthority"] is None


async def test_truth_endpoint_reports_fate_authorities_and_holders(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    usdc = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
    async with http.get(f"{sim.base_url}/_sim/truth/{usdc}") as r:
        truth = await r.json()
    assert truth["fate"] == "healthy"
    assert truth["major"] is True
    assert truth["mint_authority"] is not None  # USDC keeps its authorities by design
    assert truth["freeze_authority"] is not None
    assert {h["kind"] for h in truth["holders"]} >= {"wallet", "pool_vault"}
    assert 0 < truth["top_wallet_share"] < 1
    async with http.get(f"{sim.base_url}/_sim/truth/not-a-token") as r:
        assert r.status == 404
        assert "not a token" in (await r.json())["error"]


async def test_fates_are_drawn_with_the_documented_rates_and_traits_correlate() -> None:
    async with run_simulator(fast_config(tokens=1000, evm_tokens=0), clock=FakeClock()) as sim:
        tokens = [t for t in sim.world.all_tokens() if not t.major]
    share = {f: sum(t.fate is f for t in tokens) / len(tokens) for f in Fate}
    assert abs(share[Fate.HEALTHY] - 0.55) < 0.05
    assert abs(share[Fate.RUG] - 0.15) < 0.04
    rugs = [t for t in tokens if t.fate is Fate.RUG]
    healthy = [t for t in tokens if t.fate is Fate.HEALTHY]
    kept = lambda ts: sum(t.mint_authority.status == "kept" for t in ts) / len(ts)  # noqa: E731
    # noisy, not a perfect separator: most rugs keep it, a few healthy tokens do too
    assert kept(rugs) > 0.3
    assert 0 < kept(healthy) < 0.1
    assert any(t.clean_looking for t in rugs)
    assert sum(t.top_wallet_share > 0.3 for t in rugs) / len(rugs) > 0.4
    assert max(t.top_wallet_share for t in healthy) < 0.1


def _first(sim: SimulatedMarket, pred: Any) -> SimToken:
    return next(t for t in sim.world.all_tokens() if pred(t))


async def _views(sim: SimulatedMarket, http: aiohttp.ClientSession, mint: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with http.get(f"{sim.dexscreener_url}/token-pairs/v1/solana/{mint}") as r:
        out["pairs"] = await r.json()
    async with http.get(f"{sim.rugcheck_url}/v1/tokens/{mint}/report") as r:
        out["rugcheck"] = await r.json()
    async with http.get(f"{sim.jupiter_url}/price/v3?ids={mint}") as r:
        out["jupiter"] = await r.json()
    async with http.get(f"{sim.base_url}/_sim/truth/{mint}") as r:
        out["truth"] = await r.json()
    return out


async def _mint_info(
    sim: SimulatedMarket, http: aiohttp.ClientSession, mint: str
) -> dict[str, Any]:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "getAccountInfo",
        "params": [mint, {"encoding": "jsonParsed"}],
    }
    async with http.post(sim.rpc_url, json=body) as r:
        info: dict[str, Any] = (await r.json())["result"]["value"]["data"]["parsed"]["info"]
    return info


@pytest.mark.parametrize(("total", "evm"), [(200, 4), (1000, 20), (50, 1), (2, 1), (1, 0), (0, 0)])
def test_a_world_of_a_given_size_counts_its_evm_tokens_in(total: int, evm: int) -> None:
    world = World(SimConfig.of_size(total, seed=3, **FAST), FakeClock())
    assert len(world.initial_tokens) == total
    assert sum(t.is_evm for t in world.initial_tokens) == evm


def test_initial_tokens_leave_out_pools_launched_since() -> None:
    world = World(fast_config(tokens=20), FakeClock())
    before = world.initial_tokens
    launched = world.launch()
    assert world.initial_tokens == before
    assert world.tokens == [*before, launched.ref]
