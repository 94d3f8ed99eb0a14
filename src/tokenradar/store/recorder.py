"""Persisting one scan: its row, the facets it lands, its scores.

The seam between a scan and the store, so that ``scan`` needs three lines::

    recorder = await ScanRecorder.begin(store, total=len(tokens), kinds=kinds)
    engine.subscribe(recorder.facets)           # every landed batch, as it lands
    ...
    await recorder.scores(scores)               # when the scan has scored
    await recorder.finish(stats)                # counts; waits until all is durable

The scan row goes ``running`` → ``done`` (or ``cancelled`` when interrupted).
It names the process running it (:func:`tokenradar.store.owners.this_process`)
and, while the scan works, its ``updated_at`` is a heartbeat: refreshed when
facets or scores arrive at least :data:`HEARTBEAT_S` after the last one (and
by :meth:`ScanRecorder.heartbeat`, for a caller with a timer). Another process
uses both to tell a live scan from one whose process died
(:mod:`tokenradar.store.abandon`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tokenradar.domain import Facet, FacetKind, Score
from tokenradar.store.facade import Store
from tokenradar.store.owners import this_process
from tokenradar.store.records import ScanOwner, ScanRecord, ScanStatus

#: seconds between heartbeats of a working scan (a small fraction of abandon.STALE_AFTER_S)
HEARTBEAT_S = 30.0


class ScanRecorder:
    def __init__(self, store: Store, record: ScanRecord) -> None:
        self.store = store
        self.record = record
        self._beat = store.clock.monotonic()

    @classmethod
    async def begin(
        cls,
        store: Store,
        *,
        total: int,
        kinds: Iterable[FacetKind],
        params: Mapping[str, Any] | None = None,
        scan_id: str | None = None,
        owner: ScanOwner | None = None,
    ) -> ScanRecorder:
        """Record a new scan, ``running`` and owned by ``owner`` (default: this process)."""
        now = store.clock.now()
        record = ScanRecord(
            id=scan_id or uuid.uuid4().hex,
            status=ScanStatus.QUEUED,
            requested_at=now,
            updated_at=now,
            params={"facets": [k.value for k in kinds], **(params or {})},
            total=total,
            owner=owner or this_process(),
        ).advance(ScanStatus.RUNNING, at=now)
        await store.writer.put(record)
        return cls(store, record)

    async def facets(self, batch: Sequence[Facet[Any]]) -> None:
        """A facet sink (``engine.subscribe``): queue the batch for the writer."""
        await self.store.writer.put_many(batch)
        await self._maybe_heartbeat()

    async def scores(self, scores: Iterable[Score]) -> None:
        await self.store.writer.put_many(scores)
        await self._maybe_heartbeat()

    async def heartbeat(self) -> None:
        """Queue a new version of the running row: "this scan is alive, now"."""
        if self.record.status is not ScanStatus.RUNNING:
            return
        self._beat = self.store.clock.monotonic()
        self.record = self.record.advance(ScanStatus.RUNNING, at=self._later())
        await self.store.writer.put(self.record)

    async def _maybe_heartbeat(self) -> None:
        if self.store.clock.monotonic() - self._beat >= HEARTBEAT_S:
            await self.heartbeat()

    def _later(self) -> float:
        # strictly later than the stored version, or the store would keep that one
        return max(self.store.clock.now(), math.nextafter(self.record.updated_at, math.inf))

    async def finish(self, stats: Mapping[str, Any], errors: Sequence[str] = ()) -> None:
        """Record the outcome (``complete``/``partial``/``failed`` counts of
        ``stats``, ``interrupted``) and return once everything is committed."""
        complete = int(stats.get("complete", 0))
        partial = int(stats.get("partial", 0))
        failed = int(stats.get("failed", 0))
        status = ScanStatus.CANCELLED if stats.get("interrupted") else ScanStatus.DONE
        self.record = self.record.advance(
            status,
            at=self._later(),
            done=complete + partial + failed,
            complete=complete,
            partial=partial,
            failed=failed,
            errors=tuple(errors),
        )
        await self.store.writer.put(self.record)
        await self.store.writer.flush()
