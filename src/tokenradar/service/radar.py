"""``Radar``: the one facade the CLI, the API, the service loop and workers use.

::

    async with Radar(settings) as radar:
        scan = await radar.scan(tokens, kinds, max_time=60)
        await scan.wait()
        outcome = await scan.finish()
        view = await radar.token(ref)               # latest score, checks, facets with ages
        print(radar.health().status, radar.stats())
        report = radar.monitor.snapshot()           # the full health report (/health)

One async context manager opens, in order, the store (schema, writer), the
engine (lanes, budgets, clients) with the store as its first facet sink, and
the scorer, and the health monitor over them; it closes them in reverse, so
the engine hands what landed to the writer before the writer drains. (The
monitor's loop, which probes the event loop and publishes ``health.changed``
every ``[health] interval``, is run by ``tokenradar serve``; a report can be
taken at any time.) No surface reaches into the engine or the
store: what they need is a method here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import Decision, Facet, FacetKind, Score, Tier, TokenRef
from tokenradar.events import EventBus, EventFilter, OverflowPolicy, Replay, Subscription
from tokenradar.flow.engine import Engine, EngineStats
from tokenradar.flow.limiter import Budget
from tokenradar.flow.plans import LanePlan
from tokenradar.flow.quota_lock import hold_quotas
from tokenradar.providers.gate import Gate
from tokenradar.scoring.scorer import Scorer
from tokenradar.service.health import Health
from tokenradar.service.monitor import HealthMonitor
from tokenradar.service.scans import RadarScan
from tokenradar.service.topics import (
    BreakerEvent,
    PartEvent,
    StorageFailure,
    breaker_topic,
    part_topic,
)
from tokenradar.settings import Settings
from tokenradar.store import HistoryPoint, Store, open_store
from tokenradar.store.queries import RankedScore
from tokenradar.store.recorder import ScanRecorder
from tokenradar.store.writer import WriterStats


@dataclass(frozen=True, slots=True)
class FacetAge:
    kind: FacetKind
    state: str
    source: str
    age_s: float
    error: str | None


@dataclass(frozen=True, slots=True)
class TokenView:
    """What is known of one token now: its latest stored score and facets in memory."""

    token: TokenRef
    score: Score | None
    facets: tuple[FacetAge, ...]
    tracked: bool
    tier: Tier | None


@dataclass(frozen=True, slots=True)
class RadarStats:
    engine: EngineStats
    writer: WriterStats
    writer_pending: int


class RadarNotOpen(RuntimeError):
    """A Radar method was called outside ``async with Radar(...)``."""


class Radar:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = SYSTEM_CLOCK,
        kinds: Iterable[FacetKind] | None = None,
        plans: Mapping[FacetKind, LanePlan] | None = None,
        budgets: Mapping[str, Budget] | None = None,
        engine_options: Mapping[str, Any] | None = None,
        fetching: bool = True,
    ) -> None:
        """``fetching=False`` opens the store alone (reading history needs no lanes)."""
        self.settings = settings
        self.fetching = fetching
        self.clock = clock
        self.kinds = tuple(kinds) if kinds is not None else tuple(FacetKind)
        self._plans = plans
        self._budgets = budgets
        self._engine_options = dict(engine_options or {})
        self.scorer = Scorer(settings.scoring)
        #: what happens, as events (see :mod:`tokenradar.service.topics`)
        self.bus = EventBus(clock=clock)
        self._stack: contextlib.AsyncExitStack | None = None
        self._open_scans: set[RadarScan] = set()
        self._store: Store | None = None
        self._engine: Engine | None = None
        self._monitor: HealthMonitor | None = None

    # -- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> Radar:
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            self._store = await stack.enter_async_context(
                open_store(self.settings.storage, clock=self.clock)
            )
            self._store.writer.add_failure_listener(self._storage_failed)
            if not self.fetching:
                self._stack = stack
                return self
            engine = Engine(
                self.settings,
                clock=self.clock,
                kinds=self.kinds,
                plans=self._plans,
                budgets=self._budgets,
                **self._engine_options,
            )
            engine.subscribe(self._persist, name="store")
            engine.add_breaker_listener(self._breaker_event)
            engine.add_part_listener(self._part_event)
            if self._plans is None and self._budgets is None:
                # only the real clients spend a real quota: another process on this
                # machine using the same one waits (or is warned), it never doubles it
                await stack.enter_async_context(
                    hold_quotas(
                        self.settings,
                        {plan.spec.source for plan in engine.plans.values()},
                        clock=self.clock,
                    )
                )
            stack.callback(self.bus.close)  # after the engine stops: streams end last
            self._engine = await stack.enter_async_context(engine)
            self._monitor = HealthMonitor(
                engine, self._store.writer, self.bus, self.settings.health, clock=self.clock
            )
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.__aexit__(exc_type, exc, tb)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            if self._store is not None:
                raise RadarNotOpen("this Radar was opened with fetching=False")
            raise RadarNotOpen("use `async with Radar(settings) as radar`")
        return self._engine

    @property
    def monitor(self) -> HealthMonitor:
        if self._monitor is None:
            self.engine  # noqa: B018 - raises saying why there is none
            raise RadarNotOpen("use `async with Radar(settings) as radar`")
        return self._monitor

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RadarNotOpen("use `async with Radar(settings) as radar`")
        return self._store

    def _breaker_event(self, event: BreakerEvent) -> None:
        self.bus.publish(breaker_topic(event), event)

    def _part_event(self, event: PartEvent) -> None:
        self.bus.publish(part_topic(event), event)

    def _storage_failed(self, exc: BaseException) -> None:
        # nothing can be kept any more: every open scan ends now, saying why
        self.bus.publish("storage.failed", StorageFailure(f"{type(exc).__name__}: {exc}"))
        for scan in list(self._open_scans):
            scan.storage_failed()

    async def _persist(self, facets: Sequence[Facet[Any]]) -> None:
        await self.store.writer.put_many(facets)

    # -- scans ---------------------------------------------------------------

    async def scan(
        self,
        tokens: Sequence[TokenRef],
        kinds: Sequence[FacetKind] | None = None,
        *,
        max_time: float | None = None,
        max_age: float = 0.0,
        params: Mapping[str, Any] | None = None,
    ) -> RadarScan:
        """Start a one-off scan (recorded as a scan row); wait on it and finish it."""
        kinds = tuple(kinds) if kinds is not None else self.kinds
        unique = list(dict.fromkeys(tokens))
        recorder = await ScanRecorder.begin(
            self.store, total=len(unique), kinds=kinds, params=params
        )
        job = self.engine.start_scan(unique, kinds, max_age=max_age)
        scan = RadarScan(
            self.engine, self.store, self.scorer, job, recorder, clock=self.clock,
            max_time=max_time, on_finished=self._open_scans.discard, bus=self.bus,
        )  # fmt: skip
        self._open_scans.add(scan)
        return scan

    # -- the universe --------------------------------------------------------

    def watch(self, tokens: Iterable[TokenRef], *, tier: Tier = Tier.WARM) -> None:
        """Keep these tokens fresh from now on, at their tier's targets."""
        self.engine.track(tokens, tier=tier)

    def unwatch(self, tokens: Iterable[TokenRef]) -> None:
        self.engine.untrack(tokens)

    # -- reads ---------------------------------------------------------------

    async def token(self, ref: TokenRef) -> TokenView:
        """The latest stored score and the facets held in memory, with their ages."""
        scores = await self.store.scores_for([ref])
        if self._engine is None:
            return TokenView(ref, scores.get(ref), (), False, None)
        tracked = self._engine.tracked(ref)
        return TokenView(
            ref,
            scores.get(ref),
            self.facet_ages(ref),
            tracked is not None,
            tracked.tier if tracked is not None else None,
        )

    def facet_ages(self, ref: TokenRef) -> tuple[FacetAge, ...]:
        """The facets of ``ref`` held in memory now, with their ages (none without lanes)."""
        if self._engine is None:
            return ()
        now = self.clock.now()
        ages = []
        for kind in self.kinds:
            f = self._engine.store.latest(ref, kind)
            if f is None:
                continue
            ages.append(
                FacetAge(
                    kind,
                    f.state.value,
                    f.source,
                    round(f.age(now), 3),
                    f.error.message if f.error is not None else None,
                )
            )
        return tuple(ages)

    async def ranked(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        tier: Tier | None = None,
        decision: Decision | None = None,
        min_score: float | None = None,
        min_confidence: float | None = None,
        chain: str | None = None,
    ) -> list[RankedScore]:
        """Latest stored scores, best first (unknown scores last), filtered."""
        return await self.store.ranked_scores(
            limit=limit, offset=offset, tier=tier, decision=decision, min_score=min_score,
            min_confidence=min_confidence, chain=chain,
        )  # fmt: skip

    def tier_counts(self) -> dict[Tier, int]:
        """Tracked tokens per tier now (every tier present, zero when empty)."""
        counts = dict.fromkeys(Tier, 0)
        for info in self.engine.universe().values():
            counts[info.tier] += 1
        return counts

    def replay(self, pattern: str, since_id: int) -> Replay:
        """Buffered events after ``since_id`` (an SSE ``Last-Event-ID``) matching ``pattern``."""
        return self.bus.replay(pattern, since_id)

    async def history(self, ref: TokenRef, *, limit: int = 100) -> list[HistoryPoint]:
        return await self.store.score_history(ref, limit=limit)

    def gates(self) -> dict[str, Gate]:
        """Each provider's request gate (its budget), for parts that call providers
        beside the lanes (discovery): they spend the same budget, never a second one."""
        return {name: budget.gate for name, budget in self.engine.budgets.items()}

    def subscribe(
        self,
        pattern: str = "*",
        *,
        filter: EventFilter | None = None,
        maxsize: int | None = None,
        overflow: OverflowPolicy = "drop_oldest",
        name: str | None = None,
    ) -> Subscription:
        """A bounded subscription to the events matching ``pattern`` (``lane.*``, ``*``)."""
        return self.bus.subscribe(
            pattern, filter=filter, maxsize=maxsize, overflow=overflow, name=name
        )

    def health(self) -> Health:
        """The status and its reasons now (a fresh :meth:`HealthMonitor.snapshot`)."""
        return self.monitor.snapshot().health()

    def stats(self) -> RadarStats:
        writer = self.store.writer
        return RadarStats(self.engine.stats(), writer.stats, writer.pending)
