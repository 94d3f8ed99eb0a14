"""Scans started through the API: a bounded number running, a bounded LRU finished.

``POST /api/v1/scans`` starts one here and answers at once; a task per scan
waits on it and finishes it (scored, persisted). More than
``[api] max_running_scans`` at once is refused (429), and only the last
``[api] kept_scans`` finished ones are remembered (the store keeps them all:
``tokenradar scans``). A scan task that raises is recorded ``failed`` with why,
never lost; at shutdown running scans are interrupted and finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tokenradar.api.schemas import FailedToken, ScanTimings, ScanView
from tokenradar.clock import Clock
from tokenradar.domain import FacetKind, TokenRef
from tokenradar.flow.scan import ResultStatus
from tokenradar.service.radar import Radar
from tokenradar.service.results import ResultError
from tokenradar.service.scans import RadarScan, ScanOutcome

log = logging.getLogger(__name__)


class TooManyScans(Exception):
    pass


@dataclass(slots=True)
class ApiScan:
    scan: RadarScan
    started_at: float
    task: asyncio.Task[None] | None = None
    outcome: ScanOutcome | None = None
    failure: str | None = None
    finished_at: float | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def status(self) -> str:
        if self.failure is not None:
            return "failed"
        return "finished" if self.outcome is not None else "running"

    def view(self, now: float) -> ScanView:
        s = self.scan
        done = sum(p.done for p in s.progress.values())
        total = sum(p.total for p in s.progress.values())
        out = self.outcome
        tokens = len(s.job.results()) if out is None else len(out.results)
        complete = partial = failed = 0
        by_kind: Counter[str] = Counter()
        failed_tokens: list[FailedToken] = []
        if out is not None:
            complete, partial, failed = out.stats.complete, out.stats.partial, out.stats.failed
            for r in out.results:
                for kind in r.missing:
                    by_kind[kind.value] += 1
                if r.status is not ResultStatus.COMPLETE:
                    failed_tokens.append(
                        FailedToken(
                            token=str(r.token),
                            status=r.status.value,
                            errors=[
                                ResultError(facet=k.value, reason=why)
                                for k, why in r.missing.items()
                            ],
                        )
                    )
        end = self.finished_at if self.finished_at is not None else now
        return ScanView(
            id=s.id,
            status=self.status,
            facets=list(s.kinds),
            tokens=tokens,
            pairs_done=done,
            pairs_total=total,
            complete=complete,
            partial=partial,
            failed=failed,
            success_rate=round(complete / tokens, 4) if out is not None and tokens else None,
            errors_by_kind=dict(by_kind),
            failed_tokens=failed_tokens,
            timings=ScanTimings(
                started_at=self.started_at,
                finished_at=self.finished_at,
                elapsed_s=round(end - self.started_at, 3),
            ),
            storage_error=out.storage_error if out is not None else None,
            failure=self.failure,
        )


class ApiScans:
    def __init__(self, *, max_running: int, kept: int, clock: Clock) -> None:
        self.max_running = max_running
        self.kept = kept
        self._clock = clock
        self._running: dict[str, ApiScan] = {}
        self._finished: OrderedDict[str, ApiScan] = OrderedDict()
        self._starting = 0

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def kept_count(self) -> int:
        return len(self._finished)

    async def start(
        self,
        radar: Radar,
        tokens: Sequence[TokenRef],
        kinds: Sequence[FacetKind] | None,
        *,
        max_time: float | None,
        max_age: float,
    ) -> ApiScan:
        busy = len(self._running) + self._starting
        if busy >= self.max_running:
            raise TooManyScans(f"{busy} API scans are running (the most allowed)")
        # the slot is taken before the first await, so two requests cannot both take it
        self._starting += 1
        try:
            scan = await radar.scan(
                tokens, kinds, max_time=max_time, max_age=max_age, params={"origin": "api"}
            )
        finally:
            self._starting -= 1
        entry = ApiScan(scan, self._clock.now())
        self._running[scan.id] = entry
        entry.task = asyncio.create_task(self._drive(entry), name=f"api-scan-{scan.id}")
        return entry

    async def _drive(self, entry: ApiScan) -> None:
        try:
            await entry.scan.wait()
            entry.outcome = await entry.scan.finish()
        except asyncio.CancelledError:
            entry.failure = "cancelled (the API shut down)"
            raise
        except Exception as exc:
            log.exception("API scan %s failed", entry.scan.id)
            entry.failure = f"{type(exc).__name__}: {exc}"
        finally:
            entry.finished_at = self._clock.now()
            self._running.pop(entry.scan.id, None)
            self._finished[entry.scan.id] = entry
            while len(self._finished) > self.kept:
                self._finished.popitem(last=False)
            entry.finished.set()

    def get(self, scan_id: str) -> ApiScan | None:
        entry = self._running.get(scan_id)
        if entry is not None:
            return entry
        entry = self._finished.get(scan_id)
        if entry is not None:
            self._finished.move_to_end(scan_id)
        return entry

    async def close(self, grace: float = 10.0) -> None:
        """Interrupt the running scans and let them finish (scored, saved) within ``grace``."""
        entries = list(self._running.values())
        for e in entries:
            e.scan.interrupt("the API shut down")
        tasks = [e.task for e in entries if e.task is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending)
