"""The event bus: publish, subscribe, listen, replay, stats (see :mod:`tokenradar.events`)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import InvalidInput
from tokenradar.events.subscription import (
    LOST,
    OVERFLOW_POLICIES,
    AnyEvent,
    CloseReason,
    Event,
    EventCallback,
    EventFilter,
    Listener,
    OverflowPolicy,
    Subscription,
    SubscriptionSpec,
    log_now,
)
from tokenradar.events.topics import topic_matches, validate_pattern, validate_topic

log = logging.getLogger("tokenradar.events")

P = TypeVar("P")

#: nested publishes (from callbacks or filters) delivered per outer publish
MAX_CASCADE = 1000
#: distinct topics counted by name in stats; further ones are counted under OTHER_TOPICS
MAX_COUNTED_TOPICS = 256
OTHER_TOPICS = "(other)"


@dataclass(frozen=True, slots=True)
class SubscriptionStats:
    id: int
    name: str
    pattern: str
    overflow: OverflowPolicy
    maxsize: int
    queued: int  # queue depth now
    delivered: int
    dropped: int


@dataclass(frozen=True, slots=True)
class ListenerStats:
    id: int
    name: str
    pattern: str
    calls: int
    errors: int


@dataclass(frozen=True, slots=True)
class BusStats:
    last_id: int
    published: int  # events delivered to matching consumers (not cascade_dropped ones)
    by_topic: Mapping[str, int]
    subscriptions: tuple[SubscriptionStats, ...]  # the open ones
    listeners: tuple[ListenerStats, ...]
    dropped: int  # over every subscription ever (open or ended): a monotonic counter
    lost: Mapping[str, int]  # subscriptions the bus ended, by CloseReason
    cascade_dropped: int
    replay_buffered: int
    closed: bool

    @property
    def filter_errors(self) -> int:
        return self.lost.get(CloseReason.FILTER_ERROR, 0)


@dataclass(frozen=True, slots=True)
class Replay:
    events: tuple[AnyEvent, ...]  # buffered matching events after since_id, in id order
    complete: bool  # False: some events after since_id are gone, or since_id is not this bus's


class EventBus:
    """Topics with ``*`` patterns, filtered bounded subscriptions, listeners, replay."""

    def __init__(
        self, *, clock: Clock = SYSTEM_CLOCK, replay_size: int = 1024, maxsize: int = 1000
    ) -> None:
        """``maxsize`` is the default queue bound of a subscription."""
        if replay_size < 0:
            raise InvalidInput(f"replay_size must be >= 0, not {replay_size}")
        if maxsize < 1:
            raise InvalidInput(f"maxsize must be >= 1, not {maxsize}")
        self._clock = clock
        self._default_maxsize = maxsize
        self._last_id = 0
        self._ids = 0  # subscription and listener ids
        self._subs: dict[int, Subscription] = {}
        self._listeners: dict[int, Listener] = {}
        self._replay: deque[AnyEvent] = deque(maxlen=replay_size)
        self._evicted_upto = 0  # the newest id that fell out of the replay buffer
        self._by_topic: dict[str, int] = {}
        self._backlog: deque[AnyEvent] = deque()
        self._dispatching = False
        self._cascade = 0
        self._cascade_dropped = 0
        self._dropped_by_ended = 0
        self._lost: dict[str, int] = {}
        self._closed = False

    @property
    def last_id(self) -> int:
        return self._last_id

    @property
    def closed(self) -> bool:
        return self._closed

    def publish(self, topic: str, payload: P) -> Event[P]:
        """Deliver ``payload`` under ``topic`` to every match now; returns the event.

        Never waits and never raises because of a consumer; a malformed topic (the
        publisher's own bug) is :class:`InvalidInput`.
        """
        event = Event(self._last_id + 1, validate_topic(topic), payload, self._clock.now())
        self._last_id = event.id
        if self._dispatching:  # published from a filter or callback: queue behind
            self._cascade += 1
            if self._cascade > MAX_CASCADE:
                self._cascade_dropped += 1
                if log_now(self._cascade_dropped):
                    log.error(
                        "event %d (%s) dropped: more than %d nested publishes (%d dropped so far)",
                        event.id,
                        topic,
                        MAX_CASCADE,
                        self._cascade_dropped,
                    )
                return event
        self._record(event)
        self._backlog.append(event)
        if not self._dispatching:
            self._dispatching, self._cascade = True, 0
            try:
                while self._backlog:
                    self._dispatch(self._backlog.popleft())
            finally:
                self._dispatching = False
        return event

    def _record(self, event: AnyEvent) -> None:
        if self._replay.maxlen == 0:
            self._evicted_upto = event.id
        elif len(self._replay) == self._replay.maxlen:
            self._evicted_upto = self._replay[0].id
        self._replay.append(event)
        key = event.topic
        if key not in self._by_topic and len(self._by_topic) >= MAX_COUNTED_TOPICS:
            key = OTHER_TOPICS
        self._by_topic[key] = self._by_topic.get(key, 0) + 1

    def _dispatch(self, event: AnyEvent) -> None:
        for sub in tuple(self._subs.values()):
            if topic_matches(sub.spec.pattern, event.topic):
                sub.offer(event)
        for listener in tuple(self._listeners.values()):
            if topic_matches(listener.pattern, event.topic):
                listener.offer(event)

    def subscribe(
        self,
        pattern: str = "*",
        *,
        filter: EventFilter | None = None,
        maxsize: int | None = None,
        overflow: OverflowPolicy = "drop_oldest",
        name: str | None = None,
    ) -> Subscription:
        """A subscription to the events matching ``pattern`` and ``filter`` from now on.

        ``filter(event) -> bool`` runs inside ``publish``; keep it cheap. After
        :meth:`close` this returns a subscription that has already ended.
        """
        size = self._default_maxsize if maxsize is None else maxsize
        if size < 1:
            raise InvalidInput(f"subscription maxsize must be >= 1, not {size}")
        if overflow not in OVERFLOW_POLICIES:
            raise InvalidInput(
                f"overflow must be one of {', '.join(sorted(OVERFLOW_POLICIES))}, not {overflow!r}"
            )
        self._ids += 1
        spec = SubscriptionSpec(
            validate_pattern(pattern), size, overflow, name or f"sub-{self._ids}", filter
        )
        sub = Subscription(self._ids, spec, self._ended)
        self._subs[sub.id] = sub
        if self._closed:
            sub.end(CloseReason.BUS_CLOSED, "the bus is closed")
        return sub

    def listen(self, pattern: str, callback: EventCallback, *, name: str | None = None) -> Listener:
        """Call ``callback(event)`` inside ``publish`` for every event matching ``pattern``.

        After :meth:`close` the listener is returned but never attached.
        """
        self._ids += 1
        label = name or f"listener-{self._ids}"
        listener = Listener(self._ids, validate_pattern(pattern), callback, label, self._unlisten)
        if not self._closed:
            self._listeners[listener.id] = listener
        return listener

    def _ended(self, sub: Subscription) -> None:
        if self._subs.pop(sub.id, None) is None:
            return
        self._dropped_by_ended += sub.dropped
        if sub.reason in LOST:
            self._lost[str(sub.reason)] = self._lost.get(str(sub.reason), 0) + 1

    def _unlisten(self, listener: Listener) -> None:
        self._listeners.pop(listener.id, None)

    def replay(self, pattern: str, since_id: int) -> Replay:
        """The buffered events matching ``pattern`` with ids above ``since_id``."""
        validate_pattern(pattern)
        if since_id < 0:
            raise InvalidInput(f"since_id must be >= 0, not {since_id}")
        found: list[AnyEvent] = []
        for event in reversed(self._replay):
            if event.id <= since_id:
                break
            if topic_matches(pattern, event.topic):
                found.append(event)
        found.reverse()
        return Replay(tuple(found), self._evicted_upto <= since_id <= self._last_id)

    def close(self) -> None:
        """End every subscription (after what it has queued); drop every listener."""
        self._closed = True
        for sub in tuple(self._subs.values()):
            sub.end(CloseReason.BUS_CLOSED, "the bus is closed")
        self._listeners.clear()

    def stats(self) -> BusStats:
        subs = tuple(self._subs.values())
        return BusStats(
            last_id=self._last_id,
            published=sum(self._by_topic.values()),
            by_topic=dict(self._by_topic),
            subscriptions=tuple(
                SubscriptionStats(
                    s.id,
                    s.spec.name,
                    s.spec.pattern,
                    s.spec.overflow,
                    s.spec.maxsize,
                    len(s),
                    s.delivered,
                    s.dropped,
                )
                for s in subs
            ),
            listeners=tuple(
                ListenerStats(x.id, x.name, x.pattern, x.calls, x.errors)
                for x in self._listeners.values()
            ),
            dropped=self._dropped_by_ended + sum(s.dropped for s in subs),
            lost=dict(self._lost),
            cascade_dropped=self._cascade_dropped,
            replay_buffered=len(self._replay),
            closed=self._closed,
        )
