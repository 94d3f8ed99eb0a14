from __future__ import annotations

import pytest

from tokenradar.flow.adaptive import AdaptivePolicy, AdaptiveRate
from tokenradar.flow.known_good import KnownGood
from tokenradar.flow.limiter import LimitNode

from .scripted import ScriptedServer, drive


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
    send_at_pace(pace, 0.0, 12.0)  # steadily, for longer than a server window
    pace.on_rate_limited(12.0, sent_at=11.9, retry_after=0)
    assert pace.estimate == pytest.approx(6.4, rel=0.1)
    assert pace.rate == pytest.approx(4.0)
    for t in range(13, 40):
        pace.on_success(float(t))
    assert pace.rate == pytest.approx(pace.estimate)


def test_auto_settles_no_higher_than_a_window_of_what_it_sent_when_a_ramp_trips() -> None:
    # 8 req/s for 3 s: 24 sent, and the 25th refused. If the server's window is up
    # to 10 s long, 24 per 10 s is what it allows, not 8/s.
    pace = AdaptiveRate(None, AdaptivePolicy(auto_start=8.0, good_window=10.0))
    send_at_pace(pace, 0.0, 3.0)
    pace.on_rate_limited(3.0, sent_at=2.95, retry_after=0)
    assert pace.estimate == pytest.approx(2.3)


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


# -- auto against a scripted server (fake time): storms versus a real limit ----------

LIMIT = 3.0  # the scripted server's default: 30 per 10 s


def auto_node(**policy: float) -> LimitNode:
    return LimitNode("rugcheck.all", None, policy=AdaptivePolicy(**policy))  # type: ignore[arg-type]


def settled_clean_for_a_minute() -> tuple[LimitNode, ScriptedServer, float]:
    """A node that found the limit and then ran a whole minute without a 429."""
    node, server, t = auto_node(), ScriptedServer(), 0.0
    drive(node, server, 0.0, 120.0)
    t = 120.0
    while any(at > t - 60 for at in server.limited):
        drive(node, server, t, t + 10)
        t += 10
    return node, server, t


def max_in_a_window(server: ScriptedServer, start: float, end: float) -> float:
    """The most the server accepted in a 10 s window ending in ``[start, end)``, per s."""
    return max(server.served(at - 10, at) for at in server.ok if start <= at < end) / 10


def test_a_storm_of_429s_below_the_known_good_rate_is_not_a_new_ceiling() -> None:
    node, server, t = settled_clean_for_a_minute()
    assert node.pace is not None
    known_good = node.pace.good_rate(t)
    # it is true (the server took that much in 10 s) and it is most of the limit
    assert 0.9 * LIMIT <= known_good <= max_in_a_window(server, 0, t)
    server.storms.append((t, t + 4))
    drive(node, server, t, t + 5)
    assert len(server.stormed) == 3  # 3 in 4 s: far below the known-good rate
    assert node.pace.estimate is not None
    assert node.pace.estimate >= known_good * 0.999  # (it decays, slowly)
    drive(node, server, t + 5, t + 120)
    assert node.pace.estimate >= known_good * 0.99


def test_clean_answers_after_a_storm_bring_the_last_good_rate_back_within_two_minutes() -> None:
    node, server, t = settled_clean_for_a_minute()
    last_good = server.served(t - 60, t) / 60
    server.storms.append((t, t + 4))
    drive(node, server, t, t + 124)
    after = [server.served(s, s + 30) / 30 for s in range(int(t) + 4, int(t) + 95)]
    assert max(after) >= 0.97 * last_good, (last_good, max(after))
    back = next(s for s, rate in enumerate(after) if rate >= 0.97 * last_good)
    assert back + 30 <= 120  # a whole 30 s at the old rate, within two minutes


def test_a_real_limit_is_settled_just_under_and_stays_there() -> None:
    node, server = auto_node(reprobe_after=120.0), ScriptedServer()
    estimates: list[float] = []

    def sample(now: float) -> None:
        assert node.pace is not None
        if now >= 300 and round(now, 2) % 10 == 0 and node.pace.estimate is not None:
            estimates.append(node.pace.estimate)

    drive(node, server, 0.0, 1500.0, every=sample)
    assert len(estimates) > 100
    assert min(estimates) >= 0.9 * LIMIT  # never far below what the server allows
    assert max(estimates) <= 1.05 * LIMIT  # above it only while a reprobe is out
    late = [at for at in server.limited if at >= 300]
    assert len(late) <= 1200 / 120 + 1  # one 429 per reprobe at most
    assert server.served(300, 1500) / 1200 >= 0.9 * LIMIT


