"""The in-process event bus: topics, patterns, bounded subscriptions and replay.

Publishers (lanes, the scorer, the scheduler) say what happened; the API's
streams (SSE), the alerting and the metrics listen::

    bus = EventBus(clock=clock, replay_size=1024)
    bus.publish("token.scored", scored)            # sync; never waits for or fails by a consumer

    async with bus.subscribe("token.*", filter=lambda e: e.payload.score >= 80) as sub:
        async for event in sub:                    # Event(id, topic, payload, at), in id order
            ...

    bus.listen("lane.*", metrics.on_event)         # sync callback, run inside publish
    replay = bus.replay("token.*", since_id=last)  # Replay(events, complete): SSE Last-Event-ID
    bus.stats()                                    # queue depths, drops, publishes per topic
    bus.close()                                    # every subscription ends

**Topics** are dot-separated names from a small, fixed vocabulary
(``token.scored``, ``token.tier_changed``, ``token.decision_changed``,
``pool.created``, ``scan.progress``, ``lane.circuit_opened``, ``alert.<level>``,
``part.restarted``). Identifiers (addresses, scan ids) go in the payload, never
in the topic. Payloads should be frozen dataclasses or frozen pydantic models:
every consumer receives the same object. ``event.payload_as(Kind)`` narrows one.

**Patterns** (:mod:`tokenradar.events.topics`): an exact topic, or ``*`` as
whole segments. Inside a pattern ``*`` matches exactly one segment (``*.scored``
matches ``token.scored``); as the last segment it matches one or more
(``token.*`` matches ``token.scored`` but not ``token``, ``alert.*`` matches
``alert.lane.down``, ``*`` matches everything). Malformed patterns (``tok*``)
are :class:`~tokenradar.errors.InvalidInput`.

**Bounded queues.** Each subscription holds at most ``maxsize`` events. When an
event arrives at a full queue, its ``overflow`` policy decides, and ``dropped``
counts it: ``drop_oldest`` (the default: a live view wants the latest),
``drop_new`` (keeps a contiguous prefix), or ``disconnect`` (the bus ends the
subscription: its consumer gets what was queued, then :class:`SubscriptionLost`
whose ``last_id`` is the point to resume from with ``replay``). A consumer that
never reads costs at most ``maxsize`` events.

**Guards.** Filters and callbacks run inside ``publish``; nothing they raise
reaches the publisher. A raising *filter* is a bug in that consumer: it is
logged with its traceback and its subscription ends with reason
``filter_error`` (queued events, then ``SubscriptionLost``; counted in
``stats().lost``), because silently skipping events the consumer believes it
receives would be worse, and that consumer is a live task that can report it. A
raising *callback* has no task to tell, and detaching it would stop its sink
(metrics) without anyone noticing: it stays attached, its ``errors`` are
counted, and logged at the 1st, 2nd, 4th, 8th… failure so it cannot flood the log.

**Ending.** ``sub.close()`` (or leaving its ``with`` / ``async with`` block)
ends iteration at once and discards what was queued: the consumer said it is
done. ``bus.close()`` lets every subscription deliver what it had queued, then
end normally; subscribing afterwards gives a subscription that has ended.

**Order and ids.** Every consumer sees events in id order. Ids increase from 1
per bus (0 means "before everything"; they may skip, never repeat) and restart
with the process. A publish from inside a callback or filter is delivered after
the one in progress (so order holds), at most :data:`MAX_CASCADE` of them per
outer publish: a listener that re-publishes what it hears cannot hang the
publisher (the excess is logged and counted in ``stats().cascade_dropped``).

**Replay.** The bus keeps the last ``replay_size`` events.
``replay(pattern, since_id)`` returns the buffered matches after ``since_id``
and whether that is all of them (``complete``). Calling ``replay`` and
``subscribe`` with no ``await`` between them resumes a stream with no gap and
no duplicate, since the loop runs one thing at a time. Filters apply to live
events only; apply the same predicate to replayed ones.

The bus is not thread-safe: publish from the event loop's thread (from others:
``loop.call_soon_threadsafe(bus.publish, topic, payload)``).
"""

from tokenradar.events.bus import (
    MAX_CASCADE,
    BusStats,
    EventBus,
    ListenerStats,
    Replay,
    SubscriptionStats,
)
from tokenradar.events.subscription import (
    AnyEvent,
    CloseReason,
    Event,
    EventCallback,
    EventFilter,
    Listener,
    OverflowPolicy,
    Subscription,
    SubscriptionLost,
)
from tokenradar.events.topics import topic_matches, validate_pattern, validate_topic

__all__ = [
    "MAX_CASCADE",
    "AnyEvent",
    "BusStats",
    "CloseReason",
    "Event",
    "EventBus",
    "EventCallback",
    "EventFilter",
    "Listener",
    "ListenerStats",
    "OverflowPolicy",
    "Replay",
    "Subscription",
    "SubscriptionLost",
    "SubscriptionStats",
    "topic_matches",
    "validate_pattern",
    "validate_topic",
]
