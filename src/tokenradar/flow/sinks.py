"""A facet sink's delivery: its own bounded, coalescing hand-off and the task feeding it.

The engine gives every subscribed sink one :class:`SinkPump`, so a slow sink (the
writer under backpressure, a stream) never holds a lane's in-flight slot: it only
sees fewer, newer facets (see :mod:`tokenradar.flow.handoff`), and a sink that
raises is logged and counted, never allowed to stop the lanes or the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tokenradar.domain import Facet
from tokenradar.flow.handoff import facet_handoff

log = logging.getLogger(__name__)

AnyFacet = Facet[Any]
FacetSink = Callable[[Sequence[AnyFacet]], Awaitable[None]]

#: facets a sink's hand-off holds (one per token and kind) before the oldest give way
SINK_CAPACITY = 100_000
#: facets handed to a sink per call
SINK_BATCH = 2_000


@dataclass(frozen=True, slots=True)
class SinkStats:
    name: str
    pending: int  # facets waiting for this sink
    delivered: int
    coalesced: int  # replaced by a newer facet of the same token before delivery
    dropped: int  # given way when the hand-off was full
    failures: int  # calls of the sink that raised


class SinkPump:
    """One sink's hand-off and the loop that feeds it."""

    def __init__(self, name: str, sink: FacetSink, capacity: int) -> None:
        self.name = name
        self.sink = sink
        self.handoff = facet_handoff(capacity, name=name)
        self.failures = 0
        self.busy = False
        self._idle = asyncio.Event()
        self._idle.set()

    def put(self, facets: Sequence[AnyFacet]) -> None:
        self.handoff.put_many(facets)
        self._idle.clear()

    async def run(self) -> None:
        while True:
            batch = await self.handoff.get_batch(SINK_BATCH)
            if not batch:  # closed and drained
                self._idle.set()
                return
            self.busy = True
            try:
                await self.sink(batch)
            except Exception:  # one broken sink must not stop the lanes or the others
                self.failures += 1
                log.exception("facet sink %s failed on %d facets", self.name, len(batch))
            finally:
                self.busy = False
            if not len(self.handoff):
                self._idle.set()

    async def drained(self) -> None:
        while len(self.handoff) or self.busy:
            self._idle.clear()
            await self._idle.wait()

    def stats(self) -> SinkStats:
        h = self.handoff.stats()
        return SinkStats(self.name, h.pending, h.delivered, h.coalesced, h.dropped, self.failures)
