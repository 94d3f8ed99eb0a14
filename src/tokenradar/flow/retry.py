"""Retries happen in one place (the lane) and are decided here.

* **What is retried** is decided by the error's type alone: transient errors
  (timeouts, 5xx, resets, 429s) up to ``max_attempts`` attempts per token per
  refresh; malformed answers (an HTML error page, truncated JSON) at most once
  more; permanent errors (a 4xx, invalid params) never. Anything that is not an
  :class:`~tokenradar.errors.UpstreamError` is a bug, and a bug is never retried.
* **When**: full-jitter exponential backoff, ``uniform(0, min(cap, base·2^n))``,
  from an injectable, seedable RNG, so that tokens that failed together do not
  come back together.
* **How many**: a :class:`RetryBudget` caps retries at ``ratio`` of the
  requests sent over a sliding window (plus a small floor so that a lone
  failed request at low traffic can still be retried once). When the upstream
  is failing wholesale, retries would only multiply the load; the breaker and
  the next refresh take over.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from tokenradar.errors import (
    MalformedResponse,
    PermanentError,
    RateLimited,
    TransientError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

#: ``UpstreamError.kind`` (as stored in error facets) back to its class
ERROR_KINDS: dict[str, type[UpstreamError]] = {
    cls.kind: cls
    for cls in (
        UpstreamError,
        TransientError,
        UpstreamTimeout,
        UpstreamUnavailable,
        RateLimited,
        MalformedResponse,
        PermanentError,
    )
}


class RetryVerdict(StrEnum):
    RETRY = "retry"  # put the tokens back after a backoff
    GIVE_UP = "give_up"  # attempts for this refresh are spent: record the error
    NEVER = "never"  # retrying cannot help (permanent error or a bug)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    max_malformed_attempts: int = 2
    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_malformed_attempts < 1:
            raise ValueError("retry attempts must be >= 1")
        if self.base <= 0 or self.cap < self.base:
            raise ValueError("retry backoff needs 0 < base <= cap")

    def verdict(self, error: BaseException, attempts: int) -> RetryVerdict:
        """Whether a token whose ``attempts``-th attempt ended in ``error`` goes again."""
        return self.verdict_for(type(error), attempts)

    def verdict_for(self, error: type[BaseException], attempts: int) -> RetryVerdict:
        if issubclass(error, TransientError):
            limit = self.max_attempts
        elif issubclass(error, MalformedResponse):
            limit = min(self.max_attempts, self.max_malformed_attempts)
        else:  # PermanentError, or not one of ours at all: a bug
            return RetryVerdict.NEVER
        return RetryVerdict.RETRY if attempts < limit else RetryVerdict.GIVE_UP

    def verdict_for_kind(self, kind: str, attempts: int) -> RetryVerdict:
        """The verdict for an ``error`` facet's ``FacetError.kind`` (a per-token failure)."""
        return self.verdict_for(ERROR_KINDS.get(kind, Exception), attempts)

    def backoff(self, attempts: int) -> float:
        """Full jitter: a uniform wait up to ``base·2^(attempts-1)``, capped."""
        exp = min(self.cap, self.base * 2 ** max(0, min(attempts - 1, 30)))
        return self.rng.uniform(0.0, exp)


class RetryBudget:
    """Retries may be at most ``ratio`` of requests over the last ``window`` s.

    ``floor`` retries per window are always allowed (so a single failed request
    can be retried when traffic is thin); above that the ratio rules.
    """

    def __init__(self, ratio: float = 0.2, window: float = 60.0, floor: int = 2) -> None:
        if not 0 <= ratio <= 1 or window <= 0 or floor < 0:
            raise ValueError("retry budget needs 0 <= ratio <= 1, window > 0, floor >= 0")
        self.ratio = ratio
        self.window = window
        self.floor = floor
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()
        self.denied = 0

    def _prune(self, now: float) -> None:
        edge = now - self.window
        for q in (self._requests, self._retries):
            while q and q[0] <= edge:
                q.popleft()

    def on_request(self, now: float) -> None:
        """Count a request (first try or retry) as sent."""
        # pruned here too: a lane whose requests never fail never calls try_retry,
        # and its request log must not grow for as long as it runs
        self._prune(now)
        self._requests.append(now)

    def try_retry(self, now: float) -> bool:
        """Withdraw one retry from the budget, or say there is none left."""
        self._prune(now)
        allowed = max(self.floor, int(self.ratio * len(self._requests)))
        if len(self._retries) >= allowed:
            self.denied += 1
            return False
        self._retries.append(now)
        return True
