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
  as the lanes land them (scoring and storage plug in here).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import SOLANA, Facet, FacetKind, FacetState, Tier, TokenRef
from tokenradar.flow.adaptive import AdaptivePolicy
from tokenradar.flow.breaker import BreakerConfig, BreakerListener, CircuitBreaker
from tokenradar.flow.budgets import provider_budgets
from tokenradar.flow.due_queue import NEW_POOL, NORMAL, REQUESTED
from tokenradar.flow.facets import FacetStore
from tokenradar.flow.lane import FetchBatch, Lane, LaneSpec, LaneStats
from tokenradar.flow.limiter import Limiter, NodeStats
from tokenradar.flow.retry import RetryBudget, RetryPolicy
from tokenradar.flow.scan import (
    DISABLED,
    NOT_APPLICABLE,
    FacetOutcome,
    ScanJob,
    TokenResult,
)
from tokenradar.flow.singleflight import SingleFlight
from tokenradar.flow.tiers import next_due
from tokenradar.providers.dexscreener import DexScreenerClient
from tokenradar.providers.gate import Gate
from tokenradar.providers.jupiter import JupiterClient
from tokenradar.providers.rugcheck import RugCheckClient
from tokenradar.providers.solana_rpc import SolanaRpcClient
from tokenradar.settings import HOLDERS_MAX_BATCH, ProviderSettings, Settings

log = logging.getLogger(__name__)

AnyFacet = Facet[Any]
FacetSink = Callable[[Sequence[AnyFacet]], Awaitable[None]]

