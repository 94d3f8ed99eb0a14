"""A bounded record of recent durations and their percentiles.

::

    ring = LatencyRing(256)
    ring.record(0.120)                  # O(1), never grows
    ring.summary()                      # Percentiles(count=1, p50=0.12, ...)

A lane records each batch's duration here (from the call to its provider client
to the answer, failures included: a timeout is latency the lane lived through);
the health monitor's event-loop probe records its overshoots. It is a fixed
ring of the last ``size`` samples rather than a histogram: percentiles are exact
over those samples (nearest rank), the memory is ``size`` floats whatever the
run's length, and the sort happens only when someone reads the summary (a few
hundred floats, every few seconds).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

DEFAULT_SIZE = 256


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Seconds, over the last ``count`` samples; all None when there were none."""

    count: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None


NO_SAMPLES = Percentiles()


class LatencyRing:
    """The last ``size`` durations (seconds), oldest overwritten first."""

    __slots__ = ("_next", "_samples", "_size", "total")

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError(f"a latency ring needs size >= 1, got {size}")
        self._samples = array("d", bytes(8 * size))  # preallocated: recording never allocates
        self._size = size
        self._next = 0
        #: samples ever recorded (the ring holds the last ``min(total, size)``)
        self.total = 0

    def __len__(self) -> int:
        return min(self.total, self._size)

    def record(self, seconds: float) -> None:
        self._samples[self._next] = max(0.0, seconds)
        self._next = (self._next + 1) % self._size
        self.total += 1

    def values(self) -> list[float]:
        """The samples held, in no particular order."""
        return self._samples.tolist()[: len(self)]

    def summary(self) -> Percentiles:
        held = sorted(self.values())
        if not held:
            return NO_SAMPLES
        return Percentiles(
            count=len(held),
            p50=_rank(held, 0.50),
            p95=_rank(held, 0.95),
            p99=_rank(held, 0.99),
            max=held[-1],
        )


def _rank(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least ``q`` of them at or below."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
