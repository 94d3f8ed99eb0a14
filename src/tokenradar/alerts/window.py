"""A sink's rate cap: at most ``count`` messages in any ``period`` seconds.

A sliding log of the last ``count`` send times (monotonic seconds): a message
may go when fewer than ``count`` were sent, or the oldest of them is a whole
period old. Memory is ``count`` floats.
"""

from __future__ import annotations

from collections import deque

from tokenradar.settings.values import Rate


class SlidingWindow:
    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._sent: deque[float] = deque(maxlen=rate.count)

    def wait(self, now: float) -> float:
        """Seconds until one more message may go (0: now)."""
        if len(self._sent) < self.rate.count:
            return 0.0
        return max(0.0, self._sent[0] + self.rate.period - now)

    def allows(self, now: float) -> bool:
        return self.wait(now) == 0.0

    def record(self, now: float) -> None:
        self._sent.append(now)
