"""The event bus: patterns, filters, bounded queues, guards, replay, ordering, ending."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest

from tokenradar.clock import FakeClock
from tokenradar.errors import InvalidInput
from tokenradar.events import (
    MAX_CASCADE,
    AnyEvent,
    CloseReason,
    EventBus,
    Replay,
    Subscription,
    SubscriptionLost,
    topic_matches,
)


@dataclass(frozen=True)
class Scored:
    score: int


def drain(sub: Subscription) -> list[AnyEvent]:
    return sub.take_nowait()


async def collect(sub: Subscription) -> list[AnyEvent]:
    return [event async for event in sub]


# -- patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("token.scored", "token.scored", True),
        ("token.scored", "token.tier_changed", False),
        ("token.scored", "token.scored.extra", False),
        ("token", "token.scored", False),
        ("token.*", "token.scored", True),
        ("token.*", "token.tier_changed", True),
        ("token.*", "token", False),
        ("token.*", "pool.created", False),
        ("token.*", "tokens.scored", False),
        ("*", "token.scored", True),
        ("*", "pool", True),
        ("*", "alert.lane.down", True),
        ("alert.*", "alert.critical", True),
        ("alert.*", "alert.lane.down", True),
        ("*.scored", "token.scored", True),
        ("*.scored", "token.x.scored", False),
        ("*.scored", "token.tier_changed", False),
        ("lane.*.opened", "lane.market.opened", True),
        ("lane.*.opened", "lane.market.closed", False),
        ("*.*", "token.scored", True),
        ("*.*", "token", False),
    ],
)
def test_pattern_table(pattern: str, topic: str, matches: bool) -> None:
    assert topic_matches(pattern, topic) is matches


@pytest.mark.parametrize("pattern", ["", "tok*", "token.", ".token", "token..scored", "a b", "**"])
def test_malformed_patterns_are_rejected_with_the_reason(pattern: str) -> None:
    bus = EventBus()
    with pytest.raises(InvalidInput, match="bad event pattern"):
        bus.subscribe(pattern)
    with pytest.raises(InvalidInput, match="bad event pattern"):
        bus.listen(pattern, lambda e: None)


@pytest.mark.parametrize("topic", ["", "token.*", "*", "a..b", "token.scored "])
def test_publishing_a_malformed_topic_is_the_publishers_error(topic: str) -> None:
    with pytest.raises(InvalidInput, match="bad event topic"):
        EventBus().publish(topic, None)


async def test_a_subscription_gets_only_matching_topics_in_order_with_ids_and_clock_time() -> None:
    clock = FakeClock(start=1000.0)
    bus = EventBus(clock=clock)
    sub = bus.subscribe("token.*")
    bus.publish("token.scored", Scored(1))
    clock.advance(2.5)
    bus.publish("pool.created", "pool")
    bus.publish("token.tier_changed", Scored(2))
    got = drain(sub)
    assert [(e.id, e.topic, e.payload, e.at) for e in got] == [
        (1, "token.scored", Scored(1), 1000.0),
        (3, "token.tier_changed", Scored(2), 1002.5),
    ]


def test_payload_as_narrows_or_says_what_the_payload_is() -> None:
    event = EventBus().publish("token.scored", Scored(7))
    assert event.payload_as(Scored).score == 7
    with pytest.raises(TypeError, match="carries Scored, not str"):
        event.payload_as(str)


# -- filters and guards -----------------------------------------------------------------


async def test_a_filter_selects_events_in_the_publisher() -> None:
    bus = EventBus()
    sub = bus.subscribe("token.scored", filter=lambda e: e.payload.score >= 80)
    for score in (10, 90, 79, 80):
        bus.publish("token.scored", Scored(score))
    assert [e.payload.score for e in drain(sub)] == [90, 80]
    assert bus.stats().subscriptions[0].dropped == 0  # filtered out is not dropped


async def test_a_raising_filter_ends_its_subscription_with_the_reason_and_nobody_else_notices(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    broken = bus.subscribe("*", filter=lambda e: e.payload.score > 50, name="broken")
    healthy = bus.subscribe("*")
    bus.publish("token.scored", Scored(60))
    with caplog.at_level(logging.ERROR, logger="tokenradar.events"):
        bus.publish("pool.created", "no score here")  # the filter raises AttributeError
    bus.publish("token.scored", Scored(70))

    # the consumer gets what was queued before the failure, then the reason
    assert (await anext(broken)).id == 1
    with pytest.raises(SubscriptionLost) as lost:
        await anext(broken)
    assert lost.value.reason is CloseReason.FILTER_ERROR
    assert lost.value.last_id == 1
    assert "AttributeError" in lost.value.detail
    assert "filter of subscription broken raised" in caplog.text
    assert [e.id for e in drain(healthy)] == [1, 2, 3]
    stats = bus.stats()
    assert stats.filter_errors == 1
    assert [s.name for s in stats.subscriptions] == ["sub-2"]


async def test_a_raising_callback_never_reaches_publish_and_the_listener_keeps_working(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    seen: list[int] = []

    def flaky(event: AnyEvent) -> None:
        seen.append(event.id)
        if event.payload.score < 0:
            raise ValueError("negative")

    bus.listen("token.*", flaky, name="metrics")
    with caplog.at_level(logging.ERROR, logger="tokenradar.events"):
        for _ in range(10):
            bus.publish("token.scored", Scored(-1))
        bus.publish("token.scored", Scored(5))
    assert seen == list(range(1, 12))
    (listener,) = bus.stats().listeners
    assert (listener.name, listener.calls, listener.errors) == ("metrics", 11, 10)
    # logged at the 1st, 2nd, 4th and 8th failure, not ten times
    assert len([r for r in caplog.records if "metrics raised" in r.message]) == 4


def test_a_listener_runs_synchronously_inside_publish_and_can_be_closed() -> None:
    bus = EventBus()
    seen: list[str] = []
    listener = bus.listen("alert.*", lambda e: seen.append(e.topic))
    bus.publish("alert.critical", None)
    assert seen == ["alert.critical"]  # before publish returned
    listener.close()
    bus.publish("alert.critical", None)
    assert seen == ["alert.critical"]
    assert bus.stats().listeners == ()


# -- bounded queues ---------------------------------------------------------------------


def test_a_subscriber_that_never_reads_holds_at_most_maxsize_events() -> None:
    bus = EventBus(replay_size=10)
    sub = bus.subscribe("token.*", maxsize=100)
    for i in range(100_000):
        bus.publish("token.scored", i)
    assert len(sub) == 100
    assert sub.dropped == 99_900
    assert [e.payload for e in drain(sub)] == list(range(99_900, 100_000))  # drop_oldest
    stats = bus.stats()
    assert stats.dropped == 99_900
    assert stats.replay_buffered == 10
    assert stats.by_topic == {"token.scored": 100_000}


def test_drop_new_keeps_the_first_events_and_counts_the_rest() -> None:
    bus = EventBus()
    sub = bus.subscribe("*", maxsize=3, overflow="drop_new")
    for i in range(10):
        bus.publish("scan.progress", i)
    assert [e.payload for e in drain(sub)] == [0, 1, 2]
    assert sub.dropped == 7


async def test_disconnect_delivers_the_queue_then_ends_with_the_resume_point() -> None:
    bus = EventBus()
    sub = bus.subscribe("token.*", maxsize=3, overflow="disconnect")
    for i in range(5):
        bus.publish("token.scored", i)
    received = [(await anext(sub)).payload for _ in range(3)]
    assert received == [0, 1, 2]
    with pytest.raises(SubscriptionLost) as lost:
        await anext(sub)
    assert lost.value.reason is CloseReason.OVERFLOW
    assert lost.value.last_id == 3
    assert sub.dropped == 1  # the event that did not fit; later ones were not for it
    stats = bus.stats()
    assert stats.subscriptions == ()
    assert stats.lost == {"overflow": 1}
    assert stats.dropped == 1
    # the client resumes from last_id and misses nothing
    resumed = bus.replay("token.*", since_id=lost.value.last_id)
    assert resumed.complete
    assert [e.payload for e in resumed.events] == [3, 4]


def test_bad_queue_settings_are_rejected() -> None:
    bus = EventBus()
    with pytest.raises(InvalidInput, match="maxsize"):
        bus.subscribe("*", maxsize=0)
    with pytest.raises(InvalidInput, match="overflow must be one of"):
        bus.subscribe("*", overflow="block")  # type: ignore[arg-type]


# -- waiting, ending --------------------------------------------------------------------


async def test_a_waiting_consumer_is_woken_by_a_publish() -> None:
    bus = EventBus()
    sub = bus.subscribe("pool.*")
    waiting = asyncio.create_task(anext(sub))
    await asyncio.sleep(0)
    assert not waiting.done()
    bus.publish("pool.created", "P")
    assert (await asyncio.wait_for(waiting, 1)).payload == "P"


async def test_a_timed_out_read_loses_no_event() -> None:
    bus = EventBus()
    sub = bus.subscribe("*")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(sub), 0.01)  # an SSE keep-alive tick
    bus.publish("scan.progress", 1)
    assert (await anext(sub)).payload == 1
    assert sub.delivered == 1


async def test_closing_the_bus_delivers_what_was_queued_then_ends_every_iteration() -> None:
    bus = EventBus()
    busy = bus.subscribe("*")
    idle = bus.subscribe("pool.*")
    bus.publish("token.scored", 1)
    bus.publish("token.scored", 2)
    tasks = [asyncio.create_task(collect(busy)), asyncio.create_task(collect(idle))]
    await asyncio.sleep(0)
    bus.close()
    got_busy, got_idle = await asyncio.wait_for(asyncio.gather(*tasks), 1)
    assert [e.payload for e in got_busy] == [1, 2]
    assert got_idle == []
    assert busy.reason is CloseReason.BUS_CLOSED
    assert bus.stats().subscriptions == ()
    bus.publish("token.scored", 3)  # publishers keep going during shutdown
    late = bus.subscribe("*")
    assert late.closed
    assert await collect(late) == []


async def test_closing_a_subscription_ends_it_at_once_and_discards_its_queue() -> None:
    bus = EventBus()
    sub = bus.subscribe("*")
    waiting = asyncio.create_task(collect(sub))
    await asyncio.sleep(0)
    bus.publish("token.scored", 1)
    sub.close()
    assert await asyncio.wait_for(waiting, 1) == []
    bus.publish("token.scored", 2)
    assert len(sub) == 0
    assert bus.stats().subscriptions == ()


async def test_leaving_the_context_closes_the_subscription() -> None:
    bus = EventBus()
    async with bus.subscribe("*") as sub:
        bus.publish("token.scored", 1)
        assert (await anext(sub)).payload == 1
    assert sub.reason is CloseReason.CLOSED
    with bus.subscribe("*") as other:
        assert not other.closed
    assert other.closed
    assert bus.stats().subscriptions == ()


# -- replay -----------------------------------------------------------------------------


def test_replay_returns_matching_events_after_an_id() -> None:
    bus = EventBus(replay_size=100)
    for i in range(6):
        bus.publish("token.scored" if i % 2 else "pool.created", i)
    replay = bus.replay("token.*", since_id=2)
    assert [(e.id, e.payload) for e in replay.events] == [(4, 3), (6, 5)]
    assert replay.complete
    assert bus.replay("*", since_id=6) == Replay((), True)  # nothing new, nothing lost


def test_replay_says_when_events_after_the_cursor_are_gone() -> None:
    bus = EventBus(replay_size=3)
    for i in range(10):
        bus.publish("token.scored", i)
    old = bus.replay("*", since_id=2)
    assert [e.id for e in old.events] == [8, 9, 10]
    assert not old.complete  # ids 3..7 fell out of the buffer
    assert bus.replay("*", since_id=7).complete
    assert not bus.replay("*", since_id=50).complete  # a cursor from another bus / process
    with pytest.raises(InvalidInput):
        bus.replay("*", since_id=-1)


def test_a_bus_without_replay_buffer_never_claims_a_complete_resume() -> None:
    bus = EventBus(replay_size=0)
    bus.publish("token.scored", 1)
    assert bus.replay("*", since_id=0) == Replay((), False)
    assert bus.replay("*", since_id=1).complete


async def test_replay_then_subscribe_resumes_without_gap_or_duplicate() -> None:
    bus = EventBus()
    for i in range(5):
        bus.publish("token.scored", i)
    last_seen = 2
    backlog = bus.replay("token.*", since_id=last_seen)  # no await between these two
    sub = bus.subscribe("token.*")
    for i in range(5, 8):
        bus.publish("token.scored", i)
    ids = [e.id for e in backlog.events] + [e.id for e in drain(sub)]
    assert ids == list(range(3, 9))


# -- ordering ---------------------------------------------------------------------------


def test_a_publish_from_a_listener_is_delivered_after_the_one_in_progress() -> None:
    bus = EventBus()
    sub = bus.subscribe("*")
    bus.listen("token.scored", lambda e: bus.publish("token.tier_changed", e.payload))
    heard: list[AnyEvent] = []
    bus.listen("*", heard.append)  # runs after the publishing listener
    for i in range(3):
        bus.publish("token.scored", i)
    for got in (drain(sub), heard):
        assert [e.id for e in got] == [1, 2, 3, 4, 5, 6]
        assert [e.topic.split(".")[1] for e in got] == ["scored", "tier_changed"] * 3


def test_a_publish_from_a_filter_keeps_order_for_later_subscribers() -> None:
    bus = EventBus()

    def announcing(event: AnyEvent) -> bool:
        if event.topic == "token.scored":
            bus.publish("token.tier_changed", event.payload)
        return True

    bus.subscribe("*", filter=announcing)
    later = bus.subscribe("*")
    bus.publish("token.scored", 0)
    assert [e.id for e in drain(later)] == [1, 2]


def test_a_listener_that_echoes_itself_cannot_hang_the_publisher() -> None:
    bus = EventBus(replay_size=10)
    bus.listen("echo", lambda e: bus.publish("echo", e.payload + 1))
    event = bus.publish("echo", 0)
    assert event.id == 1
    stats = bus.stats()
    assert stats.published == 1 + MAX_CASCADE
    assert stats.cascade_dropped == 1
    bus.publish("other", 0)  # the bus is usable afterwards
    assert bus.stats().published == 2 + MAX_CASCADE


async def test_each_subscriber_sees_events_in_publish_order_across_waits() -> None:
    bus = EventBus()
    subs = [bus.subscribe("*", maxsize=10_000) for _ in range(3)]
    readers = [asyncio.create_task(collect(s)) for s in subs]
    for i in range(500):
        bus.publish("token.scored" if i % 3 else "pool.created", i)
        if i % 7 == 0:
            await asyncio.sleep(0)
    bus.close()
    for got in await asyncio.gather(*readers):
        assert [e.payload for e in got] == list(range(500))


# -- stats ------------------------------------------------------------------------------


def test_take_nowait_reads_what_is_queued_and_moves_the_resume_point() -> None:
    bus = EventBus()
    sub = bus.subscribe("*")
    assert sub.take_nowait() == []
    for i in range(5):
        bus.publish("scan.progress", i)
    assert [e.payload for e in sub.take_nowait(2)] == [0, 1]
    assert (sub.delivered, sub.last_id, len(sub)) == (2, 2, 3)
    assert [e.payload for e in sub.take_nowait()] == [2, 3, 4]
    assert sub.last_id == 5


async def test_stats_report_depth_delivered_and_dropped_per_subscription() -> None:
    bus = EventBus()
    sub = bus.subscribe("token.*", maxsize=2, name="sse-1")
    for i in range(5):
        bus.publish("token.scored", i)
    bus.publish("pool.created", None)
    await anext(sub)
    stats = bus.stats()
    (s,) = stats.subscriptions
    assert (s.name, s.pattern, s.queued, s.delivered, s.dropped) == ("sse-1", "token.*", 1, 1, 3)
    assert stats.by_topic == {"token.scored": 5, "pool.created": 1}
    assert (stats.published, stats.last_id, stats.dropped) == (6, 6, 3)
    sub.close()
    assert bus.stats().dropped == 3  # still counted once the subscription is gone
