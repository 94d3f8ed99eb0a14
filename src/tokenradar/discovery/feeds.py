"""DexScreener's discovery feeds: the latest token profiles and boosts, polled.

``/token-profiles/latest/v1`` lists the newest tokens that paid for a profile,
``/token-boosts/latest/v1`` the newest that bought boosts (about 30 entries
each, any chain). Each :class:`FeedPoller` asks every ``interval`` seconds,
through the DexScreener client and so through its gate: both endpoints count
against the feeds' budget (``providers.dexscreener.feed_rate``, 60 requests a
minute on the public API, shared by the two), which the gate enforces however
short the intervals are. A token the feed listed before (a bounded LRU) is not
offered again; a failed poll is counted and the next one comes at the next
interval.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.discovery.recent import RecentSet
from tokenradar.discovery.stats import SourceStats
from tokenradar.domain import TokenRef
from tokenradar.errors import UpstreamError
from tokenradar.service.topics import PoolCreated

log = logging.getLogger(__name__)

Fetch = Callable[[], Awaitable[Sequence[TokenRef]]]
Emit = Callable[[PoolCreated], bool]


class FeedPoller:
    def __init__(
        self,
        source: str,
        fetch: Fetch,
        *,
        interval: float,
        emit: Emit,
        stats: SourceStats,
        dedup_size: int,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be > 0 seconds, got {interval}")
        self.source = source
        self.interval = interval
        self.stats = stats
        self._fetch = fetch
        self._emit = emit
        self._clock = clock
        self._listed: RecentSet[TokenRef] = RecentSet(dedup_size)

    async def run(self) -> None:
        """Poll forever; an upstream failure is counted, never fatal."""
        while True:
            started = self._clock.monotonic()
            await self.poll_once()
            elapsed = self._clock.monotonic() - started
            await self._clock.sleep(max(0.0, self.interval - elapsed))

    async def poll_once(self) -> int:
        """One request; the number of tokens it listed for the first time."""
        try:
            tokens = await self._fetch()
        except UpstreamError as exc:
            self.stats.failed(exc, self._clock.now())
            log.info("%s: poll failed (%s)", self.source, exc)
            return 0
        self.stats.polls += 1
        fresh = [t for t in tokens if self._listed.add(t)]
        now = self._clock.now()
        for token in fresh:
            # the feeds say when a token was listed, not when it was created
            event = PoolCreated(token=token, source=self.source, detected_at=now, created_at=None)
            self._emit(event)
        return len(fresh)
