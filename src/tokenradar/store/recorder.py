"""Persisting one scan: its row, the facets it lands, its scores.

The seam between a scan and the store, so that ``scan`` needs three lines::

    recorder = await ScanRecorder.begin(store, total=len(tokens), kinds=kinds)
    engine.subscribe(recorder.facets)           # every landed batch, as it lands
    ...
    await recorder.scores(scores)               # when the scan has scored
    await recorder.finish(stats)                # counts; waits until all is durable

The scan row goes ``running`` → ``done`` (or ``cancelled`` when interrupted).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tokenradar.domain import Facet, FacetKind, Score
from tokenradar.store.facade import Store
from tokenradar.store.records import ScanRecord, ScanStatus


class ScanRecorder:
    def __init__(self, store: Store, record: ScanRecord) -> None:
        self.store = store
        self.record = record

    @classmethod
    async def begin(
        cls,
        store: Store,
        *,
        total: int,
        kinds: Iterable[FacetKind],
        params: Mapping[str, Any] | None = None,
        scan_id: str | None = None,
    ) -> ScanRecorder:
        now = store.clock.now()
        record = ScanRecord(
            id=scan_id or uuid.uuid4().hex,
            status=ScanStatus.QUEUED,
            requested_at=now,
            updated_at=now,
            params={"facets": [k.value for k in kinds], **(params or {})},
            total=total,
        ).advance(ScanStatus.RUNNING, at=now)
        await store.writer.put(record)
        return cls(store, record)

    async def facets(self, batch: Sequence[Facet[Any]]) -> None:
        """A facet sink (``engine.subscribe``): queue the batch for the writer."""
        await self.store.writer.put_many(batch)

    async def scores(self, scores: Iterable[Score]) -> None:
        await self.store.writer.put_many(scores)

    async def finish(self, stats: Mapping[str, Any], errors: Sequence[str] = ()) -> None:
        """Record the outcome (``complete``/``partial``/``failed`` counts of
        ``stats``, ``interrupted``) and return once everything is committed."""
        complete = int(stats.get("complete", 0))
        partial = int(stats.get("partial", 0))
        failed = int(stats.get("failed", 0))
        status = ScanStatus.CANCELLED if stats.get("interrupted") else ScanStatus.DONE
        self.record = self.record.advance(
            status,
            # strictly later than the running row, or the store would keep that one
            at=max(self.store.clock.now(), math.nextafter(self.record.updated_at, math.inf)),
            done=complete + partial + failed,
            complete=complete,
            partial=partial,
            failed=failed,
            errors=tuple(errors),
        )
        await self.store.writer.put(self.record)
        await self.store.writer.flush()
