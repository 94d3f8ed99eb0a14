"""Against the simulated market's *public* limits, judged by its own counters."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tokenradar.domain import FacetKind, FacetState
from tokenradar.flow.adaptive import AdaptivePolicy
from tokenradar.flow.engine import Engine
from tokenradar.flow.scan import ResultStatus
from tokenradar.simulator.server import run_simulator

from .conftest import endpoint, settings_for, sim_config

#: the default probe of an unknown limit with every time in it divided by 10
PROBE_10X = AdaptivePolicy(
    auto_start=10.0,
    interval=0.1,
    default_pause=0.1,
    reprobe_after=12.0,
    good_window=1.0,
    good_half_life=180.0,
    burst_span=2.0,
)


async def test_full_batches_and_no_window_over_any_known_limit() -> None:
    async with run_simulator(sim_config(tokens=600, evm_tokens=0)) as sim:
        tokens = list(sim.world.tokens)
        async with Engine(settings_for(sim), kinds=[FacetKind.MARKET, FacetKind.MINT]) as engine:
            results = await engine.scan(tokens)
        stats = sim.stats()

    assert len(results) == 600
    assert all(r.status is ResultStatus.COMPLETE for r in results)
    dex = stats["endpoints"]["dexscreener.tokens"]
    gma = stats["endpoints"]["solana_rpc.getMultipleAccounts"]
    assert dex["batch_sizes"] == {"30": 20}  # 600 tokens due: every request carries 30
    assert gma["batch_sizes"] == {"100": 6}
    assert dex["rate_limited"] == 0
    assert gma["rate_limited"] == 0
    for name, limit in stats["limits"].items():
        assert limit["max_in_window"] <= limit["limit"], name


@pytest.mark.slow
async def test_rpc_host_and_method_limits_hold_with_two_lanes_sharing_them() -> None:
    async with run_simulator(sim_config(tokens=30, evm_tokens=0)) as sim:
        tokens = list(sim.world.tokens)
        kinds = [FacetKind.MINT, FacetKind.HOLDERS]
        async with Engine(settings_for(sim), kinds=kinds) as engine:
            results = await engine.scan(tokens)
        stats = sim.stats()

    assert {r.status for r in results} == {ResultStatus.COMPLETE}
    limits = stats["limits"]
    # holders and mint both call getMultipleAccounts: one method budget, two lanes
    assert limits["solana_rpc.method"]["max_in_window"] <= 40
    assert limits["solana_rpc.all"]["max_in_window"] <= 100
    assert stats["endpoints"]["solana_rpc"]["rate_limited"] == 0
    assert stats["endpoints"]["solana_rpc.getTokenLargestAccounts"]["received"] == 30


@pytest.mark.slow
async def test_an_undisclosed_limit_is_found_with_at_most_2_percent_429s() -> None:
    # RugCheck's limit, time-compressed 10x: 30 per 1 s (the simulator's default
    # is 30 per 10 s); the probe's times are compressed alike.
    config = sim_config(tokens=240, evm_tokens=0, rugcheck_limit=30, rugcheck_window_s=1.0)
    async with run_simulator(config) as sim:
        tokens = list(sim.world.tokens)
        async with Engine(settings_for(sim), kinds=[FacetKind.RISK], adaptive=PROBE_10X) as engine:
            results = await engine.scan(tokens)
            estimate = engine.budgets["rugcheck"].stats()[0].estimate
        report = endpoint(sim, "rugcheck.report")

    assert len(results) == 240
    assert sum(r.status is not ResultStatus.FAILED for r in results) >= 230
    assert report["rate_limited"] <= 0.02 * report["received"], report
    assert estimate is not None
    assert 20.0 <= estimate <= 30.0  # settled below the limit (30/s), not far below it
    errors = [r.facet(FacetKind.RISK) for r in results]
    assert all(f is not None for f in errors)
    assert all(f.state is not FacetState.ERROR or f.error is not None for f in errors if f)


@pytest.mark.slow
@pytest.mark.parametrize("start", [10.0, 60.0], ids=["default-start", "start-above-the-limit"])
async def test_a_probe_meets_at_most_one_429_in_any_window_of_the_limit(start: float) -> None:
    # The public profile's RugCheck limit and latency, time-compressed 10x. The
    # simulator counts every request it received, refused ones included, so a
    # window holding limit + 1 is a probe's one 429; limit + 2 would be a second
    # 429 in the same window. Starting above the limit is a probe resumed at a
    # rate the server's window cannot take (after an outage, say).
    config = sim_config(
        tokens=300,
        evm_tokens=0,
        rugcheck_limit=30,
        rugcheck_window_s=1.0,
        latency_median_ms=6.0,
        latency_p99_ms=40.0,
    )
    policy = replace(PROBE_10X, auto_start=start)
    async with run_simulator(config) as sim:
        tokens = list(sim.world.tokens)
        async with Engine(settings_for(sim), kinds=[FacetKind.RISK], adaptive=policy) as engine:
            results = await engine.scan(tokens)
        stats = sim.stats()

    assert all(r.status is ResultStatus.COMPLETE for r in results)
    assert stats["endpoints"]["rugcheck.report"]["rate_limited"] >= 1  # it did probe
    rugcheck = stats["limits"]["rugcheck"]
    assert rugcheck["max_in_window"] <= rugcheck["limit"] + 1
