"""A small, fast simulated market on loopback for every simulator test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tokenradar.clock import FakeClock
from tokenradar.simulator import SimConfig, SimulatedMarket, run_simulator

FAST = {"latency_median_ms": 0.0, "latency_p99_ms": 0.0, "launch_rate": 0.0}


def fast_config(**overrides: object) -> SimConfig:
    values: dict[str, object] = {"tokens": 60, "seed": 7, **FAST}
    values.update(overrides)
    return SimConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[SimulatedMarket]:
    """The public profile on a frozen clock: every request falls in the same limit window."""
    async with run_simulator(fast_config(), clock=clock) as market:
        yield market


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
