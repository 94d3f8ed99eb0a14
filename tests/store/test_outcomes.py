"""Outcome tracking: the verdict a horizon later, and the win rate per tier and decision."""

from __future__ import annotations

import asyncio

import pytest

from tokenradar.clock import FakeClock
from tokenradar.domain import (
    Decision,
    FacetKind,
    RiskData,
    Tier,
    absent_facet,
    ok_facet,
)
from tokenradar.store import Store
from tokenradar.store.maintenance import MaintenanceStats, run_maintenance
from tokenradar.store.outcomes import OutcomePolicy, Verdict, judge, track_outcomes

from .factories import market_facet, price_facet, score, token

T0 = 1_800_000_000.0 - (1_800_000_000.0 % 3600)  # on the hour
H = 3600
ONE_HOUR = OutcomePolicy(horizons_s=(H,))


def rugcheck(ref, at: float, rugged: bool):  # type: ignore[no-untyped-def]
    data = RiskData(None, None, (), rugged, None, None, None, None, None, None, None)
    return ok_facet(ref, FacetKind.RISK, data, fetched_at=at, source="rugcheck")


@pytest.mark.parametrize(
    ("then", "after", "rugcheck_rugged", "verdict"),
    [
        ((1.0, 1000.0), (1.5, 1000.0), None, Verdict.GAINED),
        ((1.0, 1000.0), (0.5, 1000.0), None, Verdict.LOST),
        ((1.0, 1000.0), (1.005, 1000.0), None, Verdict.FLAT),
        ((1.0, 1000.0), (1.5, 100.0), None, Verdict.RUGGED),  # exactly -90 %
        ((1.0, 1000.0), (1.5, 101.0), None, Verdict.GAINED),  # -89.9 %: not yet
        ((1.0, 1000.0), (1.5, 1000.0), True, Verdict.RUGGED),
        ((None, 1000.0), (1.5, 1000.0), False, Verdict.UNKNOWN),
        ((1.0, None), (None, 0.0), None, Verdict.UNKNOWN),  # no liquidity then: no collapse
    ],
)
def test_judge_calls_rugs_gains_losses_and_flats(
    then: tuple[float | None, float | None],
    after: tuple[float | None, float | None],
    rugcheck_rugged: bool | None,
    verdict: Verdict,
) -> None:
    got = judge(
        price_then=then[0],
        liquidity_then=then[1],
        price_after=after[0],
        liquidity_after=after[1],
        rugcheck_rugged=rugcheck_rugged,
    )
    assert got.verdict is verdict


async def test_outcomes_record_what_happened_an_hour_later(store: Store) -> None:
    a, b, c, d, e, f = (token(i) for i in range(6))
    w = store.writer
    for ref in (a, b, c, d, e, f):
        await w.put(market_facet(ref, T0 - 5, price=1.0, liquidity=10_000.0))
    await w.put_many(
        [
            score(a, T0, tier=Tier.HOT, decision=Decision.BUY_CANDIDATE),
            score(b, T0, tier=Tier.HOT, decision=Decision.BUY_CANDIDATE),
            score(c, T0, tier=Tier.WARM, decision=Decision.WATCH),
            score(d, T0, tier=Tier.WARM, decision=Decision.WATCH),
            score(e, T0, tier=Tier.COLD, decision=Decision.AVOID),
            score(f, T0, tier=Tier.COLD, decision=Decision.AVOID),
        ]
    )
    await w.flush()
    later = T0 + H + 60
    await w.put_many(
        [
            market_facet(a, later, price=1.5, liquidity=12_000.0),  # gained
            market_facet(b, later, price=1.2, liquidity=500.0),  # liquidity pulled
            market_facet(c, later, price=0.5, liquidity=9_000.0),  # lost
            # d: nothing new since the horizon
            absent_facet(e, FacetKind.MARKET, fetched_at=later, source="dex"),  # pairs gone
            market_facet(f, later, price=1.0, liquidity=10_000.0),
            rugcheck(f, later, rugged=True),
        ]
    )
    await w.flush()

    assert await track_outcomes(w, now=later + 1, policy=ONE_HOUR) == 5
    stats = {(s.tier, s.decision): s for s in await store.outcome_stats(horizon_s=H)}
    hot = stats[(Tier.HOT, Decision.BUY_CANDIDATE)]
    assert (hot.n, hot.gained, hot.rugged) == (2, 0.5, 0.5)
    warm = stats[(Tier.WARM, Decision.WATCH)]
    assert (warm.n, warm.lost) == (1, 1.0)
    assert warm.mean_change_pct == pytest.approx(-50.0)
    cold = stats[(Tier.COLD, Decision.AVOID)]
    assert (cold.n, cold.rugged) == (2, 1.0)
    assert hot.win_rate == 0.5

    # d is judged once something is seen after its horizon; nothing is recorded twice
    await w.put(price_facet(d, later + 30, price=1.1))
    await w.flush()
    assert await track_outcomes(w, now=later + 60, policy=ONE_HOUR) == 1
    assert await track_outcomes(w, now=later + 90, policy=ONE_HOUR) == 0
    warm = {(s.tier, s.decision): s for s in await store.outcome_stats()}[
        (Tier.WARM, Decision.WATCH)
    ]
    assert (warm.n, warm.gained, warm.lost) == (2, 0.5, 0.5)


async def test_one_outcome_per_token_and_hour(store: Store) -> None:
    """Scores every 10 minutes for two hours, prices every 5, the job every 5: two outcomes."""
    ref = token(9)
    total = 0
    for step in range(3 * 12 + 1):
        now = T0 + step * 300.0
        await store.writer.put(market_facet(ref, now, price=1.0 + step / 100))
        if step % 2 == 0 and now < T0 + 2 * H:
            await store.writer.put(score(ref, now))
        await store.writer.flush()
        total += await track_outcomes(store.writer, now=now, policy=ONE_HOUR)
    assert total == 2  # the first score of each hour, once each
    stats = await store.outcome_stats(horizon_s=H)
    assert [(s.n, s.gained) for s in stats] == [(2, 1.0)]


async def test_outcomes_are_not_judged_from_prices_long_after_the_horizon(store: Store) -> None:
    ref = token(10)
    await store.writer.put_many([market_facet(ref, T0 - 1), score(ref, T0)])
    await store.writer.flush()
    much_later = T0 + 5 * H
    await store.writer.put(market_facet(ref, much_later, price=3.0))
    await store.writer.flush()
    assert await track_outcomes(store.writer, now=much_later, policy=ONE_HOUR) == 0


async def test_the_maintenance_loop_tracks_outcomes_as_the_clock_moves(
    store: Store, clock: FakeClock
) -> None:
    ref = token(11)
    start = clock.now()
    await store.writer.put_many([market_facet(ref, start - 1), score(ref, start)])
    await store.writer.flush()
    stats = MaintenanceStats()
    task = asyncio.create_task(
        run_maintenance(store, outcome_every_s=300, outcomes=ONE_HOUR, stats=stats)
    )
    try:
        await clock.run_for(H + 10)
        await store.writer.put(market_facet(ref, clock.now(), price=3.0))
        await store.writer.flush()
        await clock.run_for(301)
        for _ in range(100):
            if stats.outcomes_recorded:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
    assert stats.outcomes_recorded == 1
    assert stats.retention_runs >= 1
    assert stats.outcome_runs >= 2
