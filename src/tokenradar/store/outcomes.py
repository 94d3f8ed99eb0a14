"""Outcome tracking: did the tokens we scored do well afterwards?

For each horizon (1 h, 24 h) the job takes the scores that are now that old
(one per token per hour: the first score of each hour, which retention also
keeps) and compares the market then (the price and liquidity snapshot the
history row took when the score was committed) with the market now (the
latest market/price observation, provided it was made at or after the
horizon). A token *rugged* when its liquidity collapsed by ``rug_drop`` (90 %)
or more, its pairs vanished, or RugCheck reports it rugged; otherwise it
*gained*, *lost* or stayed *flat* (within ``flat_band_pct``), or is *unknown*
when a price is missing.

An outcome is only recorded while the observation is close to the horizon:
the score must be at most ``horizon × (1 + max_lag)`` old, so a job that was
down for a day does not judge "1 h later" with a price from 25 h later. Run
it at least every ``horizon × max_lag`` (the maintenance loop runs it every
5 minutes). Recording is idempotent (one row per token, horizon and score).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenradar.store.tables import bucket_of, facets, outcomes, score_history
from tokenradar.store.writer import Writer

HOUR = 3600


class Verdict(StrEnum):
    RUGGED = "rugged"  # liquidity collapsed, pairs gone, or RugCheck says rugged
    GAINED = "gained"  # price up by more than the flat band
    LOST = "lost"  # price down by more than the flat band
    FLAT = "flat"  # within the band
    UNKNOWN = "unknown"  # no price then or after (and no rug seen)


@dataclass(frozen=True, slots=True)
class OutcomePolicy:
    horizons_s: tuple[int, ...] = (HOUR, 24 * HOUR)
    max_lag: float = 0.5  # observation at most horizon × max_lag late
    rug_drop: float = 0.9  # liquidity falling by this share or more is a rug
    flat_band_pct: float = 1.0


@dataclass(frozen=True, slots=True)
class Judgement:
    change_pct: float | None
    rugged: bool
    verdict: Verdict


def judge(
    *,
    price_then: float | None,
    liquidity_then: float | None,
    price_after: float | None,
    liquidity_after: float | None,
    rugcheck_rugged: bool | None,
    policy: OutcomePolicy = OutcomePolicy(),
) -> Judgement:
    """The verdict on one token between a score and its horizon."""
    change = None
    if price_then is not None and price_after is not None and price_then > 0:
        change = (price_after / price_then - 1.0) * 100.0
    collapsed = (
        liquidity_then is not None
        and liquidity_then > 0
        and liquidity_after is not None
        # a hair of tolerance: "fell by exactly 90 %" must not hinge on float rounding
        and 1.0 - liquidity_after / liquidity_then >= policy.rug_drop - 1e-9
    )
    rugged = collapsed or rugcheck_rugged is True
    if rugged:
        return Judgement(change, True, Verdict.RUGGED)
    if change is None:
        return Judgement(None, False, Verdict.UNKNOWN)
    if change > policy.flat_band_pct:
        return Judgement(change, False, Verdict.GAINED)
    if change < -policy.flat_band_pct:
        return Judgement(change, False, Verdict.LOST)
    return Judgement(change, False, Verdict.FLAT)


async def track_outcomes(
    writer: Writer, *, now: float, policy: OutcomePolicy = OutcomePolicy()
) -> int:
    """Record outcomes for every horizon as of ``now``; returns how many were recorded."""
    recorded = 0
    for horizon in policy.horizons_s:

        async def job(conn: AsyncConnection, horizon: int = horizon) -> int:
            return await _record(conn, horizon, now, policy)

        recorded += await writer.run_job(job)
    return recorded


async def _record(conn: AsyncConnection, horizon: int, now: float, policy: OutcomePolicy) -> int:
    hi = now - horizon
    lo = now - horizon * (1.0 + policy.max_lag)
    candidates = await _candidates(conn, horizon, lo, hi)
    if not candidates:
        return 0
    seen = await _observations(conn, {c["token_id"] for c in candidates})
    rows = []
    for c in candidates:
        obs = seen.get(c["token_id"], {})
        due = c["scored_at"] + horizon
        market = obs.get("market")
        price_obs = obs.get("price")
        risk = obs.get("risk")
        market_ok = market is not None and market["observed_at"] >= due
        price_ok = price_obs is not None and price_obs["observed_at"] >= due
        if not (market_ok or price_ok):
            continue  # nothing seen since the horizon yet: try again next run
        price_after = liquidity_after = None
        observed_at = 0.0
        if market_ok:
            assert market is not None
            observed_at = market["observed_at"]
            if market["payload_missing"]:
                liquidity_after = 0.0  # DexScreener no longer knows any pair
            else:
                price_after, liquidity_after = market["price_usd"], market["liquidity_usd"]
        if price_after is None and price_ok:
            assert price_obs is not None
            price_after = price_obs["price_usd"]
            observed_at = max(observed_at, price_obs["observed_at"])
        rugcheck = risk["rugged"] if risk is not None and risk["observed_at"] >= due else None
        verdict = judge(
            price_then=c["price_usd"],
            liquidity_then=c["liquidity_usd"],
            price_after=price_after,
            liquidity_after=liquidity_after,
            rugcheck_rugged=rugcheck,
            policy=policy,
        )
        rows.append(
            {
                "token_id": c["token_id"],
                "horizon_s": horizon,
                "scored_at": c["scored_at"],
                "score": c["score"],
                "tier": c["tier"],
                "decision": c["decision"],
                "confidence": c["confidence"],
                "price_then": c["price_usd"],
                "liquidity_then": c["liquidity_usd"],
                "observed_at": observed_at,
                "price_after": price_after,
                "liquidity_after": liquidity_after,
                "change_pct": verdict.change_pct,
                "rugged": verdict.rugged,
                "verdict": verdict.verdict.value,
                "recorded_at": now,
            }
        )
    if rows:
        insert = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
        await conn.execute(insert(outcomes).on_conflict_do_nothing(), rows)
    return len(rows)


async def _candidates(
    conn: AsyncConnection, horizon: int, lo: float, hi: float
) -> list[dict[str, Any]]:
    """First score of each (token, hour) with lo ≤ scored_at ≤ hi and no outcome yet."""
    h = score_history.c
    # whole hours, so "first of the hour" does not depend on where the window starts
    hour_lo = (lo // HOUR) * HOUR
    firsts = (
        select(h.token_id, func.min(h.scored_at).label("scored_at"))
        .where(h.scored_at >= hour_lo, h.scored_at <= hi)
        .group_by(h.token_id, bucket_of(h.scored_at, HOUR))
        .subquery()
    )
    done = outcomes.c
    q = (
        select(score_history)
        .join(
            firsts,
            and_(firsts.c.token_id == h.token_id, firsts.c.scored_at == h.scored_at),
        )
        .outerjoin(
            outcomes,
            and_(
                done.token_id == h.token_id,
                done.scored_at == h.scored_at,
                done.horizon_s == horizon,
            ),
        )
        .where(h.scored_at >= lo, done.token_id.is_(None))
    )
    return [dict(r) for r in (await conn.execute(q)).mappings()]


async def _observations(
    conn: AsyncConnection, token_ids: Iterable[int]
) -> dict[int, dict[str, dict[str, Any]]]:
    """The latest market, price and risk observations of these tokens."""
    ids = sorted(token_ids)
    out: dict[int, dict[str, dict[str, Any]]] = {}
    f = facets.c
    for i in range(0, len(ids), 500):
        q = select(
            f.token_id,
            f.kind,
            f.observed_at,
            f.payload.is_(None).label("payload_missing"),
            f.price_usd,
            f.liquidity_usd,
            f.rugged,
        ).where(
            f.token_id.in_(ids[i : i + 500]),
            f.kind.in_(("market", "price", "risk")),
            f.observed_at.is_not(None),
        )
        for r in (await conn.execute(q)).mappings():
            out.setdefault(r["token_id"], {})[r["kind"]] = dict(r)
    return out
