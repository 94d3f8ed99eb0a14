"""Reads. Each function takes a connection (from ``store.reader()``), so
several reads can share one consistent snapshot; readers never wait for the
writer (SQLite WAL, PostgreSQL MVCC).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenradar.domain import (
    Decision,
    Facet,
    FacetError,
    FacetKind,
    FacetState,
    Score,
    Tier,
    TokenRef,
)
from tokenradar.store.codec import checks_from_list, payload_from_dict
from tokenradar.store.records import ScanOwner, ScanRecord, ScanStatus
from tokenradar.store.tables import (
    alerts,
    facets,
    latest_scores,
    outcomes,
    scans,
    score_history,
    tokens,
)

_CHUNK = 500


# ---------------------------------------------------------------------------
# Facets
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredFacet:
    """The latest attempt for one (token, kind), and the latest observation.

    ``latest`` is what the last refresh produced (possibly an error);
    ``observed`` is the newest ok/absent answer, which an error does not erase
    (``None`` if the provider never answered).
    """

    latest: Facet[Any]
    observed: Facet[Any] | None


async def latest_facets(
    conn: AsyncConnection,
    refs: Iterable[TokenRef],
    kinds: Iterable[FacetKind] | None = None,
) -> dict[TokenRef, dict[FacetKind, StoredFacet]]:
    """Stored facets of ``refs`` (all kinds unless ``kinds``); unknown tokens are left out."""
    wanted = sorted(set(refs))
    kind_values = None if kinds is None else [k.value for k in kinds]
    out: dict[TokenRef, dict[FacetKind, StoredFacet]] = {}
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        by_key = {(t.chain, t.address): t for t in chunk}
        q = (
            select(tokens.c.chain, tokens.c.address, facets)
            .join(facets, facets.c.token_id == tokens.c.id)
            .where(tokens.c.address.in_([t.address for t in chunk]))
        )
        if kind_values is not None:
            q = q.where(facets.c.kind.in_(kind_values))
        for row in (await conn.execute(q)).mappings():
            ref = by_key.get((row["chain"], row["address"]))
            if ref is not None:
                out.setdefault(ref, {})[FacetKind(row["kind"])] = _stored_facet(ref, row)
    return out


def _stored_facet(ref: TokenRef, row: Any) -> StoredFacet:
    kind = FacetKind(row["kind"])
    state = FacetState(row["state"])
    observed: Facet[Any] | None = None
    if row["observed_at"] is not None:
        payload = row["payload"]
        if payload is None:
            observed = Facet(ref, kind, FacetState.ABSENT, row["observed_at"], row["source"])
        else:
            data = payload_from_dict(kind, payload)
            observed = Facet(ref, kind, FacetState.OK, row["observed_at"], row["source"], data)
    if state is FacetState.ERROR:
        err = FacetError(row["error_kind"] or "unknown", row["error_message"] or "")
        latest: Facet[Any] = Facet(ref, kind, state, row["fetched_at"], row["source"], error=err)
    elif observed is not None and observed.fetched_at == row["fetched_at"]:
        latest = observed
    else:
        # ok/absent attempt whose observation was since overtaken: cannot happen
        # through the writer (an ok attempt is its own observation), but be exact.
        latest = observed or Facet(ref, kind, FacetState.ABSENT, row["fetched_at"], row["source"])
    return StoredFacet(latest=latest, observed=observed)


# ---------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankedScore:
    score: Score
    symbol: str | None
    price_usd: float | None  # at the time of scoring
    liquidity_usd: float | None


def _score_from(ref: TokenRef, row: Any) -> Score:
    return Score(
        token=ref,
        score=row["score"],
        safety=row["safety"],
        momentum=row["momentum"],
        tier=Tier(row["tier"]),
        decision=Decision(row["decision"]),
        confidence=row["confidence"],
        scored_at=row["scored_at"],
        checks=checks_from_list(row["checks"] or []),
    )


def _ranked_query() -> Select[Any]:
    market = facets.alias("market")
    return (
        select(tokens.c.chain, tokens.c.address, latest_scores, market.c.symbol)
        .join(latest_scores, latest_scores.c.token_id == tokens.c.id)
        .outerjoin(market, and_(market.c.token_id == tokens.c.id, market.c.kind == "market"))
    )


async def ranked_scores(
    conn: AsyncConnection,
    *,
    limit: int = 100,
    offset: int = 0,
    tier: Tier | None = None,
    decision: Decision | None = None,
    min_score: float | None = None,
    chain: str | None = None,
    min_confidence: float | None = None,
) -> list[RankedScore]:
    """Latest scores, best first (unknown scores last), filtered."""
    q = _ranked_query()
    if tier is not None:
        q = q.where(latest_scores.c.tier == tier.value)
    if decision is not None:
        q = q.where(latest_scores.c.decision == decision.value)
    if min_score is not None:
        q = q.where(latest_scores.c.score >= min_score)
    if chain is not None:
        q = q.where(tokens.c.chain == chain)
    if min_confidence is not None:
        q = q.where(latest_scores.c.confidence >= min_confidence)
    q = q.order_by(
        latest_scores.c.score.is_(None),
        latest_scores.c.score.desc(),
        tokens.c.chain,
        tokens.c.address,
    )
    q = q.limit(limit).offset(offset)
    out = []
    for row in (await conn.execute(q)).mappings():
        ref = TokenRef(row["chain"], row["address"])
        score = _score_from(ref, row)
        out.append(RankedScore(score, row["symbol"], row["price_usd"], row["liquidity_usd"]))
    return out


async def scores_for(conn: AsyncConnection, refs: Iterable[TokenRef]) -> dict[TokenRef, Score]:
    """The latest score of each of ``refs`` that has one."""
    wanted = sorted(set(refs))
    out: dict[TokenRef, Score] = {}
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        by_key = {(t.chain, t.address): t for t in chunk}
        q = _ranked_query().where(tokens.c.address.in_([t.address for t in chunk]))
        for row in (await conn.execute(q)).mappings():
            ref = by_key.get((row["chain"], row["address"]))
            if ref is not None:
                out[ref] = _score_from(ref, row)
    return out


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    scored_at: float
    score: float | None
    safety: float | None
    momentum: float | None
    tier: Tier
    decision: Decision
    confidence: float
    price_usd: float | None
    liquidity_usd: float | None


async def score_history_of(
    conn: AsyncConnection,
    ref: TokenRef,
    *,
    limit: int = 100,
    since: float | None = None,
    until: float | None = None,
) -> list[HistoryPoint]:
    """A token's scores, newest first."""
    q = (
        select(score_history)
        .join(tokens, tokens.c.id == score_history.c.token_id)
        .where(tokens.c.chain == ref.chain, tokens.c.address == ref.address)
    )
    if since is not None:
        q = q.where(score_history.c.scored_at >= since)
    if until is not None:
        q = q.where(score_history.c.scored_at < until)
    q = q.order_by(score_history.c.scored_at.desc()).limit(limit)
    return [
        HistoryPoint(
            scored_at=r["scored_at"],
            score=r["score"],
            safety=r["safety"],
            momentum=r["momentum"],
            tier=Tier(r["tier"]),
            decision=Decision(r["decision"]),
            confidence=r["confidence"],
            price_usd=r["price_usd"],
            liquidity_usd=r["liquidity_usd"],
        )
        for r in (await conn.execute(q)).mappings()
    ]


