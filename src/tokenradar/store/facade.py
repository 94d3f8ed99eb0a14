"""``open_store``: the one way in. Databases, schema check, the writer, the reads.

::

    async with open_store(settings.storage, clock=clock) as store:
        await store.writer.put_many(facets)      # batched, newer-wins, backpressure
        await store.writer.flush()               # everything above is durable
        top = await store.ranked_scores(limit=20)

Opening also marks ``abandoned`` the scans left ``queued``/``running`` by a
process that is gone (see :mod:`tokenradar.store.abandon`): ``store.abandoned``
lists them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import Decision, FacetKind, Score, Tier, TokenRef
from tokenradar.errors import StorageError
from tokenradar.settings import StorageSettings
from tokenradar.store import abandon, queries
from tokenradar.store.checkpoint import Checkpointer
from tokenradar.store.databases import Databases, create_databases, is_sqlite, sqlite_path
from tokenradar.store.errors import storage_error
from tokenradar.store.migrate import ensure_schema
from tokenradar.store.owners import this_process
from tokenradar.store.records import ScanRecord, ScanStatus
from tokenradar.store.writer import CommitListener, Writer

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Store:
    """The open database: ``writer`` for writes, the methods below for reads."""

    settings: StorageSettings
    engines: Databases
    writer: Writer
    clock: Clock
    #: the WAL checkpoint task (SQLite only): ``checkpointer.stats`` for health
    checkpointer: Checkpointer | None = None
    #: scans of dead processes marked abandoned when the store was opened
    abandoned: tuple[ScanRecord, ...] = ()
    #: how long closing waits for the writer to commit what is queued, seconds (a
    #: caller that already waited, e.g. a scan's finish, shortens it)
    close_grace: float = 30.0

    @property
    def dialect(self) -> str:
        return self.engines.dialect

    async def read(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run ``fn(conn)`` on a reader connection (one snapshot), errors as StorageError."""
        try:
            async with self.engines.reader.connect() as conn:
                return await fn(conn)
        except SQLAlchemyError as exc:
            raise storage_error("read", exc) from exc
        except OSError as exc:
            raise storage_error("read", exc) from exc

    async def latest_facets(
        self, refs: Iterable[TokenRef], kinds: Iterable[FacetKind] | None = None
    ) -> dict[TokenRef, dict[FacetKind, queries.StoredFacet]]:
        refs, kinds = list(refs), None if kinds is None else list(kinds)
        return await self.read(lambda c: queries.latest_facets(c, refs, kinds))

    async def ranked_scores(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        tier: Tier | None = None,
        decision: Decision | None = None,
        min_score: float | None = None,
        chain: str | None = None,
        min_confidence: float | None = None,
    ) -> list[queries.RankedScore]:
        return await self.read(
            lambda c: queries.ranked_scores(
                c,
                limit=limit,
                offset=offset,
                tier=tier,
                decision=decision,
                min_score=min_score,
                chain=chain,
                min_confidence=min_confidence,
            )
        )

    async def scores_for(self, refs: Iterable[TokenRef]) -> dict[TokenRef, Score]:
        refs = list(refs)
        return await self.read(lambda c: queries.scores_for(c, refs))

    async def score_history(
        self,
        ref: TokenRef,
        *,
        limit: int = 100,
        since: float | None = None,
        until: float | None = None,
    ) -> list[queries.HistoryPoint]:
        return await self.read(
            lambda c: queries.score_history_of(c, ref, limit=limit, since=since, until=until)
        )

    async def get_scan(self, scan_id: str) -> ScanRecord | None:
        return await self.read(lambda c: queries.get_scan(c, scan_id))

    async def list_scans(
        self, *, limit: int = 50, status: ScanStatus | None = None, since: float | None = None
    ) -> list[ScanRecord]:
        """Recent scans, newest request first, with status, counts and owner."""
        return await self.read(
            lambda c: queries.list_scans(c, limit=limit, status=status, since=since)
        )

    async def abandon_dead_scans(
        self, *, stale_after: float = abandon.STALE_AFTER_S
    ) -> list[ScanRecord]:
        """Mark ``abandoned`` the queued/running scans whose process is gone.

        A scan whose owner ran in this PID namespace is abandoned as soon as
        that process is gone; any other only once its heartbeat is older than
        ``stale_after`` seconds (see :mod:`tokenradar.store.owners`). The rows
        are read first, so an open with nothing to abandon does not write.
        Returns the new versions of the abandoned scans.
        """
        me, now = this_process(), self.clock.now()
        doomed = await self.read(
            lambda c: abandon.find_abandoned(c, now=now, me=me, stale_after=stale_after)
        )
        if not doomed:
            return []
        gone = await self.writer.run_job(lambda c: abandon.mark_abandoned(c, doomed, now=now))
        for scan in gone:
            log.warning("scan %s marked abandoned: %s", scan.id, scan.errors[-1])
        return gone

    async def recent_alerts(
        self, *, since: float | None = None, limit: int = 100
    ) -> list[queries.AlertState]:
        return await self.read(lambda c: queries.recent_alerts(c, since=since, limit=limit))

    async def outcome_stats(
        self, *, since: float | None = None, horizon_s: int | None = None
    ) -> list[queries.OutcomeStat]:
        return await self.read(lambda c: queries.outcome_stats(c, since=since, horizon_s=horizon_s))


@asynccontextmanager
async def open_store(
    settings: StorageSettings,
    *,
    clock: Clock = SYSTEM_CLOCK,
    listeners: Iterable[CommitListener] = (),
    abandon_dead_scans: bool = True,
) -> AsyncIterator[Store]:
    """Open the database of ``settings``, bring its schema up to date (if
    ``auto_upgrade``), start the writer, mark scans of dead processes
    abandoned (unless ``abandon_dead_scans`` is false); on exit drain the
    writer and close.

    ``listeners`` are commit listeners (:meth:`Writer.add_listener`) installed
    before the first commit. They belong to the caller, who closes whatever
    they hold after leaving this context.
    """
    engines = create_databases(settings)
    checkpointer: Checkpointer | None = None
    try:
        await ensure_schema(
            engines, auto_upgrade=settings.auto_upgrade, schema=settings.schema_name
        )
        writer = Writer(
            engines,
            batch_size=settings.batch_size,
            flush_interval=settings.flush_interval,
            queue_size=settings.queue_size,
            clock=clock,
        )
        if is_sqlite(settings.url):
            checkpointer = Checkpointer(sqlite_path(settings.url), clock)
            writer.add_listener(checkpointer)
            checkpointer.start()
        for listener in listeners:
            writer.add_listener(listener)
        writer.start()
        try:
            store = Store(
                settings=settings,
                engines=engines,
                writer=writer,
                clock=clock,
                checkpointer=checkpointer,
            )
            if abandon_dead_scans:
                try:
                    store.abandoned = tuple(await store.abandon_dead_scans())
                except StorageError as exc:  # the next open tries again; the rows can wait
                    log.warning("could not mark scans of dead processes abandoned: %s", exc)
            yield store
        finally:
            await writer.close(grace=store.close_grace)
    finally:
        if checkpointer is not None:
            await checkpointer.close()
        await engines.dispose()
