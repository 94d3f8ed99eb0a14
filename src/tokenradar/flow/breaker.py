"""A circuit breaker per lane, with resilience4j's semantics.

* **Closed**: calls flow; each outcome goes into a time-based sliding window of
  ``window`` seconds. Once the window holds at least ``minimum_calls`` calls and
  the failure rate reaches ``failure_rate`` (or the share of calls slower than
  ``slow_call_duration`` reaches ``slow_call_rate``) the breaker opens. Like
  resilience4j's time-based window it is a ring of ``buckets`` partial counts
  (calls, failures, slow calls) of ``window / buckets`` seconds each, so a call
  costs O(1) whatever the request rate; the oldest bucket leaves whole, so the
  window spans between ``window - window / buckets`` and ``window`` seconds.
* **Open**: nothing is sent for the open wait. The wait grows by
  ``wait_multiplier`` each time the breaker re-opens from half-open without
  having closed in between, up to ``max_wait``.
* **Half-open**: exactly ``half_open_calls`` probes are let through; when all
  have answered, the breaker closes if their failure (and slow) rate is below
  the thresholds and re-opens otherwise.

Outcomes that say nothing about the upstream's health (a 429, which the
limiter handles; a permanent 4xx, which is our request's fault) are *ignored*:
they count neither way, and an ignored probe gives its slot back.

Every state change is a :class:`BreakerEvent` handed to the listeners; an
illegal transition raises :class:`IllegalTransition` (it would be a bug here).
Listeners (alerts, metrics) run inside whichever task reported the outcome, so
one that raises is logged by name and counted in ``listener_errors``: the state
has changed already and the other listeners still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import CircuitOpen

log = logging.getLogger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"  # healthy: calls flow, outcomes are measured
    OPEN = "open"  # failing: nothing is sent until the open wait has passed
    HALF_OPEN = "half_open"  # testing: a few probes decide between closed and open


_LEGAL: frozenset[tuple[BreakerState, BreakerState]] = frozenset(
    {
        (BreakerState.CLOSED, BreakerState.OPEN),
        (BreakerState.OPEN, BreakerState.HALF_OPEN),
        (BreakerState.HALF_OPEN, BreakerState.OPEN),
        (BreakerState.HALF_OPEN, BreakerState.CLOSED),
    }
)


class IllegalTransition(RuntimeError):
    """A breaker was asked to move between two states that are not connected."""


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    window: float = 10.0
    minimum_calls: int = 5
    failure_rate: float = 0.5
    slow_call_rate: float = 0.8
    slow_call_duration: float = 8.0
    wait: float = 5.0
    wait_multiplier: float = 2.0
    max_wait: float = 60.0
    half_open_calls: int = 2
    buckets: int = 10  # partial counts the window is made of

    def __post_init__(self) -> None:
        if self.window <= 0 or self.wait <= 0 or self.slow_call_duration <= 0:
            raise ValueError("breaker window, wait and slow_call_duration must be positive")
        if self.minimum_calls < 1 or self.half_open_calls < 1 or self.buckets < 1:
            raise ValueError("breaker minimum_calls, half_open_calls and buckets must be >= 1")
        if not (0 < self.failure_rate <= 1 and 0 < self.slow_call_rate <= 1):
            raise ValueError("breaker failure_rate and slow_call_rate must be in (0, 1]")
        if self.wait_multiplier < 1 or self.max_wait < self.wait:
            raise ValueError("breaker wait_multiplier must be >= 1 and max_wait >= wait")


@dataclass(frozen=True, slots=True)
class BreakerEvent:
    breaker: str
    from_state: BreakerState
    to_state: BreakerState
    at: float  # epoch seconds
    reason: str
    wait: float | None = None  # the open wait, when opening


BreakerListener = Callable[[BreakerEvent], None]


@dataclass(slots=True)
class _Bucket:
    epoch: int = -1  # which slice of ``width`` seconds these counts belong to
    calls: int = 0
    failures: int = 0
    slow: int = 0


class SlidingCounts:
    """Calls, failures and slow calls in the last ``buckets`` slices of time.

    Slice ``e`` covers ``[e * width, (e + 1) * width)``; the window at time
    ``t`` is the slice holding ``t`` and the ``buckets - 1`` before it. Totals are
    kept as buckets enter and leave, so adding a call and reading the rates are
    O(1); a jump in time clears at most ``buckets`` slots.
    """

    __slots__ = ("_head", "_ring", "calls", "failures", "slow", "width")

    def __init__(self, window: float, buckets: int) -> None:
        self.width = window / buckets
        self._ring = [_Bucket() for _ in range(buckets)]
        self._head: int | None = None  # the newest slice seen
        self.calls = self.failures = self.slow = 0

    def __len__(self) -> int:
        return len(self._ring)

    def _advance(self, now: float) -> _Bucket:
        epoch = int(now // self.width)
        n = len(self._ring)
        head = self._head
        if head is None or epoch > head:
            first = epoch - n + 1 if head is None else max(head + 1, epoch - n + 1)
            for e in range(first, epoch + 1):  # the slots the new slices take over
                b = self._ring[e % n]
                self.calls -= b.calls
                self.failures -= b.failures
                self.slow -= b.slow
                b.epoch, b.calls, b.failures, b.slow = e, 0, 0, 0
            self._head = epoch
        return self._ring[epoch % n]

    def add(self, now: float, failed: bool, slow: bool) -> None:
        b = self._advance(now)
        b.calls += 1
        b.failures += failed
        b.slow += slow
        self.calls += 1
        self.failures += failed
        self.slow += slow

    def clear(self) -> None:
        for b in self._ring:
            b.epoch, b.calls, b.failures, b.slow = -1, 0, 0, 0
        self._head = None
        self.calls = self.failures = self.slow = 0


def _describe(listener: BreakerListener) -> str:
    name = getattr(listener, "__qualname__", None)
    module = getattr(listener, "__module__", None)
    return f"{module}.{name}" if name and module else repr(listener)


class Call:
    """Permission for one call; report how it ended exactly once."""

    __slots__ = ("_breaker", "_done", "generation", "started")

    def __init__(self, breaker: CircuitBreaker, generation: int, started: float) -> None:
        self._breaker = breaker
        self.generation = generation
        self.started = started
        self._done = False

    def _finish(self, failed: bool | None) -> None:
        if self._done:
            raise RuntimeError("a breaker call reported its outcome twice")
        self._done = True
        self._breaker._record(self, failed)

    def success(self) -> None:
        self._finish(False)

    def failure(self) -> None:
        self._finish(True)

    def ignore(self) -> None:
        self._finish(None)


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        config: BreakerConfig | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        listeners: list[BreakerListener] | None = None,
    ) -> None:
        self.name = name
        self.config = config or BreakerConfig()
        self.clock = clock
        self.listeners: list[BreakerListener] = list(listeners or [])
        self._state = BreakerState.CLOSED
        self._generation = 0  # bumped on every transition: late answers of old calls are ignored
        self._window = SlidingCounts(self.config.window, self.config.buckets)
        self._opened_at = 0.0
        self._open_wait = self.config.wait
        self._reopens = 0
        self._probes_out = 0
        self._probe_results: list[tuple[bool, bool]] = []
        self.opened_count = 0
        #: listener calls that raised (each is logged with the listener's name)
        self.listener_errors = 0

    # -- state ----------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose wait is over turns half-open."""
        if self._state is BreakerState.OPEN and self.retry_in() <= 0:
            self._transition(BreakerState.HALF_OPEN, "open wait over")
        return self._state

    @property
    def reopens(self) -> int:
        """Times it re-opened from half-open since it last closed (probes kept failing)."""
        return self._reopens

    def retry_in(self) -> float:
        """Seconds until a call may be permitted (0 when one may be now)."""
        if self._state is BreakerState.OPEN:
            return max(0.0, self._opened_at + self._open_wait - self.clock.monotonic())
        return 0.0

    def _transition(self, to: BreakerState, reason: str) -> None:
        frm = self._state
        if (frm, to) not in _LEGAL:
            raise IllegalTransition(f"{self.name}: breaker cannot go from {frm} to {to}")
        self._state = to
        self._generation += 1
        wait = None
        if to is BreakerState.OPEN:
            self._reopens = self._reopens + 1 if frm is BreakerState.HALF_OPEN else 0
            cfg = self.config
            wait = min(cfg.max_wait, cfg.wait * cfg.wait_multiplier**self._reopens)
            self._open_wait = wait
            self._opened_at = self.clock.monotonic()
            self.opened_count += 1
        elif to is BreakerState.HALF_OPEN:
            self._probes_out = 0
            self._probe_results = []
        else:
            self._window.clear()
            self._reopens = 0
        event = BreakerEvent(self.name, frm, to, self.clock.now(), reason, wait)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # an alert or a metric must not kill the caller's task
                self.listener_errors += 1
                log.exception(
                    "%s: breaker listener %s failed on %s -> %s",
                    self.name,
                    _describe(listener),
                    frm,
                    to,
                )

    # -- calls ----------------------------------------------------------------

    def try_acquire(self) -> Call | None:
        """A permit for one call, or None while open (or all probes are out)."""
        state = self.state
        if state is BreakerState.OPEN:
            return None
        if state is BreakerState.HALF_OPEN:
            if self._probes_out + len(self._probe_results) >= self.config.half_open_calls:
                return None
            self._probes_out += 1
        return Call(self, self._generation, self.clock.monotonic())

    def acquire(self) -> Call:
        """Like :meth:`try_acquire`, raising :class:`CircuitOpen` instead of None."""
        call = self.try_acquire()
        if call is None:
            raise CircuitOpen(self.name, self.retry_in())
        return call

    def _record(self, call: Call, failed: bool | None) -> None:
        now = self.clock.monotonic()
        if call.generation != self._generation:
            return  # started in an earlier state: it does not describe this one
        slow = now - call.started >= self.config.slow_call_duration
        if self._state is BreakerState.HALF_OPEN:
            self._probes_out -= 1
            if failed is not None:
                self._probe_results.append((failed, slow))
            self._judge_probes()
        elif self._state is BreakerState.CLOSED and failed is not None:
            self._window.add(now, failed, slow)
            self._judge_window()

    def _rates(self, outcomes: list[tuple[bool, bool]]) -> tuple[float, float]:
        n = len(outcomes)
        return sum(f for f, _ in outcomes) / n, sum(s for _, s in outcomes) / n

    def _judge_window(self) -> None:
        w = self._window
        if w.calls < self.config.minimum_calls:
            return
        failure, slow = w.failures / w.calls, w.slow / w.calls
        if failure >= self.config.failure_rate:
            self._transition(BreakerState.OPEN, f"failure rate {failure:.0%} in window")
        elif slow >= self.config.slow_call_rate:
            self._transition(BreakerState.OPEN, f"slow-call rate {slow:.0%} in window")

    def _judge_probes(self) -> None:
        if len(self._probe_results) < self.config.half_open_calls:
            return
        failure, slow = self._rates(self._probe_results)
        if failure >= self.config.failure_rate:
            self._transition(BreakerState.OPEN, f"{failure:.0%} of probes failed")
        elif slow >= self.config.slow_call_rate:
            self._transition(BreakerState.OPEN, f"{slow:.0%} of probes were slow")
        else:
            self._transition(BreakerState.CLOSED, "probes succeeded")
