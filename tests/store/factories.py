"""Builders of domain objects for store tests."""

from __future__ import annotations

from typing import Any

import base58

from tokenradar.domain import (
    Decision,
    Facet,
    FacetKind,
    MarketData,
    PriceData,
    Score,
    Tier,
    TokenRef,
    error_facet,
    ok_facet,
)


def token(i: int) -> TokenRef:
    """A valid, distinct Solana token for each ``i``."""
    raw = (i + 1).to_bytes(8, "big") + b"\x07" * 24
    return TokenRef("solana", base58.b58encode(raw).decode())


def market(
    price: float | None = 1.0, liquidity: float | None = 10_000.0, symbol: str = "TKN"
) -> MarketData:
    return MarketData(
        symbol=symbol,
        name=f"{symbol} token",
        pair_count=2,
        best_pair_address="pair",
        best_dex="raydium",
        quote_symbol="SOL",
        price_usd=price,
        price_native=None if price is None else price / 150,
        liquidity_usd=liquidity,
        best_pair_liquidity_usd=liquidity,
        volume_m5=1.0,
        volume_h1=10.0,
        volume_h6=60.0,
        volume_h24=240.0,
        buys_m5=1,
        sells_m5=2,
        buys_h1=3,
        sells_h1=4,
        buys_h24=5,
        sells_h24=6,
        price_change_m5=0.5,
        price_change_h1=-1.5,
        price_change_h6=None,
        price_change_h24=12.0,
        pair_created_at=1_700_000_000.0,
        fdv=1e6,
        market_cap=9e5,
    )


def market_facet(
    ref: TokenRef, at: float, price: float = 1.0, liquidity: float = 10_000.0
) -> Facet[Any]:
    return ok_facet(
        ref, FacetKind.MARKET, market(price, liquidity), fetched_at=at, source="dexscreener"
    )


def price_facet(ref: TokenRef, at: float, price: float) -> Facet[Any]:
    return ok_facet(ref, FacetKind.PRICE, PriceData(price), fetched_at=at, source="jupiter")


def failed_market(ref: TokenRef, at: float) -> Facet[Any]:
    return error_facet(
        ref,
        FacetKind.MARKET,
        fetched_at=at,
        source="dexscreener",
        error_kind="timeout",
        message="no answer",
    )


def score(
    ref: TokenRef,
    at: float,
    value: float | None = 50.0,
    tier: Tier = Tier.WARM,
    decision: Decision = Decision.WATCH,
) -> Score:
    return Score(ref, value, value, value, tier, decision, 0.8, at)
