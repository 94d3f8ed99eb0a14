"""Facets of a batch of tokens reduced to numpy columns for the vectorised scorer.

One pass over the Python objects per batch; everything after this is array
arithmetic. Conventions: a float column holds NaN where the value is not known
(facet not ok, or field not reported); flags are 0.0 / 1.0 (NaN unknown).
Facets carry finite numbers (the providers' ``coerce`` layer guarantees it), so
NaN is never a real value. String work that cannot be vectorised (allowlist
look-up, dangerous extension and risk names) happens here, once per token.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
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
    RiskField,
    TokenRef,
)
from tokenradar.scoring.allowlist import effective_allowlist
from tokenradar.scoring.checks.authority import LEGACY_PROGRAM_IDS, dangerous_extensions
from tokenradar.scoring.checks.holders import (
    LP_UNLOCKED_RISKS,
    SINGLE_HOLDER_RISKS,
    TOP10_RISKS,
    first_risk,
    judges_holders,
    lp_locked_from_risk,
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


def _table(
    datas: Sequence[Any | None], get: Callable[[Any], tuple[Any, ...]], width: int
) -> Floats:
    """``get(d)`` for every non-None ``d`` as rows of a float table; None becomes NaN.

    ``get`` runs once per token through ``map`` (an ``attrgetter`` runs in C);
    the None -> NaN and float conversion run inside numpy.
    """
    table = np.full((len(datas), width), NAN)
    present = [i for i, d in enumerate(datas) if d is not None]
    if present:
        rows = np.array(list(map(get, [datas[i] for i in present])), dtype=object)
        rows = rows.reshape(len(present), width)
        rows[rows == None] = NAN  # noqa: E711 - elementwise on an object array
        table[present] = rows.astype(np.float64)
    return table


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector while building many small objects.

    Building a batch allocates hundreds of thousands of tuples and lists and no
    reference cycles; with the collector on, allocation counts trigger full
    collections over every live object (~30 % of the time at 100k tokens).
    Reference counting still frees everything; the previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def extract(
    items: Sequence[tuple[TokenRef, FacetMap]], now: float, settings: ScoringSettings
) -> Features:
    with gc_paused():
        return _extract(items, now, settings)


def _extract(
    items: Sequence[tuple[TokenRef, FacetMap]], now: float, settings: ScoringSettings
) -> Features:
    n = len(items)
    feats = Features(n=n, now=now, tokens=[t for t, _ in items])
    maps = [fm for _, fm in items]
    data: dict[FacetKind, list[Any]] = {}
    for kind in KINDS:
        facets = [fm.get(kind) for fm in maps]
        feats.state[kind] = np.array(
            [MISSING if f is None else STATE_CODE[f.state] for f in facets], dtype=np.int8
        ).reshape(n)
        fetched = np.array(
            [NAN if f is None else f.fetched_at for f in facets], dtype=np.float64
        ).reshape(n)
        feats.age[kind] = np.maximum(0.0, now - fetched)  # Facet.age; NaN stays NaN
        data[kind] = [
            f.data if f is not None and f.state is FacetState.OK else None for f in facets
        ]
    allow = effective_allowlist(settings)
    labels = [allow.get(str(t)) for t in feats.tokens]
    feats.text["allowlisted"] = labels
    feats.num["allowlisted"] = np.array([x is not None for x in labels], dtype=np.float64).reshape(
        n
    )
    _market(feats, data[FacetKind.MARKET])
    _mint(feats, data[FacetKind.MINT], settings)
    _holders(feats, data[FacetKind.HOLDERS])
    _risk(feats, data[FacetKind.RISK], settings)
    prices: list[PriceData | None] = data[FacetKind.PRICE]
    feats.num["jup_price"] = _table(prices, lambda p: (p.price_usd,), 1)[:, 0]
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
_market_row = attrgetter(*_MARKET_FIELDS.values())


def _market(feats: Features, markets: list[MarketData | None]) -> None:
    table = _table(markets, _market_row, len(_MARKET_FIELDS))
    for j, col in enumerate(_MARKET_FIELDS):
        feats.num[col] = table[:, j]
    feats.num["links"] = np.array(
        [NAN if m is None else len(m.websites) + len(m.socials) for m in markets],
        dtype=np.float64,
    ).reshape(feats.n)


def _mint(feats: Features, mints: list[MintData | None], settings: ScoringSettings) -> None:
    policy = settings.checks.token_extensions
    bad = [", ".join(dangerous_extensions(m, policy)) if m is not None else None for m in mints]
    table = _table(
        list(zip(mints, bad, strict=True)),
        lambda mb: (
            (mb[0].mint_authority is not None, mb[0].freeze_authority is not None, mb[1] != "")
            if mb[0] is not None
            else (None, None, None)
        ),
        3,
    )
    feats.num["mint_auth"], feats.num["freeze_auth"], feats.num["bad_ext"] = table.T
    feats.text["mint_auth"] = [m.mint_authority if m is not None else None for m in mints]
    feats.text["freeze_auth"] = [m.freeze_authority if m is not None else None for m in mints]
    feats.text["bad_ext"] = bad


def _holders(feats: Features, holders: list[HoldersData | None]) -> None:
    table = _table(holders, lambda h: (h.top1_share, h.top10_share), 2)
    feats.num["top1"], feats.num["top10"] = table.T


@dataclass(frozen=True, slots=True)
class _RiskRow:
    """What scoring reads from one RugCheck report, strings included."""

    numbers: tuple[Any, ...]
    dangers: str
    single: str | None
    top10: str | None
    lp_unlocked: str | None


_RISK_NUMBERS = (
    "r_mint_auth",
    "r_freeze_auth",
    "rugged",
    "lp_locked",
    "fee_pct",
    "legacy",
    "dangers",
    "r_single",
    "r_single_share",
    "r_top10",
    "r_holders_judged",
    "r_lp_unlocked",
    "r_lp_unlocked_locked",
)


def _said(r: RiskData | None, part: RiskField, value: str | None) -> str | None:
    """What the report says of an authority ("revoked" for null); None when it does not."""
    if r is None or not r.reports(part):
        return None
    return value or "revoked"


def _risk_row(r: RiskData, covered: tuple[str, ...]) -> _RiskRow:
    dangers = uncovered_dangers(r, covered)
    single, single_share = _single_holder(r)
    top10 = first_risk(r, TOP10_RISKS)
    lp_unlocked, lp_unlocked_locked = _lp_unlocked(r)
    # a part the report did not carry is NaN (unknown), never "revoked" or "none listed"
    numbers = (
        r.mint_authority is not None if r.reports(RiskField.MINT_AUTHORITY) else None,
        r.freeze_authority is not None if r.reports(RiskField.FREEZE_AUTHORITY) else None,
        r.rugged,
        r.lp_locked_pct,
        r.transfer_fee_pct,
        r.token_program in LEGACY_PROGRAM_IDS,
        len(dangers) if r.reports(RiskField.RISKS) else None,
        single is not None,
        single_share,
        top10 is not None,
        judges_holders(r),
        lp_unlocked is not None,
        lp_unlocked_locked,
    )
    return _RiskRow(numbers, "; ".join(dangers), single, top10, lp_unlocked)


def _risk(feats: Features, risks: list[RiskData | None], settings: ScoringSettings) -> None:
    covered = settings.covered_risks
    rows = [_risk_row(r, covered) if r is not None else None for r in risks]
    table = _table(rows, lambda row: row.numbers, len(_RISK_NUMBERS))
    for j, col in enumerate(_RISK_NUMBERS):
        feats.num[col] = table[:, j]
    text = feats.text
    text["r_mint_auth"] = [r.mint_authority if r is not None else None for r in risks]
    text["r_freeze_auth"] = [r.freeze_authority if r is not None else None for r in risks]
    # what RugCheck says, for the reason when it disagrees with the chain
    text["r_mint_said"] = [
        _said(r, RiskField.MINT_AUTHORITY, r.mint_authority) if r is not None else None
        for r in risks
    ]
    text["r_freeze_said"] = [
        _said(r, RiskField.FREEZE_AUTHORITY, r.freeze_authority) if r is not None else None
        for r in risks
    ]
    text["dangers"] = [row.dangers if row is not None else None for row in rows]
    text["r_single"] = [row.single if row is not None else None for row in rows]
    text["r_top10"] = [row.top10 if row is not None else None for row in rows]
    text["r_lp_unlocked"] = [row.lp_unlocked if row is not None else None for row in rows]


def _single_holder(risk: RiskData) -> tuple[str | None, float | None]:
    for item in risk.risks:
        if item.name in SINGLE_HOLDER_RISKS:
            return item.name, risk_share(item.value)
    return None, None


def _lp_unlocked(risk: RiskData) -> tuple[str | None, float | None]:
    for item in risk.risks:
        if item.name in LP_UNLOCKED_RISKS:
            return item.name, lp_locked_from_risk(item.value)
    return None, None
