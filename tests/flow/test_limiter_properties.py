"""Stateful property test: whatever happens, no server-side window exceeds a limit.

The machine sends, answers (success, 429 with or without Retry-After, other
failure) and steps a FakeClock. Each answered request "arrived" at the server at
some moment between its send and its answer; for every limit on its path, every
window of that limit's period must hold at most ``count`` units of cost.
"""

from __future__ import annotations

import math

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tokenradar.clock import FakeClock
from tokenradar.flow.adaptive import AdaptivePolicy
from tokenradar.flow.limiter import Limiter, LimitNode, Outcome, Permit
from tokenradar.settings import Rate

HOST = Rate(10, 2.0)
METHOD = Rate(4, 1.0)
MAX_PAUSE = 5.0


class LimiterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        policy = AdaptivePolicy(burst=3, max_pause=MAX_PAUSE)
        self.limiter = Limiter(
            "rpc",
            root=LimitNode("host", HOST, max_in_flight=6, policy=policy),
            default=lambda m: LimitNode(m, METHOD, policy=policy),
            clock=self.clock,
        )
        self.in_flight: list[Permit] = []
        # limit name -> [(arrival, cost)] as the server saw them
        self.arrivals: dict[str, list[tuple[float, float]]] = {}
        self.paused_until = 0.0

    @rule(
        endpoint=st.sampled_from(["getMultipleAccounts", "getTokenLargestAccounts", "x"]),
        cost=st.integers(1, 4),
    )
    def send(self, endpoint: str, cost: int) -> None:
        permit = self.limiter.try_acquire(endpoint, cost)
        if permit is not None:
            assert self.clock.monotonic() >= self.paused_until - 1e-9, "sent during a pause"
            self.in_flight.append(permit)

    @precondition(lambda self: self.in_flight)
    @rule(
        data=st.data(),
        outcome=st.sampled_from(list(Outcome)),
        retry_after=st.one_of(st.none(), st.floats(0, 30)),
    )
    def answer(self, data: st.DataObject, outcome: Outcome, retry_after: float | None) -> None:
        i = data.draw(st.integers(0, len(self.in_flight) - 1))
        permit = self.in_flight.pop(i)
        now = self.clock.monotonic()
        frac = data.draw(st.floats(0, 1))
        arrival = permit.sent_at + frac * (now - permit.sent_at)
        for node in permit.nodes:
            self.arrivals.setdefault(node.name, []).append((arrival, permit.cost))
        self.limiter.release(permit, outcome, retry_after=retry_after)
        if outcome is Outcome.RATE_LIMITED and retry_after is not None:
            self.paused_until = max(self.paused_until, now + min(retry_after, MAX_PAUSE))

    @rule(dt=st.floats(0.0, 1.5))
    def advance(self, dt: float) -> None:
        self.clock.advance(dt)

    @invariant()
    def no_window_exceeds_its_limit(self) -> None:
        for name, seen in self.arrivals.items():
            limit = HOST if name == "host" else METHOD
            for t, _ in seen:
                held = sum(c for a, c in seen if t - limit.period < a <= t)
                assert held <= limit.count, f"{name}: {held} in the window ending {t}"

    @invariant()
    def in_flight_is_bounded(self) -> None:
        assert len(self.in_flight) <= 6

    @invariant()
    def a_blocked_request_is_told_how_long_to_wait(self) -> None:
        d = self.limiter.delay("getMultipleAccounts", 1)
        assert d >= 0
        assert not math.isnan(d)


LimiterMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
TestLimiterNeverExceedsAWindow = LimiterMachine.TestCase
