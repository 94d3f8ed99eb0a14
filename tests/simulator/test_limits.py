"""The public profile's limits, proved from the server side (frozen clock: one window)."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp

from tokenradar.clock import FakeClock
from tokenradar.simulator import SimulatedMarket


async def _get_statuses(
    http: aiohttp.ClientSession, urls: list[str]
) -> list[tuple[int, dict[str, str], str]]:
    async def one(url: str) -> tuple[int, dict[str, str], str]:
        async with http.get(url) as r:
            return r.status, dict(r.headers), await r.text()

    return await asyncio.gather(*(one(u) for u in urls))


def _sol(sim: SimulatedMarket) -> list[str]:
    return [t.address for t in sim.world.tokens if t.chain == "solana"]


async def test_400_dexscreener_requests_in_a_minute_get_exactly_100_plain_429s(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    batch = ",".join(_sol(sim)[:30])
    urls = [f"{sim.dexscreener_url}/tokens/v1/solana/{batch}"] * 400
    results = await _get_statuses(http, urls)
    statuses = Counter(status for status, _, _ in results)
    assert statuses == {200: 300, 429: 100}
    for status, headers, body in results:
        if status == 429:
            assert "Retry-After" not in headers
            assert headers["Content-Type"].startswith("text/plain")
            assert body == "Too Many Requests"
    stats = sim.stats()
    ep = stats["endpoints"]["dexscreener.tokens"]
    assert (ep["received"], ep["ok"], ep["rate_limited"]) == (400, 300, 100)
    assert ep["batch_sizes"] == {"30": 400}
    assert stats["limits"]["dexscreener.pairs"]["max_in_window"] == 400


async def test_dexscreener_pair_endpoints_share_one_budget_and_feeds_have_their_own(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    mint = _sol(sim)[0]
    urls = [f"{sim.dexscreener_url}/latest/dex/tokens/{mint}"] * 150
    urls += [f"{sim.dexscreener_url}/token-pairs/v1/solana/{mint}"] * 160
    statuses = Counter(s for s, _, _ in await _get_statuses(http, urls))
    assert statuses == {200: 300, 429: 10}
    feed = [f"{sim.dexscreener_url}/token-profiles/latest/v1"] * 40
    feed += [f"{sim.dexscreener_url}/token-boosts/latest/v1"] * 30
    statuses = Counter(s for s, _, _ in await _get_statuses(http, feed))
    assert statuses == {200: 60, 429: 10}


async def test_limit_window_slides_and_refused_requests_do_not_consume_budget(
    sim: SimulatedMarket, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    url = f"{sim.dexscreener_url}/tokens/v1/solana/{_sol(sim)[0]}"
    assert Counter(s for s, _, _ in await _get_statuses(http, [url] * 200)) == {200: 200}
    clock.advance(30)
    assert Counter(s for s, _, _ in await _get_statuses(http, [url] * 150)) == {200: 100, 429: 50}
    clock.advance(30.001)  # the first 200 left the window; the 50 refused never entered it
    assert Counter(s for s, _, _ in await _get_statuses(http, [url] * 201)) == {200: 200, 429: 1}
    # received in the worst 60 s window: 150 + 201 (the first 200 fell out at exactly 60 s)
    assert sim.stats()["limits"]["dexscreener.pairs"]["max_in_window"] == 351


def _rpc(method: str, params: list[object], id_: int = 1) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}


async def test_rpc_per_method_limit_counts_every_call_of_a_batch(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    mints = _sol(sim)[:3]
    batch = [_rpc("getTokenSupply", [mints[i % 3]], i) for i in range(25)]
    async with http.post(sim.rpc_url, json=batch) as r:
        assert r.status == 200
        assert len(await r.json()) == 25
    async with http.post(sim.rpc_url, json=batch) as r:  # 50 > 40 per method: refused whole
        assert r.status == 429
        assert int(r.headers["Retry-After"]) >= 1
        body = await r.json()
        assert body["error"]["code"] == 429
    # another method still has its own 40, and the 100 in-all budget has 75 left
    more = [_rpc("getMultipleAccounts", [mints, {"encoding": "jsonParsed"}], i) for i in range(15)]
    async with http.post(sim.rpc_url, json=more) as r:
        assert r.status == 200
    stats = sim.stats()
    assert stats["endpoints"]["solana_rpc.getTokenSupply"]["ok"] == 25
    assert stats["endpoints"]["solana_rpc.getTokenSupply"]["rate_limited"] == 25
    assert stats["endpoints"]["solana_rpc.getMultipleAccounts"]["batch_sizes"] == {"3": 15}
    per_method = stats["limits"]["solana_rpc.method"]["per_client"]
    assert per_method["127.0.0.1|getTokenSupply"]["max_in_window"] == 50
    assert per_method["127.0.0.1|getTokenSupply"]["accepted_in_window"] == 25


async def test_rpc_all_methods_limit_is_100_per_10s_with_retry_after(
    sim: SimulatedMarket, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    methods = ["getSlot", "getHealth", "getVersion"]
    statuses = []
    retry_after = []
    for i in range(110):
        async with http.post(sim.rpc_url, json=_rpc(methods[i % 3], [], i)) as r:
            statuses.append(r.status)
            if r.status == 429:
                retry_after.append(int(r.headers["Retry-After"]))
    assert Counter(statuses) == {200: 100, 429: 10}
    assert retry_after
    assert all(1 <= s <= 10 for s in retry_after)
    clock.advance(10.0)
    async with http.post(sim.rpc_url, json=_rpc("getSlot", [])) as r:
        assert r.status == 200


async def test_jupiter_allows_30_requests_per_60s(
    sim: SimulatedMarket, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    url = f"{sim.jupiter_url}/price/v3?ids={','.join(_sol(sim)[:50])}"
    assert Counter(s for s, _, _ in await _get_statuses(http, [url] * 35)) == {200: 30, 429: 5}
    clock.advance(59.0)
    assert Counter(s for s, _, _ in await _get_statuses(http, [url])) == {429: 1}
    clock.advance(1.0)
    assert Counter(s for s, _, _ in await _get_statuses(http, [url] * 31)) == {200: 30, 429: 1}


async def test_rugcheck_limit_is_enforced_but_not_published_in_stats_defaults(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    limit = sim.config.rugcheck_limit
    url = f"{sim.rugcheck_url}/v1/tokens/{_sol(sim)[5]}/report/summary"
    statuses = Counter(s for s, _, _ in await _get_statuses(http, [url] * (limit + 7)))
    assert statuses == {200: limit, 429: 7}


async def test_each_client_ip_has_its_own_budget(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    url = f"{sim.jupiter_url}/price/v3?ids={_sol(sim)[0]}"
    for client in ("10.0.0.1", "10.0.0.2"):
        statuses = []
        for _ in range(31):
            async with http.get(url, headers={"X-Sim-Client": client}) as r:
                statuses.append(r.status)
        assert Counter(statuses) == {200: 30, 429: 1}
