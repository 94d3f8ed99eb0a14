"""The engine: lanes for the enabled providers, their due-queues, and the facet store.

::

    track() / request() / start_scan()          subscribe(sink)
               │                                     ▲
               ▼                                     │ per landed batch
    due-queue per facet ─► Lane (budget → breaker → batch → client) ─► facet store

How callers use it::

    async with Engine(settings) as engine:
        engine.subscribe(my_sink)                   # async (facets) -> None, per batch
        engine.track(tokens, tier=Tier.WARM)        # keep these fresh, forever
        results = await engine.scan(tokens, [FacetKind.MARKET])   # one-off, accounted

* :meth:`Engine.track` puts tokens in the *universe*: each enabled facet is
  fetched now (or when the stored one goes stale) and then again at the
  freshness target of the token's tier (``[tiers]``).
* :meth:`Engine.request` / :meth:`Engine.start_scan` ask for a fetch now,
  ahead of routine refreshes; concurrent requests for the same facet of the
  same token share one fetch (single-flight), including one already on the wire.
* Every landed facet (``ok``, ``absent``, or ``error`` once retries are spent)
  goes to the :class:`FacetStore` and then to every subscribed sink, in batches
  as the lanes land them (scoring and storage plug in here). Each sink has its
  own bounded, per-token coalescing hand-off and its own delivery task, so a
  slow sink (the writer under backpressure, a stream) never holds a lane's
  in-flight slot: it only sees fewer, newer facets, and drops are counted.
* A request for a facet whose lane's circuit has re-opened ``give_up_after_reopens``
  times in a row (its probes kept failing: the upstream is down, not hiccuping)
  fails at once with :class:`~tokenradar.errors.CircuitOpen` (the reason and when
  to retry), and so do the requests waiting on the lane when it does: nothing
  waits on a lane that keeps sending nothing. Before that (a burst of faults, a
  short outage) requests wait for the probes.
* The lanes come from :mod:`~tokenradar.flow.plans` (one plan per facet) and
  their budgets from :func:`~tokenradar.flow.budgets.provider_budgets`; both can
  be passed in (a shared budget, another provider, an in-memory fetcher).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType, TracebackType
from typing import Any

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import SOLANA, Facet, FacetKind, FacetState, Tier, TokenRef
from tokenradar.errors import CircuitOpen
from tokenradar.flow.adaptive import AdaptivePolicy
from tokenradar.flow.breaker import (
    BreakerConfig,
    BreakerEvent,
    BreakerListener,
    BreakerState,
    CircuitBreaker,
)
from tokenradar.flow.budgets import provider_budgets
from tokenradar.flow.due_queue import COLD, NEW_POOL, NORMAL, REQUESTED, WARM
from tokenradar.flow.facets import FacetStore
from tokenradar.flow.lane import Lane, LaneStats
from tokenradar.flow.limiter import Budget, NodeStats
from tokenradar.flow.plans import Closable, LanePlan, default_plans
from tokenradar.flow.retry import RetryBudget, RetryPolicy
from tokenradar.flow.scan import (
    DISABLED,
    NOT_APPLICABLE,
    FacetOutcome,
    ScanJob,
    TokenResult,
)
from tokenradar.flow.singleflight import SingleFlight
from tokenradar.flow.sinks import SINK_CAPACITY, FacetSink, SinkPump, SinkStats
from tokenradar.flow.tiers import next_due
from tokenradar.settings import Settings
from tokenradar.supervisor import PartEvent, PartStats, Supervisor

log = logging.getLogger(__name__)

AnyFacet = Facet[Any]

__all__ = [
    "NEW_POOL",
    "NORMAL",
    "REQUESTED",
    "Engine",
    "EngineState",
    "EngineStats",
    "EngineStopped",
    "FacetSink",
    "Tracked",
    "applies",
]


class EngineState(StrEnum):
    NEW = "new"  # built; no client open, no lane running
    RUNNING = "running"  # lanes running
    STOPPED = "stopped"  # lanes stopped, clients closed; cannot be restarted


class EngineStopped(RuntimeError):
    """The engine stopped before this fetch landed."""


def applies(token: TokenRef, kind: FacetKind) -> bool:
    """Whether a facet exists for this token's chain (only market data covers EVM)."""
    return kind is FacetKind.MARKET or token.chain == SOLANA


