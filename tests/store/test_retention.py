"""Retention keeps every recent score, one per hour, then one per day, then nothing."""

from __future__ import annotations

import pytest

from tokenradar.domain import TokenRef
from tokenradar.store import Store
from tokenradar.store.retention import DAY, HOUR, RetentionPolicy, apply_retention

from .factories import score, token

NOW = 1_800_000_000.0 - (1_800_000_000.0 % DAY)  # midnight, so buckets line up
POLICY = RetentionPolicy(full_s=24 * HOUR, hourly_s=7 * DAY, daily_s=30 * DAY)
STEP = 600.0  # a score every 10 minutes


def kept_by_reference(times: list[float], now: float, policy: RetentionPolicy) -> list[float]:
    """What retention should keep of one token's history (straight from the rules)."""
    kept, seen_hours, seen_days = [], set(), set()
    for t in sorted(times):
        if t >= now - policy.full_s:
            kept.append(t)
        elif t >= now - policy.hourly_s:
            if t // HOUR not in seen_hours:
                kept.append(t)
            seen_hours.add(t // HOUR)
        elif t >= now - policy.daily_s:
            if t // DAY not in seen_days:
                kept.append(t)
            seen_days.add(t // DAY)
    return kept


async def history(store: Store, ref: TokenRef) -> list[float]:
    return sorted(p.scored_at for p in await store.score_history(ref, limit=100_000))


async def test_history_is_thinned_by_age_and_pruned(store: Store) -> None:
    refs = [token(i) for i in range(2)]
    # 40 days of history, the second token offset by 7 minutes
    times = {r: [NOW - k * STEP - 420.0 * i for k in range(40 * 144)] for i, r in enumerate(refs)}
    for r in refs:
        await store.writer.put_many(score(r, t) for t in times[r])
    await store.writer.flush()

    report = await apply_retention(store.writer, POLICY, now=NOW)

    for r in refs:
        assert await history(store, r) == kept_by_reference(times[r], NOW, POLICY)
    total = sum(len(times[r]) for r in refs)
    remaining = 0
    for r in refs:
        remaining += len(await history(store, r))
    assert report.deleted == total - remaining
    assert report.pruned > 0
    assert report.thinned_hourly > 0
    assert report.thinned_daily > 0


async def test_running_retention_again_deletes_nothing_more(store: Store) -> None:
    ref = token(1)
    await store.writer.put_many(score(ref, NOW - k * STEP) for k in range(10 * 144))
    await store.writer.flush()
    await apply_retention(store.writer, POLICY, now=NOW)
    before = await history(store, ref)
    again = await apply_retention(store.writer, POLICY, now=NOW)
    assert again.deleted == 0
    assert await history(store, ref) == before


async def test_a_long_run_stays_bounded(store: Store) -> None:
    """Sixty days of hourly-applied retention: the row count stops growing."""
    ref = token(2)
    step = 1800.0  # fewer rows, same shape
    policy = RetentionPolicy(full_s=6 * HOUR, hourly_s=2 * DAY, daily_s=5 * DAY)
    counts = []
    t = NOW
    for day in range(12):
        await store.writer.put_many(score(ref, t + k * step) for k in range(48))
        await store.writer.flush()
        t += DAY
        await apply_retention(store.writer, policy, now=t)
        counts.append(len(await history(store, ref)))
        assert day < 6 or counts[-1] == counts[-2]  # steady state once past the daily age
    # 6 h of every row (12) + 42 h of hourly (42) + 3 days of daily (3), give or take an edge
    assert counts[-1] <= 12 + 42 + 3 + 2


def test_a_policy_whose_ages_decrease_is_refused() -> None:
    with pytest.raises(ValueError, match="full ≤ hourly ≤ daily"):
        RetentionPolicy(full_s=DAY, hourly_s=HOUR, daily_s=30 * DAY)
