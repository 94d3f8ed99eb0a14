"""The naive baseline of ``tokenradar bench budget`` is the original design's limiter."""

from __future__ import annotations

import asyncio

import pytest

from tokenradar.bench.budget import run_budget_bench
from tokenradar.bench.naive import ErrorRateAimd
from tokenradar.clock import FakeClock
from tokenradar.errors import InvalidInput


def test_aimd_starts_at_10_adds_5_below_2_percent_and_takes_10_above_5() -> None:
    clock = FakeClock()
    aimd = ErrorRateAimd(clock)
    assert aimd.rate == 10
    for _ in range(100):
        aimd.record(ok=True)
    clock.advance(1.0)
    aimd.record(ok=True)
    assert aimd.rate == 15
    for _ in range(97):
        aimd.record(ok=True)
    for _ in range(3):
        aimd.record(ok=False)  # 3 % errors: hold
    clock.advance(1.0)
    aimd.record(ok=True)
    assert aimd.rate == 15
    for _ in range(10):
        aimd.record(ok=False)
    clock.advance(1.0)
    aimd.record(ok=False)
    assert aimd.rate == 5
    clock.advance(1.0)
    aimd.record(ok=False)
    assert aimd.rate == 1  # never below 1 req/s


async def test_aimd_paces_at_its_rate() -> None:
    clock = FakeClock()
    aimd = ErrorRateAimd(clock, start=4.0)
    starts: list[float] = []

    async def send() -> None:
        await aimd.acquire()
        starts.append(clock.monotonic())

    tasks = [asyncio.create_task(send()) for _ in range(3)]
    await clock.run_for(1.0)
    await asyncio.gather(*tasks)
    assert starts == pytest.approx([0.0, 0.25, 0.5])


async def test_the_bench_refuses_a_universe_that_runs_out_before_the_end() -> None:
    with pytest.raises(InvalidInput, match="at least"):
        await run_budget_bench(tokens=100, seconds=60)
