"""The ``[scoring]`` settings: per-check policy, thresholds and decision rules.

Every check has its own section ``[scoring.checks.<name>]`` with the keys all
checks share (``weight``, ``gate``, ``unknown``) plus its own thresholds, so a
typo in a check name or a threshold key is rejected at load with the key named
(``extra="forbid"``), and a partial section keeps that check's own defaults.

``unknown`` says what a check without data counts as:

- ``"neutral"`` (fail-open, the default): it earns nothing and costs nothing;
  it is left out of the sub-score's denominator and lowers ``confidence``.
- ``"fail"`` (fail-closed): it costs its weight like a failed check and, if the
  check is a gate, trips the gate. Its state stays ``unknown``: an upstream
  error is never reported as a verdict about the token.

These are only the models; what computes with them (the checks, the scorer,
:func:`tokenradar.scoring.allowlist.effective_allowlist`) is in
:mod:`tokenradar.scoring`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from tokenradar.domain import TokenRef
from tokenradar.errors import InvalidAddress
from tokenradar.settings.values import Flag, Section


class UnknownPolicy(StrEnum):
    NEUTRAL = "neutral"  # fail-open: no data earns nothing and costs nothing
    FAIL = "fail"  # fail-closed: no data counts as a failed check (and trips a gate)


class CheckPolicy(Section):
    """Keys every check takes. Subclasses set per-check defaults and thresholds."""

    weight: float = Field(default=10.0, ge=0.0, le=1000.0)
    #: a failed gate forces ``decision = avoid`` and caps the score
    gate: Flag = False
    unknown: UnknownPolicy = UnknownPolicy.NEUTRAL


# --- authority and program checks (chain mint facet, RugCheck as fallback) ---


class MintAuthorityPolicy(CheckPolicy):
    weight: float = Field(default=20.0, ge=0.0, le=1000.0)
    gate: Flag = True


class FreezeAuthorityPolicy(CheckPolicy):
    weight: float = Field(default=15.0, ge=0.0, le=1000.0)
    gate: Flag = True


class TokenExtensionsPolicy(CheckPolicy):
    weight: float = Field(default=15.0, ge=0.0, le=1000.0)
    gate: Flag = True
    #: token-2022 extensions that let the issuer take, block or tax transfers
    dangerous: tuple[str, ...] = ("permanentDelegate", "transferHook", "nonTransferable")
    #: a transfer fee above this many basis points fails (0: any fee fails)
    max_transfer_fee_bps: float = Field(default=0.0, ge=0.0, le=10_000.0)


# --- holder and liquidity-lock checks ---------------------------------------


class Top1HolderPolicy(CheckPolicy):
    #: largest wallet's share of supply (pool vaults and programs excluded), 0..1
    max_share: float = Field(default=0.20, gt=0.0, le=1.0)


class Top10HoldersPolicy(CheckPolicy):
    weight: float = Field(default=15.0, ge=0.0, le=1000.0)
    #: ten largest wallets' share of supply (pool vaults and programs excluded), 0..1
    max_share: float = Field(default=0.50, gt=0.0, le=1.0)


class LpLockedPolicy(CheckPolicy):
    #: unlocked LP is how a pool is pulled: the strongest soft rug signal
    weight: float = Field(default=15.0, ge=0.0, le=1000.0)
    #: LP of the main market locked or burned, percent 0..100
    min_pct: float = Field(default=80.0, ge=0.0, le=100.0)


# --- RugCheck verdicts ------------------------------------------------------


class RugcheckDangersPolicy(CheckPolicy):
    """RugCheck's "danger" level is its own do-not-trade verdict (creator history
    of rugs, copycat, ...): a gate."""

    weight: float = Field(default=15.0, ge=0.0, le=1000.0)
    gate: Flag = True
    #: more danger-level risks than this fails (risks other checks already judge excluded)
    max_dangers: int = Field(default=0, ge=0)


class RugcheckRuggedPolicy(CheckPolicy):
    weight: float = Field(default=20.0, ge=0.0, le=1000.0)
    gate: Flag = True


# --- market checks (DexScreener) --------------------------------------------


class LiquidityFloorPolicy(CheckPolicy):
    """Thin liquidity: hard to enter or leave. Not a gate: a dead token is
    ``cold``, not a scam (``liquidity_pulled`` is the gate for a pool emptied)."""

    weight: float = Field(default=15.0, ge=0.0, le=1000.0)
    min_usd: float = Field(default=10_000.0, ge=0.0)


class LiquidityPulledPolicy(CheckPolicy):
    """A pool emptied in a crash: "no liquidity remains" (RugCheck's own
    definition of rugged) read from DexScreener's side, a second, independent
    source for an executed rug. Thin liquidity without a crash is a dead
    token (``liquidity_floor``, tier ``cold``), not a pull."""

    gate: Flag = True
    #: pooled liquidity below this (USD) ...
    below_usd: float = Field(default=1_000.0, ge=0.0)
    #: ... together with a fall of at least this percent in any window (m5/h1/h6/h24)
    crash_pct: float = Field(default=50.0, gt=0.0, le=100.0)


class WashTradingPolicy(CheckPolicy):
    #: 24 h volume above this multiple of pooled liquidity looks like wash trading
    max_volume_to_liquidity: float = Field(default=30.0, gt=0.0)


class PairAgePolicy(CheckPolicy):
    """Most rugs happen in a pool's first day."""

    #: the oldest pair must be at least this old (seconds)
    min_age_s: float = Field(default=86_400.0, ge=0.0)


