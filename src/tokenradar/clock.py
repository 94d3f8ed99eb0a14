"""The one source of time.

Everything that waits or timestamps (limiters, breakers, TTLs, the scheduler,
the simulator's world) takes a :class:`Clock`, so tests step a
:class:`FakeClock` instead of sleeping.

``now()`` is wall-clock epoch seconds (for timestamps that are stored and
compared across processes); ``monotonic()`` is for measuring intervals.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock time, epoch seconds."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


SYSTEM_CLOCK = SystemClock()


class FakeClock:
    """A clock that moves only when told to.

    ``sleep`` parks the caller until :meth:`advance` moves time past its
    deadline, so async code under test runs in deterministic, instantaneous
    steps. ``now()`` is ``start + monotonic()``.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._start = start
        self._t = 0.0
        self._seq = itertools.count()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._start + self._t

    def monotonic(self) -> float:
        return self._t

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._t + seconds, next(self._seq), fut))
        await fut

    @property
    def next_deadline(self) -> float | None:
        """When the earliest sleeper wakes, or None if nobody sleeps."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)  # cancelled sleepers
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has passed."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._t += seconds
        while self._sleepers and self._sleepers[0][0] <= self._t:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)

    async def run_for(self, seconds: float, step: float = 0.001) -> None:
        """Advance ``seconds`` in jumps to each next deadline, letting tasks run between."""
        end = self._t + seconds
        while True:
            for _ in range(5):
                await asyncio.sleep(0)
            nxt = self.next_deadline
            if nxt is None or nxt > end:
                self.advance(max(0.0, end - self._t))
                for _ in range(5):
                    await asyncio.sleep(0)
                return
            self.advance(max(step if nxt <= self._t else 0.0, nxt - self._t))
