"""The health monitor: per-lane latency and 429s, freshness, writer, loop lag, process."""

from __future__ import annotations

import asyncio
import itertools
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from flow.memory import MemoryPlans, memory_budget, solana_tokens
from service.test_serve import memory_service, running, settings_in, until
from tokenradar.clock import FakeClock
from tokenradar.domain import (
    Facet,
    FacetKind,
    Tier,
    TokenRef,
    absent_facet,
    error_facet,
)
from tokenradar.errors import RateLimited, StorageError
from tokenradar.flow.engine import Tracked
from tokenradar.flow.facets import FacetStore
from tokenradar.service import HealthReport, HealthStatus, Radar
from tokenradar.service.freshness import FreshnessGauge
from tokenradar.service.monitor import HealthMonitor
from tokenradar.service.process import ProcessProbe
from tokenradar.service.topics import HealthChanged
from tokenradar.settings import Rate, Settings, TiersSettings
from tokenradar.store.writer import WriterState
from tokenradar.supervisor import PartState

MARKET = FacetKind.MARKET
HEALTHY, DEGRADED, CRITICAL = HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.CRITICAL
Answer = Callable[[Sequence[TokenRef]], Any]


def fake_radar(
    tmp_path: Path,
    clock: FakeClock,
    *,
    answer: Answer | None = None,
    health: dict[str, Any] | None = None,
    rate: Rate | None = None,
    max_batch: int = 30,
    max_in_flight: int = 2,
) -> Radar:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
            "health": {"warmup": 0, **(health or {})},
        }
    )
    plans = MemoryPlans(clock)
    plan = plans.plan(MARKET, max_batch=max_batch, max_in_flight=max_in_flight, answer=answer)
    return Radar(
        settings, clock=clock, kinds=[MARKET], plans={MARKET: plan},
        budgets={"mem": memory_budget(clock, rate)},
    )  # fmt: skip


