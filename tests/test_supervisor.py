"""Supervised parts: restarted with backoff, counted, reported; given up on when told."""

from __future__ import annotations

import asyncio

from tokenradar.clock import FakeClock
from tokenradar.supervisor import PartEvent, PartState, Supervisor


async def test_a_part_that_dies_is_restarted_with_a_doubling_backoff_and_reported() -> None:
    clock = FakeClock()
    events: list[PartEvent] = []
    runs: list[float] = []

    async def flaky() -> None:
        runs.append(clock.monotonic())
        if len(runs) <= 3:
            raise RuntimeError(f"boom {len(runs)}")
        await clock.sleep(3600)

    sup = Supervisor(clock=clock, on_event=events.append, backoff_first=1.0, backoff_max=60.0)
    sup.spawn("scorer", flaky)
    await clock.run_for(10.0)
    assert runs == [0.0, 1.0, 3.0, 7.0]  # 1, 2, 4 s apart
    assert [e.error for e in events] == [f"RuntimeError: boom {i}" for i in (1, 2, 3)]
    (stats,) = sup.stats()
    assert (stats.state, stats.restarts) == (PartState.RUNNING, 3)
    await sup.stop()
    assert sup.stats()[0].state is PartState.STOPPED


async def test_a_part_that_keeps_dying_is_given_up_on_and_that_is_reported() -> None:
    clock = FakeClock()
    events: list[PartEvent] = []

    async def broken() -> None:
        raise ValueError("bad config")

    sup = Supervisor(clock=clock, on_event=events.append, max_restarts=2)
    sup.spawn("writer", broken)
    await clock.run_for(30.0)
    assert sup.stats()[0].state is PartState.GAVE_UP
    assert events[-1].gave_up
    assert len(events) == 3


async def test_a_raising_event_listener_does_not_stop_the_restarts() -> None:
    clock = FakeClock()
    runs = 0

    def listener(event: PartEvent) -> None:
        raise RuntimeError("alert sink down")

    async def dies_twice() -> None:
        nonlocal runs
        runs += 1
        if runs <= 2:
            raise RuntimeError("x")
        await clock.sleep(3600)

    sup = Supervisor(clock=clock, on_event=listener)
    sup.spawn("part", dies_twice)
    await clock.run_for(10.0)
    assert runs == 3
    await sup.stop()


async def test_a_stuck_part_is_cancelled_and_started_again_on_request() -> None:
    clock = FakeClock()
    starts = 0

    async def hangs() -> None:
        nonlocal starts
        starts += 1
        await asyncio.Event().wait()

    sup = Supervisor(clock=clock)
    sup.spawn("lane", hangs)
    await clock.run_for(1.0)
    await sup.restart("lane", "no progress for 60 s")
    await clock.run_for(1.0)
    assert starts == 2
    assert sup.stats()[0].last_error == "stuck: no progress for 60 s"
    await sup.stop()
