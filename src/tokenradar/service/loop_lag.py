"""Event-loop lag: how late a task that asked to sleep 100 ms wakes up.

Everything in the service shares one event loop, so a synchronous stretch
anywhere (a big sort, a blocking call, a GC pause) delays every lane, the
writer and the API alike. The probe sleeps ``interval`` over and over and
records each overshoot in a fixed ring (the last ``window`` seconds' worth), so
the monitor can report its median and worst.

It measures the real loop on purpose (``loop.time()``, ``asyncio.sleep``), not
the injected :class:`~tokenradar.clock.Clock`: a fake clock would measure nothing.
"""

from __future__ import annotations

import asyncio
import math

from tokenradar.flow.latency import LatencyRing, Percentiles

INTERVAL = 0.1


class LoopLagProbe:
    def __init__(self, *, interval: float = INTERVAL, window: float = 60.0) -> None:
        if interval <= 0 or window < interval:
            raise ValueError("interval must be > 0 and window >= interval")
        self.interval = interval
        self.window = window
        self._ring = LatencyRing(math.ceil(window / interval))
        self.running = False

    async def run(self) -> None:
        """Probe until cancelled."""
        loop = asyncio.get_running_loop()
        self.running = True
        try:
            while True:
                asked = loop.time()
                await asyncio.sleep(self.interval)
                self._ring.record(loop.time() - asked - self.interval)
        finally:
            self.running = False

    def summary(self) -> Percentiles:
        return self._ring.summary()
