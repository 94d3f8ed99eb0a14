"""Stateful property test: the breaker's transitions follow resilience4j's rules.

An independent, exact model of the *closed* window (every call answered in the
current closed period, with its time) says when the breaker may open; the event
log says what it did. The breaker counts in buckets, so its window starts
somewhere in the oldest bucket: any decision the exact window would take with
a start in that span is allowed, and nothing else.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tokenradar.clock import FakeClock
from tokenradar.flow.breaker import (
    _LEGAL,
    BreakerConfig,
    BreakerEvent,
    BreakerState,
    Call,
    CircuitBreaker,
    SlidingCounts,
)

CFG = BreakerConfig(
    window=5,
    minimum_calls=3,
    failure_rate=0.5,
    slow_call_rate=0.75,
    slow_call_duration=2,
    wait=1,
    wait_multiplier=2,
    max_wait=6,
    half_open_calls=2,
    buckets=5,  # 1 s buckets: coarse enough that calls often sit in the oldest one
)
WIDTH = CFG.window / CFG.buckets


def must_open(calls: list[tuple[float, bool, bool]]) -> bool:
    n = len(calls)
    return n >= CFG.minimum_calls and (
        sum(f for _, f, _ in calls) / n >= CFG.failure_rate
        or sum(s for _, _, s in calls) / n >= CFG.slow_call_rate
    )


def allowed_decisions(calls: list[tuple[float, bool, bool]], now: float) -> set[bool]:
    """What the exact window decides for any start within one bucket of ``window`` ago."""
    oldest = now - CFG.window
    starts = [oldest, oldest + WIDTH, *(t for t, _, _ in calls if oldest < t < oldest + WIDTH)]
    return {must_open([c for c in calls if c[0] >= start]) for start in starts} | {
        must_open([c for c in calls if c[0] > start]) for start in starts
    }


class BreakerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.events: list[BreakerEvent] = []
        self.breaker = CircuitBreaker("lane", CFG, clock=self.clock, listeners=[self.events.append])
        self.calls: list[tuple[Call, BreakerState]] = []
        self.window: list[tuple[float, bool, bool]] = []  # model of the closed window
        self.opened_at = 0.0
        self.open_wait = 0.0

    def _seen(self) -> int:
        return len(self.events)

    @rule()
    def attempt(self) -> None:
        before = self.breaker._state
        retry_in = self.breaker.retry_in()
        call = self.breaker.try_acquire()
        if before is BreakerState.OPEN and retry_in > 0:
            assert call is None, "an open breaker let a call through before its wait"
        if call is not None:
            self.calls.append((call, self.breaker._state))
        self._sync_model()

    @precondition(lambda self: self.calls)
    @rule(data=st.data(), result=st.sampled_from(["success", "failure", "ignore"]))
    def answer(self, data: st.DataObject, result: str) -> None:
        call, _ = self.calls.pop(data.draw(st.integers(0, len(self.calls) - 1)))
        state, gen = self.breaker._state, self.breaker._generation
        seen = self._seen()
        now = self.clock.monotonic()
        getattr(call, result)()
        if state is BreakerState.CLOSED and call.generation == gen and result != "ignore":
            slow = now - call.started >= CFG.slow_call_duration
            self.window.append((now, result == "failure", slow))
            self.window = [c for c in self.window if c[0] > now - CFG.window]
            opened = self.breaker._state is BreakerState.OPEN
            allowed = allowed_decisions(self.window, now)
            assert opened in allowed, f"window {self.window} at {now} -> opened={opened}"
        elif call.generation != gen:
            assert self._seen() == seen, "a stale call changed the state"
        self._sync_model()

    @rule(dt=st.floats(0, 3))
    def advance(self, dt: float) -> None:
        self.clock.advance(dt)

    def _sync_model(self) -> None:
        for e in self.events[getattr(self, "_synced", 0) :]:
            if e.to_state is BreakerState.OPEN:
                assert e.wait is not None
                if e.from_state is BreakerState.HALF_OPEN:
                    assert e.wait == min(CFG.max_wait, self.open_wait * CFG.wait_multiplier)
                else:
                    assert e.wait == CFG.wait
                self.open_wait = e.wait
                self.opened_at = self.clock.monotonic()
            if e.to_state is BreakerState.HALF_OPEN:
                assert self.clock.monotonic() >= self.opened_at + self.open_wait - 1e-9
            if e.to_state is BreakerState.CLOSED:
                self.window = []
        self._synced = len(self.events)

    @invariant()
    def transitions_are_legal_and_chained(self) -> None:
        state = BreakerState.CLOSED
        for e in self.events:
            assert e.from_state is state
            assert (e.from_state, e.to_state) in _LEGAL
            state = e.to_state
        assert state is self.breaker._state

    @invariant()
    def half_open_never_has_more_than_its_probes(self) -> None:
        if self.breaker._state is BreakerState.HALF_OPEN:
            gen = self.breaker._generation
            out = sum(1 for c, _ in self.calls if c.generation == gen)
            assert out + len(self.breaker._probe_results) <= CFG.half_open_calls


BreakerMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=60, deadline=None)
TestBreakerFollowsTheSpec = BreakerMachine.TestCase


@given(
    st.lists(
        st.tuples(st.floats(0, 3), st.booleans(), st.booleans()),
        min_size=1,
        max_size=80,
    )
)
@settings(max_examples=300, deadline=None)
def test_bucketed_counts_lie_between_the_exact_window_and_one_bucket_less(
    steps: list[tuple[float, bool, bool]],
) -> None:
    counts = SlidingCounts(CFG.window, CFG.buckets)
    calls: list[tuple[float, bool, bool]] = []
    now = 0.0
    for dt, failed, slow in steps:
        now += dt
        counts.add(now, failed, slow)
        calls.append((now, failed, slow))
        full = [c for c in calls if c[0] > now - CFG.window]
        short = [c for c in calls if c[0] >= now - CFG.window + WIDTH]
        for total, pick in (
            (counts.calls, lambda c: True),
            (counts.failures, lambda c: c[1]),
            (counts.slow, lambda c: c[2]),
        ):
            assert sum(map(pick, short)) <= total <= sum(map(pick, full))
        assert len(counts) == CFG.buckets
