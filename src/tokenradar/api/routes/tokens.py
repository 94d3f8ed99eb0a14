"""``/api/v1/tokens``: ranked scores, one token's breakdown, its history."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from tokenradar.api.auth import Caller
from tokenradar.api.errors import ApiError, FieldError, responses
from tokenradar.api.schemas import (
    MAX_PAGE,
    FacetAgeView,
    HistoryChange,
    HistoryEntry,
    RankedToken,
    TokenDetail,
    TokenHistory,
    TokenPage,
    Transition,
)
from tokenradar.api.state import reader, state_of
from tokenradar.domain import CHAINS, Decision, Tier, TokenRef
from tokenradar.errors import InvalidAddress
from tokenradar.service.radar import FacetAge
from tokenradar.service.results import score_view
from tokenradar.store import HistoryPoint

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])

READ_ERRORS = responses(401, 403, 422, 429, 503)


def _ages(ages: tuple[FacetAge, ...]) -> list[FacetAgeView]:
    return [
        FacetAgeView(kind=a.kind, state=a.state, source=a.source, age_s=a.age_s, error=a.error)
        for a in ages
    ]


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def _cursor(offset: int, fp: str) -> str:
    raw = json.dumps({"o": offset, "f": fp}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(cursor: str | None, fp: str) -> int:
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        offset, got = int(data["o"]), str(data["f"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(
            422, "invalid cursor", fields=[FieldError(field="query.cursor", reason="not a cursor")]
        ) from exc
    if got != fp or offset < 0:
        raise ApiError(
            422,
            "the cursor belongs to other filters",
            fields=[FieldError(field="query.cursor", reason="made with other filters")],
        )
    return offset


def parse_token(chain: str, address: str) -> TokenRef:
    try:
        return TokenRef(chain, address)
    except InvalidAddress as exc:
        field = "path.chain" if chain.strip().lower() not in CHAINS else "path.address"
        raise ApiError(422, str(exc), fields=[FieldError(field=field, reason=str(exc))]) from exc


@router.get("", response_model=TokenPage, responses=READ_ERRORS, summary="Ranked tokens")
async def ranked(
    *,
    request: Request,
    _: Annotated[Caller, Depends(reader)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="rows per page")] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    tier: Tier | None = None,
    decision: Decision | None = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    chain: Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,32}$")] = None,
) -> TokenPage:
    """Latest scores, best first (unknown scores last), with each row's facet ages."""
    st = state_of(request)
    if chain is not None and chain not in CHAINS:
        reason = f"unknown chain {chain!r} (known: {', '.join(sorted(CHAINS))})"
        raise ApiError(422, reason, fields=[FieldError(field="query.chain", reason=reason)])
    fp = _fingerprint(tier, decision, min_score, min_confidence, chain)
    offset = _offset(cursor, fp)
    radar = st.backend.radar
    rows = await radar.ranked(
        limit=limit + 1, offset=offset, tier=tier, decision=decision, min_score=min_score,
        min_confidence=min_confidence, chain=chain,
    )  # fmt: skip
    more = len(rows) > limit
    rows = rows[:limit]
    watched = st.backend.watched()
    now = st.clock.now()
    items = []
    for r in rows:
        s = r.score
        items.append(
            RankedToken(
                chain=s.token.chain,
                address=s.token.address,
                symbol=r.symbol,
                score=None if s.score is None else round(s.score, 2),
                safety=None if s.safety is None else round(s.safety, 2),
                momentum=None if s.momentum is None else round(s.momentum, 2),
                tier=s.tier,
                decision=s.decision,
                confidence=round(s.confidence, 3),
                scored_at=s.scored_at,
                score_age_s=round(max(0.0, now - s.scored_at), 3),
                price_usd=r.price_usd,
                liquidity_usd=r.liquidity_usd,
                watched=s.token in watched,
                facets=_ages(radar.facet_ages(s.token)),
            )
        )
    return TokenPage(
        items=items, next_cursor=_cursor(offset + limit, fp) if more else None, limit=limit
    )


@router.get(
    "/{chain}/{address}",
    response_model=TokenDetail,
    responses=responses(401, 403, 404, 422, 429, 503),
    summary="One token: latest score, check by check, and its facets",
)
async def token(
    request: Request, chain: str, address: str, _: Annotated[Caller, Depends(reader)]
) -> TokenDetail:
    st = state_of(request)
    ref = parse_token(chain, address)
    view = await st.backend.radar.token(ref)
    if view.score is None and not view.tracked and not view.facets:
        raise ApiError(404, f"{ref} is not known (never scored, not tracked)")
    return TokenDetail(
        chain=ref.chain,
        address=ref.address,
        tracked=view.tracked,
        tracked_tier=view.tier,
        watched=ref in st.backend.watched(),
        scored_at=view.score.scored_at if view.score is not None else None,
        score=score_view(view.score) if view.score is not None else None,
        facets=_ages(view.facets),
    )


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 2)


def _entries(points: list[HistoryPoint]) -> list[HistoryEntry]:
    out = []
    for i, p in enumerate(points):
        prev = points[i + 1] if i + 1 < len(points) else None  # newest first
        change = None
        if prev is not None:
            change = HistoryChange(
                score=_delta(p.score, prev.score),
                safety=_delta(p.safety, prev.safety),
                momentum=_delta(p.momentum, prev.momentum),
                confidence=round(p.confidence - prev.confidence, 3),
                tier=Transition(old=prev.tier.value, new=p.tier.value)
                if p.tier is not prev.tier
                else None,
                decision=Transition(old=prev.decision.value, new=p.decision.value)
                if p.decision is not prev.decision
                else None,
            )
        out.append(
            HistoryEntry(
                scored_at=p.scored_at,
                score=p.score,
                safety=p.safety,
                momentum=p.momentum,
                tier=p.tier,
                decision=p.decision,
                confidence=p.confidence,
                price_usd=p.price_usd,
                liquidity_usd=p.liquidity_usd,
                change=change,
            )
        )
    return out


@router.get(
    "/{chain}/{address}/history",
    response_model=TokenHistory,
    responses=responses(401, 403, 404, 422, 429, 503),
    summary="A token's score history, newest first, with what changed each time",
)
async def history(
    request: Request,
    chain: str,
    address: str,
    _: Annotated[Caller, Depends(reader)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TokenHistory:
    st = state_of(request)
    ref = parse_token(chain, address)
    # one more than asked: the oldest entry shown still gets its change
    points = await st.backend.radar.history(ref, limit=limit + 1)
    if not points:
        raise ApiError(404, f"{ref} has no score history")
    entries = _entries(points)[:limit]
    return TokenHistory(chain=ref.chain, address=ref.address, entries=entries)
