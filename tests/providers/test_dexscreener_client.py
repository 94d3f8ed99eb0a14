"""DexScreenerClient against a loopback server serving the real captured pairs."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp import web

from tokenradar.domain import FacetState, TokenRef
from tokenradar.errors import MalformedResponse, RateLimited
from tokenradar.providers.dexscreener import DexScreenerClient
from tokenradar.settings import DexScreenerSettings

from .conftest import MINTS, SYMBOLS, RecordingGate, Serve, load, token

ALL_PAIRS: list[dict[str, Any]] = [
    p for sym in SYMBOLS for p in load(f"dexscreener_latest_dex_tokens_{sym}.json")["pairs"]
]


def pairs_mentioning(addresses: list[str]) -> list[dict[str, Any]]:
    wanted = set(addresses)
    return [
        p
        for p in ALL_PAIRS
        if p["baseToken"]["address"] in wanted or p["quoteToken"]["address"] in wanted
    ]


async def dex_app(paths: list[str]) -> web.Application:
    """Serves the real pairs the way the real API does, under the prefix /dex."""

    async def tokens_v1(request: web.Request) -> web.Response:
        paths.append(request.path)
        addresses = request.match_info["addresses"].split(",")
        body = orjson.dumps(pairs_mentioning(addresses))
        return web.Response(body=body, content_type="application/json")

    async def latest(request: web.Request) -> web.Response:
        paths.append(request.path)
        pairs = pairs_mentioning(request.match_info["addresses"].split(","))
        return web.json_response({"schemaVersion": "1.0.0", "pairs": pairs or None})

    async def token_pairs(request: web.Request) -> web.Response:
        paths.append(request.path)
        return web.json_response(pairs_mentioning([request.match_info["address"]]))

    async def profiles(request: web.Request) -> web.Response:
        paths.append(request.path)
        return web.json_response(
            [
                {"chainId": "solana", "tokenAddress": MINTS["gor"], "links": []},
                {"chainId": "ton", "tokenAddress": "EQxyz"},
            ]
        )

    async def boosts(request: web.Request) -> web.Response:
        paths.append(request.path)
        return web.json_response(
            [{"chainId": "solana", "tokenAddress": MINTS["spx"], "amount": 10, "totalAmount": 30}]
        )

    async def limited(request: web.Request) -> web.Response:
        paths.append(request.path)
        return web.json_response({}, status=429)  # DexScreener sends no Retry-After

    app = web.Application()
    app.router.add_get("/dex/tokens/v1/{chain}/{addresses}", tokens_v1)
    app.router.add_get("/dex/latest/dex/tokens/{addresses}", latest)
    app.router.add_get("/dex/token-pairs/v1/{chain}/{address}", token_pairs)
    app.router.add_get("/dex/token-profiles/latest/v1", profiles)
    app.router.add_get("/dex/token-boosts/latest/v1", boosts)
    app.router.add_get("/limited/tokens/v1/{chain}/{addresses}", limited)
    return app


async def test_fetch_market_is_one_request_for_the_whole_batch(serve: Serve) -> None:
    paths: list[str] = []
    base = await serve(await dex_app(paths))
    gate = RecordingGate()
    unknown = TokenRef("solana", "So11111111111111111111111111111111111111112")
    tokens = [token(s) for s in SYMBOLS] + [unknown]
    async with DexScreenerClient(DexScreenerSettings(base_url=base + "/dex/"), gate=gate) as dex:
        facets = await dex.fetch_market(tokens)
    assert paths == ["/dex/tokens/v1/solana/" + ",".join(t.address for t in tokens)]
    assert gate.calls == [("tokens", 1)]
    assert [f.token for f in facets] == tokens
    assert [f.state for f in facets] == [FacetState.OK] * 6 + [FacetState.ABSENT]
    symbols = [f.data.symbol for f in facets if f.data is not None]
    assert symbols == ["USELESS", "TRUMP", "aura", "GOR", "SPX", "MUMU"]


async def test_latest_dex_tokens_null_pairs_and_token_pairs(serve: Serve) -> None:
    paths: list[str] = []
    base = await serve(await dex_app(paths))
    nobody = TokenRef("solana", "So11111111111111111111111111111111111111112")
    async with DexScreenerClient(DexScreenerSettings(base_url=base + "/dex")) as dex:
        (gone,) = await dex.latest_dex_tokens([nobody])
        spx, gor = await dex.latest_dex_tokens([token("spx"), token("gor")])
        aura = await dex.token_pairs(token("aura"))
    assert gone.state is FacetState.ABSENT  # "pairs": null
    assert spx.data is not None
    assert spx.data.pair_count == 30
    assert gor.data is not None
    assert gor.data.symbol == "GOR"
    assert aura.data is not None
    assert aura.data.pair_count == 22
    assert paths[-1] == f"/dex/token-pairs/v1/solana/{MINTS['aura']}"


async def test_feeds_use_their_own_gate_endpoints(serve: Serve) -> None:
    base = await serve(await dex_app([]))
    gate = RecordingGate()
    async with DexScreenerClient(DexScreenerSettings(base_url=base + "/dex"), gate=gate) as dex:
        profiles = await dex.latest_profiles()
        boosts = await dex.latest_boosts()
    assert [p.token for p in profiles] == [token("gor")]  # the TON entry is skipped
    assert [(b.token, b.amount, b.total_amount) for b in boosts] == [(token("spx"), 10.0, 30.0)]
    assert gate.calls == [("profiles", 1), ("boosts", 1)]


async def test_429_without_retry_after_reaches_the_gate(serve: Serve) -> None:
    base = await serve(await dex_app([]))
    gate = RecordingGate()
    async with DexScreenerClient(DexScreenerSettings(base_url=base + "/limited"), gate=gate) as dex:
        with pytest.raises(RateLimited) as info:
            await dex.fetch_market([token("spx")])
    assert info.value.retry_after is None
    assert info.value.provider == "dexscreener"
    assert gate.outcomes == ["RateLimited"]


async def test_latest_dex_tokens_without_pairs_key_is_malformed(serve: Serve) -> None:
    async def odd(_: web.Request) -> web.Response:
        return web.json_response({"schemaVersion": "1.0.0"})

    app = web.Application()
    app.router.add_get("/latest/dex/tokens/{a}", odd)
    base = await serve(app)
    async with DexScreenerClient(DexScreenerSettings(base_url=base)) as dex:
        with pytest.raises(MalformedResponse, match="no 'pairs'"):
            await dex.latest_dex_tokens([token("spx")])


async def test_batch_misuse_raises_before_sending() -> None:
    settings = DexScreenerSettings(base_url="http://127.0.0.1:9")
    async with DexScreenerClient(settings) as dex:
        with pytest.raises(ValueError, match="no tokens"):
            await dex.fetch_market([])
        with pytest.raises(ValueError, match="at most 30"):
            await dex.fetch_market([TokenRef("base", f"0x{i:040x}") for i in range(31)])
        with pytest.raises(ValueError, match="share a chain"):
            await dex.fetch_market([token("spx"), TokenRef("base", "0x" + "1" * 40)])
        with pytest.raises(ValueError, match="duplicate"):
            await dex.fetch_market([token("spx"), token("spx")])
