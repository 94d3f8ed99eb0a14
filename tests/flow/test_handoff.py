"""The coalescing hand-off: never blocks, stays bounded, keeps the newest, is fair."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import base58
import pytest

from tokenradar.clock import FakeClock
from tokenradar.domain import Facet, FacetKind, TokenRef, absent_facet
from tokenradar.errors import InvalidInput
from tokenradar.flow.handoff import Handoff, HandoffStats, facet_handoff

Item = tuple[int, float]  # (key, version)


def token(i: int) -> TokenRef:
    raw = (i + 1).to_bytes(8, "big") + b"\x09" * 24
    return TokenRef("solana", base58.b58encode(raw).decode())


A, B, C, D = (token(i) for i in range(4))


def facet(ref: TokenRef, at: float, kind: FacetKind = FacetKind.MARKET) -> Facet[Any]:
    return absent_facet(ref, kind, fetched_at=at, source="test")


def items_handoff(max_keys: int, *, versioned: bool = True) -> Handoff[int, Item]:
    return Handoff(
        key=lambda item: item[0],
        version=(lambda item: item[1]) if versioned else None,
        max_keys=max_keys,
    )


def balanced(stats: HandoffStats) -> bool:
    accounted = stats.pending + stats.delivered + stats.coalesced + stats.dropped + stats.rejected
    return stats.received == accounted


# -- never blocks, stays bounded --------------------------------------------------------


def test_a_million_puts_without_a_consumer_keep_only_max_keys_and_count_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handoff = items_handoff(max_keys=1000)
    with caplog.at_level(logging.WARNING, logger="tokenradar.flow.handoff"):
        for i in range(1_000_000):
            handoff.put((i, 0.0))  # a new key every time: the worst case for memory
    stats = handoff.stats()
    assert (stats.pending, stats.high_water) == (1000, 1000)
    assert stats.dropped == 999_000
    assert stats.received == 1_000_000
    assert balanced(stats)
    # the oldest keys gave way; the newest thousand are pending, in order
    assert [k for k, _ in handoff.take_nowait(1000)] == list(range(999_000, 1_000_000))
    # drops are logged, but at powers of two only (about 20 lines, not a million)
    assert 1 <= len(caplog.records) <= 21


def test_repeated_keys_coalesce_instead_of_queueing() -> None:
    handoff = items_handoff(max_keys=1000)
    for i in range(200_000):
        handoff.put((i % 100, float(i)))
    stats = handoff.stats()
    assert (stats.pending, stats.coalesced, stats.dropped) == (100, 199_900, 0)
    assert balanced(stats)
    assert [v for _, v in handoff.take_nowait(100)] == [float(199_900 + k) for k in range(100)]


# -- coalescing -------------------------------------------------------------------------


def test_a_newer_facet_replaces_the_pending_one_of_its_token_and_kind() -> None:
    handoff = facet_handoff(max_keys=10)
    handoff.put_many([facet(A, 10.0), facet(A, 20.0), facet(A, 5.0, FacetKind.PRICE)])
    got = handoff.take_nowait(10)
    assert [(f.kind, f.fetched_at) for f in got] == [
        (FacetKind.MARKET, 20.0),
        (FacetKind.PRICE, 5.0),  # another kind is another key
    ]
    assert handoff.stats().coalesced == 1


def test_an_older_facet_arriving_late_does_not_replace_a_newer_pending_one() -> None:
    handoff = facet_handoff(max_keys=10)
    newer = facet(A, 20.0)
    handoff.put(newer)
    handoff.put(facet(A, 10.0))
    assert handoff.take_nowait(10) == [newer]
    stats = handoff.stats()
    assert (stats.coalesced, stats.delivered) == (1, 1)
    assert balanced(stats)


def test_on_equal_fetched_at_the_later_put_wins() -> None:
    handoff = facet_handoff(max_keys=10)
    first = absent_facet(A, FacetKind.MARKET, fetched_at=5.0, source="first")
    second = absent_facet(A, FacetKind.MARKET, fetched_at=5.0, source="second")
    handoff.put_many([first, second])
    assert [f.source for f in handoff.take_nowait(10)] == ["second"]


def test_without_a_version_the_last_put_wins_even_if_it_looks_older() -> None:
    plain = items_handoff(max_keys=10, versioned=False)
    plain.put_many([(1, 9.0), (1, 1.0)])
    assert plain.take_nowait(10) == [(1, 1.0)]


def test_a_delivered_key_is_forgotten_so_it_can_come_again() -> None:
    handoff = facet_handoff(max_keys=10)
    handoff.put(facet(A, 20.0))
    handoff.take_nowait(1)
    late = facet(A, 10.0)
    handoff.put(late)  # the consumer must be newer-wins itself (documented)
    assert handoff.take_nowait(1) == [late]


# -- order and fairness -----------------------------------------------------------------


def test_keys_leave_in_the_order_they_arrived_so_a_busy_token_cannot_starve_others() -> None:
    handoff = facet_handoff(max_keys=10)
    handoff.put_many([facet(A, 0.0), facet(B, 0.0), facet(C, 0.0)])
    handoff.put_many(facet(A, float(t)) for t in range(1, 101))  # A updates constantly
    first = handoff.take_nowait(2)
    assert [(f.token, f.fetched_at) for f in first] == [(A, 100.0), (B, 0.0)]
    handoff.put_many([facet(A, 101.0), facet(D, 0.0), facet(A, 102.0)])
    rest = handoff.take_nowait(10)
    assert [(f.token, f.fetched_at) for f in rest] == [(C, 0.0), (A, 102.0), (D, 0.0)]


def test_when_full_the_oldest_pending_key_gives_way_to_a_new_one() -> None:
    handoff = facet_handoff(max_keys=2)
    handoff.put_many([facet(A, 0.0), facet(B, 0.0)])
    handoff.put(facet(A, 1.0))  # coalescing never drops
    assert handoff.stats().dropped == 0
    handoff.put(facet(C, 0.0))  # new key, full: A (oldest) goes
    assert [f.token for f in handoff.take_nowait(10)] == [B, C]
    assert handoff.stats().dropped == 1


async def test_a_slow_consumer_drops_only_from_its_own_handoff() -> None:
    fast, slow = items_handoff(max_keys=10), items_handoff(max_keys=10)
    for i in range(100):
        for handoff in (fast, slow):
            handoff.put((i, 0.0))
        assert len(await fast.get_batch(10)) == 1
    assert fast.stats().dropped == 0
    assert fast.stats().delivered == 100
    assert slow.stats().dropped == 90


# -- the consumer side ------------------------------------------------------------------


async def test_a_waiting_consumer_is_woken_by_a_put() -> None:
    handoff = items_handoff(max_keys=10)
    waiting = asyncio.create_task(handoff.get_batch(10))
    await asyncio.sleep(0)
    assert not waiting.done()
    handoff.put_many([(1, 0.0), (2, 0.0)])
    assert await asyncio.wait_for(waiting, 1) == [(1, 0.0), (2, 0.0)]


async def test_get_batch_returns_at_most_max_items() -> None:
    handoff = items_handoff(max_keys=10)
    handoff.put_many((i, 0.0) for i in range(5))
    assert [len(await handoff.get_batch(2)) for _ in range(3)] == [2, 2, 1]


async def test_a_timed_out_get_loses_nothing() -> None:
    handoff = items_handoff(max_keys=10)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(handoff.get_batch(10), 0.01)
    handoff.put((1, 0.0))
    assert await handoff.get_batch(10) == [(1, 0.0)]


async def test_close_lets_the_consumer_drain_then_returns_empty() -> None:
    handoff = items_handoff(max_keys=10)
    handoff.put_many((i, 0.0) for i in range(5))
    handoff.close()
    batches: list[list[Item]] = []
    while batch := await handoff.get_batch(2):
        batches.append(batch)
    assert [len(b) for b in batches] == [2, 2, 1]
    assert await handoff.get_batch(2) == []  # and stays ended
    handoff.put((9, 0.0))  # a lane landing during shutdown: no exception
    stats = handoff.stats()
    assert (stats.rejected, stats.pending, stats.closed) == (1, 0, True)
    assert balanced(stats)


async def test_close_wakes_a_waiting_consumer_with_empty() -> None:
    handoff = items_handoff(max_keys=10)
    waiting = asyncio.create_task(handoff.get_batch(10))
    await asyncio.sleep(0)
    handoff.close()
    assert await asyncio.wait_for(waiting, 1) == []


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="max_keys"):
        items_handoff(max_keys=0)
    with pytest.raises(InvalidInput, match="max_items"):
        items_handoff(max_keys=1).take_nowait(0)


# -- the producer is not slowed ---------------------------------------------------------

PER_ITERATION = 50


async def run_producer(
    clock: FakeClock, deliver: Callable[[Sequence[Item]], Awaitable[None]], seconds: float
) -> list[int]:
    """A lane-like loop for ``seconds`` of fake time: each iteration lands 50 items."""
    landed: list[int] = []

    async def loop() -> None:
        i = 0
        while True:
            batch = [((i * PER_ITERATION + j) % 500, float(i)) for j in range(PER_ITERATION)]
            await deliver(batch)
            landed.append(len(batch))
            i += 1
            await clock.sleep(0.01)  # the lane's own pacing

    task = asyncio.create_task(loop())
    await clock.run_for(seconds)
    task.cancel()
    return landed


async def test_a_producer_keeps_its_pace_while_the_consumer_sleeps_half_a_second_per_batch() -> (
    None
):
    clock = FakeClock()
    handoff = items_handoff(max_keys=1000)
    batches: list[int] = []

    async def slow_consumer() -> None:
        while batch := await handoff.get_batch(100):
            batches.append(len(batch))
            await clock.sleep(0.5)

    consumer = asyncio.create_task(slow_consumer())

    async def hand_over(items: Sequence[Item]) -> None:
        handoff.put_many(items)

    landed = await run_producer(clock, hand_over, seconds=2.0)
    batches_meanwhile = len(batches)
    handoff.close()
    await clock.run_for(5.0)  # the consumer finishes its nap, drains the rest, and ends
    await asyncio.wait_for(consumer, 1)

    # ~200 iterations of 10 ms in 2 s, every one landing its 50 items
    assert len(landed) >= 195
    assert set(landed) == {PER_ITERATION}
    assert 4 <= batches_meanwhile <= 5  # the consumer really was slow
    stats = handoff.stats()
    assert stats.pending == 0  # drained after close
    assert stats.dropped == 0  # 500 keys fit in max_keys: coalescing bounded it
    assert stats.high_water <= 500
    assert balanced(stats)

    # The same loop awaiting that consumer inline (the old sink design) is throttled
    # to the consumer's pace, which is what this measure detects.
    async def inline_sink(items: Sequence[Item]) -> None:
        await clock.sleep(0.5)

    throttled = await run_producer(FakeClock(), inline_sink, seconds=2.0)
    assert len(throttled) <= 5
