"""What a consumer of the bus holds: events, subscriptions and listeners.

A :class:`Subscription` is a bounded queue read with ``async for``; the bus
offers it events inside ``publish``, and it applies its filter and overflow
policy there. A :class:`Listener` is a callback run inside ``publish``. Both are
made by :class:`~tokenradar.events.bus.EventBus`; the semantics (overflow
policies, what a raising filter or callback does, how iteration ends) are in
the :mod:`tokenradar.events` docstring.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar, get_args

from tokenradar.errors import TokenradarError

log = logging.getLogger("tokenradar.events")

P = TypeVar("P")
T = TypeVar("T")

OverflowPolicy = Literal["drop_oldest", "drop_new", "disconnect"]
OVERFLOW_POLICIES: frozenset[str] = frozenset(get_args(OverflowPolicy))


@dataclass(frozen=True, slots=True)
class Event(Generic[P]):
    id: int  # increasing per bus: the SSE event id, the replay cursor
    topic: str
    payload: P
    at: float  # the bus clock's now() at publish, epoch seconds

    def payload_as(self, kind: type[T]) -> T:
        """The payload, checked to be a ``kind`` (``TypeError`` if it is not)."""
        if not isinstance(self.payload, kind):
            got = type(self.payload).__name__
            raise TypeError(f"event {self.id} ({self.topic}) carries {got}, not {kind.__name__}")
        return self.payload


AnyEvent = Event[Any]
EventFilter = Callable[[AnyEvent], bool]
EventCallback = Callable[[AnyEvent], None]


class CloseReason(StrEnum):
    CLOSED = "closed"  # its consumer closed it: ends at once, queue discarded
    BUS_CLOSED = "bus_closed"  # the bus shut down: queued events, then a normal end
    OVERFLOW = "overflow"  # full under "disconnect": queued events, then SubscriptionLost
    FILTER_ERROR = "filter_error"  # its filter raised: queued events, then SubscriptionLost


#: reasons the bus ends a subscription its consumer still wanted
LOST = frozenset({CloseReason.OVERFLOW, CloseReason.FILTER_ERROR})


class SubscriptionLost(TokenradarError):
    """The bus ended a subscription: events after ``last_id`` were not delivered.

    Resume with ``bus.replay(pattern, since_id=last_id)`` and a new subscription.
    """

    def __init__(self, reason: CloseReason, last_id: int, detail: str) -> None:
        super().__init__(f"subscription lost ({reason}: {detail}); resume after id {last_id}")
        self.reason = reason
        self.last_id = last_id
        self.detail = detail


def log_now(count: int) -> bool:
    """True at the 1st, 2nd, 4th, 8th... occurrence: bounded logging of repeated faults."""
    return count & (count - 1) == 0


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """How a subscription was asked for (validated by the bus)."""

    pattern: str
    maxsize: int
    overflow: OverflowPolicy
    name: str
    filter: EventFilter | None = None


class Subscription:
    """A bounded queue of the events matching ``spec``; iterate it with ``async for``."""

    def __init__(self, sid: int, spec: SubscriptionSpec, on_end: Callable[[Subscription], None]):
        self.id = sid
        self.spec = spec
        self._on_end = on_end
        self._queue: deque[AnyEvent] = deque()
        self._ready = asyncio.Event()
        self._ended = asyncio.Event()
        self.delivered = 0  # events handed to the consumer
        self.dropped = 0  # events lost to the overflow policy
        self.last_id = 0  # id of the last event delivered: where to resume from
        self.reason: CloseReason | None = None  # None while open
        self.detail = ""

    @property
    def pattern(self) -> str:
        return self.spec.pattern

    @property
    def closed(self) -> bool:
        return self.reason is not None

    def __len__(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        """End now; what was queued is discarded."""
        self._queue.clear()
        self.end(CloseReason.CLOSED, "closed by its consumer")

    def end(self, reason: CloseReason, detail: str) -> None:
        """Stop taking events (the first reason sticks); wake the consumer."""
        if self.reason is not None:
            return
        self.reason, self.detail = reason, detail
        self._ready.set()
        self._ended.set()
        self._on_end(self)

    async def ended(self) -> CloseReason:
        """Wait until the subscription ends (whatever is still queued); returns why.

        A consumer blocked elsewhere (an SSE response waiting on a full socket)
        learns here that the bus gave up on it.
        """
        await self._ended.wait()
        assert self.reason is not None
        return self.reason

    def offer(self, event: AnyEvent) -> None:
        """Called by the bus inside ``publish``: filter, then queue or overflow."""
        spec = self.spec
        if spec.filter is not None:
            try:
                wanted = spec.filter(event)
            except Exception as exc:
                log.exception("filter of subscription %s raised on event %s", spec.name, event.id)
                self.end(CloseReason.FILTER_ERROR, f"filter raised {exc!r} on event {event.id}")
                return
            if not wanted:
                return
        if len(self._queue) >= spec.maxsize:
            self.dropped += 1
            if spec.overflow == "drop_new":
                return
            if spec.overflow == "disconnect":
                detail = f"{spec.maxsize} events queued, event {event.id} did not fit"
                self.end(CloseReason.OVERFLOW, detail)
                return
            self._queue.popleft()
        self._queue.append(event)
        self._ready.set()

    def take_nowait(self, max_items: int | None = None) -> list[AnyEvent]:
        """What is queued now (up to ``max_items``), without waiting; counted as delivered."""
        n = len(self._queue) if max_items is None else min(max_items, len(self._queue))
        taken = [self._queue.popleft() for _ in range(n)]
        if taken:
            self.delivered += n
            self.last_id = taken[-1].id
        return taken

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> AnyEvent:
        # Cancel-safe (e.g. under asyncio.wait_for for SSE keep-alives): an event
        # leaves the queue only when it is returned.
        while not self._queue:
            if self.reason in LOST:
                raise SubscriptionLost(self.reason, self.last_id, self.detail)
            if self.reason is not None:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        event = self._queue.popleft()
        self.delivered += 1
        self.last_id = event.id
        return event

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Listener:
    """A synchronous ``callback(event)`` run inside ``publish`` for matching events."""

    def __init__(
        self,
        lid: int,
        pattern: str,
        callback: EventCallback,
        name: str,
        on_close: Callable[[Listener], None],
    ) -> None:
        self.id = lid
        self.pattern = pattern
        self.callback = callback
        self.name = name
        self._on_close = on_close
        self.calls = 0
        self.errors = 0

    def close(self) -> None:
        self._on_close(self)

    def offer(self, event: AnyEvent) -> None:
        self.calls += 1
        try:
            self.callback(event)
        except Exception:
            self.errors += 1
            if log_now(self.errors):
                log.exception("event listener %s raised (%d times so far)", self.name, self.errors)
