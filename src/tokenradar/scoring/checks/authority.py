"""Authority and program checks: can the issuer mint, freeze, tax or seize?

The chain's mint account (``mint`` facet) is the authority on this; RugCheck's
report says the same things second-hand and is used only when the chain facet
is not ok. When both are ok the verdict records whether they agree (and
``confidence`` drops when they do not). An authority a partial report does not
carry (``RiskData.missing``) is unknown there: neither a fallback verdict nor
a side of the comparison.
"""

from __future__ import annotations

from typing import Literal

from tokenradar.domain import CheckState, FacetKind, MintData, RiskData, RiskField, TokenProgram
from tokenradar.scoring.checks.base import (
    Category,
    CheckSpec,
    Context,
    Describe,
    Note,
    Verdict,
    passed,
    verdict_if,
)
from tokenradar.scoring.policy import (
    FreezeAuthorityPolicy,
    MintAuthorityPolicy,
    TokenExtensionsPolicy,
)

#: the classic SPL Token program; RugCheck reports the program id
LEGACY_PROGRAM_IDS = frozenset({"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "spl-token"})

AuthorityField = Literal["mint_authority", "freeze_authority"]
AUTHORITY_FIELDS: tuple[AuthorityField, ...] = ("mint_authority", "freeze_authority")


def reported_authority(risk: RiskData | None, field: AuthorityField) -> RiskData | None:
    """``risk`` when it is there and carries ``field`` (so its value is a fact), else None."""
    return risk if risk is not None and risk.reports(RiskField(field)) else None


def _authority(ctx: Context, field: AuthorityField) -> Verdict:
    """Passes when the authority is revoked: the chain's word first, RugCheck's as fallback;
    with both, whether they agree is noted (it feeds confidence)."""
    mint = ctx.ok(FacetKind.MINT, MintData)
    risk = reported_authority(ctx.ok(FacetKind.RISK, RiskData), field)
    risk_value: str | None = getattr(risk, field) if risk is not None else None
    if mint is not None:
        value: str | None = getattr(mint, field)
        note, other = Note.NONE, ""
        if risk is not None:
            agree = (value is None) == (risk_value is None)
            note = Note.SOURCES_AGREE if agree else Note.SOURCES_DISAGREE
            other = risk_value or "revoked"
        return verdict_if(value is None, value, FacetKind.MINT, note, other)
    if risk is not None:
        return verdict_if(risk_value is None, risk_value, FacetKind.RISK, Note.RISK_FALLBACK)
    # no mint facet, and no RugCheck word on this authority: the first facet we have says why
    return ctx.unknown(FacetKind.MINT, FacetKind.RISK)


def mint_authority(ctx: Context, policy: MintAuthorityPolicy) -> Verdict:
    return _authority(ctx, "mint_authority")


def freeze_authority(ctx: Context, policy: FreezeAuthorityPolicy) -> Verdict:
    return _authority(ctx, "freeze_authority")


def dangerous_extensions(mint: MintData, policy: TokenExtensionsPolicy) -> list[str]:
    """The extensions of ``mint`` this policy calls dangerous, in mint order."""
    if mint.program is not TokenProgram.SPL_TOKEN_2022:
        return []
    found = [name for name in mint.extensions if name in policy.dangerous]
    fee = mint.transfer_fee_bps
    # a fee config whose fee we could not read is judged as the worst case
    if "transferFeeConfig" in mint.extensions and (
        fee is None or fee > policy.max_transfer_fee_bps
    ):
        found.append("transferFeeConfig")
    return found


def token_extensions(ctx: Context, policy: TokenExtensionsPolicy) -> Verdict:
    mint = ctx.ok(FacetKind.MINT, MintData)
    risk = ctx.ok(FacetKind.RISK, RiskData)
    if mint is not None:
        bad = dangerous_extensions(mint, policy)
        return verdict_if(not bad, ", ".join(bad), FacetKind.MINT)
    if risk is not None:
        fee_pct = risk.transfer_fee_pct
        if fee_pct is not None and fee_pct * 100.0 > policy.max_transfer_fee_bps:
            return Verdict(CheckState.FAIL, "transferFee", FacetKind.RISK, Note.RISK_FALLBACK)
        if risk.token_program in LEGACY_PROGRAM_IDS:
            return passed("", FacetKind.RISK, Note.RISK_FALLBACK)
        # token-2022 (or unreported program): only the mint account lists extensions
    return ctx.unknown(FacetKind.MINT, FacetKind.RISK)


def _describe_authority(what: str) -> Describe:
    def describe(v: Verdict, policy: object) -> str:
        src = "RugCheck" if v.source is FacetKind.RISK else "chain"
        if v.state is CheckState.PASS:
            text = f"{what} authority revoked ({src})"
        else:
            text = f"{what} authority still enabled: {v.value} ({src})"
        if v.note is Note.SOURCES_AGREE:
            text += "; RugCheck agrees"
        elif v.note is Note.SOURCES_DISAGREE:
            text += f"; RugCheck says {v.detail} (chain preferred)"
        return text

    return describe


def _describe_extensions(v: Verdict, policy: TokenExtensionsPolicy) -> str:
    if v.state is CheckState.FAIL:
        src = "RugCheck" if v.source is FacetKind.RISK else "chain"
        return f"dangerous token-2022 extensions: {v.value} ({src})"
    if v.source is FacetKind.RISK:
        return "classic SPL token program: no extensions possible (RugCheck)"
    return "no dangerous token-2022 extensions"


SPECS = (
    CheckSpec(
        "mint_authority",
        Category.SAFETY,
        (FacetKind.MINT, FacetKind.RISK),
        str,
        mint_authority,
        _describe_authority("mint"),
    ),
    CheckSpec(
        "freeze_authority",
        Category.SAFETY,
        (FacetKind.MINT, FacetKind.RISK),
        str,
        freeze_authority,
        _describe_authority("freeze"),
    ),
    CheckSpec(
        "token_extensions",
        Category.SAFETY,
        (FacetKind.MINT, FacetKind.RISK),
        str,
        token_extensions,
        _describe_extensions,
    ),
)
