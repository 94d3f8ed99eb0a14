"""The health monitor: measures the running Radar and says healthy, degraded or critical.

::

    monitor = HealthMonitor(engine, writer, bus, settings.health, clock=clock)
    supervisor.spawn("health", monitor.run)    # checks every [health] interval
    report = monitor.snapshot()                 # HealthReport; /health serves it as JSON

Each report measures

* **lanes**: state, breaker, 429s per request over ``[health] window``, batch
  latency p50/p95/p99 (the lane's own ring of its last batches), and how full
  each limit on the lane's request path is;
* **freshness**: per tier and facet, the share of tracked tokens whose facet
  is within the tier's target (:mod:`~tokenradar.service.freshness`; measured
  at most once a second, sampled above ``freshness_sample`` tokens);
* **the writer**: rows pending, how long the oldest has waited, how long the
  current batch has been retried;
* **the event loop**: how late a 100 ms sleep wakes (:mod:`~tokenradar.service.loop_lag`);
* **the process**: RSS, CPU, file descriptors, threads (:mod:`~tokenradar.service.process`);
* **parts**: the supervised tasks of the engine and of whoever registered theirs
  (:meth:`HealthMonitor.watch_parts`).

:func:`~tokenradar.service.health.assess` turns them into the status and its
reasons. When the status differs from the last one, ``health.changed``
(:class:`~tokenradar.service.topics.HealthChanged`) is published: once per
change, however often reports are taken, so alerts fire on "freshness degraded"
and on "healthy again", not on every check.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.events import EventBus
from tokenradar.flow.engine import Engine
from tokenradar.flow.lane import Lane
from tokenradar.flow.latency import Percentiles
from tokenradar.flow.limiter import Limiter, NodeStats
from tokenradar.service.freshness import FreshnessGauge, Shares
from tokenradar.service.health import assess
from tokenradar.service.health_report import (
    BudgetUse,
    FreshnessScope,
    HealthReport,
    HealthStatus,
    LaneHealth,
    Latency,
    LoopHealth,
    PartHealth,
    WriterHealth,
)
from tokenradar.service.loop_lag import LoopLagProbe
from tokenradar.service.process import ProcessProbe
from tokenradar.service.topics import HealthChanged
from tokenradar.settings import HealthSettings, Rate
from tokenradar.store.writer import Writer
from tokenradar.supervisor import PartStats

log = logging.getLogger(__name__)

#: freshness is measured at most this often (a report is cheap; a pass over the universe is not)
FRESHNESS_EVERY = 1.0


class _Window:
    """Marks of two counters, enough to span ``window`` seconds back, in ≤ 34 entries."""

    __slots__ = ("_marks",)

    def __init__(self, start: float) -> None:
        # the counters start at zero with the engine, which starts with the monitor
        self._marks: deque[tuple[float, int, int]] = deque([(start, 0, 0)], maxlen=64)

    def delta(self, now: float, a: int, b: int, window: float) -> tuple[float, int, int]:
        """(seconds covered, increase of ``a``, increase of ``b``) over about ``window``."""
        marks = self._marks
        if now - marks[-1][0] >= window / 32:
            marks.append((now, a, b))
        while len(marks) > 1 and marks[1][0] <= now - window:
            marks.popleft()  # marks[0] stays the newest mark at least a window old
        t0, a0, b0 = marks[0]
        return now - t0, a - a0, b - b0


def _latency(p: Percentiles) -> Latency:
    return Latency(samples=p.count, p50_s=p.p50, p95_s=p.p95, p99_s=p.p99, max_s=p.max)


class HealthMonitor:
    def __init__(
        self,
        engine: Engine,
        writer: Writer,
        bus: EventBus,
        settings: HealthSettings,
        *,
        clock: Clock = SYSTEM_CLOCK,
        loop_probe: LoopLagProbe | None = None,
        process: ProcessProbe | None = None,
    ) -> None:
        self.engine = engine
        self.writer = writer
        self.bus = bus
        self.settings = settings
        self.clock = clock
        self.loop_probe = loop_probe or LoopLagProbe(window=settings.loop_lag_window)
        self.process = process or ProcessProbe()
        self.gauge = FreshnessGauge(
            sample=settings.freshness_sample, grace=settings.freshness_grace
        )
        self._started = clock.monotonic()
        self._windows: dict[str, _Window] = {}
        self._part_sources: list[Callable[[], Iterable[PartStats]]] = []
        self._status = HealthStatus.HEALTHY  # the last status published (or assumed)
        self._freshness: Shares = {}
        self._freshness_at: float | None = None
        self._latest: HealthReport | None = None

    def watch_parts(self, stats: Callable[[], Iterable[PartStats]]) -> None:
        """Judge these supervised parts too (a part that gave up is critical)."""
        self._part_sources.append(stats)

    @property
    def latest(self) -> HealthReport | None:
        """The last report taken, by :meth:`run` or :meth:`snapshot`."""
        return self._latest

    async def run(self) -> None:
        """Probe the event loop and take a report every ``interval``, until cancelled."""
        async with asyncio.TaskGroup() as group:  # one dies: both end, the supervisor restarts
            group.create_task(self.loop_probe.run(), name="loop-lag probe")
            group.create_task(self._checks(), name="health checks")

    async def _checks(self) -> None:
        while True:
            self.snapshot()
            await self.clock.sleep(self.settings.interval)

    # -- a report ------------------------------------------------------------

    def snapshot(self) -> HealthReport:
        """Measure now, judge, publish ``health.changed`` if the status moved."""
        settings = self.settings
        mono = self.clock.monotonic()
        now = self.clock.now()
        lanes = self._lanes(mono)
        freshness = self._measure_freshness(mono, now)
        judged = mono - self._started >= settings.warmup
        writer = self._writer()
        lag = self.loop_probe.summary()
        loop = LoopHealth(
            probing=self.loop_probe.running, window_s=self.loop_probe.window, lag=_latency(lag)
        )
        process = self.process.sample()
        parts = self._parts()
        health = assess(
            settings, lanes=lanes, freshness=freshness, freshness_judged=judged, writer=writer,
            loop=loop, process=process, parts=parts,
        )  # fmt: skip
        report = HealthReport(
            status=health.status,
            reasons=list(health.reasons),
            checked_at=now,
            lanes=lanes,
            freshness=freshness,
            freshness_scope=FreshnessScope(
                tracked=len(self.engine.universe()),
                measured=self.gauge.measured,
                sampled=self.gauge.sampled,
                age_s=mono - (self._freshness_at if self._freshness_at is not None else mono),
                judged=judged,
            ),
            writer=writer,
            loop=loop,
            process=process,
            parts=parts,
        )
        self._latest = report
        if health.status is not self._status:
            previous, self._status = self._status, health.status
            level = logging.INFO if health.status is HealthStatus.HEALTHY else logging.WARNING
            log.log(level, "health: %s -> %s%s", previous.value, health.status.value,
                    f": {'; '.join(health.reasons)}" if health.reasons else "")  # fmt: skip
            self.bus.publish(
                "health.changed",
                HealthChanged(health.status, health.reasons, previous=previous),
            )
        return report

    def _measure_freshness(self, mono: float, now: float) -> Shares:
        due = min(FRESHNESS_EVERY, self.settings.interval)
        if self._freshness_at is None or mono - self._freshness_at >= due:
            engine = self.engine
            self._freshness = self.gauge.measure(
                engine.universe(), engine.store, engine.settings.tiers, engine.lanes.keys(),
                now=now,
            )  # fmt: skip
            self._freshness_at = mono
        return self._freshness

    def _window(self, key: str) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(self._started)
        return window

    def _lanes(self, mono: float) -> list[LaneHealth]:
        span = self.settings.window
        lanes = list(self.engine.lanes.values())
        stats = [lane.stats() for lane in lanes]
        # requests/s per provider over the window (an ``auto`` limit is judged against it)
        per_source: dict[str, float] = {}
        out = []
        for lane, s in zip(lanes, stats, strict=True):
            covered, requests, limited = self._window(f"lane {s.name}").delta(
                mono, s.requests, s.rate_limited, span
            )
            source = lane.spec.source
            if covered > 0:
                per_source[source] = per_source.get(source, 0.0) + requests / covered
            out.append((lane, s, covered, requests, limited))
        result = []
        for lane, s, covered, requests, limited in out:
            budget = self._budget(lane, per_source.get(lane.spec.source))
            shares = [b.share for b in budget if b.share is not None]
            result.append(
                LaneHealth(
                    name=s.name,
                    kind=s.kind,
                    state=s.state,
                    breaker=s.breaker,
                    window_s=round(covered, 3),
                    requests=requests,
                    rate_limited=limited,
                    rate_limited_share=limited / requests if requests else None,
                    latency=_latency(s.latency),
                    budget=budget,
                    budget_use=max(shares) if shares else None,
                    queued=s.queued,
                    in_flight=s.in_flight,
                    restarts=s.restarts,
                    last_failure=s.last_failure,
                )
            )
        return result

    def _budget(self, lane: Lane, source_rps: float | None) -> list[BudgetUse]:
        budget = self.engine.budgets.get(lane.spec.source)
        if budget is None:
            return []
        nodes = budget.stats()
        if isinstance(budget, Limiter):  # only the nodes this lane's main request must fit
            names = {n.name for n in budget.path(lane.spec.endpoint)}
            nodes = [n for n in nodes if n.name in names]
        return [
            BudgetUse(
                node=n.name,
                ceiling=n.ceiling,
                share=_share(n, source_rps),
                paused_for_s=n.paused_for,
            )
            for n in nodes
        ]

    def _writer(self) -> WriterHealth:
        w = self.writer
        return WriterHealth(
            state=w.state,
            pending=w.pending,
            oldest_wait_s=round(w.oldest_wait, 3),
            retrying_for_s=round(w.retrying_for, 3),
            rows_committed=w.stats.rows_committed,
            last_error=w.stats.last_error,
        )

    def _parts(self) -> list[PartHealth]:
        stats: list[PartStats] = list(self.engine.supervisor.stats())
        for source in self._part_sources:
            stats.extend(source())
        return [PartHealth(name=p.name, state=p.state, restarts=p.restarts,
                           last_error=p.last_error) for p in stats]  # fmt: skip


def _share(node: NodeStats, requests_per_s: float | None) -> float | None:
    """How full one limit is: its window's slots, or for ``auto`` the rate against its estimate."""
    if node.ceiling == "auto":
        if node.estimate and requests_per_s is not None:
            return requests_per_s / node.estimate
        return None
    try:
        rate = Rate.parse(node.ceiling)
    except ValueError:  # "none" (an in-flight cap only), or a form some other budget reports
        return None
    return node.used / rate.count
