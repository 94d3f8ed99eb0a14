"""Request budgets: hierarchical, exact, adaptive limits behind the Gate seam.

A provider's budget is a small tree of :class:`LimitNode` s. A request to an
``endpoint`` must fit *every* node on its path, e.g. Solana RPC
``getMultipleAccounts`` → [host ``100/10s``, method ``40/10s``]; it is admitted
into all of them in one step (no ``await`` between the check and the record),
so neither limit is ever exceeded, and a ``cost`` above 1 (a JSON-RPC batch,
which the server counts per call) is charged to each.

Each node combines

* an exact :class:`~tokenradar.flow.window.SlidingWindow` at the configured
  ceiling (the guarantee: no window of ``period`` ever holds more than
  ``count``), absent for ``rate = "auto"``;
* an :class:`~tokenradar.flow.adaptive.AdaptiveRate` (the pace: GCRA spacing,
  AIMD on 429 with ``Retry-After`` pauses, probing for unknown limits);
* an optional cap on requests in flight.

:class:`Budget` is the interface the lanes use; a budget shared by several
workers (none exists yet: :class:`Limiter` is per process) would implement the
same three methods.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import RateLimited
from tokenradar.flow.adaptive import AdaptivePolicy, AdaptiveRate
from tokenradar.flow.window import SlidingWindow
from tokenradar.settings import Rate


class Outcome(StrEnum):
    SUCCESS = "success"  # answered: the pace may creep up
    RATE_LIMITED = "rate_limited"  # 429: pause and back off
    FAILED = "failed"  # any other failure: says nothing about the budget


@dataclass(frozen=True, slots=True)
class NodeStats:
    name: str
    ceiling: str  # "300/60s" or "auto"
    rate: float  # current pace, req/s
    estimate: float | None  # auto: the discovered limit, req/s
    used: float  # cost holding window slots now
    in_flight: int
    paused_for: float  # seconds left of a Retry-After pause
    requests: int
    rate_limited: int


class LimitNode:
    """One limit: an exact window, an adaptive pace and an in-flight cap."""

    def __init__(
        self,
        name: str,
        rate: Rate | None,
        *,
        max_in_flight: int | None = None,
        policy: AdaptivePolicy | None = None,
        paced: bool = True,
    ) -> None:
        """``rate=None`` is an unknown limit to probe for, unless ``paced=False``
        (then the node only caps requests in flight)."""
        self.name = name
        self.limit = rate
        self.window = SlidingWindow(rate.count, rate.period) if rate is not None else None
        self.pace: AdaptiveRate | None = None
        if rate is not None or paced:
            self.pace = AdaptiveRate(rate.per_second if rate is not None else None, policy)
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.requests = 0

    def delay(self, now: float, cost: float) -> float:
        """Seconds until ``cost`` fits this node; ``inf`` = wait for a response."""
        if self.max_in_flight is not None and self.in_flight >= self.max_in_flight:
            return math.inf
        d = self.pace.delay(now, cost) if self.pace is not None else 0.0
        if self.window is not None:
            d = max(d, self.window.delay(now, cost))
        return d

    def admit(self, now: float, cost: float) -> None:
        self.in_flight += 1
        self.requests += 1
        if self.pace is not None:
            self.pace.admit(now, cost)
        if self.window is not None:
            self.window.admit(cost)

    def answer(
        self,
        now: float,
        cost: float,
        sent_at: float,
        outcome: Outcome,
        retry_after: float | None = None,
    ) -> None:
        self.in_flight -= 1
        if self.window is not None:
            self.window.answer(now, cost)
        if self.pace is None:
            return
        if outcome is Outcome.SUCCESS:
            self.pace.on_success(now, sent_at, cost)
        elif outcome is Outcome.RATE_LIMITED:
            self.pace.on_rate_limited(now, sent_at, retry_after)

    def stats(self, now: float) -> NodeStats:
        pace = self.pace
        return NodeStats(
            name=self.name,
            ceiling=str(self.limit) if self.limit is not None else "auto" if pace else "none",
            rate=pace.rate if pace is not None else math.inf,
            estimate=pace.estimate if pace is not None else None,
            used=self.window.used(now) if self.window is not None else float(self.in_flight),
            in_flight=self.in_flight,
            paused_for=max(0.0, pace.paused_until - now) if pace is not None else 0.0,
            requests=self.requests,
            rate_limited=pace.rate_limited if pace is not None else 0,
        )


@dataclass(frozen=True, slots=True)
class Permit:
    """A request admitted by a budget; hand it back with the outcome."""

    endpoint: str
    cost: float
    sent_at: float
    nodes: tuple[LimitNode, ...]


class Budget(Protocol):
    """What a lane needs from a request budget (local or shared)."""

    async def wait_ready(self, endpoint: str, cost: float = 1) -> None:
        """Return when a request of ``cost`` would be admitted now (reserves nothing)."""
        ...

    def delay(self, endpoint: str, cost: float = 1) -> float:
        """Seconds until a request of ``cost`` would be admitted (``inf``: after an answer)."""
        ...

    def gate(self, endpoint: str, cost: int = 1) -> AbstractAsyncContextManager[None]:
        """The provider clients' :class:`~tokenradar.providers.gate.Gate`."""
        ...

    def stats(self) -> list[NodeStats]: ...


