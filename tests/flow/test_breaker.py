from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

import pytest

from tokenradar.clock import FakeClock
from tokenradar.domain import Facet, FacetKind, FacetState, TokenRef, absent_facet
from tokenradar.errors import CircuitOpen, UpstreamUnavailable
from tokenradar.flow.breaker import (
    BreakerConfig,
    BreakerEvent,
    BreakerState,
    CircuitBreaker,
    IllegalTransition,
)
from tokenradar.flow.lane import Lane, LaneSpec
from tokenradar.flow.limiter import Limiter
from tokenradar.flow.retry import RetryBudget

CFG = BreakerConfig(window=10, minimum_calls=4, failure_rate=0.5, wait=5, half_open_calls=2)


def make() -> tuple[CircuitBreaker, FakeClock, list[BreakerEvent]]:
    clock = FakeClock()
    events: list[BreakerEvent] = []
    return (
        CircuitBreaker("dexscreener.market", CFG, clock=clock, listeners=[events.append]),
        clock,
        events,
    )


def fail(b: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        call = b.try_acquire()
        assert call is not None
        call.failure()


def test_stays_closed_below_the_minimum_number_of_calls() -> None:
    b, _, events = make()
    fail(b, 3)
    assert b.state is BreakerState.CLOSED
    assert events == []


def test_opens_when_the_failure_rate_reaches_the_threshold() -> None:
    b, _, events = make()
    ok = b.try_acquire()
    assert ok is not None
    ok.success()
    ok = b.try_acquire()
    assert ok is not None
    ok.success()
    fail(b, 2)
    assert b.state is BreakerState.OPEN
    assert events[-1].to_state is BreakerState.OPEN
    assert events[-1].wait == 5
    with pytest.raises(CircuitOpen, match="circuit open"):
        b.acquire()


def test_old_failures_slide_out_of_the_window() -> None:
    b, clock, _ = make()
    fail(b, 3)
    clock.advance(11)
    fail(b, 1)
    assert b.state is BreakerState.CLOSED


def test_slow_calls_open_it_too() -> None:
    clock = FakeClock()
    b = CircuitBreaker(
        "x", BreakerConfig(minimum_calls=2, slow_call_duration=1, slow_call_rate=1.0), clock=clock
    )
    for _ in range(2):
        call = b.try_acquire()
        assert call is not None
        clock.advance(2)
        call.success()
    assert b.state is BreakerState.OPEN


def test_half_open_lets_exactly_the_probes_through_and_closes_on_success() -> None:
    b, clock, events = make()
    fail(b, 4)
    clock.advance(4.9)
    assert b.try_acquire() is None
    clock.advance(0.1)
    p1, p2 = b.try_acquire(), b.try_acquire()
    assert p1 is not None
    assert p2 is not None
    assert b.state is BreakerState.HALF_OPEN
    assert b.try_acquire() is None  # only two probes
    p1.success()
    p2.success()
    assert b.state is BreakerState.CLOSED
    assert [e.to_state for e in events] == ["open", "half_open", "closed"]


def test_the_open_wait_grows_on_repeated_opens_and_resets_after_closing() -> None:
    b, clock, events = make()
    fail(b, 4)
    for expected in (10, 20, 40, 60, 60):
        clock.advance(b.retry_in())
        fail(b, 2)
        assert events[-1].wait == expected
    clock.advance(b.retry_in())
    for _ in range(2):
        call = b.try_acquire()
        assert call is not None
        call.success()
    fail(b, 4)
    assert events[-1].wait == 5


def test_an_ignored_probe_gives_its_slot_back() -> None:
    b, clock, _ = make()
    fail(b, 4)
    clock.advance(5)
    p1 = b.try_acquire()
    assert p1 is not None
    p1.ignore()
    p2, p3 = b.try_acquire(), b.try_acquire()
    assert p2 is not None
    assert p3 is not None


def test_answers_from_before_a_transition_do_not_count() -> None:
    b, clock, _ = make()
    late = b.try_acquire()
    assert late is not None
    fail(b, 4)
    clock.advance(5)
    probes = [b.try_acquire(), b.try_acquire()]
    late.failure()  # sent while closed: says nothing about the probes
    for p in probes:
        assert p is not None
        p.success()
    assert b.state is BreakerState.CLOSED


def test_an_outcome_reported_twice_is_a_bug() -> None:
    b, _, _ = make()
    call = b.try_acquire()
    assert call is not None
    call.success()
    with pytest.raises(RuntimeError, match="twice"):
        call.success()


def test_illegal_transitions_raise() -> None:
    b, _, _ = make()
    with pytest.raises(IllegalTransition, match="closed to half_open"):
        b._transition(BreakerState.HALF_OPEN, "test")


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="failure_rate"):
        BreakerConfig(failure_rate=0)


