"""Lane behaviour on a fake clock: batch fill, budget before tokens, in-flight cap, retries."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from tokenradar.clock import FakeClock
from tokenradar.domain import Facet, FacetKind, FacetState, TokenRef, absent_facet
from tokenradar.errors import UpstreamUnavailable
from tokenradar.flow.lane import Lane, LaneSpec
from tokenradar.flow.limiter import Limiter, LimitNode
from tokenradar.flow.retry import RetryBudget, RetryPolicy
from tokenradar.settings import Rate

from .memory import solana_tokens

KIND = FacetKind.HOLDERS


class Harness:
    """A lane over a fetch that records each batch and its send time; answers absent."""

    def __init__(
        self,
        *,
        max_batch: int = 10,
        max_in_flight: int = 1,
        cost_per_token: bool = False,
        fill_horizon: float | None = None,
        rate: Rate | None = None,
        latency: float = 0.0,
        fail_first: int = 0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.clock = FakeClock()
        self.delivered: list[Facet[Any]] = []
        self.batches: list[tuple[float, list[TokenRef]]] = []
        self.in_flight = 0
        self.max_seen_in_flight = 0
        self.latency = latency
        self.fail_first = fail_first
        budget = Limiter(
            "t", root=LimitNode("t.all", rate or Rate(1000, 1), max_in_flight=100), clock=self.clock
        )
        self.lane = Lane(
            LaneSpec(
                "t.holders",
                KIND,
                "t",
                "m",
                max_batch,
                max_in_flight,
                cost_per_token=cost_per_token,
                fill_horizon=fill_horizon,
            ),
            budget,
            self._deliver,
            clock=self.clock,
            retry=retry or RetryPolicy(rng=random.Random(1)),
            retry_budget=RetryBudget(ratio=1.0, floor=100),
        )
        self.lane.bind(self._fetch)
        self.cost = cost_per_token

    async def _deliver(self, facets: Sequence[Facet[Any]]) -> None:
        self.delivered.extend(facets)

    async def _fetch(self, tokens: Sequence[TokenRef]) -> list[Facet[Any]]:
        async with self.lane.gate("m", len(tokens) if self.cost else 1):
            self.batches.append((self.clock.monotonic(), list(tokens)))
            self.in_flight += 1
            self.max_seen_in_flight = max(self.max_seen_in_flight, self.in_flight)
            try:
                if self.latency:
                    await self.clock.sleep(self.latency)
                if self.fail_first > 0:
                    self.fail_first -= 1
                    raise UpstreamUnavailable("t", "503")
                now = self.clock.now()
                return [absent_facet(t, KIND, fetched_at=now, source="t") for t in tokens]
            finally:
                self.in_flight -= 1


async def test_a_free_to_fill_lane_fills_with_tokens_due_within_its_horizon_only() -> None:
    h = Harness(max_batch=30, fill_horizon=60.0)
    now = h.clock.now()
    due, soon, later = solana_tokens(30)[:1], solana_tokens(30)[1:11], solana_tokens(30)[11:]
    for t in due:
        h.lane.submit(t, due=now)
    for t in soon:
        h.lane.submit(t, due=now + 30)
    for t in later:
        h.lane.submit(t, due=now + 3600)
    h.lane.start()
    try:
        await h.clock.run_for(1.0)
    finally:
        await h.lane.stop()
    assert len(h.batches) == 1
    assert set(h.batches[0][1]) == {*due, *soon}  # filled up to the horizon, not beyond


async def test_a_per_token_lane_sends_only_what_is_due_and_waits_only_for_that_budget() -> None:
    # holders: one call per token. One token due now and 99 due in an hour cost one
    # call, not a 20-call batch of the scarcest budget
    h = Harness(max_batch=20, cost_per_token=True, fill_horizon=0.0, rate=Rate(5, 10))
    now = h.clock.now()
    tokens = solana_tokens(100)
    h.lane.submit(tokens[0], due=now)
    for t in tokens[1:]:
        h.lane.submit(t, due=now + 3600)
    h.lane.start()
    try:
        await h.clock.run_for(1.0)
        assert [len(b) for _, b in h.batches] == [1]
    finally:
        await h.lane.stop()


async def test_the_lane_waits_for_budget_before_taking_so_the_batch_holds_what_fell_due() -> None:
    # 1 request per 10 s: the second request waits; everything due by then rides in it
    h = Harness(max_batch=30, rate=Rate(1, 10), fill_horizon=0.0)
    tokens = solana_tokens(12)
    h.lane.submit(tokens[0])
    h.lane.start()
    try:
        await h.clock.run_for(1.0)
        for t in tokens[1:]:
            h.lane.submit(t)  # these fall due while the lane waits for its budget
            await h.clock.run_for(0.5)
        await h.clock.run_for(15.0)
    finally:
        await h.lane.stop()
    assert [len(b) for _, b in h.batches] == [1, 11]
    assert h.batches[1][0] >= 10.0


async def test_no_more_than_max_in_flight_batches_are_on_the_wire() -> None:
    h = Harness(max_batch=1, max_in_flight=3, latency=1.0)
    for t in solana_tokens(12):
        h.lane.submit(t)
    h.lane.start()
    try:
        await h.clock.run_for(10.0)
    finally:
        await h.lane.stop()
    assert len(h.delivered) == 12
    assert h.max_seen_in_flight == 3
    # four waves of three, a latency apart
    starts = sorted({round(at) for at, _ in h.batches})
    assert starts == [0, 1, 2, 3]


async def test_a_failed_batch_is_retried_together_after_a_backoff_then_lands() -> None:
    h = Harness(max_batch=10, fail_first=2, retry=RetryPolicy(rng=random.Random(7)))
    tokens = solana_tokens(10)
    for t in tokens:
        h.lane.submit(t)
    h.lane.start()
    try:
        await h.clock.run_for(60.0)
    finally:
        await h.lane.stop()
    assert [len(b) for _, b in h.batches] == [10, 10, 10]  # each retry is one full request
    assert h.batches[1][0] > h.batches[0][0]
    assert {f.state for f in h.delivered} == {FacetState.ABSENT}
    assert len(h.delivered) == 10
    assert h.lane.stats().retries == 20


async def test_a_token_whose_attempts_are_spent_ends_as_an_error_facet_with_the_reason() -> None:
    h = Harness(max_batch=5, fail_first=100, retry=RetryPolicy(rng=random.Random(3)))
    for t in solana_tokens(5):
        h.lane.submit(t)
    h.lane.start()
    try:
        await h.clock.run_for(120.0)
    finally:
        await h.lane.stop()
    assert len(h.batches) == 3  # max_attempts
    assert len(h.delivered) == 5
    assert all(f.error is not None and f.error.kind == "unavailable" for f in h.delivered)
