"""The watchdog: a lane or the scorer that stops making progress is restarted.

"Stuck" is narrow on purpose, so a healthy but idle or throttled part is never
restarted: a lane is stuck when, for ``stuck_after`` seconds, its dispatcher has
not gone round its loop and it has sent and delivered nothing, *while* work is
due, its budget would admit a request now, its circuit is closed and it has a
free in-flight slot. The scorer is stuck when tokens wait for a score and its
loop has not gone round for ``stuck_after``. A restart is counted, published
(``part.restarted``) and, through the alerts, escalated.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.flow.breaker import BreakerState
from tokenradar.flow.engine import Engine
from tokenradar.flow.lane import Lane, LaneState
from tokenradar.service.scoring_loop import ScoringLoop

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Seen:
    marker: tuple[float, int, int]
    since: float


class Watchdog:
    def __init__(
        self,
        engine: Engine,
        scoring: ScoringLoop,
        *,
        restart_scorer: Callable[[str], Awaitable[None]],
        clock: Clock = SYSTEM_CLOCK,
        stuck_after: float = 120.0,
    ) -> None:
        self.engine = engine
        self.scoring = scoring
        self._restart_scorer = restart_scorer
        self.clock = clock
        self.stuck_after = stuck_after
        self._seen: dict[str, _Seen] = {}
        self.restarts = 0

    async def run(self) -> None:
        while True:
            await self.clock.sleep(max(0.05, self.stuck_after / 4))
            await self.check()

    async def check(self) -> None:
        now = self.clock.monotonic()
        for lane in list(self.engine.lanes.values()):
            if self._lane_stuck(lane, now):
                reason = f"no progress for {self.stuck_after:g}s while work is due"
                log.error("watchdog: %s is stuck (%s); restarting it", lane.spec.name, reason)
                self.restarts += 1
                self._seen.pop(lane.spec.name, None)
                await lane.restart(reason)
        s = self.scoring.stats()
        idle_for = now - self.scoring.heartbeat
        if s.dirty and idle_for > self.stuck_after:
            self.restarts += 1
            log.error("watchdog: the scorer is stuck (%d tokens waiting); restarting it", s.dirty)
            await self._restart_scorer(f"no scoring for {idle_for:.0f}s with {s.dirty} waiting")

    def _lane_stuck(self, lane: Lane, now: float) -> bool:
        stats = lane.stats()
        marker = (lane.heartbeat, stats.batches, stats.delivered)
        seen = self._seen.get(lane.spec.name)
        if seen is None or seen.marker != marker:
            self._seen[lane.spec.name] = _Seen(marker, now)
            return False
        if now - seen.since < self.stuck_after:
            return False
        due = lane.queue.next_due()
        return (
            lane.state not in (LaneState.FAILED, LaneState.STOPPED, LaneState.NEW)
            and due is not None
            and due <= self.clock.now()
            and stats.breaker is BreakerState.CLOSED
            and stats.in_flight < lane.spec.max_in_flight
            and lane.budget.delay(lane.spec.endpoint) <= 0
        )
