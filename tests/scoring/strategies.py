"""Hypothesis strategies: random facets for random tokens, including missing ones."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import base58
from hypothesis import strategies as st

from tokenradar.domain import (
    Facet,
    FacetError,
    FacetKind,
    FacetState,
    Holder,
    HolderKind,
    HoldersData,
    Link,
    MarketData,
    MintData,
    PriceData,
    RiskData,
    RiskField,
    RiskItem,
    TokenProgram,
    TokenRef,
)
from tokenradar.scoring.allowlist import MAJORS
from tokenradar.scoring.policy import CHECK_NAMES, ChecksPolicy, ScoringSettings, UnknownPolicy

NOW = 1_750_000_000.0


# finite numbers, as the providers' coerce layer guarantees
def opt(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | s


usd = st.floats(min_value=0.0, max_value=1e10, allow_nan=False) | st.sampled_from([0.0, 10_000.0])
change = st.floats(min_value=-100.0, max_value=5000.0, allow_nan=False) | st.sampled_from(
    [-50.0, -80.0, 0.0, 1000.0, 20.0, -20.0]
)
txns = st.integers(min_value=0, max_value=100_000) | st.sampled_from([0, 10, 20])
share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False) | st.sampled_from([0.2, 0.5])
price = st.floats(min_value=-1.0, max_value=1e6, allow_nan=False) | st.sampled_from(
    [0.0, 1.0, 1.05]
)
authority = st.none() | st.sampled_from(
    ["BCD75RNBHrJJpW4dXVagL5mPjzRLnVZq4YirJdjEYMV7", "11111111111111111111111111111111"]
)

addresses = st.binary(min_size=32, max_size=32).map(lambda b: base58.b58encode(b).decode())
tokens = st.one_of(
    addresses.map(lambda a: TokenRef("solana", a)),
    st.sampled_from(sorted(MAJORS)).map(lambda a: TokenRef("solana", a)),
)

markets = st.builds(
    MarketData,
    symbol=opt(st.just("TKN")),
    name=st.none(),
    pair_count=st.integers(0, 30),
    best_pair_address=st.none(),
    best_dex=st.none(),
    quote_symbol=st.none(),
    price_usd=opt(price),
    price_native=st.none(),
    liquidity_usd=opt(usd),
    best_pair_liquidity_usd=st.none(),
    volume_m5=opt(usd),
    volume_h1=opt(usd),
    volume_h6=opt(usd),
    volume_h24=opt(usd),
    buys_m5=opt(txns),
    sells_m5=opt(txns),
    buys_h1=opt(txns),
    sells_h1=opt(txns),
    buys_h24=opt(txns),
    sells_h24=opt(txns),
    price_change_m5=opt(change),
    price_change_h1=opt(change),
    price_change_h6=opt(change),
    price_change_h24=opt(change),
    pair_created_at=opt(st.floats(min_value=NOW - 1e8, max_value=NOW + 100, allow_nan=False)),
    fdv=st.none(),
    market_cap=st.none(),
    websites=st.lists(st.just("https://x.io"), max_size=2).map(tuple),
    socials=st.lists(st.just(Link("twitter", "https://x.com/t")), max_size=2).map(tuple),
)

extensions = st.lists(
    st.sampled_from(
        [
            "transferFeeConfig",
            "permanentDelegate",
            "transferHook",
            "nonTransferable",
            "metadataPointer",
        ]
    ),
    max_size=3,
    unique=True,
).map(tuple)

mints = st.builds(
    MintData,
    program=st.sampled_from(list(TokenProgram)),
    mint_authority=authority,
    freeze_authority=authority,
    supply=st.integers(0, 2**64),
    decimals=st.integers(0, 9),
    is_initialized=st.booleans(),
    extensions=extensions,
    transfer_fee_bps=opt(st.integers(0, 10_000)),
)

holders = st.builds(
    HoldersData,
    supply=st.integers(1, 2**64),
    decimals=st.integers(0, 9),
    top=st.just((Holder("acc", None, 1, 0.1, HolderKind.WALLET),)),
    top1_share=opt(share),
    top10_share=opt(share),
)

RISK_NAMES = [
    "Mint Authority still enabled",
    "Freeze Authority still enabled",
    "Single holder ownership",
    "Top 10 holders high ownership",
    "High holder concentration",
    "Large Amount of LP Unlocked",
    "Copycat token",
    "Creator history of rugged tokens",
    "Mutable metadata",
]
risk_items = st.builds(
    RiskItem,
    name=st.sampled_from(RISK_NAMES),
    level=st.sampled_from(["danger", "warn", "info"]),
    score=st.integers(0, 50_000),
    description=st.just(""),
    value=st.sampled_from(["", "80.00%", "12.5%", "Yes"]),
)


def _without(data: RiskData, missing: frozenset[RiskField]) -> RiskData:
    """``data`` as a partial report: the parts in ``missing`` carry no value."""
    blank: dict[str, Any] = {"missing": missing}
    if RiskField.RISKS in missing:
        blank["risks"] = ()
    for part in (RiskField.MINT_AUTHORITY, RiskField.FREEZE_AUTHORITY):
        if part in missing:
            blank[part.value] = None
    return replace(data, **blank)


full_risks = st.builds(
    RiskData,
    score=opt(st.integers(0, 100_000)),
    score_normalised=st.none(),
    risks=st.lists(risk_items, max_size=4).map(tuple),
    rugged=opt(st.booleans()),
    mint_authority=authority,
    freeze_authority=authority,
    lp_locked_pct=opt(st.floats(0.0, 100.0, allow_nan=False) | st.just(80.0)),
    total_holders=st.none(),
    total_market_liquidity=st.none(),
    transfer_fee_pct=opt(st.sampled_from([0.0, 0.5, 5.0])),
    token_program=opt(
        st.sampled_from(
            [
                "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
                "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
            ]
        )
    ),
)
#: full reports half of the time, partial ones (any parts missing) otherwise
risks = st.builds(
    _without,
    full_risks,
    st.just(frozenset()) | st.frozensets(st.sampled_from(list(RiskField))),
)
prices = st.builds(PriceData, price_usd=price)

DATA = {
    FacetKind.MARKET: markets,
    FacetKind.MINT: mints,
    FacetKind.HOLDERS: holders,
    FacetKind.RISK: risks,
    FacetKind.PRICE: prices,
}


@st.composite
def facet_maps(draw: st.DrawFn, token: TokenRef) -> dict[FacetKind, Facet[Any]]:
    """Each kind missing, ok, absent or errored; ages from fresh to stale."""
    out: dict[FacetKind, Facet[Any]] = {}
    for kind, data in DATA.items():
        state = draw(st.sampled_from(["missing", "ok", "ok", "absent", "error"]))
        if state == "missing":
            continue
        fetched = NOW - draw(st.floats(0.0, 20_000.0, allow_nan=False))
        if state == "ok":
            out[kind] = Facet(token, kind, FacetState.OK, fetched, "test", data=draw(data))
        elif state == "absent":
            out[kind] = Facet(token, kind, FacetState.ABSENT, fetched, "test")
        else:
            err = FacetError("timeout", "no answer")
            out[kind] = Facet(token, kind, FacetState.ERROR, fetched, "test", error=err)
    return out


@st.composite
def batches(draw: st.DrawFn, max_size: int = 12) -> dict[TokenRef, dict[FacetKind, Facet[Any]]]:
    toks = draw(st.lists(tokens, min_size=0, max_size=max_size, unique=True))
    return {t: draw(facet_maps(t)) for t in toks}


@st.composite
def settings(draw: st.DrawFn) -> ScoringSettings:
    """Random per-check policies with integral weights (so sums are exact in any order)."""
    checks = {
        name: {
            "weight": draw(st.integers(0, 30)),
            "gate": draw(st.booleans()),
            "unknown": draw(st.sampled_from(list(UnknownPolicy))),
        }
        for name in CHECK_NAMES
    }
    # where a collapse caps the decision (watch at the checks' fail thresholds)
    checks["price_extremes"]["avoid_drop_pct"] = draw(st.sampled_from([50.0, 80.0, 150.0]))
    checks["buy_sell_balance"]["avoid_buy_ratio"] = draw(st.sampled_from([0.0, 0.1, 0.2]))
    return ScoringSettings(
        checks=ChecksPolicy.model_validate(checks),
        safety_weight=draw(st.sampled_from([0.0, 0.5, 0.7, 1.0])),
        momentum_weight=draw(st.sampled_from([0.25, 0.3, 1.0])),
        allowlist_exempt=tuple(draw(st.lists(st.sampled_from(CHECK_NAMES), unique=True))),
    )
