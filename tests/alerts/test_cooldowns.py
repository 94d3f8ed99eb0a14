"""Cooldowns in memory: one firing per key per cooldown, bounded memory."""

from __future__ import annotations

from tokenradar.alerts.cooldowns import Cooldowns

NOW = 1_800_000_000.0


def test_a_key_fires_once_per_cooldown() -> None:
    c = Cooldowns(max_keys=100, horizon=600)
    assert c.try_fire("circuit:a", 600, NOW)
    assert not c.try_fire("circuit:a", 600, NOW + 599.9)
    assert c.try_fire("circuit:a", 600, NOW + 600)
    # the cooldown runs from the last firing, not from the first suppressed repeat
    assert not c.try_fire("circuit:a", 600, NOW + 1199)
    assert c.try_fire("circuit:a", 600, NOW + 1200)


def test_keys_are_independent() -> None:
    c = Cooldowns(max_keys=100, horizon=600)
    assert c.try_fire("circuit:a", 600, NOW)
    assert c.try_fire("circuit:b", 600, NOW)


def test_loaded_firings_suppress_repeats_after_a_restart() -> None:
    c = Cooldowns(max_keys=100, horizon=3600)
    assert c.load([("tier:x:hot", NOW - 100), ("buy:y", NOW - 4000)]) == 2
    assert not c.try_fire("tier:x:hot", 1800, NOW)
    assert c.try_fire("buy:y", 3600, NOW)


def test_a_clock_stepped_back_suppresses_rather_than_repeats() -> None:
    c = Cooldowns(max_keys=100, horizon=600)
    assert c.try_fire("k", 600, NOW)
    assert not c.try_fire("k", 600, NOW - 30)


def test_keys_older_than_the_longest_cooldown_are_forgotten() -> None:
    c = Cooldowns(max_keys=1000, horizon=60)
    for i in range(100):
        c.try_fire(f"k{i}", 60, NOW + i)
    # at NOW+99 only the keys of the last minute are still in their cooldown
    assert len(c) <= 61
    assert c.last_fired("k0") is None
    assert c.last_fired("k99") == NOW + 99
    assert c.evicted == 0


def test_memory_is_capped_by_forgetting_the_oldest_keys_first() -> None:
    c = Cooldowns(max_keys=100, horizon=86400)
    for i in range(250):
        c.try_fire(f"k{i}", 3600, NOW + i)
    assert len(c) == 100
    assert c.evicted == 150
    assert c.last_fired("k149") is None
    assert c.last_fired("k150") is not None
    # a refired key moves to the back and is not the next to go
    assert c.try_fire("k150", 1, NOW + 1000)
    c.try_fire("new", 3600, NOW + 1001)
    assert c.last_fired("k150") == NOW + 1000
    assert c.last_fired("k151") is None
