"""The adaptive pace of one limit: GCRA spacing at a rate that AIMD moves.

The :class:`~tokenradar.flow.window.SlidingWindow` is what makes a limit exact;
this is what makes it *smooth* and *adaptive*:

* **Pacing (GCRA).** Requests are spaced ``1 / rate`` seconds apart per unit of
  cost, with a burst tolerance of ``burst`` back-to-back requests after idle
  (default 1: pure pacing). Pacing at the ceiling never trips a server that
  enforces its limit as a token bucket, a fixed window or a sliding window, and
  it makes "tokens per second" mean the same thing over any interval.
* **Backing off.** A 429 pauses the limit until ``Retry-After`` (capped; when
  the provider gives none, 1 s doubling per consecutive 429) and multiplies the
  rate by ``decrease``. Only one decrease per round trip: 429s for requests
  that were sent before the last decrease are answers to the old rate.
* **Creeping back.** While healthy the rate grows by ``step × ceiling`` every
  ``interval`` seconds, up to the configured ceiling.
* **Auto (unknown limit).** Starts at ``auto_start`` req/s and grows by
  ``auto_growth`` per interval *while requests actually go out at that pace*
  (at least ``busy`` of it: a lane held back by its in-flight cap, latency or
  lack of work proves nothing about the limit). The first 429 sets the ceiling estimate to
  ``settle ×`` the rate that tripped it; later 429s only lower it. After
  ``reprobe_after`` seconds without a 429 at the estimate it is raised by 5 %,
  so a limit that was lifted is found again, at the cost of one probe.

Pure bookkeeping: time is passed in; nothing here sleeps.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AdaptivePolicy:
    burst: float = 1.0
    decrease: float = 0.5
    step: float = 0.05
    interval: float = 1.0
    #: the rate never drops below ``floor × ceiling`` (auto: ``min_rate``)
    floor: float = 0.02
    min_rate: float = 0.05
    default_pause: float = 1.0
    max_pause: float = 60.0
    auto_start: float = 1.0
    auto_growth: float = 1.1
    settle: float = 0.8
    busy: float = 0.8
    reprobe_after: float = 120.0

    def __post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError(f"burst must be >= 1, got {self.burst}")
        if not 0 < self.decrease < 1:
            raise ValueError(f"decrease must be in (0, 1), got {self.decrease}")
        if not 0 < self.settle < 1:
            raise ValueError(f"settle must be in (0, 1), got {self.settle}")
        if self.auto_growth <= 1:
            raise ValueError(f"auto_growth must be > 1, got {self.auto_growth}")


class AdaptiveRate:
    """GCRA pacing at an AIMD-adapted rate (requests of cost 1 per second)."""

    def __init__(self, ceiling: float | None, policy: AdaptivePolicy | None = None) -> None:
        if ceiling is not None and ceiling <= 0:
            raise ValueError(f"a ceiling must be positive, got {ceiling}")
        self.policy = policy or AdaptivePolicy()
        #: configured ceiling in req/s; None = unknown ("auto")
        self.ceiling = ceiling
        #: auto only: what we believe the limit is, once a 429 told us
        self.estimate: float | None = None
        self.rate = ceiling if ceiling is not None else self.policy.auto_start
        self.paused_until = 0.0
        self.rate_limited = 0
        self._tat = 0.0  # GCRA theoretical arrival time
        self._consecutive = 0
        self._last_change = 0.0
        self._last_decrease = -1.0
        self._last_limited = 0.0
        self._admitted = 0.0  # cost admitted since the last change
        self._recent: deque[tuple[float, float]] = deque()  # (admitted at, cost), last second(s)
        self._first_admit: float | None = None

    @property
    def auto(self) -> bool:
        return self.ceiling is None

    @property
    def effective_ceiling(self) -> float | None:
        return self.ceiling if self.ceiling is not None else self.estimate

    @property
    def _floor(self) -> float:
        if self.ceiling is not None:
            return max(self.ceiling * self.policy.floor, 1e-6)
        return self.policy.min_rate

    def delay(self, now: float, cost: float = 1) -> float:
        """Seconds until a request of ``cost`` keeps pace (0 = now)."""
        tau = (self.policy.burst - 1) / self.rate
        return max(0.0, self.paused_until - now, self._tat - tau - now)

    def admit(self, now: float, cost: float = 1) -> None:
        """Record a request as sent; call only when :meth:`delay` is 0."""
        self._tat = max(self._tat, now) + cost / self.rate
        self._admitted += cost
        self._recent.append((now, cost))
        if self._first_admit is None:
            self._first_admit = now

    def _achieved(self, now: float) -> float:
        """The rate actually sent since the last change, req/s."""
        return self._admitted / max(now - self._last_change, 1e-9)

    def recent_rate(self, now: float) -> float:
        """The rate actually sent over the last ``max(1 s, 2 intervals)``, req/s."""
        horizon = max(1.0, 2 * self.policy.interval)
        while self._recent and self._recent[0][0] <= now - horizon:
            self._recent.popleft()
        if self._first_admit is None:
            return 0.0
        span = min(horizon, max(now - self._first_admit, 1.0 / self.rate))
        return sum(c for _, c in self._recent) / span

    def on_success(self, now: float) -> None:
        self._consecutive = 0
        if now < self.paused_until or now - self._last_change < self.policy.interval:
            return
        p = self.policy
        top = self.effective_ceiling
        if self.auto and top is None:
            if self._achieved(now) >= p.busy * self.rate:  # probing: only at full pace
                self.rate *= p.auto_growth
        elif top is not None:
            if self.auto and self.rate >= top and now - self._last_limited >= p.reprobe_after:
                top = self.estimate = top * 1.05
                self._last_limited = now
            self.rate = min(top, self.rate + p.step * top)
        self._last_change = now
        self._admitted = 0.0

    def on_rate_limited(self, now: float, sent_at: float, retry_after: float | None) -> None:
        p = self.policy
        self.rate_limited += 1
        self._consecutive += 1
        if retry_after is not None and retry_after >= 0:
            pause = min(p.max_pause, retry_after)
        else:
            pause = min(p.max_pause, p.default_pause * 2 ** min(self._consecutive - 1, 16))
        self.paused_until = max(self.paused_until, now + pause)
        self._tat = max(self._tat, self.paused_until)
        if sent_at < self._last_decrease:
            self._last_limited = self._last_change = now
            self._admitted = 0.0
            return  # sent before our last decrease: it reports on the old rate
        # what tripped the limit is what we sent, which may be less than the pace allowed
        tripped_at = min(self.rate, max(self.recent_rate(now), self._floor))
        self._last_limited = self._last_change = now
        self._admitted = 0.0
        self.rate = max(self._floor, self.rate * p.decrease)
        self._last_decrease = now
        if self.auto:
            settled = max(self._floor, tripped_at * p.settle)
            self.estimate = settled if self.estimate is None else min(self.estimate, settled)
