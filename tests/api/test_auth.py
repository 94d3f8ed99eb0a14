"""Who may call what: the auth matrix over every route, and the per-key rate limit."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.conftest import (
    ADMIN_KEY,
    READ_KEY,
    WRONG_KEY,
    api_settings,
    loopback,
    running_api,
    until,
)
from tokenradar.api.ratelimit import RateLimiter
from tokenradar.clock import FakeClock
from tokenradar.settings import Rate


def routes(token: str, scan_id: str) -> list[tuple[str, str, Any, str]]:
    """(method, path, json body, role needed) for every route but the open probes."""
    chain, address = token.split(":")
    return [
        ("GET", "/api/v1/tokens", None, "read"),
        ("GET", f"/api/v1/tokens/{chain}/{address}", None, "read"),
        ("GET", f"/api/v1/tokens/{chain}/{address}/history", None, "read"),
        ("GET", f"/api/v1/scans/{scan_id}", None, "read"),
        ("GET", f"/api/v1/scans/{scan_id}/events", None, "read"),
        ("GET", "/api/v1/stream", None, "read"),
        ("GET", "/api/v1/watchlist", None, "read"),
        ("GET", "/api/v1/stats", None, "read"),
        ("GET", "/health", None, "read"),
        ("GET", "/metrics", None, "read"),
        ("POST", "/api/v1/scans", {"tokens": [token]}, "admin"),
        ("POST", "/api/v1/watchlist", {"tokens": [token], "tier": "hot"}, "admin"),
        ("DELETE", "/api/v1/watchlist", {"tokens": [token]}, "admin"),
    ]


KEYS = {"none": None, "wrong": WRONG_KEY, "read": READ_KEY, "admin": ADMIN_KEY}


def expected(role_needed: str, key: str, reads_need_key: bool) -> int:
    if role_needed == "read" and not reads_need_key:
        # a wrong key is refused even where none is needed
        return 200 if key != "wrong" else 401
    if key in ("none", "wrong"):
        return 401
    if role_needed == "admin" and key == "read":
        return 403
    return 200


async def status_of(
    client: httpx.AsyncClient, method: str, path: str, body: Any, key: str | None
) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    # streamed: an SSE route answers its status, then we hang up
    async with client.stream(method, path, json=body, headers=headers) as resp:
        if resp.status_code >= 400:
            payload = await resp.aread()
            assert b'"error"' in payload  # every refusal is an ErrorBody
        return resp.status_code


@pytest.mark.parametrize("reads_need_key", [True, False])
async def test_every_route_answers_each_key_as_its_role_allows(
    tmp_path: Path, reads_need_key: bool
) -> None:
    settings = api_settings(tmp_path, require_key_for_reads=reads_need_key, burst=10_000)
    async with running_api(settings) as r, loopback(r.app) as base:
        await until(
            lambda: r.service.scoring is not None and r.service.scoring.stats().scored >= 20
        )
        await r.service.radar.store.writer.flush()  # type: ignore[union-attr]
        token = str(r.tokens[0])
        started = await r.client.post(
            "/api/v1/scans", json={"tokens": [token]}, headers={"X-API-Key": ADMIN_KEY}
        )
        assert started.status_code == 202
        scan_id = started.json()["id"]
        entry = r.app.state.tokenradar.scans.get(scan_id)
        await asyncio.wait_for(entry.finished.wait(), 10)
        got, want = {}, {}
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            for method, path, body, role in routes(token, scan_id):
                for key_name, key in KEYS.items():
                    status = await status_of(client, method, path, body, key)
                    ok = (
                        status in (200, 202)
                        if expected(role, key_name, reads_need_key) == 200
                        else False
                    )
                    got[(method, path, key_name)] = 200 if ok else status
                    want[(method, path, key_name)] = expected(role, key_name, reads_need_key)
            # the probes are open whatever the settings say
            for path in ("/health/live", "/health/ready"):
                assert (await client.get(path)).status_code == 200
        assert got == want


async def test_one_key_over_its_quota_is_refused_while_another_key_is_served(
    tmp_path: Path,
) -> None:
    settings = api_settings(tmp_path, rate="1/60s", burst=3)
    async with running_api(settings) as r:
        a = {"X-API-Key": ADMIN_KEY}
        b = {"X-API-Key": READ_KEY}
        for _ in range(3):
            assert (await r.client.get("/api/v1/stats", headers=a)).status_code == 200
        refused = await r.client.get("/api/v1/stats", headers=a)
        assert refused.status_code == 429
        assert refused.json()["error"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert (await r.client.get("/api/v1/stats", headers=b)).status_code == 200
        stats = await r.client.get("/api/v1/stats", headers=b)
        assert stats.json()["api"]["rate_limited"] == 1


def test_a_bucket_refills_at_its_rate_on_the_clock_given() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(2, 1), burst=2, clock=clock)
    assert limiter.take("a") is None
    assert limiter.take("a") is None
    wait = limiter.take("a")
    assert wait == pytest.approx(0.5)
    assert limiter.take("b") is None  # another caller's bucket is untouched
    clock.advance(0.5)
    assert limiter.take("a") is None
    assert limiter.take("a") is not None
