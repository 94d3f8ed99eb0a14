"""Score history retention: thin by age, then prune, so a 24/7 run stays bounded.

With the defaults, history keeps

- every score for ``history_full_hours`` (24 h),
- then the first score of each hour per token up to ``history_hourly_days`` (30 d),
- then the first score of each day per token up to ``history_daily_days`` (365 d),
- and nothing older.

10,000 tokens scored every minute are then ~14.4 M rows for the last day,
7.2 M for the hourly month and ~3.35 M for the daily year, whatever the uptime.

"The first of each hour" is also what outcome tracking samples (see
``outcomes``), so thinning never removes a row an outcome is about. Work is
done in slices (one hour of history per transaction) through the writer, so
rows keep flowing between slices. Watermarks in ``store_meta`` remember how
far thinning got: each run only looks at history that crossed a boundary since.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from sqlalchemy import and_, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenradar.settings import StorageSettings
from tokenradar.store.tables import bucket_of, score_history, store_meta
from tokenradar.store.writer import Writer

HOUR = 3600.0
DAY = 86400.0
_HOURLY_MARK = "retention.hourly_through"
_DAILY_MARK = "retention.daily_through"
#: rows of history one thinning transaction aims to look at
SLICE_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    full_s: float = 24 * HOUR
    hourly_s: float = 30 * DAY
    daily_s: float = 365 * DAY

    def __post_init__(self) -> None:
        if not 0 < self.full_s <= self.hourly_s <= self.daily_s:
            raise ValueError(
                "retention ages must satisfy 0 < full ≤ hourly ≤ daily, got "
                f"{self.full_s}s, {self.hourly_s}s, {self.daily_s}s"
            )

    @classmethod
    def from_settings(cls, s: StorageSettings) -> RetentionPolicy:
        full = s.history_full_hours * HOUR
        hourly = max(full, s.history_hourly_days * DAY)
        daily = max(hourly, s.history_daily_days * DAY)
        return cls(full_s=full, hourly_s=hourly, daily_s=daily)


@dataclass(slots=True)
class RetentionReport:
    thinned_hourly: int = 0
    thinned_daily: int = 0
    pruned: int = 0

    @property
    def deleted(self) -> int:
        return self.thinned_hourly + self.thinned_daily + self.pruned


async def apply_retention(
    writer: Writer, policy: RetentionPolicy, *, now: float, max_slices: int = 10_000
) -> RetentionReport:
    """Thin and prune score history as of ``now``; returns what was deleted."""
    report = RetentionReport()
    # rows older than full_s keep one per hour; older than hourly_s one per day
    report.thinned_hourly = await _thin(
        writer, _HOURLY_MARK, HOUR, until=now - policy.full_s, max_slices=max_slices
    )
    if policy.daily_s > policy.hourly_s:
        report.thinned_daily = await _thin(
            writer, _DAILY_MARK, DAY, until=now - policy.hourly_s, max_slices=max_slices
        )
    report.pruned = await _prune(writer, before=now - policy.daily_s)
    return report


async def _thin(writer: Writer, mark: str, size: float, *, until: float, max_slices: int) -> int:
    """Keep the first row per (token, bucket of ``size``) among rows older than ``until``.

    Only whole buckets are thinned (a bucket still partly younger than
    ``until`` waits for the next run), so what is kept never changes later.
    A slice is one bucket when history is dense; sparse history is taken
    several buckets at a time (about ``SLICE_ROWS`` rows per transaction).
    """
    end = math.floor(until / size) * size  # buckets entirely before `until`
    deleted = 0
    start = await writer.run_job(lambda c: _start_of(c, mark, size, end))
    span, slices = 1, 0
    while start is not None and start < end and slices < max_slices:
        lo, hi = start, min(end, start + span * size)
        gone, seen = await writer.run_job(partial(_thin_slice, mark=mark, lo=lo, hi=hi, size=size))
        deleted += gone
        buckets = round((hi - lo) / size)
        per_bucket = max(1.0, seen / buckets)
        # grow gently (at most doubling), shrink at once when history gets dense
        span = max(1, min(span * 2, 24 * 31, int(SLICE_ROWS / per_bucket)))
        start, slices = hi, slices + 1
    return deleted


async def _start_of(conn: AsyncConnection, mark: str, size: float, end: float) -> float | None:
    """Where thinning resumes: the watermark, or the oldest row's bucket."""
    done = (await conn.execute(select(store_meta.c.value).where(store_meta.c.key == mark))).scalar()
    oldest = (await conn.execute(select(func.min(score_history.c.scored_at)))).scalar()
    if oldest is None:
        return None
    first = math.floor(oldest / size) * size
    start = first if done is None else max(float(done), first)
    return start if start < end else None


async def _thin_slice(
    conn: AsyncConnection, *, mark: str, lo: float, hi: float, size: float
) -> tuple[int, int]:
    """Thin [lo, hi); returns (rows deleted, rows there were)."""
    h = score_history.c
    in_slice = and_(h.scored_at >= lo, h.scored_at < hi)
    seen = (await conn.execute(select(func.count()).where(in_slice))).scalar() or 0
    keep = (
        select(h.token_id, func.min(h.scored_at))
        .where(in_slice)
        .group_by(h.token_id, bucket_of(h.scored_at, size))
    )
    result = await conn.execute(
        delete(score_history).where(in_slice, tuple_(h.token_id, h.scored_at).not_in(keep))
    )
    await _set_mark(conn, mark, hi)
    return int(result.rowcount or 0), int(seen)


async def _prune(writer: Writer, *, before: float, chunk_s: float = DAY) -> int:
    """Delete history older than ``before``, a day of it per transaction."""

    async def oldest(conn: AsyncConnection) -> float | None:
        value = (await conn.execute(select(func.min(score_history.c.scored_at)))).scalar()
        return None if value is None else float(value)

    deleted = 0
    start = await writer.run_job(oldest)
    while start is not None and start < before:
        hi = min(before, start + chunk_s)

        async def cut(conn: AsyncConnection, hi: float = hi) -> int:
            result = await conn.execute(delete(score_history).where(score_history.c.scored_at < hi))
            return int(result.rowcount or 0)

        deleted += await writer.run_job(cut)
        start = hi
    return deleted


async def _set_mark(conn: AsyncConnection, key: str, value: float) -> None:
    updated = await conn.execute(
        store_meta.update().where(store_meta.c.key == key).values(value=value)
    )
    if not updated.rowcount:
        await conn.execute(store_meta.insert().values(key=key, value=value))
