"""Partial RugCheck reports: a part the report does not carry is unknown, never a pass.

RugCheck answers brand-new tokens with partial reports. Each case below takes a
real captured report, drops parts of it, parses it with the provider's parser
and scores it through both scorer paths: the checks that need a dropped part
are ``unknown``, and the score's confidence is below the full report's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tokenradar.domain import AUTHORITY_UNNAMED, CheckState, Facet, FacetKind, Score, TokenRef
from tokenradar.providers.rugcheck import parse_report

from .builders import AUTHORITY, NOW, facets
from .helpers import check, score
from .test_fixtures import MINTS

AUTHORITIES = ("mint_authority", "freeze_authority")
HOLDER_CHECKS = ("top1_holder", "top10_holders")
ALL_RISK_CHECKS = (
    *AUTHORITIES,
    *HOLDER_CHECKS,
    "token_extensions",
    "lp_locked",
    "rugcheck_dangers",
    "rugcheck_rugged",
)


def _report(data_dir: Path, sym: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((data_dir / f"rugcheck_report_{sym}.json").read_text())
    return doc


def _risk_facet(report: dict[str, Any], sym: str) -> Facet[Any]:
    return parse_report(report, TokenRef("solana", MINTS[sym]), fetched_at=NOW - 60)


def _score_report(report: dict[str, Any], sym: str) -> Score:
    """The report as the token's only facet (so every risk check reads it)."""
    token = TokenRef("solana", MINTS[sym])
    return score({FacetKind.RISK: _risk_facet(report, sym)}, token=token)


def _partial(data_dir: Path, sym: str, *drop: str) -> Score:
    full = _report(data_dir, sym)
    return _score_report({k: v for k, v in full.items() if k not in drop}, sym)


def _assert_unknown(s: Score, *names: str) -> None:
    for name in names:
        c = check(s, name)
        assert (c.state, c.value, c.source) == (CheckState.UNKNOWN, None, FacetKind.RISK), name
        assert c.reason == "unknown: risk: the provider did not report it", name


def test_report_of_only_the_mint_passes_nothing_and_costs_confidence(data_dir: Path) -> None:
    """Once ``{"mint": m}`` passed both authorities, both holder checks and the dangers."""
    full = _score_report(_report(data_dir, "useless"), "useless")
    for name in (*AUTHORITIES, *HOLDER_CHECKS, "rugcheck_dangers"):
        assert check(full, name).state is CheckState.PASS, name
    bare = _score_report({"mint": MINTS["useless"]}, "useless")
    _assert_unknown(bare, *ALL_RISK_CHECKS)
    assert bare.confidence < full.confidence


def test_report_without_risks_leaves_dangers_and_holder_fallbacks_unknown(
    data_dir: Path,
) -> None:
    full = _score_report(_report(data_dir, "useless"), "useless")
    s = _partial(data_dir, "useless", "risks")
    _assert_unknown(s, "rugcheck_dangers", *HOLDER_CHECKS)
    for name in AUTHORITIES:  # token.mintAuthority: null still says revoked
        assert check(s, name).state is CheckState.PASS, name
    assert s.confidence < full.confidence


def test_report_without_token_leaves_both_authorities_unknown(data_dir: Path) -> None:
    """The top-level fields are null here: not proof of revocation on their own."""
    full = _score_report(_report(data_dir, "useless"), "useless")
    s = _partial(data_dir, "useless", "token")
    _assert_unknown(s, *AUTHORITIES)
    assert check(s, "rugcheck_dangers").state is CheckState.PASS
    assert s.confidence < full.confidence


def test_report_without_top_holders_leaves_the_holder_checks_unknown(data_dir: Path) -> None:
    full = _score_report(_report(data_dir, "useless"), "useless")
    s = _partial(data_dir, "useless", "topHolders")
    _assert_unknown(s, *HOLDER_CHECKS)
    assert check(s, "rugcheck_dangers").state is CheckState.PASS  # its risks list is there
    assert s.confidence < full.confidence


def test_holder_risks_listed_without_top_holders_still_fail(data_dir: Path) -> None:
    """A listed risk is a fact even when the list it came from is missing."""
    s = _partial(data_dir, "trump", "topHolders")
    assert (check(s, "top1_holder").state, check(s, "top1_holder").value) == (
        CheckState.FAIL,
        0.8,
    )
    assert check(s, "top10_holders").state is CheckState.FAIL


def test_account_object_without_token_fails_mint_authority_and_leaves_freeze_unknown(
    data_dir: Path,
) -> None:
    full = _score_report(_report(data_dir, "spx"), "spx")
    s = _partial(data_dir, "spx", "token")
    mint = check(s, "mint_authority")
    assert (mint.state, mint.value, mint.source) == (
        CheckState.FAIL,
        AUTHORITY_UNNAMED,
        FacetKind.RISK,
    )
    assert mint.reason == f"mint authority still enabled: {AUTHORITY_UNNAMED} (RugCheck)"
    _assert_unknown(s, "freeze_authority")  # its top level is null
    assert check(full, "freeze_authority").state is CheckState.PASS
    assert s.confidence < full.confidence


@pytest.mark.parametrize("chain_authority", [None, AUTHORITY])
def test_report_without_authorities_is_no_second_opinion_on_the_chains(
    data_dir: Path, chain_authority: str | None
) -> None:
    """With the chain's mint facet, a report lacking ``token`` neither agrees (once the
    null read as "revoked": agreement) nor disagrees (costing confidence) with it."""
    report = {k: v for k, v in _report(data_dir, "useless").items() if k != "token"}
    risk = _risk_facet(report, "useless")
    token = TokenRef("solana", MINTS["useless"])
    chain = {"mint_authority": chain_authority, "freeze_authority": chain_authority}
    partial = score(facets(token, mint=chain, risk=risk), token=token)
    full = score(
        facets(token, mint=chain, risk=_risk_facet(_report(data_dir, "useless"), "useless")),
        token=token,
    )
    for name in AUTHORITIES:
        c = check(partial, name)
        assert c.source is FacetKind.MINT
        assert "RugCheck" not in c.reason, c.reason
    if chain_authority is None:  # the full report agrees, the partial one is silent
        assert check(full, "mint_authority").reason.endswith("; RugCheck agrees")
        assert partial.confidence == full.confidence
    else:  # the full report says revoked: a disagreement the partial one cannot raise
        assert partial.confidence > full.confidence
