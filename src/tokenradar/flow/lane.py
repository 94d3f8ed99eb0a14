"""A provider lane: one loop that turns due tokens into full, polite requests.

::

    due tokens ──► wait for budget ──► breaker permit ──► take ≤ max_batch ──► fetch
        ▲                                                                        │
        └──── backoff (full jitter) ◄── transient failure ◄──────────────────────┤
                                                                 facets ──► deliver

The dispatcher waits for budget *before* taking tokens, so a batch holds every
token that fell due while the lane waited for its turn, and fills up with the
tokens that fall due next. Each batch runs as its own task (at most
``max_in_flight``; a lane with 1 is a sequential lane). The provider client
calls :meth:`Lane.gate` around each HTTP request, which charges the budget and
counts the request for this lane's stats.

The dispatcher is supervised: if its loop dies (a bug, or a budget that can
never admit a request), the lane goes ``failed``, every token it holds is
delivered as an ``error`` facet naming the reason (a scan waiting for them ends
instead of hanging), and the loop is restarted after a capped backoff; restarts
are counted in :class:`LaneStats`.

Retries live here and only here: a failed batch (or a token whose own call
failed) goes back after a full-jitter backoff while :class:`RetryPolicy` allows
and the :class:`RetryBudget` has room; otherwise the token's refresh ends with
an ``error`` facet, which is delivered like any other (an error is never a
verdict, and the engine reschedules it soon).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import Facet, FacetKind, FacetState, TokenRef, error_facet
from tokenradar.errors import PermanentError, RateLimited, UpstreamError
from tokenradar.flow.breaker import Call, CircuitBreaker
from tokenradar.flow.due_queue import NORMAL, DueQueue, GroupedDueQueue
from tokenradar.flow.lane_state import _LEGAL, IllegalLaneTransition, LaneState, LaneStats
from tokenradar.flow.latency import LatencyRing
from tokenradar.flow.limiter import Budget
from tokenradar.flow.retry import RetryBudget, RetryPolicy, RetryVerdict

log = logging.getLogger(__name__)

AnyFacet = Facet[Any]
FetchBatch = Callable[[Sequence[TokenRef]], Awaitable[Sequence[AnyFacet]]]
Deliver = Callable[[Sequence[AnyFacet]], Awaitable[None]]

RATE_WINDOW = 10.0  # seconds over which requests/s and tokens/s are measured


__all__ = [
    "RATE_WINDOW",
    "RETRY_BUDGET_SPENT",
    "Deliver",
    "FetchBatch",
    "IllegalLaneTransition",
    "Lane",
    "LaneSpec",
    "LaneState",
    "LaneStats",
]


@dataclass(frozen=True, slots=True)
class LaneSpec:
    name: str  # "dexscreener.market"
    kind: FacetKind
    source: str  # provider name, as in facets: "dexscreener"
    endpoint: str  # the gate endpoint of the lane's main request ("tokens", "report", ...)
    max_batch: int
    max_in_flight: int
    #: the main request costs one call per token (a JSON-RPC batch, e.g. holders)
    cost_per_token: bool = False
    #: fill a batch only with tokens due within this many seconds (None = any)
    fill_horizon: float | None = None

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.max_in_flight < 1:
            raise ValueError(f"{self.name}: max_batch and max_in_flight must be >= 1")


#: why a token that could have been retried was not: a one-off scan does not try it
#: again; a tracked token comes back at its next refresh (``[tiers] error_retry``)
RETRY_BUDGET_SPENT = (
    "retry budget exhausted (retries are capped at a share of requests); not retried now"
)

#: dispatcher restarts back off from this many seconds, doubling up to the cap
RESTART_BACKOFF_FIRST, RESTART_BACKOFF_MAX = 1.0, 60.0


@dataclass(slots=True)
class _Attempt:
    attempts: int
    priority: int


class Lane:
    def __init__(
        self,
        spec: LaneSpec,
        budget: Budget,
        deliver: Deliver,
        *,
        clock: Clock = SYSTEM_CLOCK,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        retry_budget: RetryBudget | None = None,
        on_died: Callable[[str], None] | None = None,
    ) -> None:
        """``on_died(reason)`` is told each time the dispatcher dies (the engine reports it)."""
        self.spec = spec
        self._on_died = on_died
        self._batch_listeners: list[Callable[[list[tuple[TokenRef, int]]], None]] = []
        self.budget = budget
        self.clock = clock
        self.breaker = breaker or CircuitBreaker(spec.name, clock=clock)
        self.retry = retry or RetryPolicy()
        self.retry_budget = retry_budget or RetryBudget()
        self._deliver = deliver
        self._fetch: FetchBatch | None = None
        self.queue: GroupedDueQueue[TokenRef] = GroupedDueQueue(
            lambda t: t.chain, on_schedule=self._wake
        )
        self._backoff: DueQueue[TokenRef] = DueQueue()
        self._attempts: dict[TokenRef, _Attempt] = {}
        self._on_wire: dict[TokenRef, int] = {}  # token -> priority it was taken at
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._restarts = 0
        self._last_failure: str | None = None
        #: monotonic time of the last dispatcher iteration (the watchdog reads it)
        self.heartbeat = clock.monotonic()
        self._changed = asyncio.Event()
        self._state = LaneState.NEW
        self._started_at = clock.monotonic()
        # counters
        self._requests: deque[float] = deque()
        self._tokens: deque[tuple[float, int]] = deque()
        self._n = Counter[str]()
        self._batch_sizes = Counter[int]()
        self._latency = LatencyRing()

    # -- wiring -----------------------------------------------------------------

    def bind(self, fetch: FetchBatch) -> None:
        """The provider client's batch method (built with ``gate=lane.gate``)."""
        self._fetch = fetch

    def add_batch_listener(self, listener: Callable[[list[tuple[TokenRef, int]]], None]) -> None:
        """Be told of every batch as it is taken: ``[(token, priority), ...]``, in the order
        taken (tracing, and the tests and benches that check who goes first)."""
        self._batch_listeners.append(listener)

    def gate(self, endpoint: str, cost: int = 1) -> AbstractAsyncContextManager[None]:
        """The :class:`~tokenradar.providers.gate.Gate` for this lane's client."""
        return self._gate(endpoint, cost)

    @asynccontextmanager
    async def _gate(self, endpoint: str, cost: int = 1) -> AsyncIterator[None]:
        async with self.budget.gate(endpoint, cost):
            now = self.clock.monotonic()
            self._prune_rates(now)
            self._requests.append(now)
            self._n["requests"] += 1
            try:
                yield
            except RateLimited:
                self._n["rate_limited"] += 1
                raise

    # -- state ------------------------------------------------------------------

    @property
    def state(self) -> LaneState:
        return self._state

    def _set_state(self, to: LaneState) -> None:
        if to is self._state:
            return
        if to not in _LEGAL[self._state]:
            raise IllegalLaneTransition(
                f"{self.spec.name}: lane cannot go from {self._state} to {to}"
            )
        self._state = to

    def _wake(self) -> None:
        self._changed.set()

    # -- work in ------------------------------------------------------------------

    def submit(self, token: TokenRef, *, due: float | None = None, priority: int = NORMAL) -> None:
        """Queue ``token`` for a fetch at ``due`` (default now) or sooner.

        A token already on the wire is not queued again: the batch in flight
        will deliver it (single-flight); one backing off keeps its backoff.
        """
        if self._state is LaneState.STOPPED:
            raise RuntimeError(f"{self.spec.name}: lane is stopped")
        if token in self._on_wire:
            return
        if token in self._backoff:
            attempt = self._attempts.get(token)
            if attempt is not None:
                attempt.priority = min(attempt.priority, priority)
            return
        self.queue.schedule(token, self.clock.now() if due is None else due, priority)

    def withdraw(self, token: TokenRef) -> None:
        """Stop fetching ``token`` (a batch already on the wire still lands)."""
        self.queue.remove(token)
        self._backoff.remove(token)
        self._attempts.pop(token, None)

    def pending(self, token: TokenRef) -> bool:
        return token in self.queue or token in self._backoff or token in self._on_wire

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        if self._fetch is None:
            raise RuntimeError(f"{self.spec.name}: no client bound")
        if self._runner is not None:
            raise RuntimeError(f"{self.spec.name}: already started")
        self._set_state(LaneState.IDLE)
        self._started_at = self.clock.monotonic()
        self._runner = asyncio.create_task(self._supervise(), name=f"lane {self.spec.name}")

    @property
    def restarts(self) -> int:
        return self._restarts

    async def stop(self) -> None:
        """Cancel the dispatcher and the batches in flight; the lane is then stopped.

        Never raises for what the tasks died of (that was logged when they died).
        """
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with suppress(asyncio.CancelledError, Exception):
                await t
        self._state = LaneState.STOPPED

    async def restart(self, reason: str) -> None:
        """Cancel a dispatcher that is stuck (the watchdog's call) and run a new one."""
        if self._runner is None or self._state is LaneState.STOPPED:
            return
        self._runner.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await self._runner
        if self._stopped():  # stop() ran while we waited
            return
        self._died(reason)
        self._runner = asyncio.create_task(self._supervise(), name=f"lane {self.spec.name}")

    async def _supervise(self) -> None:
        """Run the dispatcher; when it dies, fail its work and run it again after a backoff."""
        backoff = RESTART_BACKOFF_FIRST
        while True:
            try:
                await self._run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("%s: dispatcher died; restarting in %.0fs", self.spec.name, backoff,
                          exc_info=exc)  # fmt: skip
                await self._died_with(f"{type(exc).__name__}: {exc}")
                await self.clock.sleep(backoff)
                backoff = min(RESTART_BACKOFF_MAX, backoff * 2)
                if self._state is LaneState.FAILED:
                    self._set_state(LaneState.IDLE)

    def _stopped(self) -> bool:
        return self._state is LaneState.STOPPED

    def _died(self, reason: str) -> None:
        self._restarts += 1
        self._last_failure = reason
        if self._state is not LaneState.STOPPED:
            self._set_state(LaneState.FAILED)
        if self._on_died is not None:
            try:
                self._on_died(reason)
            except Exception:  # reporting must not stop the restart
                log.exception("%s: the on_died listener failed", self.spec.name)

    async def _died_with(self, reason: str) -> None:
        """The dispatcher died of ``reason``: every token it holds ends as an error facet."""
        self._died(reason)
        now = self.clock.now()
        held = [*self.queue, *self._backoff]
        for token in held:
            self.queue.remove(token)
            self._backoff.remove(token)
            self._attempts.pop(token, None)
        if held:
            facets = [
                error_facet(
                    token,
                    self.spec.kind,
                    fetched_at=now,
                    source=self.spec.source,
                    error_kind="internal",
                    message=f"{self.spec.name} failed ({reason}); restarting",
                )
                for token in held
            ]
            self._count(facets)
            await self._deliver(facets)

    # -- the dispatcher -----------------------------------------------------------

    async def _wait_change(self, at_most: float | None) -> None:
        """Until something changes (work queued, a batch landed) or ``at_most`` s pass."""
        if at_most is not None and at_most <= 0:
            await asyncio.sleep(0)
            return
        waiter = asyncio.ensure_future(self._changed.wait())
        sleeper = asyncio.ensure_future(self.clock.sleep(at_most)) if at_most else None
        try:
            await asyncio.wait([f for f in (waiter, sleeper) if f], return_when="FIRST_COMPLETED")
        finally:
            waiter.cancel()
            if sleeper is not None:
                sleeper.cancel()

    def _release_backoff(self, now: float) -> None:
        for token in self._backoff.take(len(self._backoff), now, horizon=0.0):
            attempt = self._attempts.get(token)
            self.queue.schedule(token, now, attempt.priority if attempt else NORMAL)

    async def _run(self) -> None:
        spec = self.spec
        if self._state is LaneState.FAILED:  # restarted: the restart itself is the recovery
            self._set_state(LaneState.IDLE)
        while True:
            self._changed.clear()
            self.heartbeat = self.clock.monotonic()
            now = self.clock.now()
            self._release_backoff(now)
            open_for = self.breaker.retry_in()
            if open_for > 0:
                self._set_state(LaneState.CIRCUIT_OPEN)
                await self.clock.sleep(open_for)
                continue
            due = self.queue.next_due()
            if due is None or due > now:
                self._set_state(LaneState.IDLE)
                wake = min(
                    (t for t in (due, self._backoff.next_due()) if t is not None), default=None
                )
                await self._wait_change(None if wake is None else wake - now)
                continue
            self._set_state(LaneState.WAITING)
            if self._in_flight >= spec.max_in_flight:
                await self._wait_change(None)
                continue
            # a lane that pays per token waits for what it would send, not a full batch
            cost = self.queue.takeable(spec.max_batch, now, spec.fill_horizon)
            await self.budget.wait_ready(spec.endpoint, max(1, cost) if spec.cost_per_token else 1)
            call = self.breaker.try_acquire()
            if call is None:  # opened meanwhile, or every half-open probe is out
                await self._wait_change(self.breaker.retry_in() or None)
                continue
            taken = self.queue.take_with_priority(
                spec.max_batch, self.clock.now(), spec.fill_horizon
            )
            if not taken:
                call.ignore()
                continue
            self._set_state(LaneState.SENDING)
            self._in_flight += 1
            for token, priority in taken:
                self._on_wire[token] = priority
            for listener in self._batch_listeners:
                try:
                    listener(taken)
                except Exception:  # tracing must never stop a lane
                    log.exception("%s: a batch listener failed", spec.name)
            task = asyncio.create_task(self._send([t for t, _ in taken], call))  # noqa: RUF006 - kept in _tasks
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            # let the batch reach its gate before the budget is checked for the next one
            await asyncio.sleep(0)

    # -- one batch ----------------------------------------------------------------

    async def _send(self, tokens: list[TokenRef], call: Call) -> None:
        assert self._fetch is not None
        self._n["batches"] += 1
        self._n["tokens_sent"] += len(tokens)
        self._batch_sizes[len(tokens)] += 1
        self.retry_budget.on_request(self.clock.monotonic())
        try:
            try:
                facets = await self._timed_fetch(tokens)
            except UpstreamError as exc:
                if isinstance(exc, RateLimited | PermanentError):
                    call.ignore()  # the limiter's business, or our request's fault
                else:
                    call.failure()
                self._n["failed_batches"] += 1
                await self._settle(tokens, [], batch_error=exc)
                return
            except Exception as exc:  # a bug in a client: report it, never retry it
                call.ignore()
                log.exception("%s: client failed on a batch of %d", self.spec.name, len(tokens))
                self._n["failed_batches"] += 1
                await self._settle(tokens, [], batch_error=exc)
                return
            call.success()
            await self._settle(tokens, facets)
        finally:
            self._in_flight -= 1
            for t in tokens:
                self._on_wire.pop(t, None)
            self._changed.set()

    async def _timed_fetch(self, tokens: list[TokenRef]) -> list[AnyFacet]:
        assert self._fetch is not None
        started = self.clock.monotonic()
        try:
            facets = list(await self._fetch(tokens))
        except Exception:  # a failure took time too (a timeout most of all); a cancel did not
            self._latency.record(self.clock.monotonic() - started)
            raise
        self._latency.record(self.clock.monotonic() - started)
        return facets

    async def _settle(
        self,
        tokens: list[TokenRef],
        facets: list[AnyFacet],
        *,
        batch_error: BaseException | None = None,
    ) -> None:
        """Deliver what is final; put back what may be retried."""
        now = self.clock.now()
        by_token = {f.token: f for f in facets if f.kind is self.spec.kind}
        final: list[AnyFacet] = []
        retry: list[tuple[TokenRef, str]] = []  # with the error kind it would retry
        for token in tokens:
            priority = self._on_wire.pop(token, NORMAL)
            facet = by_token.get(token)
            if facet is not None and facet.state is not FacetState.ERROR:
                final.append(facet)
                self._attempts.pop(token, None)
                continue
            attempt = self._attempts.setdefault(token, _Attempt(0, priority))
            attempt.attempts += 1
            attempt.priority = min(attempt.priority, priority)
            if batch_error is not None:
                verdict = self.retry.verdict(batch_error, attempt.attempts)
                kind = getattr(batch_error, "kind", "internal")
                message = (
                    str(batch_error)
                    if isinstance(batch_error, UpstreamError)
                    else (f"internal error: {type(batch_error).__name__}: {batch_error}")
                )
            elif facet is not None and facet.error is not None:
                verdict = self.retry.verdict_for_kind(facet.error.kind, attempt.attempts)
                kind, message = facet.error.kind, facet.error.message
            else:
                verdict = RetryVerdict.NEVER
                kind, message = "internal", f"{self.spec.source} returned no {self.spec.kind} facet"
            if verdict is RetryVerdict.RETRY:
                retry.append((token, kind))
                continue
            self._attempts.pop(token, None)
            final.append(
                facet
                if facet is not None
                else error_facet(
                    token,
                    self.spec.kind,
                    fetched_at=now,
                    source=self.spec.source,
                    error_kind=kind,
                    message=message,
                )
            )
        if retry and not self.retry_budget.try_retry(self.clock.monotonic()):
            for token, kind in retry:
                self._attempts.pop(token, None)
                final.append(
                    error_facet(
                        token,
                        self.spec.kind,
                        fetched_at=now,
                        source=self.spec.source,
                        error_kind=kind,
                        message=RETRY_BUDGET_SPENT,
                    )
                )
            retry = []
        if retry:
            # one draw per failed batch: its tokens come back together, as one full
            # batch (one retry request), not scattered over several
            tries = max(self._attempts[t].attempts for t, _ in retry)
            back_at = now + self.retry.backoff(tries)
            for token, _ in retry:
                self._n["retries"] += 1
                self._backoff.schedule(token, back_at)
        self._changed.set()
        if final:
            self._count(final)
            await self._deliver(final)

    def _count(self, facets: list[AnyFacet]) -> None:
        t = self.clock.monotonic()
        self._prune_rates(t)
        self._tokens.append((t, len(facets)))
        for f in facets:
            self._n["delivered"] += 1
            self._n[f.state.value] += 1

    # -- stats --------------------------------------------------------------------

    def _prune_rates(self, now: float) -> None:
        """Drop rate samples older than the window (on every append, so a lane whose
        stats nobody reads keeps ``RATE_WINDOW`` seconds of them, not all of them)."""
        edge = now - RATE_WINDOW
        while self._requests and self._requests[0] <= edge:
            self._requests.popleft()
        while self._tokens and self._tokens[0][0] <= edge:
            self._tokens.popleft()

    def stats(self) -> LaneStats:
        now = self.clock.monotonic()
        self._prune_rates(now)
        span = min(RATE_WINDOW, max(now - self._started_at, 1e-3))
        sizes = self._batch_sizes
        batches = sum(sizes.values())
        n = self._n
        return LaneStats(
            name=self.spec.name,
            kind=self.spec.kind,
            state=self._state,
            breaker=self.breaker._state,
            queued=len(self.queue),
            backing_off=len(self._backoff),
            in_flight=self._in_flight,
            requests=n["requests"],
            batches=n["batches"],
            tokens_sent=n["tokens_sent"],
            delivered=n["delivered"],
            ok=n[FacetState.OK.value],
            absent=n[FacetState.ABSENT.value],
            errors=n[FacetState.ERROR.value],
            retries=n["retries"],
            rate_limited=n["rate_limited"],
            failed_batches=n["failed_batches"],
            requests_per_s=len(self._requests) / span,
            tokens_per_s=sum(c for _, c in self._tokens) / span,
            mean_batch=(sum(k * v for k, v in sizes.items()) / batches) if batches else None,
            full_batches=sizes[self.spec.max_batch],
            restarts=self._restarts,
            last_failure=self._last_failure,
            latency=self._latency.summary(),
        )
