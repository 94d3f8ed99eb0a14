"""Continuous scoring: tokens whose facets changed are re-scored in batches.

::

    lanes ──► facet store ──► hand-off ──► ScoringLoop.sink (marks tokens dirty)
                                                 │  within ``max_delay``
                                                 ▼
                 vectorised scorer over every dirty token (a thread above 2,000)
                                                 │
                 scores → writer (latest + history) · token.scored / tier / decision events
                                                 │
                 engine.set_tier(token, max(scored tier, its floor))   ← the feedback

The loop is an engine sink, so it gets only what landed and never slows a lane
(its hand-off coalesces per token). A token is scored at most once per batch
however many of its facets landed; a batch holds at most ``batch_max`` tokens,
oldest-dirty first, so a flood delays scores by a bounded amount instead of
growing a queue. ``floor(token)`` lets the service keep watchlisted and
just-launched tokens at least as hot as it wants whatever the scorer says.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import Decision, Facet, FacetKind, Score, Tier, TokenRef
from tokenradar.events import EventBus
from tokenradar.flow.engine import Engine
from tokenradar.scoring.scorer import Scorer
from tokenradar.service.topics import DecisionChanged, TierChanged, TokenScored
from tokenradar.store import Store

log = logging.getLogger(__name__)

#: a batch larger than this is scored in a worker thread (the loop keeps serving)
THREAD_ABOVE = 2_000
_URGENCY = {Tier.HOT: 0, Tier.WARM: 1, Tier.COLD: 2}


def hotter(a: Tier, b: Tier | None) -> Tier:
    """The more urgent of two tiers (``b`` None: ``a``)."""
    return a if b is None or _URGENCY[a] <= _URGENCY[b] else b


@dataclass(frozen=True, slots=True)
class ScoringStats:
    scored: int  # scores produced since start
    batches: int
    dirty: int  # tokens waiting for a score now
    oldest_dirty_s: float  # how long the oldest of them has waited
    last_batch_s: float  # how long the last batch took (score + hand to the writer)
    tier_changes: int
    decision_changes: int


class ScoringLoop:
    def __init__(
        self,
        engine: Engine,
        store: Store,
        bus: EventBus,
        scorer: Callable[[], Scorer],
        *,
        clock: Clock = SYSTEM_CLOCK,
        max_delay: float = 0.25,
        batch_max: int = 20_000,
        floor: Callable[[TokenRef], Tier | None] = lambda _t: None,
        watched: Callable[[TokenRef], bool] = lambda _t: False,
        tier_feedback: bool = True,
    ) -> None:
        """``scorer()`` is asked for the scorer at every batch (a reload swaps it)."""
        self.engine = engine
        self.store = store
        self.bus = bus
        self._scorer = scorer
        self.clock = clock
        self.max_delay = max_delay
        self.batch_max = batch_max
        self._floor = floor
        self._watched = watched
        self.tier_feedback = tier_feedback
        self._dirty: OrderedDict[TokenRef, float] = OrderedDict()  # token -> dirty since
        #: new pools waiting for their first score: scored as soon as a facet lands
        self._urgent: set[TokenRef] = set()
        self._wake = asyncio.Event()
        self._last: dict[TokenRef, tuple[Tier, Decision]] = {}
        self._n = {"scored": 0, "batches": 0, "tiers": 0, "decisions": 0}
        self._last_batch_s = 0.0
        #: monotonic time of the loop's last iteration (the watchdog reads it)
        self.heartbeat = clock.monotonic()

    # -- in ------------------------------------------------------------------

    async def sink(self, facets: Sequence[Facet[Any]]) -> None:
        """The engine sink: these tokens need a new score."""
        now = self.clock.monotonic()
        urgent = self._urgent
        for f in facets:
            token = f.token
            if token not in self._dirty:
                # an urgent token counts as dirty since forever: the batch goes now
                self._dirty[token] = -math.inf if token in urgent else now
                if token in urgent:
                    self._dirty.move_to_end(token, last=False)
        self._wake.set()

    def expedite(self, token: TokenRef) -> None:
        """Score ``token`` the moment its first facet lands (a pool just created), not
        after ``max_delay``: a sniper's decision waits for nothing it does not need."""
        if len(self._urgent) < self.batch_max:  # bounded: a flood falls back to max_delay
            self._urgent.add(token)

    def mark(self, tokens: Sequence[TokenRef]) -> None:
        """Re-score these tokens (a policy reload, a watchlist change)."""
        now = self.clock.monotonic()
        for t in tokens:
            self._dirty.setdefault(t, now)
        self._wake.set()

    # -- the loop ------------------------------------------------------------

    async def run(self) -> None:
        while True:
            self.heartbeat = self.clock.monotonic()
            if not self._dirty:
                self._wake.clear()
                await self._wait(None)
                continue
            oldest = next(iter(self._dirty.values()))
            wait = oldest + self.max_delay - self.clock.monotonic()
            if wait > 0 and len(self._dirty) < self.batch_max:
                self._wake.clear()
                await self._wait(wait)
                continue
            await self.score_now()

    async def _wait(self, seconds: float | None) -> None:
        if seconds is None:
            # wake at least every few seconds so the heartbeat shows the loop is alive
            seconds = 5.0
        waker = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        try:
            await asyncio.wait({waker, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
            sleeper.cancel()

    async def score_now(self) -> list[Score]:
        """Score up to ``batch_max`` dirty tokens now; persist and publish the scores."""
        started = self.clock.monotonic()
        tokens: list[TokenRef] = []
        while self._dirty and len(tokens) < self.batch_max:
            token, _ = self._dirty.popitem(last=False)
            tokens.append(token)
            self._urgent.discard(token)
        facets = self._facets(tokens)
        if not facets:
            return []
        scorer, now = self._scorer(), self.clock.now()
        if len(facets) > THREAD_ABOVE:
            scores = await asyncio.to_thread(scorer.score_batch, facets, now)
        else:
            scores = scorer.score_batch(facets, now)
        await self.store.writer.put_many(scores)
        self._publish(scores)
        self._n["scored"] += len(scores)
        self._n["batches"] += 1
        self._last_batch_s = self.clock.monotonic() - started
        self._prune()
        return scores

    def _facets(self, tokens: list[TokenRef]) -> dict[TokenRef, dict[FacetKind, Facet[Any]]]:
        store, kinds = self.engine.store, self.engine.kinds
        out: dict[TokenRef, dict[FacetKind, Facet[Any]]] = {}
        for t in tokens:
            held = {k: f for k in kinds if (f := store.latest(t, k)) is not None}
            if held:
                out[t] = held
        return out

    def _publish(self, scores: list[Score]) -> None:
        bus, engine = self.bus, self.engine
        for s in scores:
            token = s.token
            watched = self._watched(token)
            bus.publish("token.scored", TokenScored(s, watched))
            before = self._last.get(token)
            self._last[token] = (s.tier, s.decision)
            if before is None or before[0] is not s.tier:
                self._n["tiers"] += before is not None
                bus.publish(
                    "token.tier_changed",
                    TierChanged(token, before[0] if before else None, s.tier, s, watched),
                )
            if before is None or before[1] is not s.decision:
                self._n["decisions"] += before is not None
                bus.publish(
                    "token.decision_changed",
                    DecisionChanged(token, before[1] if before else None, s.decision, s, watched),
                )
            if self.tier_feedback and engine.tracked(token) is not None:
                engine.set_tier(token, hotter(s.tier, self._floor(token)))

    def _prune(self) -> None:
        # remember tiers only for tokens whose facets are still held (bounded by the store)
        if len(self._last) > 2 * self.engine.store.tokens + 1000:
            store = self.engine.store
            for token in [t for t in self._last if not store.holds(t)]:
                del self._last[token]

    def stats(self) -> ScoringStats:
        now = self.clock.monotonic()
        # urgent tokens are stamped -inf (first in line); the wait of the others is real
        oldest = next((t for t in self._dirty.values() if t > -math.inf), now)
        return ScoringStats(
            scored=self._n["scored"],
            batches=self._n["batches"],
            dirty=len(self._dirty),
            oldest_dirty_s=now - oldest,
            last_batch_s=self._last_batch_s,
            tier_changes=self._n["tiers"],
            decision_changes=self._n["decisions"],
        )
