from __future__ import annotations

import math
import random

import pytest

from tokenradar.flow.due_queue import NEW_POOL, NORMAL, REQUESTED, DueQueue, GroupedDueQueue


def test_take_returns_the_most_overdue_first_and_fills_with_the_soonest_due() -> None:
    q: DueQueue[str] = DueQueue()
    q.schedule("later", 130.0)
    q.schedule("old", 50.0)
    q.schedule("older", 10.0)
    q.schedule("much_later", 900.0)
    assert q.take(3, now=100.0) == ["older", "old", "later"]
    assert len(q) == 1


def test_horizon_limits_how_far_ahead_a_batch_is_filled() -> None:
    q: DueQueue[str] = DueQueue()
    q.schedule("due", 90.0)
    q.schedule("soon", 105.0)
    q.schedule("far", 500.0)
    assert q.take(3, now=100.0, horizon=10.0) == ["due", "soon"]


def test_new_pools_and_requested_scans_jump_the_queue() -> None:
    q: DueQueue[str] = DueQueue()
    q.schedule("overdue", 0.0)
    q.schedule("scan", 100.0, REQUESTED)
    q.schedule("pool", 100.0, NEW_POOL)
    assert q.next_due() == -math.inf
    assert q.take(3, now=50.0) == ["pool", "scan", "overdue"]


def test_a_token_is_queued_once_and_keeps_its_more_urgent_place() -> None:
    q: DueQueue[str] = DueQueue()
    q.schedule("t", 100.0, REQUESTED)
    q.schedule("t", 50.0)  # a routine reschedule does not demote the scan request
    assert q.priority_of("t") == REQUESTED
    q.schedule("t", 40.0, REQUESTED)
    assert q.due_at("t") == 40.0
    assert len(q) == 1
    q.reschedule("t", 500.0)
    assert (q.priority_of("t"), q.due_at("t")) == (NORMAL, 500.0)
    assert q.take(5, now=0.0) == ["t"]


def test_removed_tokens_are_never_taken() -> None:
    q: DueQueue[int] = DueQueue()
    for i in range(10):
        q.schedule(i, float(i))
    for i in range(0, 10, 2):
        assert q.remove(i)
    assert not q.remove(0)
    assert q.take(10, now=100.0) == [1, 3, 5, 7, 9]


def test_matches_a_sorted_reference_under_random_operations() -> None:
    rng = random.Random(3)
    q: DueQueue[int] = DueQueue()
    ref: dict[int, tuple[int, float]] = {}
    for _ in range(5000):
        k = rng.randrange(300)
        op = rng.random()
        if op < 0.6:
            place = (rng.choice([NORMAL, NORMAL, REQUESTED]), rng.uniform(0, 1000))
            q.schedule(k, place[1], place[0])
            if k not in ref or place < ref[k]:
                ref[k] = place
        elif op < 0.8:
            assert q.remove(k) == (ref.pop(k, None) is not None)
        else:
            got = q.take(5, now=rng.uniform(0, 1000))
            want = sorted(ref, key=lambda key: ref[key])[: len(got)]
            assert [ref[g] for g in got] == [ref[w] for w in want]
            for g in got:
                del ref[g]
        assert len(q) == len(ref)


def test_memory_stays_proportional_to_live_tokens() -> None:
    q: DueQueue[int] = DueQueue()
    for round_ in range(20):
        for i in range(1000):
            q.schedule(i, float(round_ * 1000 - i), NORMAL if round_ % 2 else REQUESTED)
            q.reschedule(i, float(i))
    assert len(q) == 1000
    assert sum(len(h) for h in q._heaps.values()) <= 4 * 2048


def test_rejects_a_nan_due_time() -> None:
    with pytest.raises(ValueError, match="NaN"):
        DueQueue[str]().schedule("t", math.nan)


def test_wakes_its_lane_on_schedule() -> None:
    woken: list[int] = []
    q: DueQueue[str] = DueQueue(on_schedule=lambda: woken.append(1))
    q.schedule("a", 1.0)
    assert woken == [1]


def test_grouped_queue_takes_one_group_at_a_time_most_urgent_first() -> None:
    q: GroupedDueQueue[str] = GroupedDueQueue(lambda k: k.split(":")[0])
    q.schedule("sol:a", 10.0)
    q.schedule("eth:b", 5.0)
    q.schedule("sol:c", 6.0)
    q.schedule("eth:d", 50.0)
    assert q.take(5, now=100.0) == ["eth:b", "eth:d"]
    assert q.take(5, now=100.0) == ["sol:c", "sol:a"]
    assert len(q) == 0
    q.schedule("sol:z", 500.0)
    q.schedule("eth:y", 900.0, REQUESTED)
    assert q.take(1, now=0.0) == ["eth:y"]


def test_an_overdue_hot_token_goes_before_any_colder_one_however_overdue() -> None:
    # a budget that cannot cover every tier keeps the hot one fresh: cold waits
    from tokenradar.flow.due_queue import COLD, WARM

    q: DueQueue[str] = DueQueue()
    q.schedule("cold-very-late", 0.0, COLD)
    q.schedule("warm-late", 50.0, WARM)
    q.schedule("hot-just-due", 99.0, NORMAL)
    q.schedule("hot-later", 150.0, NORMAL)
    q.schedule("asked", 500.0, REQUESTED)
    assert q.take(3, now=100.0, horizon=0.0) == ["asked", "hot-just-due", "warm-late"]
    assert q.take(5, now=100.0, horizon=60.0) == ["cold-very-late", "hot-later"]
    assert q.takeable(5, now=100.0) == 0


def test_takeable_counts_what_take_would_return_across_bands() -> None:
    from tokenradar.flow.due_queue import COLD, WARM

    q: DueQueue[int] = DueQueue()
    for i in range(30):
        q.schedule(i, float(i), (NORMAL, WARM, COLD)[i % 3])
    q.schedule(99, 1e9, REQUESTED)
    for now, horizon in ((0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (100.0, None)):
        for n in (1, 5, 100):
            expected = len(_copy(q).take(n, now, horizon))
            assert q.takeable(n, now, horizon) == expected


def _copy(q: DueQueue[int]) -> DueQueue[int]:
    c: DueQueue[int] = DueQueue()
    for key in q:
        c.schedule(key, q.due_at(key) or 0.0, q.priority_of(key) or 0)
    return c
