"""Lane unit tests on a FakeClock (no network): what the lane keeps in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tokenradar.clock import FakeClock
from tokenradar.domain import Facet, FacetKind, TokenRef, absent_facet, error_facet
from tokenradar.flow.lane import RATE_WINDOW, Lane, LaneSpec
from tokenradar.flow.limiter import Limiter
from tokenradar.flow.retry import RetryBudget

TOKEN = TokenRef.parse("So11111111111111111111111111111111111111112")


async def test_rate_samples_stay_within_the_window_when_nobody_reads_stats() -> None:
    clock = FakeClock()
    delivered: list[Facet[Any]] = []

    async def deliver(facets: Sequence[Facet[Any]]) -> None:
        delivered.extend(facets)

    lane = Lane(
        LaneSpec("test.market", FacetKind.MARKET, "test", "tokens", max_batch=1, max_in_flight=1),
        Limiter("test", clock=clock),
        deliver,
        clock=clock,
    )

    async def fetch(tokens: Sequence[TokenRef]) -> list[Facet[Any]]:
        async with lane.gate("tokens"):
            return [
                absent_facet(t, FacetKind.MARKET, fetched_at=clock.now(), source="test")
                for t in tokens
            ]

    lane.bind(fetch)
    lane.start()
    try:
        rounds = 100
        for _ in range(rounds):
            lane.submit(TOKEN)
            await clock.run_for(1.0)
        assert len(delivered) == rounds
        # one request and one delivery per second: the window holds ~RATE_WINDOW of each
        assert len(lane._requests) <= RATE_WINDOW + 1
        assert len(lane._tokens) <= RATE_WINDOW + 1
    finally:
        await lane.stop()


async def test_a_token_refused_a_retry_by_the_budget_keeps_its_own_error_kind() -> None:
    clock = FakeClock()
    delivered: list[Facet[Any]] = []

    async def deliver(facets: Sequence[Facet[Any]]) -> None:
        delivered.extend(facets)

    lane = Lane(
        LaneSpec("test.market", FacetKind.MARKET, "test", "tokens", max_batch=1, max_in_flight=1),
        Limiter("test", clock=clock),
        deliver,
        clock=clock,
        retry_budget=RetryBudget(ratio=0.0, floor=0),  # no retry is ever allowed
    )

    async def fetch(tokens: Sequence[TokenRef]) -> list[Facet[Any]]:
        return [
            error_facet(
                t,
                FacetKind.MARKET,
                fetched_at=clock.now(),
                source="test",
                error_kind="timeout",
                message="no answer within 10s",
            )
            for t in tokens
        ]

    lane.bind(fetch)
    lane.start()
    try:
        lane.submit(TOKEN)
        await clock.run_for(1.0)
    finally:
        await lane.stop()
    assert len(delivered) == 1
    error = delivered[0].error
    assert error is not None
    assert (error.kind, error.message) == (
        "timeout",
        "retry budget exhausted (retries are capped at a share of requests); not retried now",
    )
