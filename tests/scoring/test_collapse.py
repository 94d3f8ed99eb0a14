"""A collapse in progress is never a buy candidate, whatever the other checks say (issue 9).

Every case scores through both paths (``helpers.score`` requires the vectorised
scorer to equal the reference).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenradar.domain import CheckState, Decision
from tokenradar.errors import ConfigError
from tokenradar.scoring.policy import ScoringSettings
from tokenradar.settings import load_settings

from .builders import facets
from .helpers import check, score

BUY, WATCH, AVOID = Decision.BUY_CANDIDATE, Decision.WATCH, Decision.AVOID


def _flow(buys: int, sells: int) -> dict[str, int]:
    return {"buys_h1": buys, "sells_h1": sells}


def test_the_healthy_token_is_a_buy_candidate_to_begin_with() -> None:
    assert score(facets()).decision is BUY


def test_a_price_down_73_6_percent_with_16_percent_buys_is_not_a_buy_candidate() -> None:
    s = score(facets(market={"price_change_h24": -73.6, **_flow(16, 84)}))
    # the score is still an average of mostly clean checks; the decision is capped
    assert s.score is not None
    assert s.score >= 70.0
    assert s.decision is WATCH
    extremes, balance = check(s, "price_extremes"), check(s, "buy_sell_balance")
    assert (extremes.state, extremes.value) == (CheckState.FAIL, -73.6)
    assert extremes.reason == (
        "extreme price move (crash): -73.6%: a collapse in progress, never a buy (avoid at -80%)"
    )
    assert (balance.state, balance.value) == (CheckState.FAIL, 0.16)
    assert balance.reason == (
        "buys are 16% of 1 h trades (sell-off; expected 20%-90%): a collapse in progress, "
        "never a buy (avoid below 10%)"
    )


@pytest.mark.parametrize("window", ["m5", "h1", "h6", "h24"])
@pytest.mark.parametrize(
    ("change", "decision"),
    [(-49.9, BUY), (-50.0, WATCH), (-79.9, WATCH), (-80.0, AVOID), (-100.0, AVOID)],
)
def test_a_fall_alone_caps_the_decision_in_any_window(
    window: str, change: float, decision: Decision
) -> None:
    s = score(facets(market={f"price_change_{window}": change}))
    assert s.decision is decision


def test_a_fall_past_the_avoid_threshold_says_avoid() -> None:
    c = check(score(facets(market={"price_change_h1": -92.5})), "price_extremes")
    assert c.reason == "extreme price move (crash): -92.5%, at or past -80%: a collapse, avoid"


@pytest.mark.parametrize(
    ("buys", "decision"),
    [(20, BUY), (19, WATCH), (10, WATCH), (9, AVOID), (0, AVOID)],
)
def test_a_sell_off_alone_caps_the_decision(buys: int, decision: Decision) -> None:
    s = score(facets(market=_flow(buys, 100 - buys)))
    assert s.decision is decision


def test_a_sell_off_past_the_avoid_threshold_says_avoid() -> None:
    c = check(score(facets(market=_flow(5, 95))), "buy_sell_balance")
    assert c.reason == (
        "buys are 5% of 1 h trades (sell-off; expected 20%-90%): below 10%, a collapse, avoid"
    )


def test_the_sell_off_falls_back_to_h24_when_h1_has_too_few_trades() -> None:
    few_h1 = {"buys_h1": 1, "sells_h1": 5, "buys_h24": 150, "sells_h24": 850}
    assert score(facets(market=few_h1)).decision is WATCH


def test_unknown_flow_or_moves_are_no_collapse() -> None:
    # missing data is not a verdict: nothing to cap
    quiet = {
        "price_change_m5": None,
        "price_change_h1": None,
        "price_change_h6": None,
        "price_change_h24": None,
        "buys_h1": 3,
        "sells_h1": 9,
        "buys_h24": 4,
        "sells_h24": 12,
    }
    s = score(facets(market=quiet))
    assert check(s, "price_extremes").state is CheckState.UNKNOWN
    assert check(s, "buy_sell_balance").state is CheckState.UNKNOWN
    assert s.decision is BUY


def test_thresholds_are_policy() -> None:
    lenient = ScoringSettings.model_validate(
        {
            "checks": {
                "price_extremes": {"max_drop_pct": 90.0, "avoid_drop_pct": 150.0},
                "buy_sell_balance": {"min_buy_ratio": 0.1, "avoid_buy_ratio": 0.0},
            }
        }
    )
    assert score(facets(market={"price_change_h6": -85.0}), lenient).decision is BUY
    assert score(facets(market={"price_change_h6": -95.0}), lenient).decision is WATCH
    assert score(facets(market={"price_change_h6": -100.0}), lenient).decision is WATCH
    assert score(facets(market=_flow(12, 88)), lenient).decision is BUY
    s = score(facets(market=_flow(0, 100)), lenient)
    assert s.decision is WATCH
    # an avoid threshold that never applies is not mentioned
    assert check(s, "buy_sell_balance").reason.endswith("a collapse in progress, never a buy")
    s = score(facets(market={"price_change_h6": -95.0}), lenient)
    assert check(s, "price_extremes").reason.endswith("a collapse in progress, never a buy")


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        (
            "[scoring.checks.price_extremes]\nmax_drop_pct = 90\n",
            "scoring.checks.price_extremes",
        ),
        (
            "[scoring.checks.buy_sell_balance]\nmin_buy_ratio = 0.05\n",
            "scoring.checks.buy_sell_balance",
        ),
    ],
)
def test_an_avoid_threshold_milder_than_the_fail_threshold_is_rejected(
    tmp_path: Path, toml: str, key: str
) -> None:
    path = tmp_path / "tokenradar.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == key
