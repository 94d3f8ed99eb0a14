"""Our own API's rate limit: one token bucket per caller, on an injectable clock.

Each key (or anonymous client address) has its own bucket of ``burst`` tokens
refilled at ``[api] rate``; a request takes one. An empty bucket answers 429
with ``Retry-After`` (seconds until a token is back). Buckets are independent,
so one key over its quota never slows another. The map of buckets is bounded:
full buckets (callers idle long enough to have refilled) are forgotten first.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from tokenradar.clock import Clock
from tokenradar.settings import Rate

#: callers whose buckets are remembered; beyond it the least recent are dropped
MAX_BUCKETS = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float  # clock.monotonic() of the last refill


class RateLimiter:
    def __init__(self, rate: Rate, burst: int, clock: Clock) -> None:
        self.per_s = rate.per_second
        self.burst = float(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self.refused = 0

    def take(self, caller: str) -> float | None:
        """Take one token for ``caller``; None when allowed, else seconds to wait."""
        now = self._clock.monotonic()
        bucket = self._buckets.get(caller)
        if bucket is None:
            bucket = self._buckets[caller] = _Bucket(self.burst, now)
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(caller)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_s)
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        self.refused += 1
        return (1.0 - bucket.tokens) / self.per_s


def retry_after(wait: float) -> str:
    return str(max(1, math.ceil(wait)))
