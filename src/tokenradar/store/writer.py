"""The one writer task per database.

Producers (lanes, the scorer, scans, alerts) hand rows to :meth:`Writer.put`
or :meth:`Writer.put_many`; one task commits them in batches: one transaction
when ``batch_size`` rows are waiting or the oldest has waited
``flush_interval`` seconds, whichever comes first. Memory is bounded: when
``queue_size`` rows are waiting, ``put`` waits (backpressure).

"Committed" means durable: :meth:`Writer.flush` returns once every row put
before it is in a committed transaction (and commit listeners have run).

Failures:

- transient (locked database, lost connection, deadlock, disk full): the same
  batch is retried with capped exponential backoff until it commits; rows
  wait in memory and producers feel backpressure; nothing is dropped;
- permanent (the database refuses a row): the batch is split in halves until
  the offending rows are isolated; those are rejected (counted, logged and
  reported by the next ``flush`` covering them) and the rest commit;
- fatal (the task itself dies of an unexpected error): the writer is
  ``failed``: every flusher and job waiting is told, every later ``put``
  raises, and whoever watches the writer learns it at once
  (:meth:`Writer.add_failure_listener`, :meth:`Writer.wait_failed`), so a scan
  can stop instead of queueing rows nobody will commit.

A transient failure that does not go away (a full disk) never ends by itself:
``stats.retrying_since`` says since when the current batch has been retried
and ``stats.last_error`` why, so a health check can call it critical.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import Facet, Score, TokenRef
from tokenradar.errors import StorageError
from tokenradar.store import rows as R
from tokenradar.store.databases import Databases
from tokenradar.store.errors import is_transient, reason, storage_error
from tokenradar.store.records import AlertFire, ScanRecord
from tokenradar.store.statements import Statements, build_statements
from tokenradar.store.tables import facets, tokens

log = logging.getLogger(__name__)

T = TypeVar("T")
Item = Facet[Any] | Score | ScanRecord | AlertFire

#: distinct tokens whose ids are cached before the cache is reset
TOKEN_CACHE_SIZE = 200_000
_IN_CHUNK = 500
_BACKOFF_FIRST, _BACKOFF_MAX = 0.05, 5.0


class WriterState(StrEnum):
    NEW = "new"  # built; the task is not running yet
    RUNNING = "running"  # committing batches as rows arrive
    RETRYING = "retrying"  # a transient failure: the current batch is retried with backoff
    CLOSING = "closing"  # refusing new rows, committing the queued ones
    CLOSED = "closed"  # drained and stopped
    FAILED = "failed"  # the task died on an unexpected error; puts raise


_TRANSITIONS: dict[WriterState, frozenset[WriterState]] = {
    WriterState.NEW: frozenset({WriterState.RUNNING, WriterState.CLOSED}),
    WriterState.RUNNING: frozenset({WriterState.RETRYING, WriterState.CLOSING, WriterState.FAILED}),
    WriterState.RETRYING: frozenset({WriterState.RUNNING, WriterState.CLOSING, WriterState.FAILED}),
    WriterState.CLOSING: frozenset({WriterState.CLOSED, WriterState.FAILED}),
    WriterState.CLOSED: frozenset(),
    WriterState.FAILED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class CommittedBatch:
    """What one transaction made durable; given to commit listeners."""

    facets: int
    scores: int
    history: tuple[tuple[TokenRef, float], ...]  # (token, scored_at) of every history row
    scans: int
    alerts: int


@dataclass(slots=True)
class WriterStats:
    rows_committed: int = 0
    batches: int = 0
    rows_rejected: int = 0
    retries: int = 0
    #: the latest failure, one clean line (``Type: message``, no SQL); kept after recovery
    last_error: str | None = None
    #: ``clock.monotonic()`` when the current batch first failed transiently; None
    #: while nothing is being retried (see :attr:`Writer.retrying_for`)
    retrying_since: float | None = None
    last_commit_s: float = 0.0  # how long the last transaction took


CommitListener = Callable[[CommittedBatch], None]
#: called once with the exception that killed the writer task
FailureListener = Callable[[BaseException], None]


@dataclass(slots=True)
class _Job:
    run: Callable[[AsyncConnection], Awaitable[Any]]
    future: asyncio.Future[Any] = field(repr=False)


class Writer:
    """Batches rows into transactions; see the module docstring."""

    def __init__(
        self,
        engines: Databases,
        *,
        batch_size: int = 2000,
        flush_interval: float = 0.02,
        queue_size: int = 20_000,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if batch_size < 1 or queue_size < 1 or flush_interval <= 0:
            raise ValueError("batch_size and queue_size must be ≥ 1 and flush_interval > 0")
        self._engines = engines
        self._st: Statements = build_statements(engines.writer.dialect)
        self._batch_size = batch_size
        self._interval = flush_interval
        self._capacity = queue_size
        self._clock = clock
        self._state = WriterState.NEW
        self._task: asyncio.Task[None] | None = None
        self.stats = WriterStats()
        self._listeners: list[CommitListener] = []
        self._failure_listeners: list[FailureListener] = []
        self._failed = asyncio.Event()
        self._token_ids: dict[R.TokenKey, int] = {}
        # the queue: rows, and (last seq, arrival time) per put call
        self._rows: deque[R.Row] = deque()
        self._arrivals: deque[tuple[int, float]] = deque()
        #: when the oldest row of the batch being committed arrived (None between batches)
        self._batch_arrived: float | None = None
        self._put_seq = 0  # rows accepted
        self._taken_seq = 0  # rows handed to a transaction
        self._done_seq = 0  # rows committed or rejected
        self._flush_upto = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._waiter_ids = itertools.count()
        self._rejected: list[tuple[int, str]] = []  # (seq, why), reported once by flush
        self._jobs: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._space = asyncio.Event()
        self._fatal: BaseException | None = None

    # -- lifecycle -----------------------------------------------------------

    @property
    def state(self) -> WriterState:
        return self._state

    @property
    def pending(self) -> int:
        """Rows accepted and not yet committed or rejected."""
        return self._put_seq - self._done_seq

    @property
    def oldest_wait(self) -> float:
        """Seconds the oldest row not yet committed has waited (0 when none waits)."""
        if self._batch_arrived is not None:
            since = self._batch_arrived
        elif self._arrivals:
            since = self._arrivals[0][1]
        else:
            return 0.0
        return max(0.0, self._clock.monotonic() - since)

    @property
    def failed(self) -> BaseException | None:
        """The exception that killed the writer task, or None while it lives."""
        return self._fatal

    @property
    def retrying_for(self) -> float:
        """Seconds the current batch has been failing transiently (0 when it is not)."""
        since = self.stats.retrying_since
        return 0.0 if since is None else max(0.0, self._clock.monotonic() - since)

    def add_failure_listener(self, listener: FailureListener) -> None:
        """Call ``listener(exc)`` once if the writer task dies (at once if it has).

        Called on the event loop, right after the writer failed its waiters;
        it must not block. An exception it raises is logged and ignored.
        """
        self._failure_listeners.append(listener)
        if self._fatal is not None:
            self._notify(listener, self._fatal)

    async def wait_failed(self) -> BaseException:
        """Return the exception that killed the writer task, once it has (never
        returns for a writer that closes normally: cancel the wait)."""
        await self._failed.wait()
        assert self._fatal is not None
        return self._fatal

    def _notify(self, listener: FailureListener, exc: BaseException) -> None:
        try:
            listener(exc)
        except Exception:
            log.exception("store writer: a failure listener failed")

    def _go(self, new: WriterState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise RuntimeError(f"writer cannot go from {self._state} to {new}")
        self._state = new

    def start(self) -> None:
        self._go(WriterState.RUNNING)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="store-writer")

    async def close(self, grace: float | None = 30.0) -> None:
        """Stop accepting rows, commit every queued row, stop.

        If the database does not come back within ``grace`` seconds, the task
        is stopped and the rows still queued are reported lost (StorageError
        to their flushers).
        """
        if self._state is WriterState.NEW:
            self._go(WriterState.CLOSED)
            return
        if self._state in (WriterState.CLOSED, WriterState.FAILED, WriterState.CLOSING):
            if self._task is not None and self._state is WriterState.CLOSING:
                await asyncio.shield(self._task)
            return
        self._go(WriterState.CLOSING)
        self._wake.set()
        self._space.set()  # producers waiting for space must now fail
        task = self._task
        assert task is not None
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            lost = self.pending
            self._fail_everything(
                StorageError(f"writer closed after {grace}s with {lost} rows not committed")
            )
            self._state = WriterState.CLOSED
            raise StorageError(
                f"writer closed after {grace}s with {lost} rows not committed "
                f"(last error: {self.stats.last_error})"
            ) from None

    def add_listener(self, listener: CommitListener) -> None:
        """Call ``listener`` after each commit, before flushers are released."""
        self._listeners.append(listener)

    # -- producers -----------------------------------------------------------

    async def put(self, item: Item) -> int:
        """Queue one row (waiting while the queue is full); returns its sequence number."""
        return await self.put_many((item,))

    async def put_many(self, items: Iterable[Item]) -> int:
        """Queue rows in order (waiting while the queue is full).

        Rows are encoded here, a batch at a time while the writer commits the
        previous one, so a value that cannot be stored raises in the caller
        (the rows before it in ``items`` are queued). Returns the sequence
        number of the last row.
        """
        it = iter(items)
        while True:
            self._check_accepting()
            room = self._capacity - len(self._rows)
            if room <= 0:
                self._space.clear()
                await self._space.wait()
                continue
            chunk = [_encode(item) for item in islice(it, min(room, self._batch_size))]
            if not chunk:
                return self._put_seq
            was_empty = not self._rows
            self._rows.extend(chunk)
            self._put_seq += len(chunk)
            self._arrivals.append((self._put_seq, self._clock.monotonic()))
            if was_empty or len(self._rows) >= self._batch_size:
                self._wake.set()
                # let the writer start on this batch (its I/O runs in a thread)
                # while we encode the next one
                await asyncio.sleep(0)

    async def flush(self) -> None:
        """Return when every row put before this call is committed.

        Raises StorageError if some of those rows were rejected by the
        database (each rejection is reported to one flush), or if the writer
        has failed or closed with rows outstanding.
        """
        target = self._put_seq
        if self._done_seq >= target:
            self._raise_rejected(target)
            return
        if self._fatal is not None:
            raise StorageError(f"writer failed: {reason(self._fatal)}") from self._fatal
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (target, next(self._waiter_ids), fut))
        self._flush_upto = max(self._flush_upto, target)
        self._wake.set()
        await fut

    async def run_job(self, job: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run ``job(conn)`` in one write transaction on the writer's connection.

        Jobs (retention, outcome tracking) run between batches, so the
        database still sees one writer.
        """
        self._check_accepting()
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.append(_Job(job, fut))
        self._wake.set()
        return await fut

    def _check_accepting(self) -> None:
        if self._state in (WriterState.RUNNING, WriterState.RETRYING):
            return
        if self._state is WriterState.NEW:
            raise StorageError("the writer is not started (use open_store)")
        if self._fatal is not None:
            raise StorageError(f"writer failed: {reason(self._fatal)}") from self._fatal
        raise StorageError(f"the writer is {self._state.value}: no new rows accepted")

    # -- the task ------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while True:
                while self._jobs:
                    await self._run_job(self._jobs.popleft())
                if not self._rows:
                    if self._state is WriterState.CLOSING:
                        break
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                wait = self._wait_before_commit()
                if wait > 0:
                    self._wake.clear()
                    await self._sleep_or_wake(wait)
                    continue
                first = self._taken_seq
                n = min(self._batch_size, len(self._rows))
                batch = [self._rows.popleft() for _ in range(n)]
                self._taken_seq += n
                self._batch_arrived = self._arrivals[0][1] if self._arrivals else None
                while self._arrivals and self._arrivals[0][0] <= self._taken_seq:
                    self._arrivals.popleft()
                self._space.set()
                await self._commit(batch, first)
                self._batch_arrived = None
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            why = reason(exc)
            log.error("store writer failed, no more rows are accepted: %s", why, exc_info=exc)
            self._fatal = exc
            self._state = WriterState.FAILED
            self.stats.last_error = why
            self.stats.retrying_since = None
            self._fail_everything(StorageError(f"writer failed: {why}"))
            self._failed.set()
            for listener in self._failure_listeners:
                self._notify(listener, exc)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise  # the process is going down
            return  # recorded and announced above; nobody awaits the task's exception
        self._go(WriterState.CLOSED)

    def _wait_before_commit(self) -> float:
        """Seconds to wait for more rows before committing what is queued (0 = now)."""
        if (
            len(self._rows) >= self._batch_size
            or self._flush_upto > self._taken_seq
            or self._state is WriterState.CLOSING
            or not self._arrivals
        ):
            return 0.0
        oldest = self._arrivals[0][1]
        return max(0.0, oldest + self._interval - self._clock.monotonic())

    async def _sleep_or_wake(self, seconds: float) -> None:
        waker = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait({waker, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
            sleeper.cancel()

    async def _run_job(self, job: _Job) -> None:
        if job.future.done():
            return
        try:
            async with self._engines.writer.connect() as conn, conn.begin():
                result = await job.run(conn)
        except Exception as exc:
            if not job.future.done():  # the caller may have given up (cancelled)
                job.future.set_exception(storage_error("maintenance job", exc))
        else:
            if not job.future.done():
                job.future.set_result(result)

    async def _commit(self, batch: list[R.Row], first_seq: int) -> None:
        backoff = _BACKOFF_FIRST
        while True:
            started = self._clock.monotonic()
            try:
                committed = await self._transaction(batch)
            except Exception as exc:
                why = reason(exc)
                self.stats.last_error = why
                if is_transient(exc):
                    self.stats.retries += 1
                    if self.stats.retrying_since is None:
                        self.stats.retrying_since = started
                    if self._state is WriterState.RUNNING:
                        self._go(WriterState.RETRYING)
                    log.warning(
                        "store writer: transient failure for %.1fs, retry in %.2fs: %s",
                        self.retrying_for,
                        backoff,
                        why,
                    )
                    await self._clock.sleep(backoff)
                    backoff = min(_BACKOFF_MAX, backoff * 2)
                    continue
                self.stats.retrying_since = None
                if self._state is WriterState.RETRYING:  # the database answers again
                    self._go(WriterState.RUNNING)
                if len(batch) > 1:
                    half = len(batch) // 2
                    await self._commit(batch[:half], first_seq)
                    await self._commit(batch[half:], first_seq + half)
                    return
                log.error("store writer: row rejected by the database: %s", why)
                self.stats.rows_rejected += 1
                self._rejected.append((first_seq + 1, str(storage_error("write", exc))))
                del self._rejected[:-1000]
                self._resolve(first_seq + 1)
                return
            if self._state is WriterState.RETRYING:
                self._go(WriterState.RUNNING)
            self.stats.retrying_since = None
            self.stats.last_commit_s = self._clock.monotonic() - started
            self.stats.batches += 1
            self.stats.rows_committed += len(batch)
            for listener in self._listeners:
                try:
                    listener(committed)
                except Exception:
                    log.exception("store writer: a commit listener failed")
            self._resolve(first_seq + len(batch))
            return

    def _resolve(self, done_seq: int) -> None:
        self._done_seq = done_seq
        while self._waiters and self._waiters[0][0] <= done_seq:
            target, _, fut = heapq.heappop(self._waiters)
            if fut.done():
                continue
            try:
                self._raise_rejected(target)
            except StorageError as exc:
                fut.set_exception(exc)
            else:
                fut.set_result(None)

    def _raise_rejected(self, target: int) -> None:
        mine = [why for seq, why in self._rejected if seq <= target]
        if not mine:
            return
        self._rejected = [(seq, why) for seq, why in self._rejected if seq > target]
        raise StorageError(f"{len(mine)} row(s) rejected by the database; first: {mine[0]}")

    def _fail_everything(self, exc: StorageError) -> None:
        self._space.set()
        for _, _, fut in self._waiters:
            if not fut.done():
                fut.set_exception(exc)
        self._waiters.clear()
        while self._jobs:
            job = self._jobs.popleft()
            if not job.future.done():
                job.future.set_exception(exc)

    # -- one transaction -----------------------------------------------------

    async def _transaction(self, batch: list[R.Row]) -> CommittedBatch:
        facet_rows: dict[tuple[R.TokenKey, str], R.FacetRow] = {}
        latest: dict[R.TokenKey, R.ScoreRow] = {}
        history: dict[tuple[R.TokenKey, float], R.ScoreRow] = {}
        scan_rows: dict[str, R.ScanRow] = {}
        alert_rows: dict[tuple[str, float], R.AlertRow] = {}
        for row in batch:
            if isinstance(row, R.FacetRow):
                fkey = (row.tk, row.kind)
                old = facet_rows.get(fkey)
                facet_rows[fkey] = row if old is None else R.merge_facet(old, row)
            elif isinstance(row, R.ScoreRow):
                history.setdefault((row.tk, row.scored_at), row)
                cur = latest.get(row.tk)
                if cur is None or row.scored_at > cur.scored_at:
                    latest[row.tk] = row
            elif isinstance(row, R.ScanRow):
                sc = scan_rows.get(row.id)
                if sc is None or row.updated_at > sc.updated_at:
                    scan_rows[row.id] = row
            else:
                # firings are applied one by one in time order (executemany runs one
                # statement per row, so one key twice is fine here even on PostgreSQL)
                alert_rows.setdefault((row.dedup_key, row.last_fired), row)

        needed = {tk for tk, _ in facet_rows} | latest.keys()
        st = self._st
        async with self._engines.writer.connect() as conn, conn.begin():
            new_ids = await self._resolve_ids(conn, needed)
            ids = self._token_ids
            idof = (lambda t: ids.get(t) or new_ids[t]) if new_ids else ids.__getitem__
            if facet_rows:
                params = [(idof(r.tk), *r.values) for r in facet_rows.values()]
                params.sort()  # one lock order for every writer (keys are unique)
                await conn.exec_driver_sql(st.upsert_facets, params)
            if latest:
                snap = await _snapshots(conn, [idof(t) for t in latest])
                params = []
                for r in latest.values():
                    tid = idof(r.tk)
                    price, liq = snap.get(tid, (None, None))
                    params.append((tid, *r.values, r.checks, price, liq))
                params.sort()
                await conn.exec_driver_sql(st.upsert_scores, params)
                hparams = []
                for r in history.values():
                    tid = idof(r.tk)
                    price, liq = snap.get(tid, (None, None))
                    hparams.append((tid, *r.values, price, liq))
                hparams.sort()
                await conn.exec_driver_sql(st.insert_history, hparams)
            if scan_rows:
                await conn.exec_driver_sql(
                    st.upsert_scans, sorted(r.values for r in scan_rows.values())
                )
            if alert_rows:
                aparams = [
                    (a.dedup_key, a.level, a.message, a.first_fired, a.last_fired, a.count)
                    for _, a in sorted(alert_rows.items(), key=lambda kv: kv[0])
                ]
                await conn.exec_driver_sql(st.upsert_alerts, aparams)
        # committed: only now may ids inserted by this transaction be trusted
        if new_ids:
            if len(ids) + len(new_ids) > TOKEN_CACHE_SIZE:
                ids.clear()
            ids.update(new_ids)
        return CommittedBatch(
            facets=len(facet_rows),
            scores=len(latest),
            history=tuple((r.token, r.scored_at) for r in history.values()),
            scans=len(scan_rows),
            alerts=len(alert_rows),
        )

    async def _resolve_ids(
        self, conn: AsyncConnection, needed: set[R.TokenKey]
    ) -> dict[R.TokenKey, int]:
        missing = sorted(t for t in needed if t not in self._token_ids)
        if not missing:
            return {}
        now = self._clock.now()
        await conn.exec_driver_sql(
            self._st.insert_tokens, [(chain, address, now) for chain, address in missing]
        )
        found: dict[R.TokenKey, int] = {}
        wanted = set(missing)
        for i in range(0, len(missing), _IN_CHUNK):
            chunk = missing[i : i + _IN_CHUNK]
            result = await conn.execute(
                select(tokens.c.id, tokens.c.chain, tokens.c.address).where(
                    tokens.c.address.in_([address for _, address in chunk])
                )
            )
            for tid, chain, address in result:
                if (chain, address) in wanted:
                    found[(chain, address)] = tid
        if len(found) != len(missing):
            raise StorageError(f"could not resolve ids for {len(missing) - len(found)} tokens")
        return found


async def _snapshots(
    conn: AsyncConnection, token_ids: list[int]
) -> dict[int, tuple[float | None, float | None]]:
    """(price, liquidity) per token from its latest market (else price) observation."""
    market: dict[int, tuple[float | None, float | None]] = {}
    price_only: dict[int, float | None] = {}
    for i in range(0, len(token_ids), _IN_CHUNK):
        chunk = token_ids[i : i + _IN_CHUNK]
        result = await conn.execute(
            select(facets.c.token_id, facets.c.kind, facets.c.price_usd, facets.c.liquidity_usd)
            .where(facets.c.token_id.in_(chunk))
            .where(facets.c.kind.in_(("market", "price")))
        )
        for tid, kind, price, liq in result:
            if kind == "market":
                market[tid] = (price, liq)
            else:
                price_only[tid] = price
    out: dict[int, tuple[float | None, float | None]] = {}
    for tid in token_ids:
        price, liq = market.get(tid, (None, None))
        if price is None:
            price = price_only.get(tid)
        out[tid] = (price, liq)
    return out


def _encode(item: Item) -> R.Row:
    if isinstance(item, Facet):
        return R.facet_row(item)
    if isinstance(item, Score):
        return R.score_row(item)
    if isinstance(item, ScanRecord):
        return R.scan_row(item)
    if isinstance(item, AlertFire):
        return R.alert_row(item)
    raise TypeError(
        f"the writer stores Facet, Score, ScanRecord and AlertFire, not {type(item).__name__}"
    )
