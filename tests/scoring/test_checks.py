"""Each check reads the right facet, prefers the right source and says why."""

from __future__ import annotations

import pytest

from tokenradar.domain import CheckState, Decision, FacetKind, TokenProgram
from tokenradar.scoring.policy import ScoringSettings

from .builders import AUTHORITY, absent, errored, facets, risk_item
from .helpers import check, score

PASS, FAIL, UNKNOWN = CheckState.PASS, CheckState.FAIL, CheckState.UNKNOWN


def test_healthy_token_passes_every_safety_check_and_is_a_buy_candidate() -> None:
    s = score(facets())
    failing = [c.name for c in s.checks if c.state is not PASS]
    assert failing == []
    assert s.score == 100.0
    assert s.decision is Decision.BUY_CANDIDATE
    assert s.confidence == 1.0


def test_chain_mint_authority_wins_over_rugcheck_and_records_the_disagreement() -> None:
    agree = score(facets(risk={"mint_authority": None}))
    disagree = score(facets(risk={"mint_authority": AUTHORITY}))
    c = check(disagree, "mint_authority")
    assert (c.state, c.source, c.value) == (PASS, FacetKind.MINT, None)
    assert f"RugCheck says {AUTHORITY} (chain preferred)" in c.reason
    assert "RugCheck agrees" in check(agree, "mint_authority").reason
    assert disagree.confidence == pytest.approx(agree.confidence * 0.7)


def test_enabled_mint_authority_on_chain_fails_the_gate_and_forces_avoid() -> None:
    s = score(facets(mint={"mint_authority": AUTHORITY}, risk={"mint_authority": AUTHORITY}))
    c = check(s, "mint_authority")
    assert (c.state, c.value, c.points, c.max_points, c.gate) == (FAIL, AUTHORITY, 0.0, 20.0, True)
    assert s.decision is Decision.AVOID
    assert s.score == 25.0  # gated_score_cap: avoided tokens rank below the rest


def test_rugcheck_is_the_fallback_source_when_the_chain_facet_errored() -> None:
    s = score(facets(mint=errored(FacetKind.MINT), risk={"freeze_authority": AUTHORITY}))
    c = check(s, "freeze_authority")
    assert (c.state, c.source, c.value) == (FAIL, FacetKind.RISK, AUTHORITY)
    assert "(RugCheck)" in c.reason


def test_an_errored_facet_is_unknown_never_fail_and_costs_nothing() -> None:
    s = score(facets(mint=errored(FacetKind.MINT), risk=errored(FacetKind.RISK)))
    c = check(s, "mint_authority")
    assert (c.state, c.value, c.points, c.max_points) == (UNKNOWN, None, 0.0, 0.0)
    assert c.source is FacetKind.MINT
    assert c.age_s == 10.0
    assert c.reason == "unknown: mint: the fetch failed"
    # the rest is healthy: not avoided, but too little is known to call it a buy
    assert s.safety == 100.0
    assert s.confidence < 0.6
    assert s.decision is Decision.WATCH


def test_fail_closed_unknown_costs_its_weight_and_trips_its_gate_but_stays_unknown() -> None:
    closed = ScoringSettings.model_validate({"checks": {"mint_authority": {"unknown": "fail"}}})
    s = score(facets(mint=None, risk=absent(FacetKind.RISK)), closed)
    c = check(s, "mint_authority")
    assert (c.state, c.points, c.max_points) == (UNKNOWN, 0.0, 20.0)
    assert c.reason.endswith("(fail-closed: counted as failed)")
    assert s.decision is Decision.AVOID


def test_token_with_every_facet_missing_has_no_score_and_zero_confidence() -> None:
    s = score({})
    assert (s.score, s.safety, s.momentum, s.confidence) == (None, None, None, 0.0)
    assert s.decision is Decision.WATCH
    assert all(c.state is UNKNOWN and c.max_points == 0.0 for c in s.checks)


def test_token_with_every_facet_errored_has_no_score_and_zero_confidence() -> None:
    s = score({k: errored(k) for k in FacetKind})
    assert (s.score, s.confidence, s.decision) == (None, 0.0, Decision.WATCH)


