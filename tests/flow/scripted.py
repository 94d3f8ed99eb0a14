"""A scripted upstream on fake time, for driving one limit node request by request.

The server keeps a sliding-window limit of its own (``limit`` per ``period``,
changeable mid-run) and answers every request inside a storm window with a
429 whatever the load, as the simulator's ``chaos`` profile does. The driver
sends whenever the node allows (a lane with endless work) and delivers each
answer ``latency`` later.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from tokenradar.flow.limiter import LimitNode, Outcome


@dataclass
class ScriptedServer:
    limit: int | None = 30
    period: float = 10.0
    storms: list[tuple[float, float]] = field(default_factory=list)  # [start, end)
    accepted: deque[float] = field(default_factory=deque)
    ok: list[float] = field(default_factory=list)  # when each accepted request arrived
    limited: list[float] = field(default_factory=list)  # 429s for exceeding the limit
    stormed: list[float] = field(default_factory=list)  # 429s of a storm

    def handle(self, t: float) -> bool:
        if any(start <= t < end for start, end in self.storms):
            self.stormed.append(t)
            return False
        if self.limit is not None:
            while self.accepted and self.accepted[0] <= t - self.period:
                self.accepted.popleft()
            if len(self.accepted) >= self.limit:
                self.limited.append(t)
                return False
            self.accepted.append(t)
        self.ok.append(t)
        return True

    def served(self, start: float, end: float) -> int:
        return sum(1 for t in self.ok if start <= t < end)


def drive(
    node: LimitNode,
    server: ScriptedServer,
    start: float,
    end: float,
    *,
    latency: Callable[[], float] = lambda: 0.05,
    step: float = 0.01,
    every: Callable[[float], None] | None = None,
) -> None:
    """Send whenever ``node`` allows from ``start`` to ``end`` (fake seconds)."""
    seq = itertools.count()
    answers: list[tuple[float, int, float, bool]] = []
    for i in itertools.count():
        t = round(start + i * step, 6)
        if t >= end:
            break
        while answers and answers[0][0] <= t:
            _, _, sent_at, ok = heapq.heappop(answers)
            outcome = Outcome.SUCCESS if ok else Outcome.RATE_LIMITED
            node.answer(t, 1, sent_at, outcome)
        while node.delay(t, 1) <= 0:
            node.admit(t, 1)
            heapq.heappush(answers, (t + latency(), next(seq), t, server.handle(t)))
        if every is not None:
            every(t)
    while answers:  # the last answers land before the next act
        _, _, sent_at, ok = heapq.heappop(answers)
        node.answer(end, 1, sent_at, Outcome.SUCCESS if ok else Outcome.RATE_LIMITED)
