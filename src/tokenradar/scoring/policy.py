"""The ``[scoring]`` policy, as the scoring code imports it.

The models (per-check policy, thresholds, decision rules) live in
:mod:`tokenradar.settings.scoring`, below both the settings root and the
scorer, so that loading settings imports nothing of scoring; they are
re-exported here under their old names. What computes with them stays in
:mod:`tokenradar.scoring` (e.g. :func:`~tokenradar.scoring.allowlist.effective_allowlist`).
"""

from __future__ import annotations

from tokenradar.scoring.allowlist import effective_allowlist
from tokenradar.settings.scoring import (
    CHECK_NAMES,
    DEFAULT_ALLOWLIST_EXEMPT,
    BuyPressurePolicy,
    BuySellBalancePolicy,
    CheckPolicy,
    ChecksPolicy,
    ConfidencePolicy,
    DecisionPolicy,
    FreezeAuthorityPolicy,
    LiquidityFloorPolicy,
    LiquidityPulledPolicy,
    LpLockedPolicy,
    MintAuthorityPolicy,
    PairAgePolicy,
    PriceAgreementPolicy,
    PriceExtremesPolicy,
    PriceTrendPolicy,
    RugcheckDangersPolicy,
    RugcheckRuggedPolicy,
    ScoringSettings,
    SocialsPolicy,
    TierPolicy,
    TokenExtensionsPolicy,
    Top1HolderPolicy,
    Top10HoldersPolicy,
    TradingActivityPolicy,
    UnknownPolicy,
    VolumeTrendPolicy,
    WashTradingPolicy,
)

__all__ = [
    "CHECK_NAMES",
    "DEFAULT_ALLOWLIST_EXEMPT",
    "BuyPressurePolicy",
    "BuySellBalancePolicy",
    "CheckPolicy",
    "ChecksPolicy",
    "ConfidencePolicy",
    "DecisionPolicy",
    "FreezeAuthorityPolicy",
    "LiquidityFloorPolicy",
    "LiquidityPulledPolicy",
    "LpLockedPolicy",
    "MintAuthorityPolicy",
    "PairAgePolicy",
    "PriceAgreementPolicy",
    "PriceExtremesPolicy",
    "PriceTrendPolicy",
    "RugcheckDangersPolicy",
    "RugcheckRuggedPolicy",
    "ScoringSettings",
    "SocialsPolicy",
    "TierPolicy",
    "TokenExtensionsPolicy",
    "Top1HolderPolicy",
    "Top10HoldersPolicy",
    "TradingActivityPolicy",
    "UnknownPolicy",
    "VolumeTrendPolicy",
    "WashTradingPolicy",
    "effective_allowlist",
]