def test_a_storm_during_the_first_probe_does_not_pin_the_estimate_low() -> None:
    node, server = auto_node(), ScriptedServer(storms=[(2.0, 6.0)])
    drive(node, server, 0.0, 180.0)
    assert node.pace is not None
    assert node.pace.estimate is not None
    assert node.pace.estimate >= 0.9 * LIMIT
    assert server.served(120, 180) / 60 >= 0.9 * LIMIT


def test_after_the_first_429_no_request_goes_out_into_the_same_full_window() -> None:
    # a probe starting (or resuming) well above the limit fills the server's 10 s
    # window in under 4 s: everything sent before that window empties is refused
    node, server = auto_node(auto_start=8.0), ScriptedServer()
    drive(node, server, 0.0, 120.0)
    assert server.limited, "the probe never met the limit"
    gaps = [b - a for a, b in zip(server.limited, server.limited[1:], strict=False)]
    assert all(g >= server.period for g in gaps), server.limited


def test_refusals_that_outlast_a_storm_are_a_lower_limit() -> None:
    node, server = auto_node(), ScriptedServer()
    drive(node, server, 0.0, 300.0)
    server.limit = 15  # the server halves its limit: 1.5 req/s
    drive(node, server, 300.0, 600.0)
    assert node.pace is not None
    assert node.pace.estimate is not None
    assert node.pace.estimate <= 1.05 * 1.5
    assert not [at for at in server.limited if at >= 450]
    assert server.served(450, 600) / 150 >= 0.9 * 1.5


# -- what the server demonstrably allows ----------------------------------------------


def test_a_clean_window_proves_what_the_server_took_and_the_pace_it_went_out_at() -> None:
    good = KnownGood(10.0, half_life=600.0)
    for i in range(130):  # 2 req/s for 65 s, each answered 0.1 s later
        t = i * 0.5
        good.on_admit(t, 1, pace=2.0)
        good.on_success(t + 0.1, sent_at=t, cost=1)
    assert good.rate(65.0) == pytest.approx(1.9, abs=0.01)  # 20 per 10 s, less one
    assert good.pace(65.0) == pytest.approx(2.0, abs=0.01)


def test_only_a_window_without_a_429_proves_anything() -> None:
    good = KnownGood(10.0, half_life=600.0)

    def send(start: int, end: int) -> None:
        for i in range(start, end):  # 2 req/s, the one sent at 5 s refused
            t = i * 0.5
            good.on_admit(t, 1, pace=2.0)
            if t == 5.0:
                good.on_limited(t + 0.1, sent_at=t)
            else:
                good.on_success(t + 0.1, sent_at=t, cost=1)

    send(0, 34)  # to 16.5 s: every whole 10 s window judged so far holds the 429
    assert good.rate(16.6) == 0.0
    assert good.pace(16.6) == 0.0
    send(34, 40)  # to 19.5 s: the window from 6 s to 16 s is clean
    assert good.rate(19.6) == pytest.approx(1.9, abs=0.01)


def test_a_pace_the_lane_could_not_keep_up_is_not_proven() -> None:
    good = KnownGood(10.0, half_life=600.0)
    for i in range(30):  # allowed 5 req/s, sent 1 req/s
        good.on_admit(float(i), 1, pace=5.0)
        good.on_success(i + 0.1, sent_at=float(i), cost=1)
    assert good.pace(30.0) == pytest.approx(1.1, abs=0.01)


def test_the_known_good_rate_decays_with_its_half_life_when_not_proven_again() -> None:
    good = KnownGood(10.0, half_life=600.0)
    for i in range(40):
        t = i * 0.5
        good.on_admit(t, 1, pace=2.0)
        good.on_success(t + 0.1, sent_at=t, cost=1)
    proven = good.rate(20.0)
    assert good.rate(620.0) == pytest.approx(proven / 2, rel=0.05)