# ---------------------------------------------------------------------------
# Scans and alerts
# ---------------------------------------------------------------------------


def scan_from_row(r: Any) -> ScanRecord:
    """A ``scans`` row (a mapping) as a ScanRecord."""
    return ScanRecord(
        id=r["id"],
        status=ScanStatus(r["status"]),
        requested_at=r["requested_at"],
        updated_at=r["updated_at"],
        params=dict(r["params"] or {}),
        total=r["total"],
        done=r["done"],
        complete=r["complete"],
        partial=r["partial"],
        failed=r["failed"],
        errors=tuple(r["errors"] or ()),
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        owner=ScanOwner.from_json(r["owner"]),
    )


async def get_scan(conn: AsyncConnection, scan_id: str) -> ScanRecord | None:
    row = (await conn.execute(select(scans).where(scans.c.id == scan_id))).mappings().first()
    return None if row is None else scan_from_row(row)


async def list_scans(
    conn: AsyncConnection,
    *,
    limit: int = 50,
    status: ScanStatus | None = None,
    since: float | None = None,
) -> list[ScanRecord]:
    """Scans, most recently requested first (``since``: requested at or after).

    Each is the whole record a listing shows: status, when it was requested,
    started, last heard of (``updated_at``, the heartbeat of a running scan)
    and finished, its counts, errors (an abandoned scan's last says why) and
    the process that ran it.
    """
    q = select(scans)
    if status is not None:
        q = q.where(scans.c.status == status.value)
    if since is not None:
        q = q.where(scans.c.requested_at >= since)
    q = q.order_by(scans.c.requested_at.desc(), scans.c.id).limit(limit)
    return [scan_from_row(r) for r in (await conn.execute(q)).mappings()]