@dataclass(frozen=True, slots=True)
class Tracked:
    tier: Tier
    kinds: frozenset[FacetKind]
    launched_at: float | None = None


@dataclass(frozen=True, slots=True)
class EngineStats:
    state: EngineState
    tracked: int
    stored: int
    lanes: list[LaneStats]
    budgets: dict[str, list[NodeStats]]
    sinks: list[SinkStats]
    parts: list[PartStats]
    facet_tokens: int = 0  # tokens with facets held in memory
    evicted: int = 0  # untracked tokens evicted from the facet store


#: a lane's circuit that re-opened this many times in a row (its probes kept failing:
#: 5 + 10 + 20 s of open waits with the default breaker) fails the requests waiting on it;
#: a burst of faults or a short outage (the chaos profile's 20 s) is waited out
GIVE_UP_AFTER_REOPENS = 3

#: the due-queue band of a tier's routine refreshes (hotter bands go first when overdue)
TIER_BAND = {Tier.HOT: NORMAL, Tier.WARM: WARM, Tier.COLD: COLD}

#: how often untracked facets past their age are swept from memory, seconds
SWEEP_INTERVAL = 60.0


#: the round trip a refresh allows for, on top of its lane's request spacing
LEAD_ROUND_TRIP = 0.5


def _lead(plan: LanePlan) -> float:
    """Seconds a lane may take to get to a due token: one request interval of its
    provider's rate (unknown: 1 s) and a round trip."""
    rate = plan.settings.rate
    interval = rate.period / rate.count if rate is not None else 1.0
    return interval + LEAD_ROUND_TRIP


