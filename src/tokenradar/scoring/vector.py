"""The checks catalogue as array operations over a batch of tokens.

Each function mirrors the check of the same name in
:mod:`tokenradar.scoring.checks` rule for rule; the rules of a check are tried
in order and the first that matches a token decides it (:class:`_Rules`), just
as the reference returns at its first matching ``if``. A test drives both with
random facets and requires equal results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from tokenradar.domain import FacetKind
from tokenradar.scoring.checks import Note
from tokenradar.scoring.features import (
    ABSENT,
    ERROR,
    KIND_CODE,
    MISSING,
    OK,
    Codes,
    Features,
    Floats,
)
from tokenradar.scoring.policy import ScoringSettings

Mask = npt.NDArray[np.bool_]
UNKNOWN, PASS, FAIL = 0, 1, 2
#: a text column, or one string for every token
TextCol = list[str | None] | str

MINT, HOLDERS, RISK, MARKET, PRICE = (
    FacetKind.MINT,
    FacetKind.HOLDERS,
    FacetKind.RISK,
    FacetKind.MARKET,
    FacetKind.PRICE,
)
_STATE_NOTE = {OK: Note.FIELD_MISSING, ABSENT: Note.FACET_ABSENT, ERROR: Note.FACET_ERROR}


@dataclass(slots=True)
class CheckArrays:
    """One check's outcome for every token of a batch."""

    state: Codes  # UNKNOWN / PASS / FAIL
    value: Floats  # numeric value, NaN = None
    source: Codes  # index into features.KINDS, -1 = none
    note: Codes  # a Note
    #: text values: ``text_pick[i]`` indexes ``text_cols`` (-1: take ``value``)
    text_pick: Codes
    #: reason details: ``detail_pick[i]`` indexes ``detail_cols`` (-1: none)
    detail_pick: Codes
    text_cols: list[TextCol] = field(default_factory=list)
    detail_cols: list[TextCol] = field(default_factory=list)


class _Rules:
    """First-match rules: each ``when`` decides the tokens no earlier rule decided."""

    def __init__(self, f: Features) -> None:
        n = f.n
        self.f = f
        self.done = np.zeros(n, dtype=np.bool_)
        self.out = CheckArrays(
            state=np.zeros(n, dtype=np.int8),
            value=np.full(n, np.nan),
            source=np.full(n, -1, dtype=np.int8),
            note=np.zeros(n, dtype=np.int8),
            text_pick=np.full(n, -1, dtype=np.int8),
            detail_pick=np.full(n, -1, dtype=np.int8),
        )

    def when(
        self,
        mask: Mask,
        state: int | npt.NDArray[np.int8],
        source: FacetKind,
        *,
        value: float | Floats = np.nan,
        note: int | Codes = Note.NONE,
        text: TextCol | None = None,
        detail: TextCol | None = None,
    ) -> None:
        take = mask & ~self.done
        out = self.out
        out.state[take] = state[take] if isinstance(state, np.ndarray) else state
        out.value[take] = value[take] if isinstance(value, np.ndarray) else value
        out.source[take] = KIND_CODE[source]
        out.note[take] = note[take] if isinstance(note, np.ndarray) else note
        if text is not None:
            out.text_pick[take] = len(out.text_cols)
            out.text_cols.append(text)
        if detail is not None:
            out.detail_pick[take] = len(out.detail_cols)
            out.detail_cols.append(detail)
        self.done |= take

    def verdict(
        self, mask: Mask, ok: Mask, source: FacetKind, value: float | Floats = np.nan, **kw: object
    ) -> None:
        """PASS where ``ok``, FAIL elsewhere, for the tokens in ``mask``."""
        state = np.where(ok, PASS, FAIL).astype(np.int8)
        self.when(mask, state, source, value=value, **kw)  # type: ignore[arg-type]

    def missing_field(self, mask: Mask, source: FacetKind) -> None:
        self.when(mask, UNKNOWN, source, note=Note.FIELD_MISSING)

    def unknown(self, *kinds: FacetKind) -> CheckArrays:
        """Everything still undecided: unknown, naming the first facet we have."""
        for kind in kinds:
            _unknown_of(self, self.f.state[kind] != MISSING, kind)
        self.when(np.ones(self.f.n, dtype=np.bool_), UNKNOWN, kinds[0], note=Note.FACET_MISSING)
        return self.out


