"""Domain objects → row tuples, and the merge of one batch's rows by key.

Encoding happens when a row is submitted, so a value the database cannot take
is reported to the caller that submitted it. Rows are tuples in the column
order of :mod:`tokenradar.store.statements` without the ``token_id``, which
the writer resolves inside the transaction.

The merge applies the same rules as the SQL upserts (see ``statements``), so
a batch holding the same key twice commits what applying its rows one by one
would have; PostgreSQL refuses the same key twice in one upsert anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tokenradar.domain import (
    Facet,
    MarketData,
    PriceData,
    RiskData,
    Score,
    TokenRef,
)
from tokenradar.store import jsonio
from tokenradar.store.codec import checks_to_json, payload_to_json
from tokenradar.store.records import AlertFire, ScanRecord

# positions inside a facet row (after token_id)
F_FETCHED_AT = 3
F_OBSERVED_AT = 6
F_OBSERVATION = slice(6, 12)
F_ATTEMPT = slice(1, 6)


#: A token as the writer keys it: (chain, address). Cheaper to hash than TokenRef.
TokenKey = tuple[str, str]


@dataclass(slots=True)
class FacetRow:
    tk: TokenKey
    kind: str
    values: tuple[Any, ...]  # kind, state, source, fetched_at, error_kind, error_message,
    #                          observed_at, payload, symbol, price_usd, liquidity_usd, rugged


@dataclass(slots=True)
class ScoreRow:
    token: TokenRef
    tk: TokenKey
    scored_at: float
    values: tuple[Any, ...]  # scored_at, score, safety, momentum, tier, decision, confidence
    checks: str  # JSON; kept on the latest score only, not in history


@dataclass(slots=True)
class ScanRow:
    id: str
    updated_at: float
    values: tuple[Any, ...]  # every scans column in order


@dataclass(slots=True)
class AlertRow:
    dedup_key: str
    first_fired: float
    last_fired: float
    count: int
    level: str
    message: str


Row = FacetRow | ScoreRow | ScanRow | AlertRow


def facet_row(facet: Facet[Any]) -> FacetRow:
    # the writer's hot path: ``_value_`` skips Enum's descriptor, the cheap checks go first
    data = facet.data
    symbol = price = liquidity = rugged = None
    payload: str | None = None
    if data is not None:
        payload = payload_to_json(data)
        if isinstance(data, MarketData):
            symbol, price, liquidity = data.symbol, data.price_usd, data.liquidity_usd
            if symbol is not None:
                symbol = jsonio.clean_text(symbol[:64])
        elif isinstance(data, PriceData):
            price = data.price_usd
        elif isinstance(data, RiskData):
            rugged = data.rugged
    err = facet.error
    fetched_at = float(facet.fetched_at)
    source = facet.source
    if len(source) > 64 or "\x00" in source:
        source = jsonio.clean_text(source[:64]) or ""
    kind = facet.kind._value_
    values = (
        kind,
        facet.state._value_,
        source,
        fetched_at,
        None if err is None else jsonio.clean_text(err.kind[:32]),
        None if err is None else jsonio.clean_text(err.message),
        None if err is not None else fetched_at,  # an error observes nothing
        payload,
        symbol,
        None if price is None else _finite(price),
        None if liquidity is None else _finite(liquidity),
        rugged,
    )
    return FacetRow((facet.token.chain, facet.token.address), kind, values)


def score_row(score: Score) -> ScoreRow:
    values = (
        float(score.scored_at),
        _finite(score.score),
        _finite(score.safety),
        _finite(score.momentum),
        score.tier.value,
        score.decision.value,
        float(score.confidence),
    )
    tk = (score.token.chain, score.token.address)
    return ScoreRow(score.token, tk, float(score.scored_at), values, checks_to_json(score.checks))


def scan_row(scan: ScanRecord) -> ScanRow:
    values = (
        scan.id,
        scan.status.value,
        scan.requested_at,
        scan.updated_at,
        scan.started_at,
        scan.finished_at,
        jsonio.dumps(scan.params),
        scan.total,
        scan.done,
        scan.complete,
        scan.partial,
        scan.failed,
        jsonio.dumps(scan.errors),
        None if scan.owner is None else jsonio.dumps(scan.owner.to_json()),
    )
    return ScanRow(scan.id, scan.updated_at, values)


def alert_row(fire: AlertFire) -> AlertRow:
    return AlertRow(
        dedup_key=fire.dedup_key,
        first_fired=fire.fired_at,
        last_fired=fire.fired_at,
        count=1,
        level=fire.level,
        message=jsonio.clean_text(fire.message) or "",
    )


def _finite(x: float | None) -> float | None:
    # NaN breaks comparisons and orderings in both databases; store "unknown".
    if x is None or not math.isfinite(x):
        return None
    return float(x)


# ---------------------------------------------------------------------------
# Merging one batch
# ---------------------------------------------------------------------------


def merge_facet(old: FacetRow, new: FacetRow) -> FacetRow:
    """Both registers of the upsert: newest attempt, newest observation; ties keep ``old``."""
    a, b = old.values, new.values
    attempt = b if b[F_FETCHED_AT] > a[F_FETCHED_AT] else a
    ob, oa = b[F_OBSERVED_AT], a[F_OBSERVED_AT]
    observation = b if ob is not None and (oa is None or ob > oa) else a
    if attempt is observation:
        return FacetRow(old.tk, old.kind, attempt)
    merged = (attempt[0], *attempt[F_ATTEMPT], *observation[F_OBSERVATION])
    return FacetRow(old.tk, old.kind, merged)