def test_failures_in_different_buckets_of_the_window_count_together() -> None:
    clock = FakeClock()
    b = CircuitBreaker(
        "x",
        BreakerConfig(window=10, buckets=10, minimum_calls=4, failure_rate=0.5),
        clock=clock,
    )
    for t in (0.2, 3.7, 6.1):  # one failure in each of three buckets
        clock.advance(t - clock.monotonic())
        fail(b, 1)
        assert b.state is BreakerState.CLOSED  # below the minimum number of calls
    clock.advance(9.9 - clock.monotonic())
    ok = b.try_acquire()
    assert ok is not None
    ok.success()
    assert b.state is BreakerState.OPEN  # 3 of 4 failed within the window


def _line_events(fn: Callable[[], None]) -> int:
    """How many Python lines ``fn`` executes: work, counted without a stopwatch."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(previous)
    return count


def test_recording_a_call_costs_the_same_with_ten_or_ten_thousand_calls_in_the_window() -> None:
    work: list[int] = []
    for calls_in_window in (10, 10_000):
        clock = FakeClock()
        b = CircuitBreaker("x", BreakerConfig(window=10, minimum_calls=5), clock=clock)

        def one_success(b: CircuitBreaker = b) -> None:
            call = b.try_acquire()
            assert call is not None
            call.success()

        for _ in range(calls_in_window):
            clock.advance(5 / calls_in_window)  # all inside one window, over half its buckets
            one_success()
        work.append(_line_events(one_success))
    assert work[1] == work[0]


def test_a_listener_that_raises_is_logged_and_counted_and_the_rest_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    seen: list[BreakerEvent] = []

    def broken_alert(event: BreakerEvent) -> None:
        raise RuntimeError("alert channel down")

    b = CircuitBreaker("rugcheck.risk", CFG, clock=clock, listeners=[broken_alert, seen.append])
    with caplog.at_level(logging.ERROR, logger="tokenradar.flow.breaker"):
        fail(b, 4)  # opens: the broken listener raises inside call.failure()
    assert b.state is BreakerState.OPEN
    assert [e.to_state for e in seen] == [BreakerState.OPEN]
    assert b.listener_errors == 1
    (record,) = caplog.records
    assert "broken_alert" in record.getMessage()
    assert "rugcheck.risk" in record.getMessage()
    assert record.exc_info is not None
    clock.advance(5)
    assert b.state is BreakerState.HALF_OPEN  # a transition from a property read, too
    assert b.listener_errors == 2
    assert [e.to_state for e in seen] == [BreakerState.OPEN, BreakerState.HALF_OPEN]


async def test_a_raising_listener_neither_strands_a_batch_nor_stops_the_lane() -> None:
    clock = FakeClock()
    delivered: list[Facet[Any]] = []
    seen: list[BreakerState] = []

    async def deliver(facets: Sequence[Facet[Any]]) -> None:
        delivered.extend(facets)

    def broken_metric(event: BreakerEvent) -> None:
        raise ValueError("metrics registry closed")

    breaker = CircuitBreaker(
        "test.market",
        BreakerConfig(minimum_calls=1, wait=5, half_open_calls=1),
        clock=clock,
        listeners=[broken_metric, lambda e: seen.append(e.to_state)],
    )
    lane = Lane(
        LaneSpec("test.market", FacetKind.MARKET, "test", "tokens", max_batch=1, max_in_flight=1),
        Limiter("test", clock=clock),
        deliver,
        clock=clock,
        breaker=breaker,
        retry_budget=RetryBudget(ratio=0.0, floor=0),  # a failure is final at once
    )
    healthy = False

    async def fetch(tokens: Sequence[TokenRef]) -> list[Facet[Any]]:
        if not healthy:
            raise UpstreamUnavailable("test", "503")
        return [
            absent_facet(t, FacetKind.MARKET, fetched_at=clock.now(), source="test") for t in tokens
        ]

    first = TokenRef.parse("So11111111111111111111111111111111111111112")
    second = TokenRef.parse("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
    lane.bind(fetch)
    lane.start()
    try:
        lane.submit(first)
        await clock.run_for(1.0)  # the failure opens the breaker inside the batch task
        assert [f.token for f in delivered] == [first]
        assert delivered[0].state is FacetState.ERROR
        healthy = True
        lane.submit(second)
        await clock.run_for(10.0)  # open wait over: half-open in the lane loop, then closed
        assert [f.token for f in delivered] == [first, second]
        assert lane._runner is not None
        assert not lane._runner.done()
    finally:
        await lane.stop()
    assert seen == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]
    assert breaker.listener_errors == 3
