"""Scans of dead processes are marked ``abandoned``; live scans, in any process, are not.

The owner's pid decides where it is meaningful (this PID namespace): a killed
process's scan is abandoned at the next open, a second process's live scan
never. Elsewhere the heartbeat decides, and a live scan misjudged by it
repairs its own row.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest

import tokenradar
from tokenradar.clock import FakeClock
from tokenradar.domain import FacetKind
from tokenradar.settings import StorageSettings
from tokenradar.store import (
    IllegalScanTransition,
    ScanOwner,
    ScanRecord,
    ScanStatus,
    Store,
    open_store,
)
from tokenradar.store.abandon import STALE_AFTER_S, find_abandoned, mark_abandoned
from tokenradar.store.owners import Liveness, judge, this_process
from tokenradar.store.recorder import HEARTBEAT_S, ScanRecorder

from .factories import market_facet, token

CHILD = """
import asyncio, sys
from tokenradar.domain import FacetKind
from tokenradar.settings import StorageSettings
from tokenradar.store import open_store
from tokenradar.store.recorder import ScanRecorder

async def main() -> None:
    settings = StorageSettings(url=sys.argv[1], schema=sys.argv[2] or None)
    async with open_store(settings) as store:
        await ScanRecorder.begin(store, total=5, kinds=[FacetKind.MARKET], scan_id="theirs")
        await store.writer.flush()
        print("running", flush=True)
        await asyncio.sleep(300)

