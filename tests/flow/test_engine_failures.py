"""How lanes behave when the upstream says slow down, or falls over."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import base58
import pytest
from aiohttp import web

from tokenradar.domain import FacetKind, FacetState, Tier, TokenRef
from tokenradar.flow.breaker import BreakerConfig, BreakerEvent, BreakerState
from tokenradar.flow.engine import Engine
from tokenradar.flow.retry import RetryPolicy
from tokenradar.flow.scan import ResultStatus
from tokenradar.settings import Settings
from tokenradar.simulator.server import run_simulator

from .conftest import endpoint, settings_for, sim_config


def random_tokens(n: int) -> list[TokenRef]:
    return [TokenRef("solana", base58.b58encode(os.urandom(32)).decode()) for _ in range(n)]


@pytest.fixture
async def dexscreener_429_once() -> AsyncIterator[tuple[str, list[float], list[float]]]:
    """A DexScreener stand-in: the first request gets ``429, Retry-After: 2``, the rest ``[]``."""
    arrivals: list[float] = []
    limited_at: list[float] = []

    async def tokens(request: web.Request) -> web.Response:
        arrivals.append(time.monotonic())
        if not limited_at:
            limited_at.append(time.monotonic())
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "2"})
        return web.json_response([])

    app = web.Application()
    app.router.add_get("/tokens/v1/{chain}/{addresses}", tokens)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", arrivals, limited_at
    finally:
        await runner.cleanup()


async def test_after_a_429_with_retry_after_2_the_lane_sends_nothing_for_2_s(
    dexscreener_429_once: tuple[str, list[float], list[float]],
) -> None:
    url, arrivals, limited_at = dexscreener_429_once
    settings = Settings.model_validate({"providers": {"dexscreener": {"base_url": url}}})
    tokens = random_tokens(90)
    async with Engine(settings, kinds=[FacetKind.MARKET]) as engine:
        results = await engine.scan(tokens)

    assert all(r.status is ResultStatus.COMPLETE for r in results)  # absent: answered
    assert len(arrivals) == 4  # the refused batch again, then the other two
    quiet = arrivals[1] - limited_at[0]
    assert quiet >= 2.0 - 0.05, f"sent again {quiet:.3f}s after a Retry-After of 2 s"
    assert quiet < 2.5


async def test_an_outage_opens_the_breaker_nothing_is_sent_while_open_and_no_token_is_lost() -> (
    None
):
    breaker = BreakerConfig(window=5, minimum_calls=2, wait=1.0, max_wait=4.0, half_open_calls=1)
    async with run_simulator(sim_config(tokens=150, evm_tokens=0)) as sim:
        tokens = list(sim.world.tokens)
        settings = settings_for(sim, tiers={"error_retry": "1s"})
        events: list[tuple[float, BreakerEvent, int]] = []
        async with Engine(
            settings, kinds=[FacetKind.MARKET], breaker=breaker, rng=random.Random(5)
        ) as engine:

            def seen(event: BreakerEvent) -> None:
                received = endpoint(sim, "dexscreener.tokens").get("received", 0)
                events.append((time.monotonic(), event, received))

            engine.add_breaker_listener(seen)
            sim.inject("dexscreener", "503", duration=3.0)
            recovered_at = time.monotonic() + 3.0
            engine.track(tokens, tier=Tier.COLD)
            for _ in range(150):
                await asyncio.sleep(0.1)
                facets = [engine.store.latest(t, FacetKind.MARKET) for t in tokens]
                if all(f is not None and f.state is FacetState.OK for f in facets):
                    break
        faults = endpoint(sim, "dexscreener.tokens")["faults"].get("503", 0)

    states = [e.to_state for _, e, _ in events]
    assert states[0] is BreakerState.OPEN
    assert states[-1] is BreakerState.CLOSED
    # nothing reached the server between opening and the next half-open probe
    for (_, opened, sent_then), (_, probing, sent_later) in itertools.pairwise(events):
        if opened.to_state is BreakerState.OPEN:
            assert probing.to_state is BreakerState.HALF_OPEN
            assert sent_later == sent_then
    # closed within one open wait plus a probe after the upstream recovered
    last_wait = max(e.wait or 0 for _, e, _ in events)
    closed_at = events[-1][0]
    assert closed_at <= recovered_at + last_wait + 1.0
    assert faults >= 2
    # no token lost: every one ends up fetched
    assert all(f is not None and f.state is FacetState.OK for f in facets)


async def serve(handler: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/tokens/v1/{chain}/{addresses}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def fast_dexscreener(url: str) -> Settings:
    """A stand-in server has no limit of its own: let the lane go as fast as it likes."""
    return Settings.model_validate(
        {"providers": {"dexscreener": {"base_url": url, "rate": "1000/1s"}}}
    )


@pytest.mark.parametrize(
    ("status", "body", "content_type", "requests", "kind"),
    [
        (200, "<html><body>Just a moment...</body></html>", "text/html", 2, "malformed"),
        (400, '{"error": "bad request"}', "application/json", 1, "permanent"),
    ],
)
async def test_malformed_answers_are_retried_once_and_permanent_errors_never(
    status: int, body: str, content_type: str, requests: int, kind: str
) -> None:
    seen: list[float] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(time.monotonic())
        return web.Response(status=status, text=body, content_type=content_type)

    runner, url = await serve(handler)
    try:
        async with Engine(fast_dexscreener(url), kinds=[FacetKind.MARKET]) as engine:
            (result,) = await engine.scan(random_tokens(1))
    finally:
        await runner.cleanup()
    assert len(seen) == requests
    facet = result.facet(FacetKind.MARKET)
    assert facet is not None
    assert facet.error is not None
    assert facet.error.kind == kind
    assert result.status is ResultStatus.FAILED


async def test_retries_stay_within_the_retry_budget_when_everything_fails() -> None:
    seen: list[float] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(time.monotonic())
        return web.Response(status=503, text="Service Unavailable")

    never_open = BreakerConfig(minimum_calls=10_000)
    fast_retry = RetryPolicy(base=0.01, cap=0.05, rng=random.Random(3))
    runner, url = await serve(handler)
    try:
        async with Engine(
            fast_dexscreener(url), kinds=[FacetKind.MARKET], breaker=never_open, retry=fast_retry
        ) as engine:
            results = await engine.scan(random_tokens(30 * 40))
    finally:
        await runner.cleanup()
    first_tries = 40
    retries = len(seen) - first_tries
    assert 2 <= retries <= max(2, 0.2 * len(seen)) + 1
    assert all(r.status is ResultStatus.FAILED for r in results)
    assert {r.missing[FacetKind.MARKET].split(":")[0] for r in results} == {"unavailable"}
