"""The engine survives its own parts failing: dying lanes, raising listeners, slow
sinks, open circuits, clients that fail to close (issue 8's defects 1-4 and 8)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

from tokenradar.clock import SYSTEM_CLOCK, FakeClock
from tokenradar.domain import Facet, FacetKind, TokenRef, absent_facet
from tokenradar.errors import CircuitOpen
from tokenradar.flow.breaker import BreakerConfig, BreakerEvent
from tokenradar.flow.engine import Engine
from tokenradar.flow.lane import LaneState
from tokenradar.flow.retry import RetryPolicy
from tokenradar.flow.scan import ResultStatus
from tokenradar.settings import Rate, Settings
from tokenradar.supervisor import PartEvent

from .memory import MemoryPlans, memory_budget, solana_tokens

MARKET, HOLDERS = FacetKind.MARKET, FacetKind.HOLDERS


async def test_a_lane_whose_dispatcher_dies_fails_its_requests_with_the_reason_and_restarts() -> (
    None
):
    # a per-token lane of 20 behind a 10-per-window budget: "can never fit" kills the loop
    plans = MemoryPlans(SYSTEM_CLOCK)
    plan = plans.plan(HOLDERS, max_batch=20, cost_per_token=True, fill_horizon=0.0)
    budget = memory_budget(SYSTEM_CLOCK, Rate(10, 10))
    tokens = solana_tokens(20)
    told: list[PartEvent] = []
    async with Engine(
        Settings(), kinds=[HOLDERS], plans={HOLDERS: plan}, budgets={"mem": budget}
    ) as engine:
        engine.add_part_listener(told.append)
        results = await asyncio.wait_for(engine.scan(tokens), 5)
        assert [(e.part, e.restarts) for e in told] == [("lane mem.holders", 1)]
        lane = engine.lanes[HOLDERS]
        stats = lane.stats()
        assert stats.restarts == 1
        assert lane.state is LaneState.FAILED  # backing off before the restart
        assert stats.last_failure is not None
        assert "can never fit" in stats.last_failure
    assert all(r.status is ResultStatus.FAILED for r in results)
    reasons = {r.missing[HOLDERS] for r in results}
    assert len(reasons) == 1
    assert "can never fit" in reasons.pop()


async def test_a_restarted_lane_serves_again_after_its_backoff() -> None:
    clock = FakeClock()
    plans = MemoryPlans(clock)
    plan = plans.plan(HOLDERS, max_batch=20, cost_per_token=True, fill_horizon=0.0)
    budget = memory_budget(clock, Rate(10, 10))
    tokens = solana_tokens(20)
    async with Engine(
        Settings(), clock=clock, kinds=[HOLDERS], plans={HOLDERS: plan}, budgets={"mem": budget}
    ) as engine:
        first = engine.start_scan(tokens)
        await clock.run_for(0.1)
        assert first.done
        assert engine.lanes[HOLDERS].state is LaneState.FAILED
        await clock.run_for(1.5)  # the first restart backoff is 1 s
        assert engine.lanes[HOLDERS].state is LaneState.IDLE
        second = engine.start_scan(tokens[:5])  # a batch of 5 fits the 10-call window
        await clock.run_for(1.0)
        assert second.done
        assert {r.status for r in second.results()} == {ResultStatus.COMPLETE}
        assert engine.lanes[HOLDERS].stats().restarts == 1


async def test_stop_closes_every_client_and_returns_even_when_closing_one_fails() -> None:
    plans = MemoryPlans(SYSTEM_CLOCK)
    engine = Engine(
        Settings(),
        kinds=[MARKET, FacetKind.PRICE],
        plans={
            MARKET: plans.plan(MARKET, fail_close=True),
            FacetKind.PRICE: plans.plan(FacetKind.PRICE),
        },
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
    )
    async with engine:
        await engine.scan(solana_tokens(3))
    assert all(c.closed for c in plans.clients.values())
    assert all(lane.state is LaneState.STOPPED for lane in engine.lanes.values())


async def test_a_slow_sink_does_not_slow_the_lane() -> None:
    # before the hand-off, a lane held its in-flight slot until every sink returned:
    # one sink sleeping 0.5 s per batch limited a lane of max_in_flight 1 to 2 requests/s
    plans = MemoryPlans(SYSTEM_CLOCK)
    plan = plans.plan(MARKET, max_batch=1, max_in_flight=1)
    calls = 0

    async def slow_sink(facets: Sequence[Facet[Any]]) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.5)

    async with Engine(
        Settings(),
        kinds=[MARKET],
        plans={MARKET: plan},
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
    ) as engine:
        engine.subscribe(slow_sink)
        await asyncio.wait_for(engine.scan(solana_tokens(200)), 10)
        requests = len(plans.clients[MARKET].calls)
        sink_calls = calls
        sink = engine.stats().sinks[0]
    assert requests == 200
    assert sink_calls <= 3  # 200 landed facets reached the sink in a few coalesced batches
    assert sink.delivered + sink.pending + sink.dropped <= 200


async def test_a_raising_breaker_listener_neither_kills_the_lane_nor_loses_tokens() -> None:
    plans = MemoryPlans(SYSTEM_CLOCK)
    failing = True

    async def answer(tokens: Sequence[TokenRef]) -> Sequence[Facet[Any]]:
        if failing:
            from tokenradar.errors import UpstreamUnavailable

            raise UpstreamUnavailable("mem", "503")
        return []

    plan = plans.plan(MARKET, max_batch=1, answer=answer)
    seen: list[BreakerEvent] = []

    def broken(event: BreakerEvent) -> None:
        seen.append(event)
        raise RuntimeError("alert sink is down")

    async with Engine(
        Settings(),
        kinds=[MARKET],
        plans={MARKET: plan},
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
        breaker=BreakerConfig(window=5, minimum_calls=3, wait=0.2, max_wait=0.2),
    ) as engine:
        engine.add_breaker_listener(broken)
        results = await asyncio.wait_for(engine.scan(solana_tokens(10)), 10)
        assert engine.lanes[MARKET].stats().restarts == 0
    assert seen
    assert seen[0].to_state.value == "open"
    assert len(results) == 10
    assert all(r.status is ResultStatus.FAILED for r in results)


async def test_a_request_to_a_lane_whose_circuit_is_open_fails_at_once_with_when_to_retry() -> None:
    plans = MemoryPlans(SYSTEM_CLOCK)

    async def down(tokens: Sequence[TokenRef]) -> Sequence[Facet[Any]]:
        from tokenradar.errors import UpstreamUnavailable

        raise UpstreamUnavailable("mem", "connection refused")

    async with Engine(
        Settings(),
        kinds=[MARKET],
        plans={MARKET: plans.plan(MARKET, max_batch=1, answer=down)},
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
        breaker=BreakerConfig(window=5, minimum_calls=3, wait=0.2, max_wait=60),
    ) as engine:
        first = await asyncio.wait_for(engine.scan(solana_tokens(20)), 10)
        assert engine.lanes[MARKET].breaker.reopens >= engine.give_up_after_reopens
        assert all(r.status is ResultStatus.FAILED for r in first)
        assert any("circuit_open" in r.missing[MARKET] for r in first)
        sent = len(plans.clients[MARKET].calls)
        fut = engine.request(solana_tokens(1)[0], MARKET)
        await asyncio.sleep(0)
        assert fut.done()
        exc = fut.exception()
        assert isinstance(exc, CircuitOpen)
        assert 0 < exc.retry_in <= 30
        assert len(plans.clients[MARKET].calls) == sent  # nothing was sent for it


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_scan_against_a_closed_port_ends_with_every_token_failed_and_why() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    settings = Settings.model_validate(
        {
            "providers": {
                "dexscreener": {"base_url": url},
                "solana_rpc": {"url": url},
                "rugcheck": {"base_url": url},
                "jupiter": {"base_url": url},
            }
        }
    )
    async with Engine(settings) as engine:
        results = await asyncio.wait_for(engine.scan(solana_tokens(30)), 60)
    assert len(results) == 30
    for r in results:
        assert r.status is ResultStatus.FAILED
        assert set(r.missing) == set(FacetKind)
        assert all(reason for reason in r.missing.values())


async def test_facets_of_untracked_tokens_are_evicted_and_tracked_ones_kept() -> None:
    clock = FakeClock()
    plans = MemoryPlans(clock)
    engine = Engine(
        Settings(),
        clock=clock,
        kinds=[MARKET],
        plans={MARKET: plans.plan(MARKET)},
        budgets={"mem": memory_budget(clock)},
    )
    engine.store.max_unpinned = 10
    tracked, scanned = solana_tokens(40)[:5], solana_tokens(40)[5:]
    async with engine:
        engine.track(tracked)
        job = engine.start_scan(scanned)
        await clock.run_for(2.0)
        assert job.done
        assert all(engine.store.latest(t, MARKET) is not None for t in tracked)
        assert engine.store.unpinned == 10  # 35 scanned tokens, the 10 newest kept
        engine.untrack(tracked)
        await clock.run_for(2 * 3600.0)  # past max_age: the sweep evicts the rest
        assert engine.store.tokens == 0


async def test_after_a_first_opening_waiting_requests_wait_for_the_probes_and_land() -> None:
    # a burst of faults opens the circuit; the upstream is back by the half-open probe,
    # so the scan's tokens are answered, not failed with "circuit open"
    plans = MemoryPlans(SYSTEM_CLOCK)
    calls = 0

    async def flaky(tokens: Sequence[TokenRef]) -> Sequence[Facet[Any]]:
        nonlocal calls
        calls += 1
        if calls <= 3:  # enough to open it (minimum_calls); the probes then succeed
            from tokenradar.errors import UpstreamUnavailable

            raise UpstreamUnavailable("mem", "503")
        now = SYSTEM_CLOCK.now()
        return [absent_facet(t, MARKET, fetched_at=now, source="mem") for t in tokens]

    async with Engine(
        Settings(),
        kinds=[MARKET],
        plans={MARKET: plans.plan(MARKET, max_batch=1, max_in_flight=1, answer=flaky)},
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
        breaker=BreakerConfig(window=5, minimum_calls=3, wait=0.3, max_wait=60),
        retry=RetryPolicy(max_attempts=5, base=0.01, cap=0.05),
        retry_ratio=1.0,
    ) as engine:
        results = await asyncio.wait_for(engine.scan(solana_tokens(6)), 10)
        assert engine.lanes[MARKET].breaker.reopens == 0
    assert [r.missing for r in results if r.status is not ResultStatus.COMPLETE] == []


async def test_a_short_outage_is_waited_out_not_failed_fast() -> None:
    # the probes fail twice (a 20 s outage would), then the upstream is back: the scan's
    # tokens are answered, not failed with "circuit open"
    plans = MemoryPlans(SYSTEM_CLOCK)
    loop = asyncio.get_running_loop()
    back_at = loop.time() + 1.0

    async def outage(tokens: Sequence[TokenRef]) -> Sequence[Facet[Any]]:
        if loop.time() < back_at:
            from tokenradar.errors import UpstreamUnavailable

            raise UpstreamUnavailable("mem", "503 (outage)")
        now = SYSTEM_CLOCK.now()
        return [absent_facet(t, MARKET, fetched_at=now, source="mem") for t in tokens]

    async with Engine(
        Settings(),
        kinds=[MARKET],
        plans={MARKET: plans.plan(MARKET, max_batch=1, max_in_flight=1, answer=outage)},
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
        breaker=BreakerConfig(window=5, minimum_calls=3, wait=0.2, max_wait=60),
        retry=RetryPolicy(max_attempts=10, base=0.01, cap=0.05),
        retry_ratio=1.0,
    ) as engine:
        results = await asyncio.wait_for(engine.scan(solana_tokens(6)), 20)
    assert [r.missing for r in results if r.status is not ResultStatus.COMPLETE] == []
