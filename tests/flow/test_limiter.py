from __future__ import annotations

import asyncio

import pytest

from tokenradar.clock import FakeClock
from tokenradar.errors import RateLimited, UpstreamUnavailable
from tokenradar.flow.limiter import Limiter, LimitNode, Outcome
from tokenradar.settings import Rate


def rpc_limiter(clock: FakeClock, *, in_flight: int | None = None) -> Limiter:
    return Limiter(
        "rpc",
        root=LimitNode("host", Rate(10, 1.0), max_in_flight=in_flight),
        default=lambda method: LimitNode(method, Rate(4, 1.0)),
        clock=clock,
    )


def test_a_request_is_charged_to_the_host_and_its_method() -> None:
    lim = rpc_limiter(FakeClock())
    p = lim.try_acquire("getMultipleAccounts", 3)
    assert p is not None
    assert [n.name for n in p.nodes] == ["host", "getMultipleAccounts"]
    assert all(n.in_flight == 1 for n in p.nodes)
    lim.release(p, Outcome.SUCCESS)
    stats = {s.name: s for s in lim.stats()}
    assert stats["host"].used == 3
    assert stats["getMultipleAccounts"].used == 3


def test_the_method_limit_binds_before_the_host_limit() -> None:
    clock = FakeClock()
    lim = Limiter(
        "rpc",
        root=LimitNode("host", Rate(10, 1.0), policy=None),
        default=lambda m: LimitNode(m, Rate(4, 1.0)),
        clock=clock,
    )
    # pace aside (burst 1 spaces requests), the window decides: 4 per method per second
    sent = {"a": 0, "b": 0}
    for _ in range(200):
        for m in sent:
            p = lim.try_acquire(m)
            if p is not None:
                sent[m] += 1
                lim.release(p, Outcome.SUCCESS)
        clock.advance(0.01)
    # 2 s of time: at most 4 per method per 1 s window (+1 for the window edge at t=2)
    assert sent["a"] <= 9
    assert sent["b"] <= 9
    assert sent["a"] >= 7


def test_in_flight_cap_holds_requests_until_a_response() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        lim = rpc_limiter(clock, in_flight=1)
        first = await lim.acquire("a")
        waiter = asyncio.create_task(lim.acquire("b"))
        await clock.run_for(5.0)
        assert not waiter.done()
        lim.release(first, Outcome.FAILED)
        await clock.run_for(1.0)
        assert waiter.done()
        lim.release(waiter.result(), Outcome.SUCCESS)

    asyncio.run(scenario())


async def test_the_gate_pauses_every_endpoint_of_the_provider_after_a_429() -> None:
    clock = FakeClock()
    lim = rpc_limiter(clock)
    with pytest.raises(RateLimited):
        async with lim.gate("getTokenLargestAccounts"):
            raise RateLimited("solana_rpc", retry_after=2.0)
    start = clock.monotonic()
    sent_at: list[float] = []

    async def send() -> None:
        async with lim.gate("getMultipleAccounts"):
            sent_at.append(clock.monotonic())

    task = asyncio.create_task(send())
    await clock.run_for(3.0)
    await task
    assert sent_at[0] - start == pytest.approx(2.0)


async def test_the_gate_counts_other_failures_as_neutral() -> None:
    clock = FakeClock()
    lim = rpc_limiter(clock)
    with pytest.raises(UpstreamUnavailable):
        async with lim.gate("a"):
            raise UpstreamUnavailable("solana_rpc", "HTTP 503")
    host = {s.name: s for s in lim.stats()}["host"]
    assert host.rate_limited == 0
    assert host.paused_for == 0
    assert host.in_flight == 0


def test_endpoints_without_a_route_share_the_root() -> None:
    lim = Limiter("dex", routes={"tokens": LimitNode("tokens", Rate(300, 60))}, clock=FakeClock())
    assert [n.name for n in lim.path("tokens")] == ["tokens"]
    assert lim.path("profiles") == ()
    assert lim.try_acquire("profiles") is not None  # nothing configured: nothing limits
