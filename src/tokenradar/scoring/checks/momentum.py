"""Momentum checks: is anything happening to this token right now?

They feed the ``momentum`` sub-score only; a quiet token is not unsafe.
"""

from __future__ import annotations

from tokenradar.domain import CheckState, FacetKind, MarketData
from tokenradar.scoring.checks.base import (
    Category,
    CheckSpec,
    Context,
    Note,
    Verdict,
    verdict_if,
)
from tokenradar.scoring.policy import (
    BuyPressurePolicy,
    PriceTrendPolicy,
    TradingActivityPolicy,
    VolumeTrendPolicy,
)

M = FacetKind.MARKET


def trading_activity(ctx: Context, policy: TradingActivityPolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    if m.volume_h24 is None:
        return ctx.missing_field(M)
    return verdict_if(m.volume_h24 >= policy.min_volume_h24_usd, m.volume_h24, M)


def buy_pressure(ctx: Context, policy: BuyPressurePolicy) -> Verdict:
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
        if total > 0:
            ratio = buys / total
            return verdict_if(ratio >= policy.min_buy_ratio, ratio, M, note)
    if reported:
        return Verdict(CheckState.FAIL, 0.0, M, Note.NO_TRADES)
    return ctx.missing_field(M)


def price_trend(ctx: Context, policy: PriceTrendPolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    for change in (m.price_change_h24, m.price_change_h6, m.price_change_h1):
        if change is not None:
            return verdict_if(change >= policy.min_change_pct, change, M)
    return ctx.missing_field(M)


def volume_trend(ctx: Context, policy: VolumeTrendPolicy) -> Verdict:
    m = ctx.ok(M, MarketData)
    if m is None:
        return ctx.unknown(M)
    if m.volume_h1 is None or m.volume_h24 is None:
        return ctx.missing_field(M)
    if m.volume_h24 <= 0:
        return Verdict(CheckState.FAIL, 0.0, M, Note.NO_TRADES)
    ratio = m.volume_h1 * 24.0 / m.volume_h24
    return verdict_if(ratio >= policy.min_ratio, ratio, M)


def _describe_activity(v: Verdict, policy: TradingActivityPolicy) -> str:
    assert isinstance(v.value, float)
    cmp = "at least" if v.state is CheckState.PASS else "below"
    return f"24 h volume ${v.value:,.0f}, {cmp} ${policy.min_volume_h24_usd:,.0f}"


def _describe_pressure(v: Verdict, policy: BuyPressurePolicy) -> str:
    if v.note is Note.NO_TRADES:
        return "no trades in the last 24 h"
    assert isinstance(v.value, float)
    window = "24 h" if v.note is Note.H24_FALLBACK else "1 h"
    cmp = "at least" if v.state is CheckState.PASS else "below"
    return f"buys are {v.value:.0%} of {window} trades, {cmp} {policy.min_buy_ratio:.0%}"


def _describe_trend(v: Verdict, policy: PriceTrendPolicy) -> str:
    assert isinstance(v.value, float)
    cmp = "at least" if v.state is CheckState.PASS else "below"
    return f"price change {v.value:+.1f}%, {cmp} {policy.min_change_pct:+g}%"


def _describe_volume_trend(v: Verdict, policy: VolumeTrendPolicy) -> str:
    if v.note is Note.NO_TRADES:
        return "no volume in the last 24 h"
    assert isinstance(v.value, float)
    cmp = "busier" if v.state is CheckState.PASS else "quieter"
    return f"last hour traded {v.value:.2f}x the 24 h hourly average ({cmp})"


SPECS = (
    CheckSpec(
        "trading_activity", Category.MOMENTUM, (M,), float, trading_activity, _describe_activity
    ),
    CheckSpec("buy_pressure", Category.MOMENTUM, (M,), float, buy_pressure, _describe_pressure),
    CheckSpec("price_trend", Category.MOMENTUM, (M,), float, price_trend, _describe_trend),
    CheckSpec("volume_trend", Category.MOMENTUM, (M,), float, volume_trend, _describe_volume_trend),
)
