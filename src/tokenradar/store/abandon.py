"""Scans left ``running`` by a process that is gone are marked ``abandoned``.

A kill -9, an OOM kill or a crashed host never writes a scan's final version,
so its row would say ``running`` forever. :func:`find_abandoned` decides which
rows are dead by the rules of :mod:`tokenradar.store.owners` (the owner's pid
where it is meaningful, the heartbeat elsewhere); :func:`mark_abandoned`
writes the verdict only for rows that have not moved since they were judged,
so a heartbeat landing in between wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenradar.store.owners import Liveness, judge
from tokenradar.store.queries import scan_from_row
from tokenradar.store.records import ScanOwner, ScanRecord, ScanStatus
from tokenradar.store.tables import scans

#: a row without a provable owner is abandoned after this long without a heartbeat
#: (30 heartbeats of the recorder: a live scan is never that quiet unless stalled)
STALE_AFTER_S = 900.0
_UNFINISHED = (ScanStatus.QUEUED.value, ScanStatus.RUNNING.value)


@dataclass(frozen=True, slots=True)
class Doomed:
    """A row judged dead: the version judged, and why."""

    scan: ScanRecord
    why: str


def verdict(scan: ScanRecord, *, now: float, me: ScanOwner, stale_after: float) -> str | None:
    """Why ``scan`` (queued or running) is abandoned, or None while it may be alive."""
    if scan.owner is not None:
        judged = judge(scan.owner, me)
        if judged.liveness is Liveness.GONE:
            return f"abandoned: {judged.why}"
        if judged.liveness is Liveness.ALIVE:
            return None  # a live process: however quiet, not ours to end
        who = judged.why
    else:
        who = "a process that did not record itself"
    quiet = now - scan.updated_at
    if quiet > stale_after:
        return f"abandoned: no heartbeat for {quiet:.0f}s from {who}"
    return None


async def find_abandoned(
    conn: AsyncConnection, *, now: float, me: ScanOwner, stale_after: float = STALE_AFTER_S
) -> list[Doomed]:
    """The queued and running scans whose process is gone (a read)."""
    rows = await conn.execute(select(scans).where(scans.c.status.in_(_UNFINISHED)))
    out = []
    for row in rows.mappings().all():
        scan = scan_from_row(row)
        why = verdict(scan, now=now, me=me, stale_after=stale_after)
        if why is not None:
            out.append(Doomed(scan, why))
    return out


async def mark_abandoned(
    conn: AsyncConnection, doomed: list[Doomed], *, now: float
) -> list[ScanRecord]:
    """Write ``abandoned`` for each row still as it was judged; returns those written."""
    out = []
    for d in doomed:
        # strictly newer than the judged version (the store keeps the newest)
        at = max(now, math.nextafter(d.scan.updated_at, math.inf))
        gone = d.scan.advance(ScanStatus.ABANDONED, at=at, errors=(*d.scan.errors, d.why))
        result = await conn.execute(
            update(scans)
            .where(
                scans.c.id == d.scan.id,
                scans.c.status == d.scan.status.value,
                scans.c.updated_at == d.scan.updated_at,  # no heartbeat since
            )
            .values(
                status=gone.status.value,
                updated_at=gone.updated_at,
                finished_at=gone.finished_at,
                errors=list(gone.errors),
            )
        )
        if result.rowcount == 1:
            out.append(gone)
    return out
