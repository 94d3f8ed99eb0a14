"""The latency ring: exact nearest-rank percentiles over the last samples, in fixed memory."""

from __future__ import annotations

import random

import pytest

from tokenradar.flow.latency import NO_SAMPLES, LatencyRing


def test_percentiles_are_nearest_rank_over_the_samples() -> None:
    ring = LatencyRing(256)
    values = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms
    random.Random(3).shuffle(values)
    for v in values:
        ring.record(v)
    s = ring.summary()
    assert s.count == 100
    assert (s.p50, s.p95, s.p99, s.max) == (0.050, 0.095, 0.099, 0.100)


def test_the_ring_keeps_only_the_last_samples_and_never_grows() -> None:
    ring = LatencyRing(10)
    for i in range(1, 1001):
        ring.record(float(i))
    assert len(ring) == 10
    assert ring.total == 1000
    assert sorted(ring.values()) == [float(i) for i in range(991, 1001)]
    assert ring.summary().p50 == 995.0
    assert len(ring._samples) == 10  # the preallocated array, as built


def test_an_empty_ring_knows_nothing_and_a_negative_duration_counts_as_zero() -> None:
    ring = LatencyRing(4)
    assert ring.summary() == NO_SAMPLES
    assert ring.summary().p99 is None
    ring.record(-0.001)  # a clock step back must not make a negative latency
    assert ring.summary().max == 0.0
    with pytest.raises(ValueError, match="size"):
        LatencyRing(0)
