"""ScanRecorder: a scan's row, facets and scores reach the store."""

from __future__ import annotations

from tokenradar.clock import FakeClock
from tokenradar.domain import FacetKind
from tokenradar.store import ScanStatus, Store
from tokenradar.store.recorder import ScanRecorder

from .factories import market_facet, score, token


async def test_a_scan_is_recorded_running_then_done(store: Store, clock: FakeClock) -> None:
    refs = [token(i) for i in range(3)]
    rec = await ScanRecorder.begin(
        store, total=3, kinds=[FacetKind.MARKET], params={"demo": None}, scan_id="scan-a"
    )
    await store.writer.flush()
    running = await store.get_scan("scan-a")
    assert running is not None
    assert running.status is ScanStatus.RUNNING
    assert running.params == {"facets": ["market"], "demo": None}

    await rec.facets([market_facet(r, clock.now()) for r in refs])
    await rec.scores(score(r, clock.now()) for r in refs)
    # finishing in the same clock tick still supersedes the running row
    await rec.finish({"complete": 2, "partial": 0, "failed": 1, "interrupted": False})

    done = await store.get_scan("scan-a")
    assert done is not None
    assert done.status is ScanStatus.DONE
    assert (done.total, done.done, done.complete, done.failed) == (3, 3, 2, 1)
    assert len(await store.latest_facets(refs)) == 3
    assert len(await store.scores_for(refs)) == 3


async def test_an_interrupted_scan_is_recorded_cancelled(store: Store) -> None:
    rec = await ScanRecorder.begin(store, total=10, kinds=list(FacetKind))
    await rec.finish({"complete": 1, "interrupted": True}, errors=["Ctrl-C"])
    (scan,) = await store.list_scans()
    assert scan.status is ScanStatus.CANCELLED
    assert scan.errors == ("Ctrl-C",)
    assert scan.finished_at is not None
