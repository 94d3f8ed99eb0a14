"""DexScreener's profiles and boosts feeds, polled against the simulator on a fake clock.

The simulator and the client share one FakeClock, so minutes of polling take a
second or two and the server's rate-limit windows measure the same time the
client's budget does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tokenradar.clock import FakeClock
from tokenradar.discovery import BOOSTS, PROFILES, Discovery
from tokenradar.domain import TokenRef
from tokenradar.flow.budgets import provider_budgets
from tokenradar.service.topics import PoolCreated
from tokenradar.simulator import SimulatedMarket, run_simulator

from .conftest import Recorder, drive, settings_for, sim_config

#: both feeds asked for 10 times a second each: 20 times what the budget allows
FEEDS_ONLY = {"logs": False, "profiles_interval": "100ms", "boosts_interval": "100ms"}
FEED_ENDPOINTS = ("dexscreener.token_profiles", "dexscreener.token_boosts")


def listed(sim: SimulatedMarket) -> tuple[set[TokenRef], set[TokenRef]]:
    """What the two feeds list right now (as the simulator renders them)."""
    tau = sim.world.tau()
    profiles = [t.ref for t in sim.world.profile_feed if t.launched_at <= tau][:30]
    boosted = sorted((t for t in sim.world.all_tokens() if t.boost), key=lambda t: -t.launched_at)
    return set(profiles), {t.ref for t in boosted[:30]}


@asynccontextmanager
async def polling(
    sim: SimulatedMarket, clock: FakeClock, on_new: Any, **discovery: Any
) -> AsyncIterator[Discovery]:
    settings = settings_for(sim, **{**FEEDS_ONLY, **discovery})
    budget = provider_budgets(settings.providers, clock=clock)["dexscreener"]
    gates = {"dexscreener": budget.gate}
    async with Discovery(settings, on_new=on_new, gates=gates, clock=clock) as found:
        yield found


async def test_pollers_find_new_profiles_and_boosts_and_never_exceed_60_a_minute() -> None:
    clock = FakeClock()
    recorder = Recorder()
    async with run_simulator(sim_config(), clock=clock) as sim:
        profiles, boosts = listed(sim)
        async with polling(sim, clock, recorder) as found:
            await drive(clock, 60.0)
            assert set(recorder.tokens) == profiles | boosts
            launched = await sim.launches.burst(3)  # new launches head the profiles feed
            await drive(clock, 240.0)
            stats = found.stats()
        server = sim.stats()
    fresh = {t.ref for t in launched}
    assert {e.source for e in recorder.events if e.token in fresh} == {PROFILES}
    assert set(recorder.tokens) == profiles | boosts | fresh
    assert len(recorder.tokens) == len(set(recorder.tokens))  # each token handed on once
    # polite, counted by the server: never more than 60 in any minute, never refused
    assert server["limits"]["dexscreener.feeds"]["max_in_window"] <= 60
    received = sum(server["endpoints"][e]["received"] for e in FEED_ENDPOINTS)
    assert sum(server["endpoints"][e]["rate_limited"] for e in FEED_ENDPOINTS) == 0
    assert received >= 4 * 60  # ... and the budget was used: 5 minutes near 60 a minute
    assert stats[PROFILES].polls + stats[BOOSTS].polls == received
    overlap = profiles & boosts
    assert stats[PROFILES].new + stats[BOOSTS].new == len(profiles | boosts | fresh)
    assert stats[PROFILES].duplicates + stats[BOOSTS].duplicates == len(overlap)


async def test_a_failing_feed_is_counted_and_recovers() -> None:
    clock = FakeClock()
    recorder = Recorder()
    async with run_simulator(sim_config(), clock=clock) as sim:
        sim.inject("dexscreener", "503", duration=30.0)
        async with polling(sim, clock, recorder, boosts=False) as found:
            await drive(clock, 20.0)
            failing = found.stats()[PROFILES]
            assert recorder.events == []
            assert failing.errors >= 1
            assert "503" in str(failing.last_error)
            await drive(clock, 30.0)
            assert found.stats()[PROFILES].new == len(listed(sim)[0])
            assert [p.state.value for p in found.parts()] == ["running"]


async def test_a_callback_that_raises_does_not_stop_discovery() -> None:
    clock = FakeClock()
    seen: list[PoolCreated] = []

    def fragile(event: PoolCreated) -> None:
        seen.append(event)
        raise RuntimeError("the consumer has a bug")

    async with run_simulator(sim_config(), clock=clock) as sim:
        profiles, _ = listed(sim)
        async with polling(sim, clock, fragile, boosts=False) as found:
            await drive(clock, 5.0)
            first = len(seen)
            await sim.launches.burst(2)
            await drive(clock, 5.0)
            stats = found.stats()[PROFILES]
    assert first == len(profiles)
    assert len(seen) == first + 2  # the poller lived on and handed on the launches
    assert stats.callback_errors == len(seen)


async def test_known_tokens_are_duplicates_not_new() -> None:
    clock = FakeClock()
    recorder = Recorder()
    async with run_simulator(sim_config(), clock=clock) as sim:
        profiles, _ = listed(sim)
        tracked = sorted(profiles)[:5]
        async with polling(sim, clock, recorder, boosts=False) as found:
            found.mark_known(tracked)
            await drive(clock, 5.0)
            stats = found.stats()[PROFILES]
    assert set(recorder.tokens) == profiles - set(tracked)
    assert (stats.seen, stats.new, stats.duplicates) == (len(profiles), len(profiles) - 5, 5)
