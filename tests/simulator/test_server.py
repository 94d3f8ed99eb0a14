"""The server as a whole: concurrency limit, latency, stats reset, and the CLI."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections import Counter

import aiohttp

from tokenradar.simulator import SimulatedMarket, run_simulator

from .conftest import fast_config


async def test_rpc_refuses_more_than_40_concurrent_requests_per_ip() -> None:
    # a constant 300 ms latency keeps every admitted request in flight at the same time
    config = fast_config(latency_median_ms=300.0, latency_p99_ms=300.0)
    async with (
        run_simulator(config) as sim,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as wide,
    ):
        methods = ("getSlot", "getHealth", "getVersion")  # 15 each: under the per-method 40

        async def call(i: int) -> tuple[int, str | None]:
            body = {"jsonrpc": "2.0", "id": i, "method": methods[i % 3], "params": []}
            async with wide.post(sim.rpc_url, json=body) as r:
                return r.status, r.headers.get("Retry-After")

        results = await asyncio.gather(*(call(i) for i in range(45)))
        stats = sim.stats()
    assert Counter(s for s, _ in results) == {200: 40, 429: 5}
    assert all(ra is not None for s, ra in results if s == 429)
    # each refused request is the 41st in flight for the moment it takes to refuse it
    assert stats["max_concurrent"]["solana_rpc"]["127.0.0.1"] == 41


async def test_latency_has_the_configured_median(http: aiohttp.ClientSession) -> None:
    async with run_simulator(fast_config(latency_median_ms=40.0, latency_p99_ms=200.0)) as sim:
        samples = sorted(sim.gateway.latency() for _ in range(4001))
    assert 0.036 < samples[2000] < 0.044
    assert 0.16 < samples[int(4001 * 0.99)] < 0.25


async def test_stats_reset_zeroes_counters_and_limit_windows(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    url = f"{sim.jupiter_url}/price/v3?ids={sim.world.tokens[0].address}"
    for _ in range(31):
        async with http.get(url) as r:
            await r.read()
    assert r.status == 429
    async with http.post(f"{sim.base_url}/_sim/stats/reset") as reset:
        assert reset.status == 200
    async with http.get(url) as r:
        assert r.status == 200
    async with http.get(f"{sim.base_url}/_sim/stats") as r:
        stats = await r.json()
    assert stats["endpoints"]["jupiter.price"]["received"] == 1
    assert stats["limits"]["jupiter.price"]["max_in_window"] == 1
    assert stats["limits"]["jupiter.price"]["limit"] == 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_tokenradar_simulate_serves_json_and_stops_on_ctrl_c(
    http: aiohttp.ClientSession,
) -> None:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tokenradar.cli", "simulate", "--port", str(port),
        "--tokens", "30", "--seed", "3", "--latency-ms", "0", "--launch-rate", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        tokens = None
        while tokens is None:
            assert time.monotonic() < deadline, "the simulator did not start within 30 s"
            assert proc.returncode is None, await proc.stderr.read()  # type: ignore[union-attr]
            try:
                async with http.get(f"{base}/_sim/tokens") as r:
                    tokens = await r.json()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.2)
        mint = next(t["address"] for t in tokens if t["chain"] == "solana" and t["symbol"] != "SOL")
        async with http.get(f"{base}/dex/tokens/v1/solana/{mint}") as r:
            assert r.status == 200
            assert r.content_type == "application/json"
            pairs = await r.json()
        assert pairs
        assert pairs[0]["baseToken"]["address"] == mint
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=15)
    assert proc.returncode == 0, err
    assert b"stopped" in out
