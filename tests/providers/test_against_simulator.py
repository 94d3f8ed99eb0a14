"""End to end: every client against the simulated market, checked against its hidden truth."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import base58
import pytest

from tokenradar.domain import FacetState, HolderKind, TokenRef
from tokenradar.errors import (
    MalformedResponse,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tokenradar.providers import open_providers
from tokenradar.settings import Settings
from tokenradar.simulator import SimConfig, SimulatedMarket, run_simulator

CONFIG = SimConfig(
    tokens=60,
    seed=11,
    profile="unlimited",
    latency_median_ms=0,
    latency_p99_ms=0,
    launch_rate=0,
)

TRUTH_KIND = {
    "wallet": HolderKind.WALLET,
    "pool_vault": HolderKind.POOL_VAULT,
    "bonding_curve": HolderKind.POOL_VAULT,
    "program": HolderKind.PROGRAM,
}


def settings_for(sim: SimulatedMarket) -> Settings:
    return Settings(
        providers={
            "dexscreener": {"base_url": sim.dexscreener_url},
            "solana_rpc": {"url": sim.rpc_url, "ws_url": sim.ws_url},
            "rugcheck": {"base_url": sim.rugcheck_url},
            "jupiter": {"base_url": sim.jupiter_url},
        }
    )


async def test_every_client_reads_the_simulated_market_truthfully() -> None:
    async with run_simulator(CONFIG) as sim:
        solana = [t for t in sim.world.tokens if t.chain == "solana"][:30]
        evm = [t for t in sim.world.tokens if t.is_evm][:1]
        async with open_providers(settings_for(sim)) as p:
            market = await p.dexscreener.fetch_market(solana)
            evm_market = await p.dexscreener.fetch_market(evm)
            mints = await p.solana_rpc.fetch_mints(solana)
            holders = await p.solana_rpc.fetch_holders(solana[:10])
            risks = await p.rugcheck.fetch_risk(solana[:3])
            prices = await p.jupiter.fetch_prices(solana)
            profiles = await p.dexscreener.latest_profiles()
        truths = {t: sim.world.truth(t) for t in solana}

    for facets in (market, evm_market, mints, holders, risks, prices):
        errors = [f.error for f in facets if f.state is FacetState.ERROR]
        assert not errors
    assert Counter(f.state for f in market)[FacetState.OK] >= 25
    assert evm_market[0].state is FacetState.OK
    for facet in mints:
        truth = truths[facet.token]
        assert facet.data is not None
        assert facet.data.mint_authority == truth.mint_authority
        assert facet.data.freeze_authority == truth.freeze_authority
        assert list(facet.data.extensions) == truth.extensions
    for facet in holders:
        truth = truths[facet.token]
        assert facet.data is not None
        expected = {h.address: TRUTH_KIND[h.kind] for h in truth.holders}
        got = {h.token_account: h.kind for h in facet.data.top}
        assert got == expected
        assert facet.data.top1_share is not None
        assert abs(facet.data.top1_share - truth.top_wallet_share) < 1e-9
    for facet in risks:
        assert facet.data is not None
        assert facet.data.mint_authority == truths[facet.token].mint_authority
    priced = [f for f in prices if f.state is FacetState.OK]
    assert len(priced) >= 20  # v3 omits mints it cannot price: those are absent
    assert all(f.data is not None and f.data.price_usd > 0 for f in priced)
    assert all(isinstance(p.token, TokenRef) for p in profiles)


async def test_a_mint_the_world_does_not_have_is_absent_in_every_facet() -> None:
    # the node refuses getTokenLargestAccounts for it ("could not find account"):
    # holders say absent like the rest, while an account that is no mint stays an error
    unknown = TokenRef("solana", base58.b58encode(bytes(range(100, 132))).decode())
    async with run_simulator(CONFIG) as sim:
        assert sim.world.account(unknown.address) is None
        token = next(t for t in sim.world.tokens if t.chain == "solana")
        holder = next(h for h in sim.world.truth(token).holders if h.kind == "wallet")
        wallet = TokenRef("solana", holder.owner)
        async with open_providers(settings_for(sim)) as p:
            market = await p.dexscreener.fetch_market([unknown])
            [mint, wallet_mint] = await p.solana_rpc.fetch_mints([unknown, wallet])
            [holders, wallet_holders] = await p.solana_rpc.fetch_holders([unknown, wallet])
            risk = await p.rugcheck.fetch_risk([unknown])
            price = await p.jupiter.fetch_prices([unknown])
    for facet in (*market, mint, holders, *risk, *price):
        assert (facet.kind, facet.state, facet.error) == (facet.kind, FacetState.ABSENT, None)
    for facet in (wallet_mint, wallet_holders):
        assert facet.error is not None
        assert facet.error.kind == "permanent"


async def test_pool_feed_announces_simulated_launches() -> None:
    config = SimConfig(
        tokens=10, seed=3, profile="unlimited", latency_median_ms=0, latency_p99_ms=0,
        launch_rate=20.0,
    )  # fmt: skip
    async with run_simulator(config) as sim, open_providers(settings_for(sim)) as p:
        feed = p.pool_feed()
        events = feed.events()
        try:
            event = await asyncio.wait_for(events.__anext__(), 5)
        finally:
            await events.aclose()
            await feed.aclose()
        truth = sim.world.truth(event.token)
    assert truth.is_launch
    assert (event.symbol, event.name) == (truth.symbol, truth.name)
    assert feed.stats.connects == 1


FAULTS: dict[str, tuple[type[UpstreamError], ...]] = {
    "429": (RateLimited,),
    "500": (UpstreamUnavailable,),
    "503": (UpstreamUnavailable,),
    "stall": (UpstreamTimeout,),
    "reset": (UpstreamUnavailable,),
    "truncated": (MalformedResponse,),
    "html403": (MalformedResponse,),
}


async def test_every_injected_fault_becomes_its_typed_error() -> None:
    config = SimConfig(
        tokens=20, seed=5, profile="unlimited", latency_median_ms=0, latency_p99_ms=0,
        launch_rate=0, stall_s=2.0,
    )  # fmt: skip
    async with run_simulator(config) as sim:
        base = settings_for(sim).providers
        providers = base.model_copy(
            update={
                "dexscreener": base.dexscreener.model_copy(update={"timeout": 0.3}),
                "solana_rpc": base.solana_rpc.model_copy(update={"timeout": 0.3}),
            }
        )
        tokens = [t for t in sim.world.tokens if t.chain == "solana"][:5]
        async with open_providers(providers) as p:
            calls = {
                "dexscreener": lambda: p.dexscreener.fetch_market(tokens),
                "solana_rpc": lambda: p.solana_rpc.fetch_mints(tokens),
            }
            for fault, expected in FAULTS.items():
                for provider, call in calls.items():
                    sim.inject(provider, fault, duration=30)
                    try:
                        with pytest.raises(expected) as info:
                            await call()
                    finally:
                        sim.clear_faults()
                    assert info.value.provider == provider, (fault, info.value)
            # values of the wrong types: never a crash, at worst a typed error
            for provider, call in calls.items():
                sim.inject(provider, "malformed", duration=30)
                try:
                    outcome = await outcome_of(call)
                finally:
                    sim.clear_faults()
                assert outcome is None or isinstance(outcome, MalformedResponse), outcome


async def outcome_of(call: Callable[[], Awaitable[object]]) -> UpstreamError | None:
    try:
        await call()
    except UpstreamError as exc:
        return exc
    return None


async def test_public_limits_surface_as_rate_limited_with_the_servers_retry_after() -> None:
    config = SimConfig(
        tokens=10, seed=9, profile="public", latency_median_ms=0, latency_p99_ms=0, launch_rate=0
    )
    async with run_simulator(config) as sim, open_providers(settings_for(sim)) as p:
        tokens = [t for t in sim.world.tokens if t.chain == "solana"][:2]
        for _ in range(40):  # the per-method budget: 40 calls per 10 s
            await p.solana_rpc.fetch_mints(tokens)
        with pytest.raises(RateLimited) as info:
            await p.solana_rpc.fetch_mints(tokens)
    assert info.value.provider == "solana_rpc"
    assert info.value.retry_after is not None
    assert 0 < info.value.retry_after <= 10
