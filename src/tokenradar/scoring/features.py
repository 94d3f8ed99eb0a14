"""Facets of a batch of tokens reduced to numpy columns for the vectorised scorer.

One pass over the Python objects per batch; everything after this is array
arithmetic. Conventions: a float column holds NaN where the value is not known
(facet not ok, or field not reported); flags are 0.0 / 1.0 (NaN unknown).
Facets carry finite numbers (the providers' ``coerce`` layer guarantees it), so
NaN is never a real value. String work that cannot be vectorised (allowlist
look-up, dangerous extension and risk names) happens here, once per token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tokenradar.domain import (
    Facet,
    FacetKind,
    FacetState,
    HoldersData,
    MarketData,
    MintData,
    PriceData,
    RiskData,
    TokenRef,
)
from tokenradar.scoring.checks.authority import LEGACY_PROGRAM_IDS, dangerous_extensions
from tokenradar.scoring.checks.holders import (
    SINGLE_HOLDER_RISKS,
    TOP10_RISKS,
    first_risk,
    risk_share,
)
from tokenradar.scoring.checks.rugcheck import uncovered_dangers
from tokenradar.scoring.policy import ScoringSettings

Floats = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int8]
FacetMap = Mapping[FacetKind, Facet[Any]]

#: facet kinds in source-code order (``source`` arrays hold an index into this)
KINDS: tuple[FacetKind, ...] = tuple(FacetKind)
KIND_CODE = {kind: i for i, kind in enumerate(KINDS)}

# facet state codes
MISSING, OK, ABSENT, ERROR = 0, 1, 2, 3
STATE_CODE = {FacetState.OK: OK, FacetState.ABSENT: ABSENT, FacetState.ERROR: ERROR}

NAN = float("nan")


def _f(x: float | int | None) -> float:
    return NAN if x is None else float(x)


def _flag(x: bool | None) -> float:
    return NAN if x is None else (1.0 if x else 0.0)


@dataclass(slots=True)
class Features:
    n: int
    now: float
    tokens: list[TokenRef]
    state: dict[FacetKind, Codes] = field(default_factory=dict)
    age: dict[FacetKind, Floats] = field(default_factory=dict)
    num: dict[str, Floats] = field(default_factory=dict)
    text: dict[str, list[str | None]] = field(default_factory=dict)

    def ok(self, kind: FacetKind) -> npt.NDArray[np.bool_]:
        ok: npt.NDArray[np.bool_] = self.state[kind] == OK
        return ok


def _column(datas: Sequence[object | None], get: Callable[[Any], float], n: int) -> Floats:
    return np.fromiter((NAN if d is None else get(d) for d in datas), dtype=np.float64, count=n)


def extract(
    items: Sequence[tuple[TokenRef, FacetMap]], now: float, settings: ScoringSettings
) -> Features:
    n = len(items)
    feats = Features(n=n, now=now, tokens=[t for t, _ in items])
    data: dict[FacetKind, list[Any]] = {}
    for kind in KINDS:
        facets = [fm.get(kind) for _, fm in items]
        feats.state[kind] = np.fromiter(
            (MISSING if f is None else STATE_CODE[f.state] for f in facets), np.int8, n
        )
        feats.age[kind] = np.fromiter(
            (NAN if f is None else f.age(now) for f in facets), np.float64, n
        )
        data[kind] = [
            f.data if f is not None and f.state is FacetState.OK else None for f in facets
        ]
    allow = settings.effective_allowlist()
    labels = [allow.get(str(t)) for t in feats.tokens]
    feats.text["allowlisted"] = labels
    feats.num["allowlisted"] = np.fromiter((x is not None for x in labels), np.float64, n)
    _market(feats, data[FacetKind.MARKET])
    _mint(feats, data[FacetKind.MINT], settings)
    _holders(feats, data[FacetKind.HOLDERS])
    _risk(feats, data[FacetKind.RISK], settings)
    prices: list[PriceData | None] = data[FacetKind.PRICE]
    feats.num["jup_price"] = _column(prices, lambda p: p.price_usd, n)
    return feats


_MARKET_FIELDS = {
    "liq": "liquidity_usd",
    "vol_h1": "volume_h1",
    "vol_h24": "volume_h24",
    "buys_h1": "buys_h1",
    "sells_h1": "sells_h1",
    "buys_h24": "buys_h24",
    "sells_h24": "sells_h24",
    "pc_m5": "price_change_m5",
    "pc_h1": "price_change_h1",
    "pc_h6": "price_change_h6",
    "pc_h24": "price_change_h24",
    "created": "pair_created_at",
    "dex_price": "price_usd",
}


def _market(feats: Features, markets: list[MarketData | None]) -> None:
    n = feats.n
    for col, attr in _MARKET_FIELDS.items():
        feats.num[col] = np.fromiter(
            (NAN if m is None else _f(getattr(m, attr)) for m in markets), np.float64, n
        )
    feats.num["links"] = _column(markets, lambda m: float(len(m.websites) + len(m.socials)), n)


def _mint(feats: Features, mints: list[MintData | None], settings: ScoringSettings) -> None:
    n = feats.n
    policy = settings.checks.token_extensions
    feats.num["mint_auth"] = _column(mints, lambda m: _flag(m.mint_authority is not None), n)
    feats.num["freeze_auth"] = _column(mints, lambda m: _flag(m.freeze_authority is not None), n)
    feats.text["mint_auth"] = [m.mint_authority if m is not None else None for m in mints]
    feats.text["freeze_auth"] = [m.freeze_authority if m is not None else None for m in mints]
    bad = [", ".join(dangerous_extensions(m, policy)) if m is not None else None for m in mints]
    feats.text["bad_ext"] = bad
    feats.num["bad_ext"] = np.fromiter(
        (NAN if b is None else float(b != "") for b in bad), np.float64, n
    )


def _holders(feats: Features, holders: list[HoldersData | None]) -> None:
    n = feats.n
    feats.num["top1"] = _column(holders, lambda h: _f(h.top1_share), n)
    feats.num["top10"] = _column(holders, lambda h: _f(h.top10_share), n)


def _risk(feats: Features, risks: list[RiskData | None], settings: ScoringSettings) -> None:
    n = feats.n
    num, text = feats.num, feats.text
    num["r_mint_auth"] = _column(risks, lambda r: _flag(r.mint_authority is not None), n)
    num["r_freeze_auth"] = _column(risks, lambda r: _flag(r.freeze_authority is not None), n)
    text["r_mint_auth"] = [r.mint_authority if r is not None else None for r in risks]
    text["r_freeze_auth"] = [r.freeze_authority if r is not None else None for r in risks]
    # what RugCheck says, for the reason when it disagrees with the chain
    text["r_mint_said"] = [(r.mint_authority or "revoked") if r is not None else "" for r in risks]
    text["r_freeze_said"] = [
        (r.freeze_authority or "revoked") if r is not None else "" for r in risks
    ]
    num["rugged"] = _column(risks, lambda r: _flag(r.rugged), n)
    num["lp_locked"] = _column(risks, lambda r: _f(r.lp_locked_pct), n)
    num["fee_pct"] = _column(risks, lambda r: _f(r.transfer_fee_pct), n)
    num["legacy"] = _column(risks, lambda r: _flag(r.token_program in LEGACY_PROGRAM_IDS), n)
    dangers = [
        uncovered_dangers(r, settings.covered_risks) if r is not None else None for r in risks
    ]
    num["dangers"] = np.fromiter(
        (NAN if d is None else float(len(d)) for d in dangers), np.float64, n
    )
    text["dangers"] = ["; ".join(d) if d is not None else None for d in dangers]
    singles = [_single_holder(r) if r is not None else None for r in risks]
    num["r_single"] = np.fromiter(
        (NAN if s is None else float(s[0] is not None) for s in singles), np.float64, n
    )
    num["r_single_share"] = np.fromiter(
        (NAN if s is None or s[1] is None else s[1] for s in singles), np.float64, n
    )
    text["r_single"] = [s[0] if s is not None else None for s in singles]
    top10 = [first_risk(r, TOP10_RISKS) if r is not None else None for r in risks]
    num["r_top10"] = np.fromiter(
        (NAN if r is None else float(t is not None) for r, t in zip(risks, top10, strict=True)),
        np.float64,
        n,
    )
    text["r_top10"] = top10


def _single_holder(risk: RiskData) -> tuple[str | None, float | None]:
    for item in risk.risks:
        if item.name in SINGLE_HOLDER_RISKS:
            return item.name, risk_share(item.value)
    return None, None
