from __future__ import annotations

import pytest

from tokenradar.flow.adaptive import AdaptivePolicy, AdaptiveRate


def test_paces_requests_one_interval_apart_at_the_ceiling() -> None:
    pace = AdaptiveRate(5.0)
    assert pace.delay(0.0) == 0
    pace.admit(0.0)
    assert pace.delay(0.0) == pytest.approx(0.2)
    pace.admit(0.2)
    assert pace.delay(0.25) == pytest.approx(0.15)


def test_a_batch_of_cost_n_spaces_the_next_request_n_intervals() -> None:
    pace = AdaptiveRate(4.0)
    pace.admit(0.0, cost=4)
    assert pace.delay(0.0) == pytest.approx(1.0)


def test_429_pauses_for_retry_after_and_halves_the_rate() -> None:
    pace = AdaptiveRate(10.0)
    pace.admit(0.0)
    pace.on_rate_limited(1.0, sent_at=0.0, retry_after=2.0)
    assert pace.rate == pytest.approx(5.0)
    assert pace.delay(1.0) == pytest.approx(2.0)
    assert pace.delay(2.99) > 0
    assert pace.delay(3.0) == 0


def test_retry_after_is_capped() -> None:
    pace = AdaptiveRate(10.0, AdaptivePolicy(max_pause=30.0))
    pace.on_rate_limited(0.0, sent_at=0.0, retry_after=3600.0)
    assert pace.paused_until == pytest.approx(30.0)


def test_without_retry_after_the_pause_doubles_per_consecutive_429() -> None:
    pace = AdaptiveRate(10.0)
    pace.on_rate_limited(0.0, sent_at=0.0, retry_after=None)
    assert pace.paused_until == pytest.approx(1.0)
    pace.on_rate_limited(1.0, sent_at=1.0, retry_after=None)
    assert pace.paused_until == pytest.approx(3.0)
    pace.on_success(3.5)
    pace.on_rate_limited(4.0, sent_at=4.0, retry_after=None)
    assert pace.paused_until == pytest.approx(5.0)


def test_429s_for_requests_sent_before_a_decrease_do_not_decrease_again() -> None:
    pace = AdaptiveRate(8.0)
    pace.on_rate_limited(1.0, sent_at=0.5, retry_after=0)
    pace.on_rate_limited(1.1, sent_at=0.6, retry_after=0)  # was on the wire already
    assert pace.rate == pytest.approx(4.0)
    pace.on_rate_limited(2.0, sent_at=1.5, retry_after=0)
    assert pace.rate == pytest.approx(2.0)


def test_creeps_back_to_the_ceiling_and_never_above_it() -> None:
    pace = AdaptiveRate(10.0, AdaptivePolicy(step=0.1, interval=1.0))
    pace.on_rate_limited(0.0, sent_at=0.0, retry_after=0)
    assert pace.rate == pytest.approx(5.0)
    for t in range(1, 20):
        pace.on_success(float(t))
    assert pace.rate == pytest.approx(10.0)


def send_at_pace(pace: AdaptiveRate, start: float, end: float, step: float = 0.01) -> None:
    """Admit a request whenever the pace allows, from ``start`` to ``end``."""
    t = start
    while t < end:
        if pace.delay(t) == 0:
            pace.admit(t)
        t += step


def test_auto_probes_upward_only_while_requests_go_out_at_the_pace() -> None:
    pace = AdaptiveRate(None, AdaptivePolicy(auto_start=1.0, auto_growth=1.5))
    for t in range(1, 5):  # idle: successes, but nothing sent at the pace
        pace.on_success(float(t))
    assert pace.rate == pytest.approx(1.0)
    send_at_pace(pace, 4.0, 6.0)
    pace.on_success(6.0)
    assert pace.rate == pytest.approx(1.5)


def test_auto_settles_below_the_rate_actually_sent_when_it_tripped() -> None:
    pace = AdaptiveRate(None, AdaptivePolicy(auto_start=8.0, settle=0.8, step=0.5))
    send_at_pace(pace, 0.0, 2.0)
    pace.on_rate_limited(2.0, sent_at=1.9, retry_after=0)
    assert pace.estimate == pytest.approx(6.4, rel=0.1)
    assert pace.rate == pytest.approx(4.0)
    for t in range(3, 30):
        pace.on_success(float(t))
    assert pace.rate == pytest.approx(pace.estimate)


def test_auto_trips_on_what_was_sent_not_on_a_pace_never_used() -> None:
    pace = AdaptiveRate(None, AdaptivePolicy(auto_start=100.0, settle=0.5))
    send_at_pace(pace, 0.0, 2.0, step=0.5)  # the lane only managed 2 req/s
    pace.on_rate_limited(2.0, sent_at=1.5, retry_after=0)
    assert pace.estimate is not None
    assert pace.estimate < 2.0


def test_auto_reprobes_after_a_long_healthy_spell() -> None:
    pace = AdaptiveRate(None, AdaptivePolicy(auto_start=10.0, settle=0.5, reprobe_after=60))
    send_at_pace(pace, 0.0, 1.0)
    pace.on_rate_limited(1.0, sent_at=0.9, retry_after=0)
    first = pace.estimate
    assert first is not None
    for t in range(2, 200):
        pace.on_success(float(t))
    assert pace.estimate is not None
    assert first < pace.estimate < first * 1.05**4


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="decrease"):
        AdaptivePolicy(decrease=1.5)