def allowlist_override(arr: CheckArrays, f: Features, source: FacetKind) -> None:
    """Allowlisted tokens pass this (exempt) check by design, as the reference does."""
    allowed = f.num["allowlisted"] == 1.0
    arr.state[allowed] = PASS
    arr.value[allowed] = np.nan
    arr.source[allowed] = KIND_CODE[source]
    arr.note[allowed] = Note.ALLOWLISTED
    arr.text_pick[allowed] = -1
    arr.detail_pick[allowed] = len(arr.detail_cols)
    arr.detail_cols.append(f.text["allowlisted"])


def _known(x: Floats) -> Mask:
    return ~np.isnan(x)


# --- authority and program ----------------------------------------------------


def _authority(f: Features, chain: str, said: str) -> CheckArrays:
    r = _Rules(f)
    has, r_has = f.num[chain], f.num[f"r_{chain}"]
    said_by_risk = f.ok(RISK) & _known(r_has)  # NaN: the report did not carry it
    note = np.where(
        said_by_risk, np.where(has == r_has, Note.SOURCES_AGREE, Note.SOURCES_DISAGREE), Note.NONE
    ).astype(np.int8)
    r.verdict(f.ok(MINT), has == 0.0, MINT, note=note, text=f.text[chain], detail=f.text[said])
    r.verdict(said_by_risk, r_has == 0.0, RISK, note=Note.RISK_FALLBACK, text=f.text[f"r_{chain}"])
    return r.unknown(MINT, RISK)


def mint_authority(f: Features, s: ScoringSettings) -> CheckArrays:
    return _authority(f, "mint_auth", "r_mint_said")


def freeze_authority(f: Features, s: ScoringSettings) -> CheckArrays:
    return _authority(f, "freeze_auth", "r_freeze_said")