@pytest.mark.parametrize(
    ("extensions", "fee_bps", "state", "value"),
    [
        ((), None, PASS, ""),
        (("metadataPointer",), None, PASS, ""),
        (("transferFeeConfig",), 0, PASS, ""),
        (("transferFeeConfig",), 250, FAIL, "transferFeeConfig"),
        (("transferFeeConfig",), None, FAIL, "transferFeeConfig"),
        (("permanentDelegate", "transferHook"), None, FAIL, "permanentDelegate, transferHook"),
        (("nonTransferable",), None, FAIL, "nonTransferable"),
    ],
)
def test_dangerous_token_2022_extensions_fail(
    extensions: tuple[str, ...], fee_bps: int | None, state: CheckState, value: str
) -> None:
    mint = {
        "program": TokenProgram.SPL_TOKEN_2022,
        "extensions": extensions,
        "transfer_fee_bps": fee_bps,
    }
    s = score(facets(mint=mint, risk={"token_program": None}))
    c = check(s, "token_extensions")
    assert (c.state, c.value) == (state, value)
    assert (s.decision is Decision.AVOID) == (state is FAIL)


def test_token_2022_without_a_mint_facet_is_unknown_unless_rugcheck_shows_a_fee() -> None:
    t22 = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
    quiet = score(facets(mint=None, risk={"token_program": t22}))
    assert check(quiet, "token_extensions").state is UNKNOWN
    taxed = score(facets(mint=None, risk={"token_program": t22, "transfer_fee_pct": 5.0}))
    assert check(taxed, "token_extensions").state is FAIL


def test_holder_facet_is_preferred_over_rugcheck_holder_risks() -> None:
    report = {"risks": (risk_item("Top 10 holders high ownership"),)}
    s = score(facets(holders={"top10_share": 0.3}, risk=report))
    c = check(s, "top10_holders")
    assert (c.state, c.source, c.value) == (PASS, FacetKind.HOLDERS, 0.3)
    s = score(facets(holders={"top1_share": 0.35}))
    c = check(s, "top1_holder")
    assert (c.state, c.value) == (FAIL, 0.35)
    assert "35.0%" in c.reason
    assert "pools excluded" in c.reason


def test_uncovered_rugcheck_dangers_fail_and_covered_ones_are_not_counted_twice() -> None:
    report = {
        "risks": (
            risk_item("Mint Authority still enabled"),  # judged by mint_authority
            risk_item("Copycat token"),
            risk_item("Mutable metadata", level="warn"),
        )
    }
    c = check(score(facets(risk=report)), "rugcheck_dangers")
    assert (c.state, c.value) == (FAIL, 1)
    assert c.reason == "RugCheck danger-level risks: Copycat token"


def test_rugged_flag_is_a_gate_and_makes_the_tier_cold() -> None:
    s = score(facets(risk={"rugged": True}))
    assert check(s, "rugcheck_rugged").state is FAIL
    assert s.decision is Decision.AVOID
    assert s.tier.value == "cold"


def test_lp_locked_share_below_the_minimum_fails() -> None:
    c = check(score(facets(risk={"lp_locked_pct": 12.5})), "lp_locked")
    assert (c.state, c.value) == (FAIL, 12.5)
    c = check(score(facets(risk={"lp_locked_pct": None})), "lp_locked")
    assert (c.state, c.reason) == (UNKNOWN, "unknown: risk: the provider did not report it")


def test_main_market_without_lp_token_falls_back_to_rugchecks_lp_unlocked_risk() -> None:
    """No locked share for the main market (a DLMM pool has no LP token), but RugCheck
    lists "Large Amount of LP Unlocked" for an LP-token pool: that danger is covered by
    lp_locked (not rugcheck_dangers), so lp_locked must fail on it, not go unknown."""
    unlocked = risk_item("Large Amount of LP Unlocked", value="96.00%")
    s = score(facets(risk={"lp_locked_pct": None, "risks": (unlocked,)}))
    c = check(s, "lp_locked")
    assert (c.state, c.source, c.value) == (FAIL, FacetKind.RISK, pytest.approx(4.0))
    assert "RugCheck lists 'Large Amount of LP Unlocked' (4.00% locked)" in c.reason
    assert check(s, "rugcheck_dangers").state is PASS  # counted once
    # without the risk there is nothing to judge: unknown, not a pass
    c = check(score(facets(risk={"lp_locked_pct": None, "risks": ()})), "lp_locked")
    assert c.state is UNKNOWN
    # a measured share of the main market wins over the risk list
    c = check(score(facets(risk={"lp_locked_pct": 99.0, "risks": (unlocked,)})), "lp_locked")
    assert (c.state, c.value) == (PASS, 99.0)


