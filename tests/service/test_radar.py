"""The Radar facade: one context manager over store, engine and scorer."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from flow.memory import MemoryPlans, memory_budget, solana_tokens
from tokenradar.clock import SYSTEM_CLOCK
from tokenradar.domain import FacetKind, Score
from tokenradar.scoring.scorer import Scorer
from tokenradar.service import HealthStatus, Radar
from tokenradar.service.radar import RadarNotOpen
from tokenradar.service.scans import SCORE_IN_THREAD_ABOVE
from tokenradar.settings import Settings
from tokenradar.store.records import ScanStatus

MARKET, MINT = FacetKind.MARKET, FacetKind.MINT


def market_radar(tmp_path: Path, *, storage: dict[str, Any] | None = None, **plan: Any) -> Radar:
    """A Radar over one in-memory market lane (``plan``: MemoryPlans.plan's options)."""
    settings = Settings.model_validate(
        {"storage": {"url": f"sqlite:///{tmp_path / 'r.db'}", **(storage or {})}}
    )
    return Radar(
        settings,
        kinds=[MARKET],
        plans={MARKET: MemoryPlans(SYSTEM_CLOCK).plan(MARKET, **plan)},
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
    )


def radar_for(tmp_path: Path, **kw: Any) -> tuple[Radar, MemoryPlans]:
    settings = Settings.model_validate({"storage": {"url": f"sqlite:///{tmp_path / 'r.db'}"}})
    plans = MemoryPlans(SYSTEM_CLOCK)
    radar = Radar(
        settings,
        kinds=[MARKET, MINT],
        plans={MARKET: plans.plan(MARKET), MINT: plans.plan(MINT, max_batch=100)},
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
        **kw,
    )
    return radar, plans


async def test_a_scan_through_the_radar_is_scored_persisted_and_readable(tmp_path: Path) -> None:
    radar, _ = radar_for(tmp_path)
    tokens = solana_tokens(40)
    async with radar:
        scan = await radar.scan(tokens)
        await asyncio.wait_for(scan.wait(), 10)
        outcome = await scan.finish()
        assert outcome.stats.tokens == 40
        assert outcome.stats.complete == 40
        view = await radar.token(tokens[0])
        assert view.score is not None
        assert {f.kind for f in view.facets} == {MARKET, MINT}
        assert view.tracked is False
        assert radar.health().status is HealthStatus.HEALTHY
        stored = await radar.store.get_scan(scan.id)
    assert stored is not None
    assert stored.status is ScanStatus.DONE
    assert (stored.total, stored.complete) == (40, 40)
    # the views carry the scan-result contract, rendered from the same score
    row = outcome.views()[0].model_dump()
    assert list(row)[:4] == ["chain", "address", "symbol", "status"]
    assert row["facets"]["market"]["state"] == "absent"
    # and a store-only Radar reads it back without opening any lane
    async with Radar(radar.settings, fetching=False) as reader:
        history = await reader.history(tokens[0])
        assert len(history) == 1
        with pytest.raises(RadarNotOpen, match="fetching=False"):
            reader.engine  # noqa: B018


async def test_a_big_scan_is_scored_off_the_event_loop(tmp_path: Path) -> None:
    threads: list[int] = []

    class Recording(Scorer):
        def score_batch(self, facets: Any, now: float) -> list[Score]:
            threads.append(threading.get_ident())
            return super().score_batch(facets, now)

    radar, _ = radar_for(tmp_path)
    radar.scorer = Recording(radar.settings.scoring)
    async with radar:
        for n in (10, SCORE_IN_THREAD_ABOVE + 1):
            scan = await radar.scan(solana_tokens(n), [MINT])
            await asyncio.wait_for(scan.wait(), 30)
            await scan.finish()
    assert threads[0] == threading.get_ident()  # small: on the loop, no thread hop
    assert threads[1] != threading.get_ident()


async def test_the_deadline_ends_a_scan_and_says_what_was_not_fetched(tmp_path: Path) -> None:
    async def never(tokens: Any) -> Any:
        await asyncio.sleep(3600)

    radar = market_radar(tmp_path, answer=never)
    async with radar:
        scan = await radar.scan(solana_tokens(5), max_time=0.3)
        await asyncio.wait_for(scan.wait(tick=0.05), 5)
        outcome = await scan.finish()
    assert outcome.stats.failed == 5
    reasons = {r.missing[MARKET] for r in outcome.results}
    assert reasons == {"not fetched within --max-time 0.3s"}


async def test_a_dead_writer_ends_open_scans_at_once_and_makes_health_critical(
    tmp_path: Path,
) -> None:
    async def slow(tokens: Any) -> Any:
        await asyncio.sleep(3600)

    radar = market_radar(tmp_path, answer=slow)

    class WriterBug(BaseException):
        """Stands for a bug in the writer task: nothing it handles catches it."""

    def explode(batch: Any) -> None:
        raise WriterBug("the writer's own bug")

    async with radar:
        radar.store.writer.add_listener(explode)
        scan = await radar.scan(solana_tokens(5))  # its scan row's commit kills the writer
        await asyncio.wait_for(scan.wait(tick=0.05), 5)  # not an hour
        assert scan.failure is not None
        assert "storage failed" in scan.failure
        health = radar.health()
        assert health.status is HealthStatus.CRITICAL
        assert any("writer failed" in r for r in health.reasons)
        results = scan.job.results()
    assert {r.missing[MARKET] for r in results} == {scan.failure}


async def test_the_radar_publishes_circuit_part_and_scan_events(tmp_path: Path) -> None:
    from tokenradar.errors import UpstreamUnavailable
    from tokenradar.flow.breaker import BreakerConfig

    settings = Settings.model_validate({"storage": {"url": f"sqlite:///{tmp_path / 'r.db'}"}})
    plans = MemoryPlans(SYSTEM_CLOCK)

    async def down(tokens: Any) -> Any:
        raise UpstreamUnavailable("mem", "503")

    radar = Radar(
        settings,
        kinds=[MARKET],
        plans={MARKET: plans.plan(MARKET, max_batch=1, answer=down)},
        budgets={"mem": memory_budget(SYSTEM_CLOCK)},
        engine_options={"breaker": BreakerConfig(window=5, minimum_calls=3, wait=0.2)},
    )
    async with radar:
        events = radar.subscribe("*", maxsize=10_000)
        scan = await radar.scan(solana_tokens(10))
        await asyncio.wait_for(scan.wait(tick=0.05), 10)
        await scan.finish()
        got = events.take_nowait(10_000)
    topics = [e.topic for e in got]
    assert "lane.circuit_opened" in topics
    assert topics[-1] == "scan.finished"
    assert "scan.progress" in topics
    finished = got[-1].payload
    assert finished.stats.failed == 10


async def test_a_stalled_database_still_returns_the_results_within_the_grace(
    tmp_path: Path,
) -> None:
    import sqlite3

    from tokenradar.errors import StorageError

    db = tmp_path / "r.db"
    radar = market_radar(tmp_path, storage={"busy_timeout": 0.05})
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    loop = asyncio.get_running_loop()
    await radar.__aenter__()
    other.execute("BEGIN EXCLUSIVE")  # another process holds the database
    scan = await radar.scan(solana_tokens(20))
    await asyncio.wait_for(scan.wait(tick=0.05), 10)
    started = loop.time()
    outcome = await scan.finish(grace=1.0)
    waited = loop.time() - started
    assert 1.0 <= waited < 3.0
    assert outcome.storage_error is not None
    assert "not durable within 1s" in outcome.storage_error
    assert "locked" in outcome.storage_error
    assert outcome.stats.complete == 20  # the results are all there
    assert outcome.stats.elapsed_s >= 1.0  # and the wait is in the elapsed time
    with pytest.raises(StorageError, match="not committed"):
        await radar.__aexit__(None, None, None)
    # the store gave up closing after a short grace, not another 30 s
    assert loop.time() - started < 6.0
    other.execute("ROLLBACK")
    other.close()


async def test_a_second_interrupt_stops_waiting_for_the_database(tmp_path: Path) -> None:
    import sqlite3

    from tokenradar.errors import StorageError

    db = tmp_path / "r.db"
    radar = market_radar(tmp_path, storage={"busy_timeout": 0.05})
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    loop = asyncio.get_running_loop()
    await radar.__aenter__()
    other.execute("BEGIN EXCLUSIVE")
    scan = await radar.scan(solana_tokens(5))
    await asyncio.wait_for(scan.wait(tick=0.05), 10)
    loop.call_later(0.3, scan.interrupt)  # Ctrl-C while it waits for the database
    started = loop.time()
    outcome = await scan.finish(grace=30.0)
    assert loop.time() - started < 2.0
    assert outcome.storage_error is not None
    assert "interrupted" in outcome.storage_error
    with pytest.raises(StorageError, match="not committed"):
        await radar.__aexit__(None, None, None)
    other.execute("ROLLBACK")
    other.close()
