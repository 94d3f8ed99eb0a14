"""An exact sliding-window request log: never more than ``count`` in any ``period``.

Why a log and not a token bucket: a bucket with ``burst = count`` refilling at
``count / period`` admits a full burst, then refills while the window still
holds that burst, so one window can see up to ~2×count. A log of what was sent
answers the only question the server asks ("how many in the last ``period``?")
exactly.

Why slots are held until the response arrives, plus ``period``: the server
counts a request when it *arrives*, somewhere between our send and our receipt
of the answer. Releasing a slot ``period`` after the response (rather than after
the send) keeps every server-side window within the limit whatever the network
delay: if requests i and j (j sent last) both arrive in a server window
``(T - period, T]``, then ``received_i + period > T - period + period >= sent_j``,
so i still held its slot when j was admitted. The price is one round trip per
window of throughput, which is negligible against windows of seconds to minutes.

Pure bookkeeping: time is passed in; nothing here sleeps.
"""

from __future__ import annotations

import math
from collections import deque


class SlidingWindow:
    """At most ``count`` units of cost held in any window of ``period`` seconds."""

    __slots__ = ("_done", "_done_cost", "count", "in_flight", "period")

    def __init__(self, count: float, period: float) -> None:
        if count < 1 or period <= 0:
            raise ValueError(f"a window needs count >= 1 and period > 0, got {count}/{period}s")
        self.count = count
        self.period = period
        #: cost of requests admitted and not yet answered (they hold their slots)
        self.in_flight = 0.0
        #: (answered_at, cost) in answer order; a slot frees at answered_at + period
        self._done: deque[tuple[float, float]] = deque()
        self._done_cost = 0.0

    def _expire(self, now: float) -> None:
        while self._done and self._done[0][0] + self.period <= now:
            self._done_cost -= self._done.popleft()[1]
        if not self._done:
            self._done_cost = 0.0  # no float drift on an empty log

    def used(self, now: float) -> float:
        """Cost currently holding slots (in flight or answered less than ``period`` ago)."""
        self._expire(now)
        return self.in_flight + self._done_cost

    def delay(self, now: float, cost: float = 1) -> float:
        """Seconds until ``cost`` more fits: 0 = now; ``inf`` = only after a response."""
        if cost > self.count:
            raise ValueError(f"a request of cost {cost} can never fit a limit of {self.count}")
        self._expire(now)
        excess = self.in_flight + self._done_cost + cost - self.count
        if excess <= 1e-9:
            return 0.0
        freed = 0.0
        for answered_at, c in self._done:
            freed += c
            if freed >= excess - 1e-9:
                return answered_at + self.period - now
        return math.inf  # even with every answered slot expired, the in-flight ones block

    def admit(self, cost: float = 1) -> None:
        """Record a request as sent; call only when :meth:`delay` is 0."""
        self.in_flight += cost

    def answer(self, now: float, cost: float = 1) -> None:
        """Record the response (or failure) of a request admitted earlier."""
        self.in_flight = max(0.0, self.in_flight - cost)
        if self._done and now < self._done[-1][0]:
            now = self._done[-1][0]  # keep the log ordered even if a caller's clock jitters
        self._done.append((now, cost))
        self._done_cost += cost
