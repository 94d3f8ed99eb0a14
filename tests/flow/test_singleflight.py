from __future__ import annotations

import asyncio

import pytest

from tokenradar.flow.singleflight import SingleFlight


async def test_concurrent_callers_share_one_fetch() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    calls = 0
    gate = asyncio.Event()

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    tasks = [asyncio.create_task(flights.do("holders:T", fetch)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*tasks) == [42] * 5
    assert calls == 1
    assert len(flights) == 0


async def test_a_failed_flight_fails_every_waiter_and_the_next_call_fetches_again() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    gate = asyncio.Event()

    async def boom() -> int:
        await gate.wait()
        raise TimeoutError("upstream")

    tasks = [asyncio.create_task(flights.do("k", boom)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, TimeoutError) for r in results)

    async def ok() -> int:
        return 1

    assert await flights.do("k", ok) == 1


async def test_join_tells_the_leader_apart() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    fut, leader = flights.join("k")
    again, second = flights.join("k")
    assert leader
    assert not second
    assert fut is again
    assert flights.land("k", 7)
    assert await fut == 7
    assert not flights.land("k", 8)


async def test_abort_all_fails_pending_flights() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    fut, _ = flights.join("a")
    flights.abort_all(RuntimeError("engine stopped"))
    with pytest.raises(RuntimeError, match="engine stopped"):
        await fut
