"""Who holds the supply, and can the liquidity be pulled?

Holder shares come from the chain's ``holders`` facet, which already excludes
pool vaults and program-owned accounts (lockers, bridges). When that facet is
not ok we fall back to the RugCheck report's own holder risks: RugCheck lists
"Single holder ownership", "High holder concentration" (top 10 > 50 %), "Top 10
holders high ownership" (> 70 %) and "High ownership" (> 80 %). A listed risk
fails the check; a report without one passes it, by RugCheck's thresholds
rather than ours (the reason says so), but only when the report carries both
its ``risks`` and the ``topHolders`` they are computed from: in a partial
report the absence of a holder risk says nothing, and the check is unknown.
"""

from __future__ import annotations

import re

from tokenradar.domain import CheckState, FacetKind, HoldersData, RiskData, RiskField
from tokenradar.scoring.checks.base import (
    Category,
    CheckSpec,
    Context,
    Describe,
    Note,
    Verdict,
    verdict_if,
)
from tokenradar.scoring.policy import LpLockedPolicy, Top1HolderPolicy, Top10HoldersPolicy

SINGLE_HOLDER_RISKS = ("Single holder ownership",)
#: RugCheck's own verdict on LP-token pools ("96.00%" of the LP unlocked)
LP_UNLOCKED_RISKS = ("Large Amount of LP Unlocked",)
TOP10_RISKS = ("Top 10 holders high ownership", "High ownership", "High holder concentration")

_PCT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def risk_share(value: str) -> float | None:
    """RugCheck's ``"80.00%"`` as a share 0..1 (None when it is not a percent)."""
    m = _PCT_RE.match(value)
    return float(m.group(1)) / 100.0 if m else None


def lp_locked_from_risk(value: str) -> float | None:
    """The locked percent 0..100 implied by RugCheck's unlocked ``"96.00%"``."""
    unlocked = risk_share(value)
    return None if unlocked is None else max(0.0, 100.0 - unlocked * 100.0)


def first_risk(risk: RiskData, names: tuple[str, ...]) -> str | None:
    """The first risk in ``risk`` whose name is one of ``names``."""
    for item in risk.risks:
        if item.name in names:
            return item.name
    return None


def judges_holders(risk: RiskData) -> bool:
    """Whether a report listing no holder risk means RugCheck found none: it carries
    its risks and the top holders it computes them from."""
    return risk.reports(RiskField.RISKS) and risk.reports(RiskField.TOP_HOLDERS)


def top1_holder(ctx: Context, policy: Top1HolderPolicy) -> Verdict:
    holders = ctx.ok(FacetKind.HOLDERS, HoldersData)
    if holders is not None and holders.top1_share is not None:
        share = holders.top1_share
        return verdict_if(share <= policy.max_share, share, FacetKind.HOLDERS)
    risk = ctx.ok(FacetKind.RISK, RiskData)
    if risk is not None:
        for item in risk.risks:
            if item.name in SINGLE_HOLDER_RISKS:
                share_or_none = risk_share(item.value)
                return Verdict(
                    CheckState.FAIL, share_or_none, FacetKind.RISK, Note.RISK_FALLBACK, item.name
                )
        if judges_holders(risk):
            return Verdict(CheckState.PASS, None, FacetKind.RISK, Note.RISK_FALLBACK)
    if holders is not None:
        return ctx.missing_field(FacetKind.HOLDERS)
    return ctx.unknown(FacetKind.HOLDERS, FacetKind.RISK)


def top10_holders(ctx: Context, policy: Top10HoldersPolicy) -> Verdict:
    holders = ctx.ok(FacetKind.HOLDERS, HoldersData)
    if holders is not None and holders.top10_share is not None:
        share = holders.top10_share
        return verdict_if(share <= policy.max_share, share, FacetKind.HOLDERS)
    risk = ctx.ok(FacetKind.RISK, RiskData)
    if risk is not None:
        name = first_risk(risk, TOP10_RISKS)
        if name is not None:
            return Verdict(CheckState.FAIL, None, FacetKind.RISK, Note.RISK_FALLBACK, name)
        if judges_holders(risk):
            return Verdict(CheckState.PASS, None, FacetKind.RISK, Note.RISK_FALLBACK)
    if holders is not None:
        return ctx.missing_field(FacetKind.HOLDERS)
    return ctx.unknown(FacetKind.HOLDERS, FacetKind.RISK)


def lp_locked(ctx: Context, policy: LpLockedPolicy) -> Verdict:
    risk = ctx.ok(FacetKind.RISK, RiskData)
    if risk is None:
        return ctx.unknown(FacetKind.RISK)
    if risk.lp_locked_pct is None:
        # No share for the main market (it has no LP token, e.g. a DLMM pool): RugCheck
        # still judges the LP-token pools, and "Large Amount of LP Unlocked" is its
        # danger that someone can pull one. Listed, it fails; otherwise unknown.
        for item in risk.risks:
            if item.name in LP_UNLOCKED_RISKS:
                locked = lp_locked_from_risk(item.value)
                return Verdict(
                    CheckState.FAIL, locked, FacetKind.RISK, Note.RISK_FALLBACK, item.name
                )
        return ctx.missing_field(FacetKind.RISK)
    pct = risk.lp_locked_pct
    return verdict_if(pct >= policy.min_pct, pct, FacetKind.RISK)


def _describe_share(what: str, risks: str) -> Describe:
    def describe(v: Verdict, policy: Top1HolderPolicy | Top10HoldersPolicy) -> str:
        limit = f"{policy.max_share:.0%}"
        if v.source is FacetKind.RISK:
            if v.state is CheckState.FAIL:
                shown = f" ({v.value:.1%})" if isinstance(v.value, float) else ""
                return f"RugCheck lists {v.detail!r}{shown}"
            return f"RugCheck lists no {risks} risk (its thresholds; no holder facet)"
        assert isinstance(v.value, float)
        cmp = "within" if v.state is CheckState.PASS else "above"
        return f"{what} hold {v.value:.1%} of supply, {cmp} the {limit} limit (pools excluded)"

    return describe


def _describe_lp(v: Verdict, policy: LpLockedPolicy) -> str:
    if v.note is Note.RISK_FALLBACK:
        shown = f" ({v.value:.2f}% locked)" if isinstance(v.value, float) else ""
        return f"RugCheck lists {v.detail!r}{shown}; the main market has no LP token"
    assert isinstance(v.value, float)
    cmp = "at least" if v.state is CheckState.PASS else "below"
    return f"{v.value:.2f}% of the main market's LP locked or burned, {cmp} {policy.min_pct:g}%"


SPECS = (
    CheckSpec(
        "top1_holder",
        Category.SAFETY,
        (FacetKind.HOLDERS, FacetKind.RISK),
        float,
        top1_holder,
        _describe_share("the largest wallet", "single-holder"),
    ),
    CheckSpec(
        "top10_holders",
        Category.SAFETY,
        (FacetKind.HOLDERS, FacetKind.RISK),
        float,
        top10_holders,
        _describe_share("the 10 largest wallets", "top-holder concentration"),
    ),
    CheckSpec("lp_locked", Category.SAFETY, (FacetKind.RISK,), float, lp_locked, _describe_lp),
)