__all__ = [
    "NEW_POOL",
    "NORMAL",
    "REQUESTED",
    "Engine",
    "EngineState",
    "EngineStats",
    "EngineStopped",
    "FacetSink",
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


class _Closable(Protocol):
    async def aclose(self) -> None: ...


ClientFactory = Callable[[Gate], tuple[_Closable, FetchBatch]]


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
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.kinds = tuple(kinds) if kinds is not None else tuple(FacetKind)
        self.store = FacetStore()
        self.budgets: dict[str, Limiter] = provider_budgets(
            settings.providers, clock=clock, policy=adaptive
        )
        self.lanes: dict[FacetKind, Lane] = {}
        self._rng = rng or random.Random()
        self._breaker_config = breaker
        self._retry = retry or RetryPolicy(rng=self._rng)
        self._retry_ratio = retry_ratio
        self._clients: list[_Closable] = []
        self._tracked: dict[TokenRef, Tracked] = {}
        self._flights: SingleFlight[tuple[TokenRef, FacetKind], AnyFacet] = SingleFlight()
        self._sinks: list[FacetSink] = []
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
        for kind in self.kinds:
            lane = self._build_lane(kind)
            if lane is not None:
                self.lanes[kind] = lane
        for lane in self.lanes.values():
            lane.start()
        self._state = EngineState.RUNNING

    async def stop(self) -> None:
        """Stop every lane, fail the fetches still awaited, close the clients."""
        if self._state is EngineState.STOPPED:
            return
        self._state = EngineState.STOPPED
        for lane in self.lanes.values():
            await lane.stop()
        self._flights.abort_all(EngineStopped("engine stopped"))
        # every client is closed even if closing one fails (the error still surfaces)
        async with contextlib.AsyncExitStack() as stack:
            for client in self._clients:
                stack.push_async_callback(client.aclose)

    def _plan(self, kind: FacetKind) -> tuple[ProviderSettings, LaneSpec, ClientFactory]:
        """Which provider serves ``kind``, the lane's shape, and how to build its client."""
        p, clock = self.settings.providers, self.clock
        if kind is FacetKind.MARKET:
            dex = p.dexscreener
            spec = LaneSpec(
                "dexscreener.market",
                kind,
                "dexscreener",
                "tokens",
                dex.max_batch,
                dex.max_in_flight,
            )

            def market(gate: Gate) -> tuple[_Closable, FetchBatch]:
                c = DexScreenerClient(dex, gate=gate, clock=clock)
                return c, c.fetch_market

            return dex, spec, market
        if kind is FacetKind.MINT:
            rpc = p.solana_rpc
            spec = LaneSpec(
                "solana_rpc.mint", kind, "solana_rpc", "getMultipleAccounts",
                rpc.max_batch, rpc.max_in_flight,
            )  # fmt: skip

            def mint(gate: Gate) -> tuple[_Closable, FetchBatch]:
                c = SolanaRpcClient(rpc, gate=gate, clock=clock)
                return c, c.fetch_mints

            return rpc, spec, mint
        if kind is FacetKind.HOLDERS:
            rpc = p.solana_rpc
            spec = LaneSpec(
                "solana_rpc.holders", kind, "solana_rpc", "getTokenLargestAccounts",
                min(rpc.max_batch, HOLDERS_MAX_BATCH), rpc.max_in_flight,
                cost_per_token=True,
            )  # fmt: skip

            def holders(gate: Gate) -> tuple[_Closable, FetchBatch]:
                c = SolanaRpcClient(rpc, gate=gate, clock=clock)
                return c, c.fetch_holders

            return rpc, spec, holders
        if kind is FacetKind.RISK:
            rug = p.rugcheck
            spec = LaneSpec(
                "rugcheck.risk", kind, "rugcheck", "report", rug.max_batch, rug.max_in_flight
            )

            def risk(gate: Gate) -> tuple[_Closable, FetchBatch]:
                c = RugCheckClient(rug, gate=gate, clock=clock)
                return c, c.fetch_risk

            return rug, spec, risk
        jup = p.jupiter
        spec = LaneSpec("jupiter.price", kind, "jupiter", "price", jup.max_batch, jup.max_in_flight)

        def price(gate: Gate) -> tuple[_Closable, FetchBatch]:
            c = JupiterClient(jup, gate=gate, clock=clock)
            return c, c.fetch_prices

        return jup, spec, price

    def _build_lane(self, kind: FacetKind) -> Lane | None:
        settings, spec, make_client = self._plan(kind)
        if not settings.enabled:
            return None
        # a holders call is three requests in a row; "slow" is relative to what it does
        requests_per_call = 3 if spec.cost_per_token else 1
        config = self._breaker_config or BreakerConfig(
            slow_call_duration=0.8 * settings.timeout * requests_per_call
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
        )
        client, fetch = make_client(lane.gate)
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
        priority = NEW_POOL if new_pool else NORMAL
        for token in tokens:
            info = Tracked(tier, frozenset(k for k in wanted if applies(token, k)), launched_at)
            self._tracked[token] = info
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
            for kind in info.kinds:
                lane = self.lanes.get(kind)
                if lane is not None and (token, kind) not in self._flights:
                    lane.withdraw(token)

    def tracked(self, token: TokenRef) -> Tracked | None:
        return self._tracked.get(token)

    def set_tier(self, token: TokenRef, tier: Tier) -> None:
        """Move a tracked token to another tier; its next refreshes follow the new targets."""
        info = self._tracked.get(token)
        if info is None or info.tier is tier:
            return
        info = self._tracked[token] = Tracked(tier, info.kinds, info.launched_at)
        for kind in info.kinds:
            lane = self.lanes.get(kind)
            if lane is not None and lane.queue.priority_of(token) == NORMAL:
                lane.queue.reschedule(token, self._due(token, kind, info))

    def _due(self, token: TokenRef, kind: FacetKind, info: Tracked) -> float:
        latest = self.store.latest(token, kind)
        if latest is None:
            return self.clock.now()
        return next_due(self.settings.tiers, latest, info.tier, launched_at=info.launched_at)

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

    def subscribe(self, sink: FacetSink) -> Callable[[], None]:
        """Call ``sink(facets)`` for every batch of landed facets; returns an unsubscribe."""
        self._sinks.append(sink)

        def unsubscribe() -> None:
            if sink in self._sinks:
                self._sinks.remove(sink)

        return unsubscribe

    def add_breaker_listener(self, listener: BreakerListener) -> None:
        self._breaker_listeners.append(listener)

    def _on_breaker_event(self, event: Any) -> None:
        log.warning(
            "%s: circuit %s -> %s (%s)",
            event.breaker,
            event.from_state,
            event.to_state,
            event.reason,
        )
        for listener in list(self._breaker_listeners):
            listener(event)

    async def _deliver(self, facets: Sequence[AnyFacet]) -> None:
        kept = self.store.put_many(facets)
        for facet in facets:
            self._flights.land((facet.token, facet.kind), facet)
        for facet in kept:
            info = self._tracked.get(facet.token)
            lane = self.lanes.get(facet.kind)
            if info is not None and facet.kind in info.kinds and lane is not None:
                lane.submit(facet.token, due=self._due(facet.token, facet.kind, info))
        if not kept:
            return
        for sink in list(self._sinks):
            try:
                await sink(kept)
            except Exception:  # one broken sink must not stop the lanes or the others
                log.exception("facet sink %r failed on %d facets", sink, len(kept))

    # -- stats --------------------------------------------------------------------------

    def stats(self) -> EngineStats:
        return EngineStats(
            state=self._state,
            tracked=len(self._tracked),
            stored=len(self.store),
            lanes=[lane.stats() for lane in self.lanes.values()],
            budgets={name: limiter.stats() for name, limiter in self.budgets.items()},
        )