@dataclass(frozen=True, slots=True)
class AlertState:
    dedup_key: str
    level: str
    message: str
    first_fired: float
    last_fired: float
    count: int


async def recent_alerts(
    conn: AsyncConnection, *, since: float | None = None, limit: int = 100
) -> list[AlertState]:
    q = select(alerts)
    if since is not None:
        q = q.where(alerts.c.last_fired >= since)
    q = q.order_by(alerts.c.last_fired.desc()).limit(limit)
    return [AlertState(**dict(r)) for r in (await conn.execute(q)).mappings()]


# ---------------------------------------------------------------------------
# Outcomes: did high scores do well?
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeStat:
    """How the tokens scored into one (tier, decision) did ``horizon_s`` later."""

    horizon_s: int
    tier: Tier
    decision: Decision
    n: int
    rugged: float  # shares of n, 0..1
    gained: float
    lost: float
    flat: float
    unknown: float  # price unknown then or after (and not rugged)
    mean_change_pct: float | None

    @property
    def win_rate(self) -> float:
        """Share that gained, of those whose outcome is known."""
        known = 1.0 - self.unknown
        return self.gained / known if known > 0 else 0.0


async def outcome_stats(
    conn: AsyncConnection,
    *,
    since: float | None = None,
    horizon_s: int | None = None,
) -> list[OutcomeStat]:
    """Per horizon, tier and decision: shares that rugged, gained, lost (the win rate)."""
    verdict = outcomes.c.verdict
    cols = [
        outcomes.c.horizon_s,
        outcomes.c.tier,
        outcomes.c.decision,
        func.count().label("n"),
        *(
            func.sum(case((verdict == v, 1), else_=0)).label(v)
            for v in ("rugged", "gained", "lost", "flat", "unknown")
        ),
        func.avg(outcomes.c.change_pct).label("mean_change"),
    ]
    q = select(*cols).group_by(outcomes.c.horizon_s, outcomes.c.tier, outcomes.c.decision)
    if since is not None:
        q = q.where(outcomes.c.scored_at >= since)
    if horizon_s is not None:
        q = q.where(outcomes.c.horizon_s == horizon_s)
    q = q.order_by(outcomes.c.horizon_s, outcomes.c.tier, outcomes.c.decision)
    out = []
    for r in (await conn.execute(q)).mappings():
        n = r["n"]
        out.append(
            OutcomeStat(
                horizon_s=r["horizon_s"],
                tier=Tier(r["tier"]),
                decision=Decision(r["decision"]),
                n=n,
                rugged=(r["rugged"] or 0) / n,
                gained=(r["gained"] or 0) / n,
                lost=(r["lost"] or 0) / n,
                flat=(r["flat"] or 0) / n,
                unknown=(r["unknown"] or 0) / n,
                mean_change_pct=None if r["mean_change"] is None else float(r["mean_change"]),
            )
        )
    return out
