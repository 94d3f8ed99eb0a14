"""Transactions the logs could not name a token for, read with ``getTransaction``.

Two kinds of *candidate* wait in one bounded queue: a live notification whose
logs carry a program's creation marker but no decodable event (every program
but pump.fun), and a signature the backfill found missing. One task reads them
in order, one ``getTransaction`` (jsonParsed, ``maxSupportedTransactionVersion:
0``, ``confirmed``) at a time through the RPC gate, and names the created token
with :func:`~tokenradar.discovery.transactions.created_token`.

Bounded: a live candidate that finds the queue full is dropped and counted
(the reader never waits); the backfill waits for room. A call that fails is
retried ``RESOLVE_ATTEMPTS`` times with a doubling delay (a 429's
``Retry-After`` when longer), then counted as unresolved, as is a transaction
the node does not have. A missed signature that arrived live in the meantime
is not fetched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.discovery.backfill import ChainReader
from tokenradar.discovery.programs import PoolProgram
from tokenradar.discovery.recent import RecentSet
from tokenradar.discovery.stats import SourceStats
from tokenradar.discovery.transactions import created_token
from tokenradar.domain import TokenRef
from tokenradar.errors import InvalidAddress, PermanentError, RateLimited, UpstreamError
from tokenradar.service.topics import PoolCreated
from tokenradar.settings import DiscoverySettings

#: getTransaction attempts per candidate before it counts as unresolved
RESOLVE_ATTEMPTS: Final = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    signature: str
    block_time: float | None
    backfilled: bool  # found by the backfill (else: a live notification)


class Resolver:
    def __init__(
        self,
        program: PoolProgram,
        *,
        reader: ChainReader,
        settings: DiscoverySettings,
        seen: RecentSet[str],
        offer: Callable[[PoolCreated, bool], None],
        stats: SourceStats,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """``seen``: signatures delivered live or resolved (shared with the listener);
        ``offer(event, backfilled)`` hands a token on."""
        self.program = program
        self.stats = stats
        self._reader = reader
        self._settings = settings
        self._seen = seen
        self._offer = offer
        self._clock = clock
        self._queue: asyncio.Queue[Candidate] = asyncio.Queue(settings.resolve_queue)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def offer_live(self, candidate: Candidate) -> None:
        """Queue a live candidate, or drop it (counted) when the queue is full."""
        try:
            self._queue.put_nowait(candidate)
        except asyncio.QueueFull:
            self.stats.dropped += 1
            self.stats.failed(
                f"resolve queue full ({self._queue.maxsize}): {candidate.signature} dropped",
                self._clock.now(),
            )

    async def put(self, candidate: Candidate) -> None:
        """Queue a backfilled candidate, waiting for room."""
        await self._queue.put(candidate)

    async def run(self) -> None:
        while True:
            candidate = await self._queue.get()
            # a missed transaction may have been notified since it was listed
            if not candidate.backfilled or candidate.signature not in self._seen:
                await self._resolve(candidate)

    async def _resolve(self, candidate: Candidate) -> None:
        tx = await self._transaction(candidate.signature)
        if tx is None:
            self.stats.unresolved += 1
            return
        self._seen.add(candidate.signature)
        created = created_token(tx, self.program)
        if created is None:
            return  # a trade, or a creation of nothing we can name
        try:
            token = TokenRef("solana", created.mint)
        except InvalidAddress:
            self.stats.malformed += 1
            return
        pid = self.program.program_id
        event = PoolCreated(
            token=token,
            source=f"backfill:{pid}" if candidate.backfilled else f"logs:{pid}",
            detected_at=self._clock.now(),
            created_at=created.block_time or candidate.block_time,
            signature=candidate.signature,
            symbol=created.symbol,
            name=created.name,
        )
        self._offer(event, candidate.backfilled)

    async def _transaction(self, signature: str) -> object:
        """The transaction, or None: not found, or failed RESOLVE_ATTEMPTS times."""
        delay = self._settings.reconnect_initial
        for attempt in range(1, RESOLVE_ATTEMPTS + 1):
            try:
                return await self._reader.transaction(signature)
            except UpstreamError as exc:
                self.stats.failed(exc, self._clock.now())
                if isinstance(exc, PermanentError) or attempt == RESOLVE_ATTEMPTS:
                    return None
                wait = exc.retry_after if isinstance(exc, RateLimited) else None
                await self._clock.sleep(max(delay, wait or 0.0))
                delay = min(self._settings.reconnect_max, delay * 2)
        return None  # pragma: no cover (the loop returns)