async def hang(tokens: Sequence[TokenRef]) -> Sequence[Facet[Any]]:
    """A provider that never answers: nothing lands, the store holds what the test put."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def drive(
    clock: FakeClock, done: Callable[[], bool], *, step: float = 1.0, real: float = 0.0
) -> None:
    """Step the fake clock until ``done()``; ``real`` s of real time per step let work
    in threads (the database) keep up with it."""
    for _ in range(1000):
        if done():
            return
        await clock.run_for(step)
        if real:
            await asyncio.sleep(real)
    raise AssertionError("not done after 1000 steps of the fake clock")


def changes(radar: Radar) -> Any:
    return radar.subscribe("health.changed", maxsize=100)


def transitions(sub: Any) -> list[tuple[HealthStatus, HealthStatus]]:
    events = sub.take_nowait(100)
    payloads = [e.payload for e in events]
    assert all(isinstance(p, HealthChanged) for p in payloads)
    return [(p.previous, p.status) for p in payloads]


# -- lanes ---------------------------------------------------------------------


async def test_lane_latency_percentiles_and_budget_use_come_from_the_batches(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    latencies = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms, one per batch
    random.Random(7).shuffle(latencies)

    async def answer(tokens: Sequence[TokenRef]) -> Sequence[Facet[Any]]:
        await clock.sleep(latencies.pop())
        return [absent_facet(t, MARKET, fetched_at=clock.now(), source="mem") for t in tokens]

    radar = fake_radar(
        tmp_path, clock, answer=answer, max_batch=1, max_in_flight=1, rate=Rate(1000, 60)
    )
    async with radar:
        job = radar.engine.start_scan(solana_tokens(100), [MARKET])
        await drive(clock, lambda: job.done, step=0.5)
        report = radar.monitor.snapshot()
    (lane,) = report.lanes
    assert lane.latency.samples == 100
    assert lane.latency.p50_s == pytest.approx(0.050, abs=1e-6)
    assert lane.latency.p95_s == pytest.approx(0.095, abs=1e-6)
    assert lane.latency.p99_s == pytest.approx(0.099, abs=1e-6)
    assert lane.latency.max_s == pytest.approx(0.100, abs=1e-6)
    assert (lane.requests, lane.rate_limited, lane.rate_limited_share) == (100, 0, 0.0)
    # 100 requests hold 100 of the 1000 slots of the 60 s window
    (node,) = lane.budget
    assert (node.node, node.ceiling) == ("mem.all", "1000/60s")
    assert node.share == pytest.approx(0.1)
    assert lane.budget_use == pytest.approx(0.1)
    assert report.status is HEALTHY
    # the contract /health serves: JSON with tiers and facets as keys, and back
    assert HealthReport.model_validate_json(report.model_dump_json()) == report
    assert report.model_dump(mode="json")["freshness"]["hot"]["market"]["share"] is None


async def test_a_lane_rate_limited_above_the_threshold_degrades_health(tmp_path: Path) -> None:
    clock = FakeClock()
    calls = itertools.count()

    async def answer(tokens: Sequence[TokenRef]) -> Sequence[Facet[Any]]:
        if next(calls) % 4 == 0:
            raise RateLimited("mem", retry_after=0.5)
        return [absent_facet(t, MARKET, fetched_at=clock.now(), source="mem") for t in tokens]

    radar = fake_radar(tmp_path, clock, answer=answer, max_batch=1, max_in_flight=1)
    async with radar:
        sub = changes(radar)
        job = radar.engine.start_scan(solana_tokens(40), [MARKET])
        await drive(clock, lambda: job.done)
        report = radar.monitor.snapshot()
    (lane,) = report.lanes
    assert lane.requests >= 40
    assert lane.rate_limited == -(-lane.requests // 4)  # calls 0, 4, 8, ...
    assert lane.rate_limited_share == pytest.approx(lane.rate_limited / lane.requests)
    assert report.status is DEGRADED
    assert any("mem.market: 2" in r and "rate-limited (429)" in r for r in report.reasons)
    assert transitions(sub) == [(HEALTHY, DEGRADED)]


# -- freshness -----------------------------------------------------------------


def put(
    store: FacetStore, token: TokenRef, now: float, age: float, *, error_age: float | None = None
) -> None:
    store.put(absent_facet(token, MARKET, fetched_at=now - age, source="mem"))
    if error_age is not None:  # a later refresh failed: the good one is what we know
        store.put(
            error_facet(
                token, MARKET, fetched_at=now - error_age, source="mem",
                error_kind="transient", message="503",
            )
        )  # fmt: skip


async def test_freshness_is_the_share_of_tracked_tokens_within_their_tiers_target(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    radar = fake_radar(tmp_path, clock, answer=hang)
    async with radar:
        store, now = radar.engine.store, clock.now()
        hot, warm = solana_tokens(10, seed=1), solana_tokens(4, seed=2)
        for t in hot[:6]:
            put(store, t, now, 5.0)  # within the hot market target of 15 s
        put(store, hot[6], now, 16.0)  # past 15 s but within the 2 s grace
        put(store, hot[7], now, 20.0)  # stale
        put(store, hot[8], now, 40.0, error_age=1.0)  # refreshed 1 s ago, but it failed
        # hot[9]: nothing known yet
        for t in warm:
            put(store, t, now, 100.0)  # within the warm target of 2 min
        radar.watch(hot, tier=Tier.HOT)
        radar.watch(warm, tier=Tier.WARM)
        report = radar.monitor.snapshot()
    cell = report.freshness[Tier.HOT][MARKET]
    assert (cell.target_s, cell.tokens, cell.fresh, cell.missing) == (15.0, 10, 7, 1)
    assert cell.share == pytest.approx(0.7)
    assert report.freshness[Tier.WARM][MARKET].share == 1.0
    assert report.freshness[Tier.COLD][MARKET].share is None  # no cold token: unknown
    assert report.freshness_scope.tracked == 14
    assert report.freshness_scope.measured == 14
    assert not report.freshness_scope.sampled
    assert report.status is DEGRADED
    assert report.reasons == [
        "freshness: hot market 0.70 < 0.9 (7 of 10 within 15s, 1 not fetched yet)"
    ]


async def test_freshness_is_reported_but_not_judged_during_the_warmup(tmp_path: Path) -> None:
    clock = FakeClock()
    radar = fake_radar(tmp_path, clock, answer=hang, health={"warmup": "2m"})
    async with radar:
        radar.watch(solana_tokens(3), tier=Tier.HOT)  # nothing fetched yet
        early = radar.monitor.snapshot()
        clock.advance(121)
        late = radar.monitor.snapshot()
    assert early.freshness[Tier.HOT][MARKET].share == 0.0
    assert (early.status, early.freshness_scope.judged) == (HEALTHY, False)
    assert (late.status, late.freshness_scope.judged) == (DEGRADED, True)


def test_above_the_sample_size_freshness_is_measured_on_an_even_sample() -> None:
    now = 1_700_000_000.0
    store = FacetStore()
    rng = random.Random(5)
    universe: dict[TokenRef, Tracked] = {}
    stale = 0
    for token in solana_tokens(2000, seed=9):
        universe[token] = Tracked(Tier.HOT, frozenset({MARKET}))
        old = rng.random() < 0.3
        stale += old
        store.put(absent_facet(token, MARKET, fetched_at=now - (60 if old else 1), source="m"))
    gauge = FreshnessGauge(sample=200, grace=0)
    seen = []
    for _ in range(3):
        cell = gauge.measure(universe, store, TiersSettings(), [MARKET], now=now)[Tier.HOT][MARKET]
        assert gauge.sampled
        assert gauge.measured == cell.tokens == 200
        assert cell.share == pytest.approx(1 - stale / 2000, abs=0.1)
        seen.append(cell.fresh)
    assert len(set(seen)) > 1  # a different stride offset each time, not the same 200 tokens
    whole = FreshnessGauge(sample=2000, grace=0)
    cell = whole.measure(universe, store, TiersSettings(), [MARKET], now=now)[Tier.HOT][MARKET]
    assert (whole.sampled, cell.tokens, cell.fresh) == (False, 2000, 2000 - stale)


async def test_health_changed_is_published_once_per_change_not_on_every_check(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    radar = fake_radar(tmp_path, clock, answer=hang)
    async with radar:
        sub = changes(radar)
        token = solana_tokens(1)[0]
        put(radar.engine.store, token, clock.now(), 60.0)
        radar.watch([token], tier=Tier.HOT)
        for _ in range(3):
            assert radar.monitor.snapshot().status is DEGRADED
            clock.advance(1.0)
        put(radar.engine.store, token, clock.now(), 0.0)  # its refresh landed
        for _ in range(3):
            assert radar.health().status is HEALTHY  # Radar.health() is the monitor's view
            clock.advance(1.0)
        got = sub.take_nowait(100)
    assert [(e.payload.previous, e.payload.status) for e in got] == [
        (HEALTHY, DEGRADED),
        (DEGRADED, HEALTHY),
    ]
    assert got[0].payload.reasons[0].startswith("freshness: hot market 0.00 < 0.9")
    assert got[1].payload.reasons == ()


# -- the writer, the loop, the process -----------------------------------------


async def test_a_failed_writer_is_critical(tmp_path: Path) -> None:
    clock = FakeClock()
    radar = fake_radar(tmp_path, clock)

    class WriterBug(BaseException):
        """Stands for a bug in the writer task: nothing it handles catches it."""

    def explode(batch: Any) -> None:
        raise WriterBug("the writer's own bug")

    async with radar:
        sub = changes(radar)
        assert radar.monitor.snapshot().status is HEALTHY
        writer = radar.store.writer
        writer.add_listener(explode)
        await writer.put(absent_facet(solana_tokens(1)[0], MARKET, fetched_at=1.0, source="m"))
        with pytest.raises(StorageError):
            await writer.flush()
        report = radar.monitor.snapshot()
        radar.monitor.snapshot()
    assert report.status is CRITICAL
    assert report.writer.state is WriterState.FAILED
    assert report.writer.pending == 1
    assert any(r.startswith("storage: writer failed") for r in report.reasons)
    assert transitions(sub) == [(HEALTHY, CRITICAL)]


async def test_a_writer_that_commits_nothing_for_the_stall_limit_is_critical(
    tmp_path: Path,
) -> None:
    import sqlite3

    clock = FakeClock()
    settings = Settings.model_validate(
        {"storage": {"url": f"sqlite:///{tmp_path / 'm.db'}", "busy_timeout": 0.0}}
    )
    radar = Radar(
        settings, clock=clock, kinds=[MARKET], plans={MARKET: MemoryPlans(clock).plan(MARKET)},
        budgets={"mem": memory_budget(clock)},
    )  # fmt: skip
    async with radar:
        writer = radar.store.writer
        blocker = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            await writer.put(absent_facet(solana_tokens(1)[0], MARKET, fetched_at=1.0, source="m"))
            flushing = asyncio.create_task(writer.flush())
            await drive(clock, lambda: writer.retrying_for > 5.0, step=0.5, real=0.005)
            retrying = radar.monitor.snapshot()
            await drive(clock, lambda: writer.retrying_for > 31.0, step=0.5, real=0.005)
            stalled = radar.monitor.snapshot()
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        await drive(clock, flushing.done, step=0.5, real=0.005)
        recovered = radar.monitor.snapshot()
    assert retrying.status is DEGRADED
    assert retrying.reasons == ["storage: writer retrying (OperationalError: database is locked)"]
    assert stalled.status is CRITICAL
    assert stalled.writer.oldest_wait_s > 31.0
    assert stalled.reasons[0].startswith("storage: nothing committed for 3")
    assert "1 rows waiting (OperationalError: database is locked)" in stalled.reasons[0]
    assert recovered.status is HEALTHY


async def test_a_blocked_event_loop_shows_as_loop_lag_and_degrades_health(tmp_path: Path) -> None:
    clock = FakeClock()
    radar = fake_radar(tmp_path, clock)
    async with radar:
        monitor = radar.monitor
        sub = changes(radar)
        task = asyncio.create_task(monitor.run())
        try:
            await asyncio.sleep(0.35)  # real time: the probe measures the real loop
            before = monitor.snapshot()
            assert before.loop.probing
            assert before.loop.lag.samples >= 2
            assert before.status is HEALTHY, before.reasons

            async def hog() -> None:
                time.sleep(0.5)  # noqa: ASYNC251 - the bug under test: a blocking call

            await asyncio.create_task(hog())
            await asyncio.sleep(0.05)  # the probe's sleep, due long ago, wakes now
            after = monitor.snapshot()
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert not monitor.loop_probe.running
    assert after.loop.lag.max_s is not None
    assert after.loop.lag.max_s >= 0.35
    assert after.status is DEGRADED
    assert any(r.startswith("event loop: ran") and "late" in r for r in after.reasons)
    assert transitions(sub) == [(HEALTHY, DEGRADED)]


async def test_resident_memory_above_the_limit_degrades_health(tmp_path: Path) -> None:
    radar = fake_radar(tmp_path, FakeClock(), health={"rss_limit_mb": 1})
    async with radar:
        report = radar.monitor.snapshot()
    assert report.process.rss_mb is not None
    assert report.process.rss_mb > 1
    assert report.status is DEGRADED
    assert any(r.startswith("process: RSS") for r in report.reasons)


def probe_of_a_process_gone() -> ProcessProbe:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    probe = ProcessProbe(child.pid)
    child.kill()
    child.wait()
    return probe


async def test_a_process_figure_the_os_will_not_give_is_unknown_and_not_judged(
    tmp_path: Path,
) -> None:
    probe = probe_of_a_process_gone()
    clock = FakeClock()
    radar = fake_radar(tmp_path, clock, health={"rss_limit_mb": 1})
    async with radar:
        monitor = HealthMonitor(
            radar.engine, radar.store.writer, radar.bus, radar.settings.health,
            clock=clock, process=probe,
        )  # fmt: skip
        report = monitor.snapshot()
    assert report.process.model_dump() == {
        "rss_mb": None, "cpu_percent": None, "open_files": None, "threads": None,
    }  # fmt: skip
    assert report.status is HEALTHY


def test_the_process_probe_reads_memory_cpu_descriptors_and_threads() -> None:
    probe = ProcessProbe()
    sample = probe.sample()
    assert sample.rss_mb is not None
    assert sample.rss_mb > 1
    assert sample.cpu_percent is not None
    assert sample.cpu_percent >= 0
    assert sample.open_files is not None
    assert sample.open_files >= 3  # stdin, stdout, stderr at least
    assert sample.threads is not None
    assert sample.threads >= 1


# -- in the service ------------------------------------------------------------


async def test_the_service_runs_the_monitor_and_judges_its_own_parts(tmp_path: Path) -> None:
    service, _ = memory_service(settings_in(tmp_path), universe=solana_tokens(5))
    async with running(service):
        radar, parts = service.radar, service.parts
        assert radar is not None
        assert parts is not None
        await until(lambda: radar.monitor.latest is not None and radar.monitor.loop_probe.running)
        assert {p.name: p.state for p in parts.stats()}["health"] is PartState.RUNNING
        report = radar.monitor.snapshot()
        assert {"scorer", "watchdog", "health"} <= {p.name for p in report.parts}
        line = service.status_line()  # takes a report: the line says its status
        latest = radar.monitor.latest
        assert latest is not None
        assert f"health {latest.status.value}" in line
