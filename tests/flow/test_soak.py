"""A soak of the engine: 10,000 tracked tokens, 1 % churn per minute, 30 simulated minutes.

On a fake clock with in-memory lanes (no HTTP), so 30 minutes take seconds and
the figures are the engine's own: the facet store, every lane's queue and every
sink's hand-off stay within their bounds, and memory stays flat once the
universe has turned over.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from typing import Any

import pytest

from tokenradar.clock import FakeClock
from tokenradar.domain import Facet, FacetKind, Tier
from tokenradar.flow.engine import Engine
from tokenradar.settings import Settings

from .memory import MemoryPlans, memory_budget, solana_tokens

UNIVERSE = 10_000
CHURN = UNIVERSE // 100  # per simulated minute
MINUTES = 30
KINDS = (FacetKind.MARKET, FacetKind.MINT, FacetKind.PRICE)


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.slow
async def test_ten_thousand_tokens_with_churn_stay_within_every_bound_for_30_minutes() -> None:
    clock = FakeClock()
    plans = MemoryPlans(clock)
    stored = 0

    async def sink(facets: Sequence[Facet[Any]]) -> None:
        nonlocal stored
        stored += len(facets)

    engine = Engine(
        Settings(),
        clock=clock,
        kinds=KINDS,
        plans={
            FacetKind.MARKET: plans.plan(FacetKind.MARKET, max_batch=30, max_in_flight=8),
            FacetKind.MINT: plans.plan(FacetKind.MINT, max_batch=100, max_in_flight=8),
            FacetKind.PRICE: plans.plan(FacetKind.PRICE, max_batch=50, max_in_flight=8),
        },
        budgets={"mem": memory_budget(clock, max_in_flight=24)},
        sink_capacity=UNIVERSE * len(KINDS),
    )
    engine.store.max_unpinned = 2_000
    pool = solana_tokens(UNIVERSE + CHURN * (MINUTES + 1), seed=11)
    live = list(pool[:UNIVERSE])
    fresh = iter(pool[UNIVERSE:])
    engine.subscribe(sink, name="count")
    samples: list[tuple[int, float, int, int, int]] = []
    async with engine:
        engine.track(live, tier=Tier.WARM)
        for minute in range(1, MINUTES + 1):
            await clock.run_for(60.0, step=0.01)
            gone, live = live[:CHURN], live[CHURN:]
            engine.untrack(gone)
            added = [next(fresh) for _ in range(CHURN)]
            engine.track(added, tier=Tier.WARM)
            live += added
            stats = engine.stats()
            queued = max(s.queued + s.backing_off for s in stats.lanes)
            pending = max(s.pending for s in stats.sinks)
            assert stats.tracked == UNIVERSE
            assert queued <= UNIVERSE
            assert pending <= UNIVERSE * len(KINDS)
            assert stats.facet_tokens <= UNIVERSE + engine.store.max_unpinned
            assert all(s.dropped == 0 for s in stats.sinks)
            assert all(s.restarts == 0 for s in stats.lanes)
            if minute in (5, 10, 20, MINUTES):
                gc.collect()
                samples.append((minute, rss_mb(), stats.facet_tokens, queued, pending))
        await engine.drain()
    delivered = sum(s.delivered for s in engine.stats().lanes)
    print("\nsoak minute, rss MB, facet tokens, max lane queue, max sink pending:", samples)
    print(f"soak: {delivered} facets delivered, {stored} reached the sink, "
          f"{engine.store.evicted} untracked tokens evicted")  # fmt: skip
    # market (warm 2 min) and price (warm 1 min) refreshed all along
    assert delivered > UNIVERSE * (MINUTES // 2 + MINUTES) * 0.9
    assert engine.store.evicted >= CHURN * MINUTES - engine.store.max_unpinned
    by_minute = {m: rss for m, rss, *_ in samples}
    assert by_minute[MINUTES] - by_minute[10] < 25.0  # flat: turnover holds memory steady
