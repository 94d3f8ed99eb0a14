"""The engine's contract with its callers: feeding tokens in, getting facets out."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from tokenradar.domain import Facet, FacetKind, FacetState, Tier
from tokenradar.flow.engine import Engine, EngineState
from tokenradar.flow.scan import DISABLED, NOT_APPLICABLE, ResultStatus
from tokenradar.service.results import facet_view
from tokenradar.simulator.server import run_simulator

from .conftest import endpoint, settings_for, sim_config


async def test_concurrent_scans_of_the_same_tokens_share_one_fetch() -> None:
    async with run_simulator(sim_config(tokens=30, evm_tokens=0)) as sim:
        tokens = list(sim.world.tokens)
        async with Engine(settings_for(sim), kinds=[FacetKind.MARKET]) as engine:
            first = engine.start_scan(tokens)
            second = engine.start_scan(list(reversed(tokens)))
            await asyncio.gather(first.wait(), second.wait())
        received = endpoint(sim, "dexscreener.tokens")["received"]

    assert received == 1
    a = {r.token: r.facet(FacetKind.MARKET) for r in first.results()}
    b = {r.token: r.facet(FacetKind.MARKET) for r in second.results()}
    assert a == b


async def test_every_token_is_accounted_for_with_why_a_facet_is_missing() -> None:
    async with run_simulator(sim_config(tokens=40, evm_tokens=3)) as sim:
        tokens = list(sim.world.tokens)
        settings = settings_for(sim, providers={"rugcheck": {"enabled": False}})
        kinds = [FacetKind.MARKET, FacetKind.MINT, FacetKind.RISK]
        async with Engine(settings, kinds=kinds) as engine:
            results = await engine.scan(tokens)

    assert [r.token for r in results] == tokens
    evm = [r for r in results if r.token.is_evm]
    sol = [r for r in results if not r.token.is_evm]
    assert len(evm) == 3
    for r in evm:  # only market data exists for EVM tokens: complete without the rest
        assert r.status is ResultStatus.COMPLETE
        assert r.outcomes[FacetKind.MINT].note == NOT_APPLICABLE
        assert facet_view(r.outcomes[FacetKind.MINT], 0.0).state == "n/a"
    for r in sol:
        assert r.status is ResultStatus.PARTIAL
        assert r.missing == {FacetKind.RISK: DISABLED}
        market = facet_view(r.outcomes[FacetKind.MARKET], r.facet(FacetKind.MARKET).fetched_at)  # type: ignore[union-attr]
        assert (market.state, market.age_s) == ("ok", 0.0)
        assert facet_view(r.outcomes[FacetKind.RISK], 0.0).error == DISABLED
    assert {r.symbol for r in sol} != {None}


async def test_sinks_get_every_landed_batch_and_a_broken_sink_stops_nothing() -> None:
    got: list[Sequence[Facet[Any]]] = []

    async def sink(facets: Sequence[Facet[Any]]) -> None:
        got.append(facets)

    async def broken(facets: Sequence[Facet[Any]]) -> None:
        raise RuntimeError("sink bug")

    async with run_simulator(sim_config(tokens=60, evm_tokens=0)) as sim:
        tokens = list(sim.world.tokens)
        async with Engine(settings_for(sim), kinds=[FacetKind.MARKET]) as engine:
            engine.subscribe(broken)
            unsubscribe = engine.subscribe(sink)
            results = await engine.scan(tokens)
            unsubscribe()
            await engine.scan(tokens[:5])

    assert [len(batch) for batch in got] == [30, 30]
    assert {f.token for batch in got for f in batch} == set(tokens)
    assert all(r.status is ResultStatus.COMPLETE for r in results)


async def test_tracked_tokens_refresh_at_their_tier_target_and_follow_tier_changes() -> None:
    async with run_simulator(sim_config(tokens=30, evm_tokens=0)) as sim:
        tokens = list(sim.world.tokens)
        settings = settings_for(sim, tiers={"market": {"hot": "0.5s", "warm": "1m", "cold": "10m"}})
        async with Engine(settings, kinds=[FacetKind.MARKET]) as engine:
            engine.track(tokens, tier=Tier.HOT)
            await asyncio.sleep(1.3)  # fetched at ~0, ~0.4, ~0.8, ~1.2
            hot = endpoint(sim, "dexscreener.tokens")["received"]
            for t in tokens:
                engine.set_tier(t, Tier.COLD)
            await asyncio.sleep(1.0)
            cold = endpoint(sim, "dexscreener.tokens")["received"] - hot
            latest = engine.store.latest(tokens[0], FacetKind.MARKET)
            assert engine.tracked(tokens[0]) is not None
            engine.untrack(tokens)
            assert engine.tracked(tokens[0]) is None
            assert len(engine.lanes[FacetKind.MARKET].queue) == 0

    # due a fifth of the 0.5 s target early (the lane's lead): at ~0, ~0.4, ~0.8, ~1.2 s;
    # a loaded machine can only delay a refresh, so 2-4 (a warm token, due every
    # minute, would be fetched once)
    assert 2 <= hot <= 4
    assert cold <= 1  # at most one batch already on the wire
    assert latest is not None
    assert latest.state is FacetState.OK


async def test_lifecycle_is_one_way() -> None:
    async with run_simulator(sim_config(tokens=1, evm_tokens=0)) as sim:
        engine = Engine(settings_for(sim), kinds=[FacetKind.MARKET])
        assert engine.state is EngineState.NEW
        with pytest.raises(RuntimeError, match="new"):
            engine.request(sim.world.tokens[0], FacetKind.MARKET)
        async with engine:
            assert engine.state is EngineState.RUNNING
        assert engine.state is EngineState.STOPPED
        with pytest.raises(RuntimeError, match="starts once"):
            engine.start()


async def test_lane_states_are_an_enum_with_illegal_transitions_refused() -> None:
    from tokenradar.flow.lane import IllegalLaneTransition, LaneState

    async with run_simulator(sim_config(tokens=30, evm_tokens=0)) as sim:
        engine = Engine(settings_for(sim), kinds=[FacetKind.MARKET])
        lane = engine._build_lane(engine.plans[FacetKind.MARKET])
        assert lane is not None
        assert lane.state is LaneState.NEW
        async with engine:
            lane = engine.lanes[FacetKind.MARKET]
            await asyncio.sleep(0.05)
            assert lane.state is LaneState.IDLE  # nothing due
            await engine.scan(list(sim.world.tokens))
        assert lane.state is LaneState.STOPPED
        with pytest.raises(IllegalLaneTransition, match="stopped to idle"):
            lane._set_state(LaneState.IDLE)
        with pytest.raises(RuntimeError, match="stopped"):
            lane.submit(sim.world.tokens[0])