class Limiter:
    """A provider's budget: a tree of nodes, endpoints routed to their path.

    ``routes`` maps an endpoint to its own node; endpoints not listed get
    ``default(endpoint)`` (built once per endpoint, e.g. one ``method_rate``
    node per RPC method) or share the ``root`` alone. ``root`` (e.g. the RPC
    host limit) is on every path.
    """

    def __init__(
        self,
        name: str,
        *,
        root: LimitNode | None = None,
        routes: Mapping[str, LimitNode] | None = None,
        default: Callable[[str], LimitNode | None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.name = name
        self.root = root
        self.routes: dict[str, LimitNode | None] = dict(routes or {})
        self._default = default
        self.clock = clock
        self._changed = asyncio.Event()

    def path(self, endpoint: str) -> tuple[LimitNode, ...]:
        if endpoint not in self.routes:
            self.routes[endpoint] = self._default(endpoint) if self._default else None
        leaf = self.routes[endpoint]
        return tuple(n for n in (self.root, leaf) if n is not None)

    def nodes(self) -> list[LimitNode]:
        seen: dict[int, LimitNode] = {}
        for n in (self.root, *self.routes.values()):
            if n is not None:
                seen.setdefault(id(n), n)
        return list(seen.values())

    def delay(self, endpoint: str, cost: float = 1) -> float:
        now = self.clock.monotonic()
        return max((n.delay(now, cost) for n in self.path(endpoint)), default=0.0)

    async def _wait(self, endpoint: str, cost: float) -> None:
        while True:
            d = self.delay(endpoint, cost)
            if d <= 0:
                return
            self._changed.clear()
            if math.isinf(d):
                await self._changed.wait()  # only a response can free the slot
            else:
                await self.clock.sleep(d)

    async def wait_ready(self, endpoint: str, cost: float = 1) -> None:
        await self._wait(endpoint, cost)

    def try_acquire(self, endpoint: str, cost: float = 1) -> Permit | None:
        """Admit a request now if every node on its path has room, else None.

        Synchronous, so the check and the charge to every node happen without
        another task running in between: the hierarchy is charged atomically.
        """
        if self.delay(endpoint, cost) > 0:
            return None
        now = self.clock.monotonic()
        nodes = self.path(endpoint)
        for n in nodes:
            n.admit(now, cost)
        return Permit(endpoint, cost, now, nodes)

    async def acquire(self, endpoint: str, cost: float = 1) -> Permit:
        while True:
            await self._wait(endpoint, cost)
            permit = self.try_acquire(endpoint, cost)
            if permit is not None:
                return permit

    def release(
        self, permit: Permit, outcome: Outcome, *, retry_after: float | None = None
    ) -> None:
        now = self.clock.monotonic()
        for n in permit.nodes:
            n.answer(now, permit.cost, permit.sent_at, outcome, retry_after)
        self._changed.set()

    @asynccontextmanager
    async def _gate(self, endpoint: str, cost: int = 1) -> AsyncIterator[None]:
        permit = await self.acquire(endpoint, cost)
        try:
            yield
        except RateLimited as exc:
            self.release(permit, Outcome.RATE_LIMITED, retry_after=exc.retry_after)
            raise
        except BaseException:
            self.release(permit, Outcome.FAILED)
            raise
        self.release(permit, Outcome.SUCCESS)

    def gate(self, endpoint: str, cost: int = 1) -> AbstractAsyncContextManager[None]:
        return self._gate(endpoint, cost)

    def stats(self) -> list[NodeStats]:
        now = self.clock.monotonic()
        return [n.stats(now) for n in self.nodes()]
