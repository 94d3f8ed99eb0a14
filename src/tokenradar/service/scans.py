"""One scan run through the :class:`~tokenradar.service.Radar`: start, watch, finish.

::

    scan = await radar.scan(tokens, kinds, max_time=60)
    await scan.wait(on_tick=show_progress)      # until done, deadline, interrupt or storage failure
    outcome = await scan.finish()               # scored, persisted, durable

A scan ends for one of four reasons, and says which: every pair answered, the
deadline passed (``not fetched within …``), it was interrupted (Ctrl-C,
shutdown) or the store failed (the writer died: there is no point fetching what
cannot be kept). Scoring a big scan runs in a worker thread so the event loop
keeps serving lanes, the API and signals meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tokenradar.clock import Clock
from tokenradar.domain import FacetKind, Score, TokenRef
from tokenradar.errors import StorageError
from tokenradar.events import EventBus
from tokenradar.flow.engine import Engine
from tokenradar.flow.scan import KindProgress, ResultStatus, ScanJob, TokenResult
from tokenradar.scoring.scorer import Scorer
from tokenradar.service.results import LaneSummary, ScanStats, TokenResultView, result_view
from tokenradar.service.topics import ScanFinished, ScanProgress
from tokenradar.store import Store
from tokenradar.store.recorder import ScanRecorder

#: scans with more tokens than this are scored off the event loop
SCORE_IN_THREAD_ABOVE = 2_000
#: how long finishing waits for the database before returning the results anyway
FINISH_GRACE_S = 30.0


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """A finished scan: one result and one score per token, and the figures."""

    results: list[TokenResult]
    scores: Mapping[TokenRef, Score]
    stats: ScanStats
    finished_at: float  # epoch s; facet ages in the views are taken at this time
    storage_error: str | None = None  # why the results are not (all) stored, if so

    def views(self, results: Sequence[TokenResult] | None = None) -> list[TokenResultView]:
        """The contract rows of ``results`` (default: all, in the order given)."""
        chosen = self.results if results is None else results
        return [result_view(r, self.scores[r.token], self.finished_at) for r in chosen]


class RadarScan:
    def __init__(
        self,
        engine: Engine,
        store: Store,
        scorer: Scorer,
        job: ScanJob,
        recorder: ScanRecorder,
        *,
        clock: Clock,
        max_time: float | None,
        on_finished: Callable[[RadarScan], None] | None = None,
        bus: EventBus | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._scorer = scorer
        self.job = job
        self._recorder = recorder
        self._clock = clock
        self._started = clock.monotonic()
        self._deadline = None if max_time is None else self._started + max_time
        self._max_time = max_time
        self.interrupted = False
        self.failure: str | None = None
        self._on_finished = on_finished
        self._hurry = asyncio.Event()
        self._bus = bus
        self._last_done = -1

    @property
    def id(self) -> str:
        return self._recorder.record.id

    @property
    def kinds(self) -> tuple[FacetKind, ...]:
        return self.job.kinds

    @property
    def progress(self) -> Mapping[FacetKind, KindProgress]:
        return self.job.progress

    @property
    def done(self) -> bool:
        return self.job.done

    def interrupt(self, reason: str | None = None) -> None:
        """Stop waiting (Ctrl-C, shutdown): open pairs end ``interrupted`` (or ``reason``).

        Called again while :meth:`finish` waits for the database, it stops that wait too.
        """
        if self.job.done:
            self._hurry.set()
        self.interrupted = True
        if reason is None:
            self.job.interrupt()
        else:
            self.job.interrupt(reason)

    def _publish_progress(self) -> None:
        if self._bus is None:
            return
        done = sum(p.done for p in self.job.progress.values())
        if done != self._last_done:
            self._last_done = done
            total = sum(p.total for p in self.job.progress.values())
            self._bus.publish("scan.progress", ScanProgress(self.id, done, total))

    def storage_failed(self) -> None:
        """The Radar's writer-failure listener calls this on every open scan."""
        self._check_store()

    def _check_store(self) -> None:
        failed = self._store.writer.failed
        if failed is not None and self.failure is None:
            self.failure = f"storage failed: {self._store.writer.stats.last_error or failed}"
            self.job.interrupt(self.failure)

    async def wait(self, *, tick: float = 0.25, on_tick: Callable[[], None] | None = None) -> None:
        """Until every pair is settled, the deadline passes, or the store fails."""
        while not self.job.done:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.job.wait()), tick)
            self._check_store()
            self._publish_progress()
            if on_tick is not None:
                on_tick()
            if self._deadline is not None and self._clock.monotonic() >= self._deadline:
                self.job.interrupt(f"not fetched within --max-time {self._max_time:g}s")

    async def finish(
        self, *, extra_errors: Sequence[str] = (), grace: float = FINISH_GRACE_S
    ) -> ScanOutcome:
        """Score every token, persist the scores and the scan row; return once durable,
        or after ``grace`` seconds with :attr:`ScanOutcome.storage_error` saying why not
        (a full disk, a lock held elsewhere): the results are returned either way."""
        results = self.job.results()
        stats = self._stats(results)
        now = self._clock.now()
        scanned = {r.token: {k: f for k in self.job.kinds if (f := r.facet(k))} for r in results}
        if len(scanned) > SCORE_IN_THREAD_ABOVE:
            batch = await asyncio.to_thread(self._scorer.score_batch, scanned, now)
        else:
            batch = self._scorer.score_batch(scanned, now)
        scores = {s.token: s for s in batch}
        errors = [*extra_errors, *([self.failure] if self.failure else [])]
        storage_error: str | None = None
        persist = asyncio.ensure_future(self._persist(scores, stats, errors))
        hurry = asyncio.ensure_future(self._hurry.wait())
        try:
            await asyncio.wait({persist, hurry}, timeout=grace, return_when="FIRST_COMPLETED")
            if persist.done():
                persist.result()  # raises what saving raised
            else:
                last = self._store.writer.stats.last_error or "no error reported"
                waited = "interrupted" if hurry.done() else f"not durable within {grace:g}s"
                storage_error = (
                    f"the results were {waited} (the database is not committing: {last})"
                )
                # we waited already: closing the store must not wait a whole grace again
                self._store.close_grace = min(self._store.close_grace, 1.0)
        except StorageError as exc:
            storage_error = str(exc)
        finally:
            for fut in (persist, hurry):
                if not fut.done():
                    fut.cancel()
            if self._on_finished is not None:
                self._on_finished(self)
        # the elapsed time includes the time spent waiting on the database
        elapsed = round(self._clock.monotonic() - self._started, 3)
        stats = stats.model_copy(update={"elapsed_s": elapsed})
        if self._bus is not None:
            self._publish_progress()
            self._bus.publish("scan.finished", ScanFinished(self.id, stats, storage_error))
        return ScanOutcome(results, scores, stats, self._clock.now(), storage_error)

    async def _persist(
        self, scores: Mapping[TokenRef, Score], stats: ScanStats, errors: Sequence[str]
    ) -> None:
        await self._engine.drain()  # every landed facet has reached the writer
        await self._recorder.scores(scores.values())
        await self._recorder.finish(stats.model_dump(), errors)

    def _stats(self, results: list[TokenResult]) -> ScanStats:
        counts = dict.fromkeys(ResultStatus, 0)
        for r in results:
            counts[r.status] += 1
        lanes = {}
        for s in self._engine.stats().lanes:
            p = self.job.progress.get(s.kind)
            lanes[s.name] = LaneSummary(
                done=p.done if p else 0,
                total=p.total if p else 0,
                requests=s.requests,
                rate_limited=s.rate_limited,
                batches=s.batches,
                mean_batch=round(s.mean_batch, 2) if s.mean_batch else None,
                retries=s.retries,
                errors=s.errors,
                breaker=s.breaker.value,
            )
        return ScanStats(
            tokens=len(results),
            complete=counts[ResultStatus.COMPLETE],
            partial=counts[ResultStatus.PARTIAL],
            failed=counts[ResultStatus.FAILED],
            interrupted=self.interrupted or self.failure is not None,
            elapsed_s=round(self._clock.monotonic() - self._started, 3),
            facets=[k.value for k in self.job.kinds],
            lanes=lanes,
            scan_id=self.id,
        )