def test_missing_liquidity_is_unknown_and_zero_liquidity_fails() -> None:
    missing = score(facets(market={"liquidity_usd": None}))
    c = check(missing, "liquidity_floor")
    assert (c.state, c.value, c.max_points) == (UNKNOWN, None, 0.0)
    assert check(missing, "wash_trading").state is UNKNOWN
    zero = score(facets(market={"liquidity_usd": 0.0}))
    assert (check(zero, "liquidity_floor").state, check(zero, "liquidity_floor").value) == (
        FAIL,
        0.0,
    )
    wash = check(zero, "wash_trading")
    assert (wash.state, wash.reason) == (
        UNKNOWN,
        "unknown: market: no pooled liquidity to compare against",
    )


def test_volume_far_above_liquidity_fails_as_wash_trading() -> None:
    c = check(score(facets(market={"volume_h24": 50_000_000.0})), "wash_trading")
    assert (c.state, c.value) == (FAIL, 100.0)
    assert "wash trading" in c.reason


def test_one_sided_buying_is_a_honeypot_pattern_and_few_trades_are_unknown() -> None:
    c = check(score(facets(market={"buys_h1": 190, "sells_h1": 10})), "buy_sell_balance")
    assert (c.state, c.value) == (FAIL, 0.95)
    assert "honeypot" in c.reason
    few = {"buys_h1": 3, "sells_h1": 1, "buys_h24": 9, "sells_h24": 2}
    c = check(score(facets(market=few)), "buy_sell_balance")
    assert (c.state, c.reason) == (UNKNOWN, "unknown: market: too few trades to judge")


def test_a_crash_in_any_window_is_an_extreme_move() -> None:
    c = check(score(facets(market={"price_change_h1": -80.0})), "price_extremes")
    assert (c.state, c.value) == (FAIL, -80.0)
    assert "crash" in c.reason
    changes = dict.fromkeys(
        ("price_change_m5", "price_change_h1", "price_change_h6", "price_change_h24")
    )
    c = check(score(facets(market=changes)), "price_extremes")
    assert c.state is UNKNOWN


def test_young_pair_fails_pair_age_but_keeps_the_token_hot() -> None:
    from .builders import NOW

    s = score(facets(market={"pair_created_at": NOW - 3600}))
    c = check(s, "pair_age")
    assert (c.state, c.value) == (FAIL, 3600.0)
    assert s.tier.value == "hot"


def test_dex_and_jupiter_prices_far_apart_fail_and_lower_confidence() -> None:
    close = score(facets())
    apart = score(facets(price={"price_usd": 1.5}))
    c = check(apart, "price_agreement")
    assert c.state is FAIL
    assert c.value == pytest.approx(1 / 3)
    assert apart.confidence == pytest.approx(close.confidence * 0.7)


def test_three_disagreeing_source_pairs_compound_the_penalty() -> None:
    s = score(
        facets(
            mint={"mint_authority": AUTHORITY, "freeze_authority": AUTHORITY},
            price={"price_usd": 3.0},
        )
    )
    assert s.confidence == pytest.approx(0.7**3)


def test_no_links_fails_socials() -> None:
    c = check(score(facets(market={"websites": (), "socials": ()})), "socials")
    assert (c.state, c.value) == (FAIL, 0)


def test_momentum_checks_do_not_touch_safety() -> None:
    quiet = {
        "buys_h1": 0,
        "sells_h1": 0,
        "buys_h24": 0,
        "sells_h24": 0,
        "volume_h1": 0.0,
        "volume_h24": 0.0,
        "price_change_h24": -10.0,
    }
    s = score(facets(market=quiet))
    assert s.momentum == 0.0
    assert s.safety == 100.0
    assert check(s, "buy_pressure").reason == "no trades in the last 24 h"


def test_negative_zero_moves_read_the_same_on_both_paths() -> None:
    # min() keeps whichever zero comes first, numpy's fmin the other: values are normalised
    zeros = {"price_change_m5": None, "price_change_h1": None}
    s = score(facets(market={**zeros, "price_change_h6": 0.0, "price_change_h24": -0.0}))
    assert check(s, "price_extremes").reason.startswith("largest recent move +0.0%")
