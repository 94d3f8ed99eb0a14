"""RugCheck's own verdicts: its danger-level risks and its ``rugged`` flag.

Danger risks that a dedicated check already judges from better data (mint and
freeze authority, holder concentration, unlocked LP, low liquidity; the list is
``[scoring] covered_risks``) are not counted again here, so one fact never
costs twice and an allowlisted major's "Mint Authority still enabled" does not
come back through the side door. A report without a ``risks`` list (a partial
report of a brand-new token) leaves ``rugcheck_dangers`` unknown: no list is
not an empty list.
"""

from __future__ import annotations

from tokenradar.domain import FacetKind, RiskData, RiskField
from tokenradar.scoring.checks.base import (
    Category,
    CheckSpec,
    Context,
    Verdict,
    verdict_if,
)
from tokenradar.scoring.policy import RugcheckDangersPolicy, RugcheckRuggedPolicy


def uncovered_dangers(risk: RiskData, covered: tuple[str, ...]) -> list[str]:
    """Danger-level risk names not judged by another check, in report order."""
    return [r.name for r in risk.risks if r.level == "danger" and r.name not in covered]


def rugcheck_dangers(ctx: Context, policy: RugcheckDangersPolicy) -> Verdict:
    risk = ctx.ok(FacetKind.RISK, RiskData)
    if risk is None:
        return ctx.unknown(FacetKind.RISK)
    if not risk.reports(RiskField.RISKS):
        return ctx.missing_field(FacetKind.RISK)
    names = uncovered_dangers(risk, ctx.settings.covered_risks)
    return verdict_if(
        len(names) <= policy.max_dangers, len(names), FacetKind.RISK, detail="; ".join(names)
    )


def rugcheck_rugged(ctx: Context, policy: RugcheckRuggedPolicy) -> Verdict:
    risk = ctx.ok(FacetKind.RISK, RiskData)
    if risk is None:
        return ctx.unknown(FacetKind.RISK)
    if risk.rugged is None:
        return ctx.missing_field(FacetKind.RISK)
    return verdict_if(not risk.rugged, risk.rugged, FacetKind.RISK)


def _describe_dangers(v: Verdict, policy: RugcheckDangersPolicy) -> str:
    if v.value == 0:
        return "RugCheck lists no other danger-level risks"
    return f"RugCheck danger-level risks: {v.detail}"


def _describe_rugged(v: Verdict, policy: RugcheckRuggedPolicy) -> str:
    return "RugCheck marks this token rugged" if v.value else "RugCheck: not rugged"


SPECS = (
    CheckSpec(
        "rugcheck_dangers",
        Category.SAFETY,
        (FacetKind.RISK,),
        int,
        rugcheck_dangers,
        _describe_dangers,
    ),
    CheckSpec(
        "rugcheck_rugged",
        Category.SAFETY,
        (FacetKind.RISK,),
        bool,
        rugcheck_rugged,
        _describe_rugged,
    ),
)