def token_extensions(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.token_extensions
    r = _Rules(f)
    r.verdict(f.ok(MINT), f.num["bad_ext"] == 0.0, MINT, text=f.text["bad_ext"])
    risk_ok = f.ok(RISK)
    fee = f.num["fee_pct"]
    with np.errstate(invalid="ignore"):
        fee_bad = _known(fee) & (fee * 100.0 > p.max_transfer_fee_bps)
    r.when(risk_ok & fee_bad, FAIL, RISK, note=Note.RISK_FALLBACK, text="transferFee")
    r.when(risk_ok & (f.num["legacy"] == 1.0), PASS, RISK, note=Note.RISK_FALLBACK, text="")
    return r.unknown(MINT, RISK)


# --- holders and LP -------------------------------------------------------------


def top1_holder(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.top1_holder
    r = _Rules(f)
    top1 = f.num["top1"]
    r.verdict(f.ok(HOLDERS) & _known(top1), top1 <= p.max_share, HOLDERS, value=top1)
    risk_ok = f.ok(RISK)
    r.when(
        risk_ok & (f.num["r_single"] == 1.0),
        FAIL,
        RISK,
        value=f.num["r_single_share"],
        note=Note.RISK_FALLBACK,
        detail=f.text["r_single"],
    )
    r.when(risk_ok & (f.num["r_holders_judged"] == 1.0), PASS, RISK, note=Note.RISK_FALLBACK)
    r.missing_field(f.ok(HOLDERS), HOLDERS)
    return r.unknown(HOLDERS, RISK)


def top10_holders(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.top10_holders
    r = _Rules(f)
    top10 = f.num["top10"]
    r.verdict(f.ok(HOLDERS) & _known(top10), top10 <= p.max_share, HOLDERS, value=top10)
    risk_ok = f.ok(RISK)
    listed = risk_ok & (f.num["r_top10"] == 1.0)
    r.when(listed, FAIL, RISK, note=Note.RISK_FALLBACK, detail=f.text["r_top10"])
    r.when(risk_ok & (f.num["r_holders_judged"] == 1.0), PASS, RISK, note=Note.RISK_FALLBACK)
    r.missing_field(f.ok(HOLDERS), HOLDERS)
    return r.unknown(HOLDERS, RISK)


def lp_locked(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.lp_locked
    r = _Rules(f)
    lp = f.num["lp_locked"]
    risk_ok = f.ok(RISK)
    r.verdict(risk_ok & _known(lp), lp >= p.min_pct, RISK, value=lp)
    r.when(
        risk_ok & (f.num["r_lp_unlocked"] == 1.0),
        FAIL,
        RISK,
        value=f.num["r_lp_unlocked_locked"],
        note=Note.RISK_FALLBACK,
        detail=f.text["r_lp_unlocked"],
    )
    return r.unknown(RISK)


# --- RugCheck -------------------------------------------------------------------


def rugcheck_dangers(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.rugcheck_dangers
    r = _Rules(f)
    n = f.num["dangers"]  # NaN when the report carried no risks list
    r.verdict(f.ok(RISK) & _known(n), n <= p.max_dangers, RISK, value=n, detail=f.text["dangers"])
    return r.unknown(RISK)


def rugcheck_rugged(f: Features, s: ScoringSettings) -> CheckArrays:
    r = _Rules(f)
    rugged = f.num["rugged"]
    r.verdict(f.ok(RISK) & _known(rugged), rugged == 0.0, RISK, value=rugged)
    return r.unknown(RISK)


# --- market -----------------------------------------------------------------------


def liquidity_floor(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.liquidity_floor
    r = _Rules(f)
    liq = f.num["liq"]
    r.verdict(f.ok(MARKET) & _known(liq), liq >= p.min_usd, MARKET, value=liq)
    return r.unknown(MARKET)


def liquidity_pulled(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.liquidity_pulled
    r = _Rules(f)
    liq = f.num["liq"]
    low, _ = _change_range(f)
    pulled = (liq < p.below_usd) & (low <= -p.crash_pct)  # NaN (no change known): False
    r.verdict(f.ok(MARKET) & _known(liq), ~pulled, MARKET, value=liq)
    return r.unknown(MARKET)


def _change_range(f: Features) -> tuple[Floats, Floats]:
    """Lowest and highest of the m5/h1/h6/h24 changes; NaN when none is known."""
    cols = [f.num[c] for c in ("pc_m5", "pc_h1", "pc_h6", "pc_h24")]
    low, high = cols[0], cols[0]
    for c in cols[1:]:
        low, high = np.fmin(low, c), np.fmax(high, c)
    return low, high


def wash_trading(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.wash_trading
    r = _Rules(f)
    liq, vol = f.num["liq"], f.num["vol_h24"]
    both = f.ok(MARKET) & _known(liq) & _known(vol)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = vol / liq
    r.verdict(both & (liq > 0), ratio <= p.max_volume_to_liquidity, MARKET, value=ratio)
    r.when(both, UNKNOWN, MARKET, note=Note.NO_LIQUIDITY)
    return r.unknown(MARKET)


def _pair_age(f: Features) -> Floats:
    return np.maximum(0.0, f.now - f.num["created"])


def pair_age(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.pair_age
    r = _Rules(f)
    age = _pair_age(f)
    r.verdict(f.ok(MARKET) & _known(age), age >= p.min_age_s, MARKET, value=age)
    return r.unknown(MARKET)


def price_extremes(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.price_extremes
    r = _Rules(f)
    low, high = _change_range(f)
    any_change = f.ok(MARKET) & _known(low)
    r.when(any_change & (low <= -p.max_drop_pct), FAIL, MARKET, value=low)
    r.when(any_change & (high >= p.max_rise_pct), FAIL, MARKET, value=high)
    r.when(any_change, PASS, MARKET, value=np.where(np.abs(high) > np.abs(low), high, low))
    return r.unknown(MARKET)


def socials(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.socials
    r = _Rules(f)
    links = f.num["links"]
    r.verdict(f.ok(MARKET), links >= p.min_links, MARKET, value=links)
    return r.unknown(MARKET)


def price_agreement(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.price_agreement
    r = _Rules(f)
    dev, comparable = _price_deviation(f)
    r.verdict(comparable, dev <= p.max_deviation, PRICE, value=dev)
    price_ok, market_ok = f.ok(PRICE), f.ok(MARKET)
    _unknown_of(r, ~price_ok, PRICE)
    _unknown_of(r, ~market_ok, MARKET)
    r.missing_field(~(f.num["dex_price"] > 0), MARKET)
    r.missing_field(np.ones(f.n, dtype=np.bool_), PRICE)
    return r.out


def _price_deviation(f: Features) -> tuple[Floats, Mask]:
    dex, jup = f.num["dex_price"], f.num["jup_price"]
    comparable = f.ok(PRICE) & f.ok(MARKET) & (dex > 0) & (jup > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dev = np.abs(dex - jup) / np.maximum(dex, jup)
    return dev, comparable


def _unknown_of(r: _Rules, mask: Mask, kind: FacetKind) -> None:
    """``ctx.unknown(kind)`` for the tokens in ``mask``."""
    st = r.f.state[kind]
    note = np.full(r.f.n, Note.FACET_MISSING, dtype=np.int8)
    for code, n in _STATE_NOTE.items():
        note[st == code] = n
    r.when(mask, UNKNOWN, kind, note=note)


def _trades(f: Features) -> tuple[Floats, Floats, Floats, Floats]:
    b1, s1, b24, s24 = (f.num[c] for c in ("buys_h1", "sells_h1", "buys_h24", "sells_h24"))
    return b1, b1 + s1, b24, b24 + s24


def buy_sell_balance(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.buy_sell_balance
    r = _Rules(f)
    b1, t1, b24, t24 = _trades(f)
    m_ok = f.ok(MARKET)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for buys, total, note in ((b1, t1, Note.NONE), (b24, t24, Note.H24_FALLBACK)):
            ratio = buys / total
            ok = (ratio >= p.min_buy_ratio) & (ratio <= p.max_buy_ratio)
            r.verdict(m_ok & (total >= p.min_txns), ok, MARKET, value=ratio, note=note)
    r.when(m_ok & (_known(t1) | _known(t24)), UNKNOWN, MARKET, note=Note.FEW_TRADES)
    return r.unknown(MARKET)


# --- momentum -----------------------------------------------------------------------


def trading_activity(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.trading_activity
    r = _Rules(f)
    vol = f.num["vol_h24"]
    r.verdict(f.ok(MARKET) & _known(vol), vol >= p.min_volume_h24_usd, MARKET, value=vol)
    return r.unknown(MARKET)


def buy_pressure(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.buy_pressure
    r = _Rules(f)
    b1, t1, b24, t24 = _trades(f)
    m_ok = f.ok(MARKET)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for buys, total, note in ((b1, t1, Note.NONE), (b24, t24, Note.H24_FALLBACK)):
            ratio = buys / total
            r.verdict(m_ok & (total > 0), ratio >= p.min_buy_ratio, MARKET, value=ratio, note=note)
    r.when(m_ok & (_known(t1) | _known(t24)), FAIL, MARKET, value=0.0, note=Note.NO_TRADES)
    return r.unknown(MARKET)


def price_trend(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.price_trend
    r = _Rules(f)
    m_ok = f.ok(MARKET)
    for col in ("pc_h24", "pc_h6", "pc_h1"):
        change = f.num[col]
        r.verdict(m_ok & _known(change), change >= p.min_change_pct, MARKET, value=change)
    return r.unknown(MARKET)


def volume_trend(f: Features, s: ScoringSettings) -> CheckArrays:
    p = s.checks.volume_trend
    r = _Rules(f)
    v1, v24 = f.num["vol_h1"], f.num["vol_h24"]
    both = f.ok(MARKET) & _known(v1) & _known(v24)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = v1 * 24.0 / v24
    r.verdict(both & (v24 > 0), ratio >= p.min_ratio, MARKET, value=ratio)
    r.when(both, FAIL, MARKET, value=0.0, note=Note.NO_TRADES)
    return r.unknown(MARKET)


VectorCheck = Callable[[Features, ScoringSettings], CheckArrays]

#: the vectorised catalogue, by check name
VECTOR_CHECKS: dict[str, VectorCheck] = {
    "mint_authority": mint_authority,
    "freeze_authority": freeze_authority,
    "token_extensions": token_extensions,
    "top1_holder": top1_holder,
    "top10_holders": top10_holders,
    "lp_locked": lp_locked,
    "rugcheck_dangers": rugcheck_dangers,
    "rugcheck_rugged": rugcheck_rugged,
    "liquidity_floor": liquidity_floor,
    "liquidity_pulled": liquidity_pulled,
    "wash_trading": wash_trading,
    "pair_age": pair_age,
    "price_extremes": price_extremes,
    "socials": socials,
    "price_agreement": price_agreement,
    "buy_sell_balance": buy_sell_balance,
    "trading_activity": trading_activity,
    "buy_pressure": buy_pressure,
    "price_trend": price_trend,
    "volume_trend": volume_trend,
}