class Engine:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = SYSTEM_CLOCK,
        kinds: Iterable[FacetKind] | None = None,
        rng: random.Random | None = None,
        adaptive: AdaptivePolicy | None = None,
        breaker: BreakerConfig | None = None,
        retry: RetryPolicy | None = None,
        retry_ratio: float = 0.2,
        plans: Mapping[FacetKind, LanePlan] | None = None,
        budgets: Mapping[str, Budget] | None = None,
        store: FacetStore | None = None,
        sink_capacity: int = SINK_CAPACITY,
        give_up_after_reopens: int = GIVE_UP_AFTER_REOPENS,
    ) -> None:
        """``plans`` (default :func:`default_plans`) say which lanes exist; ``budgets``
        (default :func:`provider_budgets`) map each plan's ``spec.source`` to its budget."""
        self.settings = settings
        self.clock = clock
        self.kinds = tuple(kinds) if kinds is not None else tuple(FacetKind)
        self.store = store or FacetStore()
        self.plans: dict[FacetKind, LanePlan] = (
            {k: p for k, p in plans.items() if k in self.kinds}
            if plans is not None
            else default_plans(settings, self.kinds, clock=clock)
        )
        self.budgets: dict[str, Budget] = (
            dict(budgets)
            if budgets is not None
            else dict(provider_budgets(settings.providers, clock=clock, policy=adaptive))
        )
        missing = sorted({p.spec.source for p in self.plans.values()} - set(self.budgets))
        if missing:
            raise ValueError(f"no budget for provider(s) {', '.join(missing)}")
        self.lanes: dict[FacetKind, Lane] = {}
        self._sink_capacity = sink_capacity
        self.give_up_after_reopens = give_up_after_reopens
        #: per facet, how long before its target a refresh is due (see :func:`next_due`)
        self._leads = {kind: _lead(plan) for kind, plan in self.plans.items()}
        self._pumps: list[SinkPump] = []
        self.supervisor = Supervisor(clock=clock, on_event=self._part_event)
        self._part_listeners: list[Callable[[PartEvent], None]] = []
        self._rng = rng or random.Random()
        self._breaker_config = breaker
        self._retry = retry or RetryPolicy(rng=self._rng)
        self._retry_ratio = retry_ratio
        self._clients: list[Closable] = []
        self._tracked: dict[TokenRef, Tracked] = {}
        self._flights: SingleFlight[tuple[TokenRef, FacetKind], AnyFacet] = SingleFlight()
        self._breaker_listeners: list[BreakerListener] = []
        self._state = EngineState.NEW

    # -- lifecycle ------------------------------------------------------------------

    @property
    def state(self) -> EngineState:
        return self._state

    async def __aenter__(self) -> Engine:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start(self) -> None:
        """Build the lanes of the enabled providers and start them."""
        if self._state is not EngineState.NEW:
            raise RuntimeError(f"engine is {self._state}; an engine starts once")
        for kind, plan in self.plans.items():
            self.lanes[kind] = self._build_lane(plan)
        for lane in self.lanes.values():
            lane.start()
        for pump in self._pumps:
            self.supervisor.spawn(f"sink {pump.name}", pump.run)
        self.supervisor.spawn("facet sweep", self._sweep)
        self._state = EngineState.RUNNING

    async def stop(self, *, grace: float = 10.0) -> None:
        """Stop every lane, hand what landed to the sinks (up to ``grace`` s), fail the
        fetches still awaited, close every client: whatever fails, all of it is done."""
        if self._state is EngineState.STOPPED:
            return
        was_running = self._state is EngineState.RUNNING
        self._state = EngineState.STOPPED
        for lane in self.lanes.values():
            try:
                await lane.stop()
            except Exception:
                log.exception("engine stop: lane %s failed to stop", lane.spec.name)
        self._flights.abort_all(EngineStopped("engine stopped"))
        if was_running:
            for pump in self._pumps:
                pump.handoff.close()
            try:
                await asyncio.wait_for(self.drain(), grace)
            except TimeoutError:
                log.error("engine stop: sinks did not take what landed within %.0fs", grace)
        await self.supervisor.stop()
        for client in self._clients:
            try:
                await client.aclose()
            except Exception:
                log.exception("engine stop: closing a client failed")

    async def drain(self) -> None:
        """Return once every landed facet has been handed to every sink."""
        for pump in list(self._pumps):
            await pump.drained()

    async def _sweep(self) -> None:
        while True:
            await self.clock.sleep(SWEEP_INTERVAL)
            self.store.sweep(self.clock.now())

    def _build_lane(self, plan: LanePlan) -> Lane:
        spec = plan.spec
        # "slow" is relative to what one call does (holders: three requests in a row)
        config = self._breaker_config or BreakerConfig(
            slow_call_duration=0.8 * plan.settings.timeout * plan.requests_per_call
        )
        breaker = CircuitBreaker(
            spec.name, config, clock=self.clock, listeners=[self._on_breaker_event]
        )
        lane = Lane(
            spec,
            self.budgets[spec.source],
            self._deliver,
            clock=self.clock,
            breaker=breaker,
            retry=self._retry,
            retry_budget=RetryBudget(ratio=self._retry_ratio),
            on_died=lambda reason: self._part_event(
                PartEvent(f"lane {spec.name}", lane.restarts, reason, False)
            ),
        )
        client, fetch = plan.make_client(lane.gate)
        self._clients.append(client)
        lane.bind(fetch)
        return lane

    # -- work in ------------------------------------------------------------------------

    def track(
        self,
        tokens: Iterable[TokenRef],
        *,
        tier: Tier = Tier.WARM,
        kinds: Iterable[FacetKind] | None = None,
        launched_at: float | None = None,
        new_pool: bool = False,
    ) -> None:
        """Keep these tokens fresh: fetch each facet when due, then at its tier's target.

        ``new_pool`` puts them ahead of everything (a pool seconds old);
        ``launched_at`` (epoch s) tightens refreshes right after a launch.
        Tracking a token again updates its tier, facets and launch time.
        """
        wanted = frozenset(kinds) if kinds is not None else frozenset(self.kinds)
        priority = NEW_POOL if new_pool else TIER_BAND[tier]
        for token in tokens:
            info = Tracked(tier, frozenset(k for k in wanted if applies(token, k)), launched_at)
            self._tracked[token] = info
            self.store.pin(token)
            for kind in info.kinds:
                lane = self.lanes.get(kind)
                if lane is not None:
                    lane.submit(token, due=self._due(token, kind, info), priority=priority)

    def untrack(self, tokens: Iterable[TokenRef]) -> None:
        """Stop refreshing these tokens (a fetch someone awaits still lands)."""
        for token in tokens:
            info = self._tracked.pop(token, None)
            if info is None:
                continue
            self.store.unpin(token, self.clock.now())
            for kind in info.kinds:
                lane = self.lanes.get(kind)
                if lane is not None and (token, kind) not in self._flights:
                    lane.withdraw(token)

    def tracked(self, token: TokenRef) -> Tracked | None:
        return self._tracked.get(token)

    def universe(self) -> Mapping[TokenRef, Tracked]:
        """Every tracked token, read-only and live: no copy is made, so iterate it
        without awaiting in between (the health monitor's freshness gauge does)."""
        return MappingProxyType(self._tracked)

    def set_tier(self, token: TokenRef, tier: Tier) -> None:
        """Move a tracked token to another tier; its next refreshes follow the new targets."""
        info = self._tracked.get(token)
        if info is None or info.tier is tier:
            return
        info = self._tracked[token] = Tracked(tier, info.kinds, info.launched_at)
        for kind in info.kinds:
            lane = self.lanes.get(kind)
            queued = lane.queue.priority_of(token) if lane is not None else None
            if lane is not None and queued is not None and queued >= NORMAL:
                lane.queue.reschedule(token, self._due(token, kind, info), TIER_BAND[tier])

    def _due(self, token: TokenRef, kind: FacetKind, info: Tracked) -> float:
        latest = self.store.latest(token, kind)
        if latest is None:
            return self.clock.now()
        return next_due(
            self.settings.tiers,
            latest,
            info.tier,
            launched_at=info.launched_at,
            lead=self._leads.get(kind, 0.0),
        )

    def request(
        self, token: TokenRef, kind: FacetKind, *, priority: int = REQUESTED
    ) -> asyncio.Future[AnyFacet]:
        """Fetch this facet now, ahead of routine work; shares a fetch already under way.

        The future gets the landed facet (``ok``, ``absent`` or ``error``), or
        :class:`EngineStopped` if the engine stops first.
        """
        if self._state is not EngineState.RUNNING:
            raise RuntimeError(f"engine is {self._state}")
        lane = self.lanes.get(kind)
        if lane is None:
            raise ValueError(f"no lane for {kind} (provider disabled or facet not enabled)")
        if not applies(token, kind):
            raise ValueError(f"{kind} does not apply to {token.chain} tokens")
        fut, _ = self._flights.join((token, kind))
        open_for = lane.breaker.retry_in()
        if open_for > 0 and lane.breaker.reopens >= self.give_up_after_reopens:
            self._flights.crash((token, kind), CircuitOpen(lane.spec.name, open_for))
            return fut
        lane.submit(token, priority=priority)
        return fut

    def start_scan(
        self,
        tokens: Sequence[TokenRef],
        kinds: Sequence[FacetKind] | None = None,
        *,
        max_age: float = 0.0,
        priority: int = REQUESTED,
    ) -> ScanJob:
        """Fetch these facets of these tokens; every pair ends accounted for in the job.

        A stored facet younger than ``max_age`` seconds is used as is.
        """
        job = ScanJob(tokens, kinds or self.kinds)
        now = self.clock.now()
        for token in job.tokens:
            for kind in job.kinds:
                if not applies(token, kind):
                    job.settle(token, kind, FacetOutcome(kind, note=NOT_APPLICABLE))
                    continue
                if kind not in self.lanes:
                    job.settle(token, kind, FacetOutcome(kind, note=DISABLED))
                    continue
                cached = self.store.latest(token, kind)
                if (
                    max_age > 0
                    and cached is not None
                    and cached.state is not FacetState.ERROR
                    and cached.age(now) <= max_age
                ):
                    job.settle(token, kind, FacetOutcome(kind, facet=cached))
                    continue
                job.wait_for(token, kind, self.request(token, kind, priority=priority))
        job._check_done()
        return job

    async def scan(
        self,
        tokens: Sequence[TokenRef],
        kinds: Sequence[FacetKind] | None = None,
        *,
        max_age: float = 0.0,
    ) -> list[TokenResult]:
        """:meth:`start_scan` and wait for it: one result per token, in order."""
        job = self.start_scan(tokens, kinds, max_age=max_age)
        await job.wait()
        return job.results()

    # -- work out -------------------------------------------------------------------------

    def subscribe(self, sink: FacetSink, *, name: str | None = None) -> Callable[[], None]:
        """Hand every landed facet to ``sink(facets)``, in batches, through its own
        bounded coalescing hand-off (a slow sink sees fewer, newer facets and never
        slows a lane). Returns an unsubscribe."""
        label = name or getattr(sink, "__qualname__", None) or repr(sink)
        pump = SinkPump(label, sink, self._sink_capacity)
        self._pumps.append(pump)
        if self._state is EngineState.RUNNING:
            self.supervisor.spawn(f"sink {label}#{len(self._pumps)}", pump.run)

        def unsubscribe() -> None:
            if pump in self._pumps:
                self._pumps.remove(pump)
                pump.handoff.close()

        return unsubscribe

    def add_breaker_listener(self, listener: BreakerListener) -> None:
        self._breaker_listeners.append(listener)

    def add_part_listener(self, listener: Callable[[PartEvent], None]) -> None:
        """Be told when a lane's dispatcher or a supervised task dies (and is restarted)."""
        self._part_listeners.append(listener)

    def _part_event(self, event: PartEvent) -> None:
        for listener in list(self._part_listeners):
            try:
                listener(event)
            except Exception:
                log.exception("part listener %r failed on %s", listener, event)

    def _on_breaker_event(self, event: BreakerEvent) -> None:
        log.warning(
            "%s: circuit %s -> %s (%s)",
            event.breaker,
            event.from_state,
            event.to_state,
            event.reason,
        )
        if event.to_state is BreakerState.OPEN and self._given_up(event.breaker):
            # its probes kept failing: the upstream is down, not hiccuping; waiting on it
            # would only hang the caller. Earlier openings (a burst of faults, a short
            # outage) let them wait for the probes.
            self._fail_waiting(event.breaker)
        for listener in list(self._breaker_listeners):
            try:
                listener(event)
            except Exception:  # alerts and metrics listen here; they must not break a lane
                log.exception("breaker listener %r failed on %s", listener, event)

    def _lane_named(self, name: str) -> Lane | None:
        return next((ln for ln in self.lanes.values() if ln.spec.name == name), None)

    def _given_up(self, lane_name: str) -> bool:
        lane = self._lane_named(lane_name)
        return lane is not None and lane.breaker.reopens >= self.give_up_after_reopens

    def _fail_waiting(self, lane_name: str) -> None:
        """The circuit of ``lane_name`` gave up: whoever waits on it is told now."""
        lane = self._lane_named(lane_name)
        if lane is None:
            return
        error = CircuitOpen(lane_name, lane.breaker.retry_in())
        for token, kind in self._flights.snapshot():
            if kind is not lane.spec.kind:
                continue
            self._flights.crash((token, kind), error)
            info = self._tracked.get(token)
            if info is None or kind not in info.kinds:
                lane.withdraw(token)  # nobody tracks it: do not probe with it later

    async def _deliver(self, facets: Sequence[AnyFacet]) -> None:
        kept = self.store.put_many(facets)
        for facet in facets:
            self._flights.land((facet.token, facet.kind), facet)
        for facet in kept:
            info = self._tracked.get(facet.token)
            lane = self.lanes.get(facet.kind)
            if info is not None and facet.kind in info.kinds and lane is not None:
                lane.submit(
                    facet.token,
                    due=self._due(facet.token, facet.kind, info),
                    priority=TIER_BAND[info.tier],
                )
        if not kept:
            return
        for pump in self._pumps:
            pump.put(kept)

    # -- stats --------------------------------------------------------------------------

    def stats(self) -> EngineStats:
        return EngineStats(
            state=self._state,
            tracked=len(self._tracked),
            stored=len(self.store),
            lanes=[lane.stats() for lane in self.lanes.values()],
            budgets={name: budget.stats() for name, budget in self.budgets.items()},
            sinks=[pump.stats() for pump in self._pumps],
            parts=self.supervisor.stats(),
            facet_tokens=self.store.tokens,
            evicted=self.store.evicted,
        )
