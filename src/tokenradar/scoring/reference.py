"""The per-token reference scorer: plain Python over one token's facets.

Slow and obvious on purpose. :class:`tokenradar.scoring.scorer.Scorer` scores
batches with numpy and is tested equal to :func:`score_token` on random facets.
"""

from __future__ import annotations

from tokenradar.domain import FacetKind, MarketData, MintData, PriceData, RiskData, Score, TokenRef
from tokenradar.scoring.checks import Context, FacetMap, evaluate, make_context
from tokenradar.scoring.checks.authority import AUTHORITY_FIELDS, reported_authority
from tokenradar.scoring.combine import Agreement, TierInputs, decide, tier, totals
from tokenradar.scoring.policy import ScoringSettings


def agreement(ctx: Context) -> Agreement:
    """Compare independent sources that both answered."""
    compared = disagreed = 0
    mint = ctx.ok(FacetKind.MINT, MintData)
    risk = ctx.ok(FacetKind.RISK, RiskData)
    if mint is not None:
        # only an authority the report carries is a second opinion
        for field in AUTHORITY_FIELDS:
            said = reported_authority(risk, field)
            if said is not None:
                compared += 1
                disagreed += (getattr(mint, field) is None) != (getattr(said, field) is None)
    market = ctx.ok(FacetKind.MARKET, MarketData)
    price = ctx.ok(FacetKind.PRICE, PriceData)
    if (
        market is not None
        and price is not None
        and market.price_usd is not None
        and market.price_usd > 0
        and price.price_usd > 0
    ):
        compared += 1
        deviation = abs(market.price_usd - price.price_usd) / max(market.price_usd, price.price_usd)
        disagreed += deviation > ctx.settings.checks.price_agreement.max_deviation
    return Agreement(compared, disagreed)


def tier_inputs(ctx: Context) -> TierInputs:
    risk = ctx.ok(FacetKind.RISK, RiskData)
    market = ctx.ok(FacetKind.MARKET, MarketData)
    rugged = risk is not None and risk.rugged is True
    if market is None:
        return TierInputs(rugged, None, None, None)
    created = market.pair_created_at
    age = max(0.0, ctx.now - created) if created is not None else None
    return TierInputs(rugged, age, market.price_change_h1, market.volume_h24)


def score_token(token: TokenRef, facets: FacetMap, now: float, settings: ScoringSettings) -> Score:
    """Score one token from its latest facet per kind."""
    ctx = make_context(token, facets, now, settings)
    results = evaluate(ctx)
    t = totals(results, agreement(ctx), settings)
    decision = decide(t, settings)
    return Score(
        token=token,
        score=t.score,
        safety=t.safety,
        momentum=t.momentum,
        tier=tier(tier_inputs(ctx), t.score, decision, settings),
        decision=decision,
        confidence=t.confidence,
        scored_at=now,
        checks=results,
    )