class PriceExtremesPolicy(CheckPolicy):
    """A crash fails the check and is a collapse in progress: whatever the other
    checks say, the token is at most ``watch`` (see :mod:`tokenradar.scoring.collapse`)."""

    #: any of the m5/h1/h6/h24 changes at or below -max_drop_pct fails (a crash):
    #: never a ``buy_candidate``
    max_drop_pct: float = Field(default=50.0, gt=0.0, le=100.0)
    #: ... and a fall at or below -avoid_drop_pct is ``avoid`` (above 100: never)
    avoid_drop_pct: float = Field(default=80.0, gt=0.0)
    #: any change at or above max_rise_pct fails too (a pump)
    max_rise_pct: float = Field(default=1000.0, gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> PriceExtremesPolicy:
        if self.avoid_drop_pct < self.max_drop_pct:
            raise ValueError(
                f"avoid_drop_pct ({self.avoid_drop_pct}) must be at least "
                f"max_drop_pct ({self.max_drop_pct})"
            )
        return self


class SocialsPolicy(CheckPolicy):
    weight: float = Field(default=5.0, ge=0.0, le=1000.0)
    #: websites + social links required
    min_links: int = Field(default=1, ge=1)


class PriceAgreementPolicy(CheckPolicy):
    weight: float = Field(default=5.0, ge=0.0, le=1000.0)
    #: |dex - jupiter| / max(dex, jupiter) above this fails, 0..1
    max_deviation: float = Field(default=0.05, gt=0.0, le=1.0)


class BuySellBalancePolicy(CheckPolicy):
    """A sell-off fails the check and is a collapse in progress: whatever the other
    checks say, the token is at most ``watch`` (see :mod:`tokenradar.scoring.collapse`)."""

    #: buys / (buys + sells) below this is a sell-off: never a ``buy_candidate`` ...
    min_buy_ratio: float = Field(default=0.2, ge=0.0, le=1.0)
    #: ... and below this, ``avoid`` (0: never)
    avoid_buy_ratio: float = Field(default=0.1, ge=0.0, le=1.0)
    #: above this nobody can sell (honeypot pattern)
    max_buy_ratio: float = Field(default=0.9, ge=0.0, le=1.0)
    #: fewer trades than this in h1 falls back to h24; fewer in h24 too is unknown
    min_txns: int = Field(default=20, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> BuySellBalancePolicy:
        if self.min_buy_ratio >= self.max_buy_ratio:
            raise ValueError(
                f"min_buy_ratio ({self.min_buy_ratio}) must be below "
                f"max_buy_ratio ({self.max_buy_ratio})"
            )
        if self.avoid_buy_ratio > self.min_buy_ratio:
            raise ValueError(
                f"avoid_buy_ratio ({self.avoid_buy_ratio}) must not be above "
                f"min_buy_ratio ({self.min_buy_ratio})"
            )
        return self


# --- momentum checks --------------------------------------------------------


class TradingActivityPolicy(CheckPolicy):
    min_volume_h24_usd: float = Field(default=10_000.0, ge=0.0)


class BuyPressurePolicy(CheckPolicy):
    weight: float = Field(default=5.0, ge=0.0, le=1000.0)
    min_buy_ratio: float = Field(default=0.5, ge=0.0, le=1.0)


class PriceTrendPolicy(CheckPolicy):
    weight: float = Field(default=5.0, ge=0.0, le=1000.0)
    #: h24 change (else h6, else h1) at or above this percent passes
    min_change_pct: float = Field(default=0.0, ge=-100.0)


class VolumeTrendPolicy(CheckPolicy):
    weight: float = Field(default=5.0, ge=0.0, le=1000.0)
    #: last hour's volume x 24 / 24 h volume at or above this passes
    min_ratio: float = Field(default=1.0, ge=0.0)


class ChecksPolicy(Section):
    """One section per check; the field names are the check names."""

    mint_authority: MintAuthorityPolicy = MintAuthorityPolicy()
    freeze_authority: FreezeAuthorityPolicy = FreezeAuthorityPolicy()
    token_extensions: TokenExtensionsPolicy = TokenExtensionsPolicy()
    top1_holder: Top1HolderPolicy = Top1HolderPolicy()
    top10_holders: Top10HoldersPolicy = Top10HoldersPolicy()
    lp_locked: LpLockedPolicy = LpLockedPolicy()
    rugcheck_dangers: RugcheckDangersPolicy = RugcheckDangersPolicy()
    rugcheck_rugged: RugcheckRuggedPolicy = RugcheckRuggedPolicy()
    liquidity_floor: LiquidityFloorPolicy = LiquidityFloorPolicy()
    liquidity_pulled: LiquidityPulledPolicy = LiquidityPulledPolicy()
    wash_trading: WashTradingPolicy = WashTradingPolicy()
    pair_age: PairAgePolicy = PairAgePolicy()
    price_extremes: PriceExtremesPolicy = PriceExtremesPolicy()
    socials: SocialsPolicy = SocialsPolicy()
    price_agreement: PriceAgreementPolicy = PriceAgreementPolicy()
    buy_sell_balance: BuySellBalancePolicy = BuySellBalancePolicy()
    trading_activity: TradingActivityPolicy = TradingActivityPolicy()
    buy_pressure: BuyPressurePolicy = BuyPressurePolicy()
    price_trend: PriceTrendPolicy = PriceTrendPolicy()
    volume_trend: VolumeTrendPolicy = VolumeTrendPolicy()

    def get(self, name: str) -> CheckPolicy:
        policy = getattr(self, name)
        assert isinstance(policy, CheckPolicy)
        return policy


CHECK_NAMES: tuple[str, ...] = tuple(ChecksPolicy.model_fields)


def _check_names(value: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [name for name in value if name not in CHECK_NAMES]
    if unknown:
        raise ValueError(f"unknown check names {unknown} (known: {', '.join(CHECK_NAMES)})")
    return value


class DecisionPolicy(Section):
    #: safety below this is ``avoid`` even without a failed gate
    avoid_below_safety: float = Field(default=60.0, ge=0.0, le=100.0)
    #: ``buy_candidate`` needs all three
    buy_min_score: float = Field(default=70.0, ge=0.0, le=100.0)
    buy_min_safety: float = Field(default=80.0, ge=0.0, le=100.0)
    buy_min_confidence: float = Field(default=0.6, ge=0.0, le=1.0)
    #: ... and these checks must pass (not fail, not unknown): a token nobody can
    #: trade in size is never a buy, however clean it looks
    buy_requires: tuple[str, ...] = ("liquidity_floor", "trading_activity")

    @field_validator("buy_requires")
    @classmethod
    def _known_checks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_names(value)


class TierPolicy(Section):
    #: a pair younger than this is ``hot`` (authorities are often revoked right after launch)
    new_pair_age_s: float = Field(default=6 * 3600.0, ge=0.0)
    #: |1 h price change| at or above this percent is ``hot``
    hot_move_pct: float = Field(default=20.0, ge=0.0)
    #: a score at or above this is ``hot``
    hot_min_score: float = Field(default=85.0, ge=0.0, le=100.0)
    #: 24 h volume below this (USD) on a pair older than new_pair_age_s is ``cold``
    dead_volume_h24_usd: float = Field(default=1_000.0, ge=0.0)


class ConfidencePolicy(Section):
    #: a check whose facet is older than this counts ``stale_factor`` of its weight
    stale_after_s: float = Field(default=3 * 3600.0, gt=0.0)
    stale_factor: float = Field(default=0.5, ge=0.0, le=1.0)
    #: each disagreement between independent sources multiplies confidence by (1 - this)
    disagreement_penalty: float = Field(default=0.3, ge=0.0, le=1.0)
    #: when no pair of independent sources could be compared, multiply by (1 - this)
    uncorroborated_penalty: float = Field(default=0.1, ge=0.0, le=1.0)


#: checks an allowlisted major passes by design (authorities kept, treasury holders, ...)
DEFAULT_ALLOWLIST_EXEMPT: tuple[str, ...] = (
    "mint_authority",
    "freeze_authority",
    "token_extensions",
    "top1_holder",
    "top10_holders",
    "lp_locked",
    "rugcheck_dangers",
)


class ScoringSettings(Section):
    """``[scoring]``: see docs/scoring.md for every key."""

    #: relative weights of the sub-scores in ``score``
    safety_weight: float = Field(default=0.7, ge=0.0, le=1.0)
    momentum_weight: float = Field(default=0.3, ge=0.0, le=1.0)
    #: a failed gate caps ``score`` here so avoided tokens rank below the rest
    gated_score_cap: float = Field(default=25.0, ge=0.0, le=100.0)
    checks: ChecksPolicy = ChecksPolicy()
    decision: DecisionPolicy = DecisionPolicy()
    tier: TierPolicy = TierPolicy()
    confidence: ConfidencePolicy = ConfidencePolicy()
    #: include the built-in majors (wrapped SOL, USDC, USDT, JUP, BONK, ...)
    builtin_allowlist: Flag = True
    #: more allowlisted tokens: ``"<address>" = "<label>"`` or ``"chain:address" = "<label>"``
    allowlist: dict[str, str] = Field(default_factory=dict)
    allowlist_exempt: tuple[str, ...] = DEFAULT_ALLOWLIST_EXEMPT
    #: RugCheck risk names that dedicated checks already judge: not counted again
    #: by ``rugcheck_dangers``
    covered_risks: tuple[str, ...] = (
        "Mint Authority still enabled",
        "Freeze Authority still enabled",
        "Single holder ownership",
        "Top 10 holders high ownership",
        "High ownership",
        "High holder concentration",
        "Large Amount of LP Unlocked",
        "Low Liquidity",
    )

    @field_validator("allowlist", mode="before")
    @classmethod
    def _normalise_allowlist(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, str] = {}
        for key, label in value.items():
            try:
                ref = TokenRef.parse(str(key))
            except InvalidAddress as exc:
                raise ValueError(f"allowlist entry {key!r}: {exc}") from None
            out[str(ref)] = str(label)
        return out

    @field_validator("allowlist_exempt")
    @classmethod
    def _known_checks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_names(value)

    @model_validator(mode="after")
    def _some_subscore(self) -> ScoringSettings:
        if self.safety_weight + self.momentum_weight <= 0:
            raise ValueError("safety_weight and momentum_weight cannot both be 0")
        return self
