"""Decision and tier rules."""

from __future__ import annotations

from tokenradar.domain import Decision, FacetKind, Tier
from tokenradar.scoring.policy import ScoringSettings

from .builders import AUTHORITY, NOW, facets
from .helpers import check, score


def test_new_pair_is_hot_even_when_avoided_because_authorities_change_after_launch() -> None:
    s = score(facets(market={"pair_created_at": NOW - 600}, mint={"mint_authority": AUTHORITY}))
    assert (s.decision, s.tier) == (Decision.AVOID, Tier.HOT)


def test_avoided_older_token_is_cold() -> None:
    s = score(facets(mint={"mint_authority": AUTHORITY}))
    assert (s.decision, s.tier) == (Decision.AVOID, Tier.COLD)


def test_fast_moving_token_is_hot() -> None:
    s = score(facets(market={"price_change_h1": -25.0}, price=None))
    assert s.tier is Tier.HOT


def test_dead_token_is_cold_and_a_quiet_ordinary_one_warm() -> None:
    # no Jupiter price and few links: score under hot_min_score
    ordinary = {"websites": (), "socials": (), "volume_h1": 1_000.0}
    dead = {**ordinary, "volume_h24": 500.0, "volume_h1": 0.0}
    low = ScoringSettings.model_validate({"tier": {"hot_min_score": 99.0}})
    assert score(facets(market=dead, price=None), low).tier is Tier.COLD
    assert score(facets(market=ordinary, price=None), low).tier is Tier.WARM


def test_nothing_known_is_warm_and_watched_not_avoided() -> None:
    s = score({})
    assert (s.tier, s.decision) == (Tier.WARM, Decision.WATCH)


def test_pulled_liquidity_trips_the_liquidity_gate() -> None:
    s = score(facets(market={"liquidity_usd": 500.0, "price_change_h1": -90.0}))
    assert s.decision is Decision.AVOID


def test_thin_liquidity_alone_is_not_a_verdict() -> None:
    s = score(facets(market={"liquidity_usd": 5_000.0, "volume_h24": 20_000.0}))
    assert s.decision is not Decision.AVOID


def test_low_safety_without_a_failed_gate_is_avoided() -> None:
    bad = {
        "volume_h24": 50_000_000.0,
        "price_change_h24": -90.0,
        "websites": (),
        "socials": (),
        "buys_h1": 10,
        "sells_h1": 190,
        "pair_created_at": NOW - 3600,
    }
    s = score(
        facets(
            market=bad,
            risk={"lp_locked_pct": 0.0},
            holders={"top1_share": 0.5, "top10_share": 0.9},
        )
    )
    assert not any(c.gate and c.state.value == "fail" for c in s.checks)
    assert s.safety is not None
    assert s.safety < 60
    assert s.decision is Decision.AVOID


def test_buy_candidate_needs_confidence() -> None:
    # only the market facet: safety may be perfect but too little is known
    s = score({FacetKind.MARKET: facets()[FacetKind.MARKET]})
    assert s.safety == 100.0
    assert s.confidence < 0.6
    assert s.decision is Decision.WATCH


def test_stale_facets_count_half_toward_confidence() -> None:
    from .builders import HEALTHY, ok

    fresh = score(facets())
    stale = score({k: ok(k, d, age=4 * 3600.0) for k, d in HEALTHY.items()})
    assert fresh.confidence == 1.0
    assert stale.confidence == 0.5
    assert stale.score == fresh.score


def test_an_emptied_pool_without_a_crash_is_dead_not_pulled() -> None:
    dead = {"liquidity_usd": 500.0, "volume_h24": 200.0, "volume_h1": 0.0}
    s = score(facets(market=dead))
    assert check(s, "liquidity_pulled").state.value == "pass"
    assert check(s, "liquidity_floor").state.value == "fail"
    assert (s.decision, s.tier) == (Decision.WATCH, Tier.COLD)