asyncio.run(main())
"""


async def start_scanning_process(settings: StorageSettings) -> asyncio.subprocess.Process:
    """Another process scanning on the same database (until it is killed)."""
    src = str(Path(tokenradar.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, settings.url, settings.schema_name or "",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    if line.strip() != b"running":
        _, err = await proc.communicate()
        raise AssertionError(f"the scanning process did not start: {err.decode()[-2000:]}")
    return proc


async def test_a_killed_processs_scan_is_abandoned_and_a_live_ones_is_not(
    settings: StorageSettings,
) -> None:
    async with open_store(settings) as store:
        pass  # migrate first: two processes' first opens would race for it
    proc = await start_scanning_process(settings)
    try:
        async with open_store(settings) as store:
            assert store.abandoned == ()  # the other process is alive: its scan is left alone
            live = await store.get_scan("theirs")
            assert live is not None
            assert live.status is ScanStatus.RUNNING
            assert live.owner is not None
            assert live.owner.pid == proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGKILL)
        await proc.wait()  # reaped: no zombie left to look alive

    async with open_store(settings) as store:
        (gone,) = store.abandoned
        stored = await store.get_scan("theirs")
    assert stored == gone
    assert gone.status is ScanStatus.ABANDONED
    assert gone.status.finished
    assert gone.finished_at == gone.updated_at
    assert gone.updated_at > live.updated_at
    assert gone.errors[-1] == f"abandoned: process {proc.pid} on {live.owner.host} is gone"


def _owned(scan_id: str, owner: ScanOwner | None, at: float) -> ScanRecord:
    return ScanRecord(
        scan_id, ScanStatus.QUEUED, requested_at=at, updated_at=at, owner=owner
    ).advance(ScanStatus.RUNNING, at=at)


async def test_a_reused_pid_does_not_keep_a_dead_scan_alive(store: Store) -> None:
    me = this_process()
    # a restarted container's main process often gets the pid of the one killed
    earlier_me = ScanOwner(me.host, me.pid, me.space, started="1")
    await store.writer.put_many(
        [_owned("earlier", earlier_me, store.clock.now()), _owned("mine", me, store.clock.now())]
    )
    await store.writer.flush()
    (gone,) = await store.abandon_dead_scans()
    assert gone.id == "earlier"
    assert "its pid now names another process" in gone.errors[-1]
    mine = await store.get_scan("mine")
    assert mine is not None
    assert mine.status is ScanStatus.RUNNING


async def test_scans_of_other_hosts_are_judged_by_their_heartbeat(
    store: Store, clock: FakeClock
) -> None:
    elsewhere = ScanOwner("worker-2", 4242, space="another-boot/pid:[4026531836]", started="99")
    await store.writer.put_many(
        [_owned("remote", elsewhere, clock.now()), _owned("legacy", None, clock.now())]
    )
    await store.writer.flush()
    assert await store.abandon_dead_scans() == []  # fresh heartbeats: maybe alive

    clock.advance(STALE_AFTER_S + 1)
    gone = {s.id: s for s in await store.abandon_dead_scans()}
    assert set(gone) == {"remote", "legacy"}
    assert gone["remote"].errors[-1] == (
        f"abandoned: no heartbeat for {STALE_AFTER_S + 1:.0f}s from process 4242 on worker-2 "
        "(another host or container)"
    )
    assert "did not record itself" in gone["legacy"].errors[-1]


async def test_a_live_scan_misjudged_as_abandoned_repairs_its_row(
    store: Store, clock: FakeClock
) -> None:
    elsewhere = ScanOwner("worker-2", 4242, space="another-boot/pid:[1]")
    rec = await ScanRecorder.begin(store, total=3, kinds=[FacetKind.MARKET], owner=elsewhere)
    await store.writer.flush()
    clock.advance(STALE_AFTER_S + 1)  # it stalled longer than the stale limit
    (gone,) = await store.abandon_dead_scans()
    assert gone.id == rec.record.id

    clock.advance(1.0)
    await rec.heartbeat()  # it was alive after all
    await store.writer.flush()
    back = await store.get_scan(rec.record.id)
    assert back is not None
    assert back.status is ScanStatus.RUNNING
    await rec.finish({"complete": 3})
    done = await store.get_scan(rec.record.id)
    assert done is not None
    assert done.status is ScanStatus.DONE


async def test_a_heartbeat_landing_after_the_verdict_wins(store: Store, clock: FakeClock) -> None:
    rec = await ScanRecorder.begin(
        store, total=1, kinds=[FacetKind.MARKET], owner=ScanOwner("far", 1, "elsewhere")
    )
    await store.writer.flush()
    clock.advance(STALE_AFTER_S + 1)
    now = clock.now()
    doomed = await store.read(
        lambda c: find_abandoned(c, now=now, me=this_process(), stale_after=STALE_AFTER_S)
    )
    assert [d.scan.id for d in doomed] == [rec.record.id]
    await rec.heartbeat()  # between the read and the write
    await store.writer.flush()
    assert await store.writer.run_job(lambda c: mark_abandoned(c, doomed, now=now)) == []
    still = await store.get_scan(rec.record.id)
    assert still is not None
    assert still.status is ScanStatus.RUNNING


async def test_a_working_scan_heartbeats_and_names_its_process(
    store: Store, clock: FakeClock
) -> None:
    rec = await ScanRecorder.begin(store, total=2, kinds=[FacetKind.MARKET])
    await store.writer.flush()
    first = await store.get_scan(rec.record.id)
    assert first is not None
    assert first.owner == this_process()

    await rec.facets([market_facet(token(1), clock.now())])
    await store.writer.flush()
    unchanged = await store.get_scan(rec.record.id)
    assert unchanged is not None
    assert unchanged.updated_at == first.updated_at  # not every batch: at most one per interval

    clock.advance(HEARTBEAT_S)
    await rec.facets([market_facet(token(2), clock.now())])
    await store.writer.flush()
    beat = await store.get_scan(rec.record.id)
    assert beat is not None
    assert beat.status is ScanStatus.RUNNING
    assert beat.updated_at == clock.now()


async def test_recent_scans_list_with_status_counts_and_owner(
    store: Store, clock: FakeClock
) -> None:
    old = _owned("old", None, clock.now() - 3600)
    await store.writer.put(old.advance(ScanStatus.DONE, at=clock.now() - 3000, total=4, done=4))
    rec = await ScanRecorder.begin(store, total=10, kinds=[FacetKind.MARKET], scan_id="new")
    await rec.finish({"complete": 7, "partial": 2, "failed": 1}, errors=["rugcheck: timeout"])

    listed = await store.list_scans()
    assert [s.id for s in listed] == ["new", "old"]
    new = listed[0]
    assert new.status is ScanStatus.DONE
    assert (new.total, new.done, new.complete, new.partial, new.failed) == (10, 10, 7, 2, 1)
    assert new.errors == ("rugcheck: timeout",)
    assert new.owner == this_process()
    assert new.started_at is not None
    assert new.finished_at is not None
    assert [s.id for s in await store.list_scans(since=clock.now() - 60)] == ["new"]
    assert [s.id for s in await store.list_scans(status=ScanStatus.DONE, limit=1)] == ["new"]


def test_only_unfinished_scans_can_be_abandoned() -> None:
    scan = _owned("s", None, 1.0)
    assert scan.advance(ScanStatus.ABANDONED, at=2.0).finished_at == 2.0
    queued = ScanRecord("q", ScanStatus.QUEUED, requested_at=1.0, updated_at=1.0)
    assert queued.advance(ScanStatus.ABANDONED, at=2.0).status is ScanStatus.ABANDONED
    done = scan.advance(ScanStatus.DONE, at=2.0)
    with pytest.raises(IllegalScanTransition):
        done.advance(ScanStatus.ABANDONED, at=3.0)
    with pytest.raises(IllegalScanTransition):
        scan.advance(ScanStatus.ABANDONED, at=2.0).advance(ScanStatus.RUNNING, at=3.0)


def test_an_owner_in_this_namespace_is_judged_by_its_pid() -> None:
    me = this_process()
    assert judge(me, me).liveness is Liveness.ALIVE
    parent = ScanOwner(me.host, os.getppid(), me.space)  # alive, start time not recorded
    assert judge(parent, me).liveness is Liveness.ALIVE
    never = ScanOwner(me.host, 2**22 + 12345, me.space)  # above pid_max: no such process
    assert judge(never, me).liveness is Liveness.GONE
    assert judge(ScanOwner("elsewhere", me.pid, "x"), me).liveness is Liveness.UNKNOWN
