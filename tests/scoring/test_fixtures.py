"""The six real tokens of tests/data, scored with reasons a person can check.

Facets come from the real DexScreener pairs and RugCheck reports through the
providers' own parsers. There is no chain (mint/holders) or Jupiter facet in
the capture, so authority and holder checks read the RugCheck report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tokenradar.domain import CheckState, Decision, Facet, FacetKind, Score, TokenRef
from tokenradar.providers.dexscreener_parse import parse_pairs
from tokenradar.providers.rugcheck import parse_report
from tokenradar.scoring.policy import CHECK_NAMES

from .helpers import check, score

CAPTURED_AT = 1_750_790_582.0  # the capture's timestamp (2025-06-24)
MINTS = {
    "useless": "Dz9mQ9NzkBcCsuGPFJ3r1bS4wgqKMHBPiVuniW8Mbonk",
    "trump": "6p6xgHyF7AeE6TZkSmFsko444wqoP15icUSqi2jfGiPN",
    "aura": "DtR4D9FtVoTX2569gaL837ZgrB6wNjj6tkmnX9Rdk9B2",
    "gor": "71Jvq4Epe2FCJ7JFSF7jLXdNk1Wy4Bhqd9iL6bEFELvg",
    "spx": "J3NKxxXZcnNiMjKw9hYb2K4LUxgwB6t1FtPtQVsv3KFr",
    "mumu": "5LafQUrVco6o7KMz42eqVEJ9LW31StPyGjeeu5sKoMtA",
}


def _pairs(data_dir: Path, sym: str) -> list[dict[str, Any]]:
    body = json.loads((data_dir / f"dexscreener_latest_dex_tokens_{sym}.json").read_text())
    pairs: list[dict[str, Any]] = body["pairs"]
    return pairs


def _facets(data_dir: Path, sym: str) -> dict[FacetKind, Facet[Any]]:
    token = TokenRef("solana", MINTS[sym])
    [market] = parse_pairs(_pairs(data_dir, sym), [token], fetched_at=CAPTURED_AT - 30)
    report = json.loads((data_dir / f"rugcheck_report_{sym}.json").read_text())
    risk = parse_report(report, token, fetched_at=CAPTURED_AT - 60)
    return {FacetKind.MARKET: market, FacetKind.RISK: risk}


def _score(data_dir: Path, sym: str) -> Score:
    token = TokenRef("solana", MINTS[sym])
    return score(_facets(data_dir, sym), token=token, now=CAPTURED_AT)


def test_spx_enabled_mint_authority_fails_the_mint_check_from_its_rugcheck_report(
    data_dir: Path,
) -> None:
    s = _score(data_dir, "spx")
    c = check(s, "mint_authority")
    assert c.state is CheckState.FAIL
    assert c.value == "BCD75RNBHrJJpW4dXVagL5mPjzRLnVZq4YirJdjEYMV7"  # token.mintAuthority
    assert c.source is FacetKind.RISK
    assert c.age_s == 60.0
    assert c.reason == (
        "mint authority still enabled: BCD75RNBHrJJpW4dXVagL5mPjzRLnVZq4YirJdjEYMV7 (RugCheck)"
    )
    assert s.decision is Decision.AVOID
    assert s.score == 25.0
    # RugCheck's own "Mint Authority still enabled" danger is not counted a second time
    assert check(s, "rugcheck_dangers").state is CheckState.PASS


def test_trump_report_listing_top_10_high_ownership_fails_the_holder_checks(
    data_dir: Path,
) -> None:
    s = _score(data_dir, "trump")
    top10 = check(s, "top10_holders")
    assert top10.state is CheckState.FAIL
    assert top10.source is FacetKind.RISK
    assert top10.reason == "RugCheck lists 'Top 10 holders high ownership'"
    top1 = check(s, "top1_holder")
    assert (top1.state, top1.value) == (CheckState.FAIL, 0.8)  # "Single holder ownership" 80.00%
    assert top1.reason == "RugCheck lists 'Single holder ownership' (80.0%)"


def test_missing_liquidity_in_real_pairs_is_unknown_not_zero(data_dir: Path) -> None:
    token = TokenRef("solana", MINTS["aura"])
    without = [p for p in _pairs(data_dir, "aura") if "liquidity" not in p]
    assert without  # the capture has aura pairs with no liquidity field
    [market] = parse_pairs(without, [token], fetched_at=CAPTURED_AT - 30)
    s = score({FacetKind.MARKET: market}, token=token, now=CAPTURED_AT)
    c = check(s, "liquidity_floor")
    assert (c.state, c.value, c.points, c.max_points) == (CheckState.UNKNOWN, None, 0.0, 0.0)
    assert c.reason == "unknown: market: the provider did not report it"
    assert check(s, "wash_trading").state is CheckState.UNKNOWN
    assert s.decision is not Decision.AVOID


@pytest.mark.parametrize("sym", ["useless", "aura", "gor", "mumu"])
def test_tokens_with_revoked_authorities_pass_them_and_are_not_avoided(
    data_dir: Path, sym: str
) -> None:
    s = _score(data_dir, sym)
    for name in ("mint_authority", "freeze_authority", "token_extensions", "rugcheck_rugged"):
        assert check(s, name).state is CheckState.PASS, name
    assert check(s, "mint_authority").reason == "mint authority revoked (RugCheck)"
    assert s.decision is not Decision.AVOID
    assert s.score is not None
    assert s.score >= 70


@pytest.mark.parametrize("sym", sorted(MINTS))
def test_every_real_token_is_explained_by_every_check(data_dir: Path, sym: str) -> None:
    s = _score(data_dir, sym)
    assert [c.name for c in s.checks] == list(CHECK_NAMES)
    for c in s.checks:
        assert c.reason
        assert c.source is not None
        assert c.points <= c.max_points
    # no Jupiter facet in the capture: price agreement cannot be judged
    assert check(s, "price_agreement").reason == "unknown: price: not fetched"
    # liquidity is reported by most pairs: judged, not unknown
    assert check(s, "liquidity_floor").state is CheckState.PASS


def test_real_tokens_rank_with_the_avoided_one_last(data_dir: Path) -> None:
    ranked = sorted(MINTS, key=lambda sym: -(_score(data_dir, sym).score or 0.0))
    assert ranked[-1] == "spx"
