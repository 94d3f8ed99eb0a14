"""Market checks over the DexScreener ``market`` facet (and Jupiter's price).

A field DexScreener did not report is ``unknown``, never zero: a pair without
``liquidity`` has unknown liquidity, not none.
"""

from __future__ import annotations

from tokenradar.domain import CheckState, FacetKind, MarketData, PriceData
from tokenradar.scoring.checks.base import (
    Category,
    CheckSpec,
    Context,
    Note,
    Verdict,
    verdict_if,
)
from tokenradar.scoring.collapse import Collapse, fall, sell_off
from tokenradar.scoring.policy import (
    BuySellBalancePolicy,
    LiquidityFloorPolicy,
    LiquidityPulledPolicy,
    PairAgePolicy,
    PriceAgreementPolicy,
    PriceExtremesPolicy,
    SocialsPolicy,
    WashTradingPolicy,
)

M = FacetKind.MARKET


def liquidity_floor(ctx: Context, policy: LiquidityFloorPolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    if m.liquidity_usd is None:
        return ctx.missing_field(M)
    return verdict_if(m.liquidity_usd >= policy.min_usd, m.liquidity_usd, M)


def _changes(m: MarketData) -> list[float]:
    windows = (m.price_change_m5, m.price_change_h1, m.price_change_h6, m.price_change_h24)
    return [c for c in windows if c is not None]


def liquidity_pulled(ctx: Context, policy: LiquidityPulledPolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    if m.liquidity_usd is None:
        return ctx.missing_field(M)
    changes = _changes(m)
    crashed = bool(changes) and min(changes) <= -policy.crash_pct
    pulled = m.liquidity_usd < policy.below_usd and crashed
    return verdict_if(not pulled, m.liquidity_usd, M)


def wash_trading(ctx: Context, policy: WashTradingPolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    if m.volume_h24 is None or m.liquidity_usd is None:
        return ctx.missing_field(M)
    if m.liquidity_usd <= 0:
        return Verdict(CheckState.UNKNOWN, None, M, Note.NO_LIQUIDITY)
    ratio = m.volume_h24 / m.liquidity_usd
    return verdict_if(ratio <= policy.max_volume_to_liquidity, ratio, M)


def pair_age(ctx: Context, policy: PairAgePolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    if m.pair_created_at is None:
        return ctx.missing_field(M)
    age = max(0.0, ctx.now - m.pair_created_at)
    return verdict_if(age >= policy.min_age_s, age, M)


def price_extremes(ctx: Context, policy: PriceExtremesPolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    changes = _changes(m)
    if not changes:
        return ctx.missing_field(M)
    low, high = min(changes), max(changes)
    if low <= -policy.max_drop_pct:
        return verdict_if(False, low, M)
    if high >= policy.max_rise_pct:
        return verdict_if(False, high, M)
    return verdict_if(True, high if abs(high) > abs(low) else low, M)


def socials(ctx: Context, policy: SocialsPolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    links = len(m.websites) + len(m.socials)
    return verdict_if(links >= policy.min_links, links, M)


def price_agreement(ctx: Context, policy: PriceAgreementPolicy) -> Verdict:
    p = ctx.ok(FacetKind.PRICE, PriceData)
    if p is None:
        return ctx.unknown(FacetKind.PRICE)
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    if m.price_usd is None or m.price_usd <= 0:
        return ctx.missing_field(M)
    if p.price_usd <= 0:
        return ctx.missing_field(FacetKind.PRICE)
    deviation = abs(m.price_usd - p.price_usd) / max(m.price_usd, p.price_usd)
    return verdict_if(deviation <= policy.max_deviation, deviation, FacetKind.PRICE)


def buy_sell_balance(ctx: Context, policy: BuySellBalancePolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    windows = ((m.buys_h1, m.sells_h1, Note.NONE), (m.buys_h24, m.sells_h24, Note.H24_FALLBACK))
    reported = False
    for buys, sells, note in windows:
        if buys is None or sells is None:
            continue
        reported = True
        total = buys + sells
        if total >= policy.min_txns:
            ratio = buys / total
            ok = policy.min_buy_ratio <= ratio <= policy.max_buy_ratio
            return verdict_if(ok, ratio, M, note)
    if reported:
        return Verdict(CheckState.UNKNOWN, None, M, Note.FEW_TRADES)
    return ctx.missing_field(M)


def _usd(x: float) -> str:
    return f"${x:,.0f}"


def _describe_liquidity(v: Verdict, policy: LiquidityFloorPolicy) -> str:
    assert isinstance(v.value, float)
    cmp = "at least" if v.state is CheckState.PASS else "below"
    return f"liquidity {_usd(v.value)}, {cmp} the {_usd(policy.min_usd)} floor"


def _describe_pulled(v: Verdict, policy: LiquidityPulledPolicy) -> str:
    assert isinstance(v.value, float)
    if v.state is CheckState.PASS:
        return f"liquidity {_usd(v.value)} remains (no crash with an emptied pool)"
    return f"liquidity pulled: {_usd(v.value)} left after a fall of {policy.crash_pct:g}% or more"


def _describe_wash(v: Verdict, policy: WashTradingPolicy) -> str:
    assert isinstance(v.value, float)
    limit = f"{policy.max_volume_to_liquidity:g}x"
    if v.state is CheckState.PASS:
        return f"24 h volume is {v.value:.1f}x liquidity (sane, limit {limit})"
    return f"24 h volume is {v.value:.1f}x liquidity, above {limit}: likely wash trading"


def _describe_age(v: Verdict, policy: PairAgePolicy) -> str:
    assert isinstance(v.value, float)
    hours = v.value / 3600.0
    cmp = "older" if v.state is CheckState.PASS else "younger"
    return f"oldest pair is {hours:,.1f} h old, {cmp} than {policy.min_age_s / 3600.0:g} h"


def _describe_extremes(v: Verdict, policy: PriceExtremesPolicy) -> str:
    assert isinstance(v.value, float)
    if v.state is CheckState.PASS:
        return (
            f"largest recent move {v.value:+.1f}% (limits -{policy.max_drop_pct:g}% / "
            f"+{policy.max_rise_pct:g}%)"
        )
    level = fall(v.value, policy)
    if level is Collapse.AVOID:
        return (
            f"extreme price move (crash): {v.value:+.1f}%, at or past "
            f"-{policy.avoid_drop_pct:g}%: a collapse, avoid"
        )
    if level is Collapse.WATCH:
        text = f"extreme price move (crash): {v.value:+.1f}%: a collapse in progress, never a buy"
        if policy.avoid_drop_pct <= 100.0:
            text += f" (avoid at -{policy.avoid_drop_pct:g}%)"
        return text
    return f"extreme price move (pump): {v.value:+.1f}%"


def _describe_socials(v: Verdict, policy: SocialsPolicy) -> str:
    if v.state is CheckState.PASS:
        return f"{v.value} website/social links listed"
    return f"{v.value} website/social links listed (need {policy.min_links})"


def _describe_agreement(v: Verdict, policy: PriceAgreementPolicy) -> str:
    assert isinstance(v.value, float)
    cmp = "agree" if v.state is CheckState.PASS else "disagree"
    return (
        f"DexScreener and Jupiter prices {cmp}: {v.value:.2%} apart "
        f"(limit {policy.max_deviation:.0%})"
    )


def _describe_balance(v: Verdict, policy: BuySellBalancePolicy) -> str:
    assert isinstance(v.value, float)
    window = "24 h" if v.note is Note.H24_FALLBACK else "1 h"
    band = f"{policy.min_buy_ratio:.0%}-{policy.max_buy_ratio:.0%}"
    if v.state is CheckState.PASS:
        return f"buys are {v.value:.0%} of {window} trades (within {band})"
    level = sell_off(v.value, policy)
    if level is Collapse.NONE:
        what = "almost no sells: honeypot pattern"
        return f"buys are {v.value:.0%} of {window} trades ({what}; expected {band})"
    text = f"buys are {v.value:.0%} of {window} trades (sell-off; expected {band})"
    if level is Collapse.AVOID:
        return f"{text}: below {policy.avoid_buy_ratio:.0%}, a collapse, avoid"
    text += ": a collapse in progress, never a buy"
    if policy.avoid_buy_ratio > 0.0:
        text += f" (avoid below {policy.avoid_buy_ratio:.0%})"
    return text


SPECS = (
    CheckSpec(
        "liquidity_floor", Category.SAFETY, (M,), float, liquidity_floor, _describe_liquidity
    ),
    CheckSpec("liquidity_pulled", Category.SAFETY, (M,), float, liquidity_pulled, _describe_pulled),
    CheckSpec("wash_trading", Category.SAFETY, (M,), float, wash_trading, _describe_wash),
    CheckSpec("pair_age", Category.SAFETY, (M,), float, pair_age, _describe_age),
    CheckSpec("price_extremes", Category.SAFETY, (M,), float, price_extremes, _describe_extremes),
    CheckSpec("socials", Category.SAFETY, (M,), int, socials, _describe_socials),
    CheckSpec(
        "price_agreement",
        Category.SAFETY,
        (FacetKind.PRICE, M),
        float,
        price_agreement,
        _describe_agreement,
    ),
    CheckSpec(
        "buy_sell_balance", Category.SAFETY, (M,), float, buy_sell_balance, _describe_balance
    ),
)
