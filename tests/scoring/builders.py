"""Hand-made facets for readable unit tests: a healthy token, overridden per test."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tokenradar.domain import (
    Facet,
    FacetError,
    FacetKind,
    FacetState,
    HoldersData,
    Link,
    MarketData,
    MintData,
    PriceData,
    RiskData,
    RiskItem,
    TokenProgram,
    TokenRef,
)

NOW = 1_750_000_000.0
TOKEN = TokenRef("solana", "J3NKxxXZcnNiMjKw9hYb2K4LUxgwB6t1FtPtQVsv3KFr")
USDT = TokenRef("solana", "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB")
AUTHORITY = "BCD75RNBHrJJpW4dXVagL5mPjzRLnVZq4YirJdjEYMV7"

MARKET = MarketData(
    symbol="TKN",
    name="Token",
    pair_count=3,
    best_pair_address=None,
    best_dex="raydium",
    quote_symbol="SOL",
    price_usd=1.0,
    price_native=0.007,
    liquidity_usd=500_000.0,
    best_pair_liquidity_usd=400_000.0,
    volume_m5=5_000.0,
    volume_h1=60_000.0,
    volume_h6=300_000.0,
    volume_h24=1_000_000.0,
    buys_m5=10,
    sells_m5=8,
    buys_h1=120,
    sells_h1=100,
    buys_h24=2_000,
    sells_h24=1_800,
    price_change_m5=0.5,
    price_change_h1=2.0,
    price_change_h6=4.0,
    price_change_h24=8.0,
    pair_created_at=NOW - 30 * 86_400,
    fdv=None,
    market_cap=None,
    websites=("https://token.example",),
    socials=(Link("twitter", "https://x.com/token"),),
)
MINT = MintData(
    program=TokenProgram.SPL_TOKEN,
    mint_authority=None,
    freeze_authority=None,
    supply=10**15,
    decimals=6,
    is_initialized=True,
)
HOLDERS = HoldersData(supply=10**15, decimals=6, top=(), top1_share=0.05, top10_share=0.25)
RISK = RiskData(
    score=1,
    score_normalised=1.0,
    risks=(),
    rugged=False,
    mint_authority=None,
    freeze_authority=None,
    lp_locked_pct=99.0,
    total_holders=20_000,
    total_market_liquidity=500_000.0,
    transfer_fee_pct=0.0,
    token_program="TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
)
PRICE = PriceData(price_usd=1.01)

HEALTHY: dict[FacetKind, Any] = {
    FacetKind.MARKET: MARKET,
    FacetKind.MINT: MINT,
    FacetKind.HOLDERS: HOLDERS,
    FacetKind.RISK: RISK,
    FacetKind.PRICE: PRICE,
}


def ok(kind: FacetKind, data: Any, token: TokenRef = TOKEN, age: float = 10.0) -> Facet[Any]:
    return Facet(token, kind, FacetState.OK, NOW - age, "test", data=data)


def errored(kind: FacetKind, token: TokenRef = TOKEN, age: float = 10.0) -> Facet[Any]:
    err = FacetError("timeout", "no answer within 10 s")
    return Facet(token, kind, FacetState.ERROR, NOW - age, "test", error=err)


def absent(kind: FacetKind, token: TokenRef = TOKEN, age: float = 10.0) -> Facet[Any]:
    return Facet(token, kind, FacetState.ABSENT, NOW - age, "test")


def facets(token: TokenRef = TOKEN, **changes: Any) -> dict[FacetKind, Facet[Any]]:
    """The healthy token's facets; ``market={...}`` overrides fields, ``market=None``
    drops the facet, ``market=<Facet>`` replaces it."""
    out: dict[FacetKind, Facet[Any]] = {}
    for kind, data in HEALTHY.items():
        change = changes.pop(kind.value, {})
        if change is None:
            continue
        if isinstance(change, Facet):
            out[kind] = change
            continue
        out[kind] = ok(kind, replace(data, **change), token)
    assert not changes, f"unknown facet kinds {sorted(changes)}"
    return out


def risk_item(name: str, level: str = "danger", value: str = "") -> RiskItem:
    return RiskItem(name=name, level=level, score=1000, description="", value=value)
