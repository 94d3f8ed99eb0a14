"""Jupiter: the captured v2 responses and the current v3 shape parse into price facets."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp import web
from pydantic import SecretStr

from tokenradar.domain import FacetState, TokenRef
from tokenradar.errors import MalformedResponse
from tokenradar.providers.jupiter import JupiterClient, parse_prices
from tokenradar.settings import JupiterSettings

from .conftest import RecordingGate, Serve, load

NOW = 1_750_779_880.0
SOL = TokenRef("solana", "So11111111111111111111111111111111111111112")
USDC = TokenRef("solana", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
JUP = TokenRef("solana", "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN")
# the fixture's "Example from docs": GOR's mint with "Bhq" mistyped as "BHq", unknown to Jupiter
UNKNOWN = TokenRef("solana", "71Jvq4Epe2FCJ7JFSF7jLXdNk1Wy4BHqd9iL6bEFELvg")

SAMPLES: dict[str, Any] = load("jupiter_price_v2_samples.json")


def sample(name: str) -> tuple[list[TokenRef], Any]:
    entry = SAMPLES[name]
    ids = entry["params"]["ids"].split(",")
    return [TokenRef("solana", i) for i in ids], entry["response"]


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_captured_v2_sample_parses(name: str) -> None:
    tokens, body = sample(name)
    facets = parse_prices(body, tokens, fetched_at=NOW)
    assert [f.token for f in facets] == tokens
    assert all(f.state in {FacetState.OK, FacetState.ABSENT} for f in facets)


def test_v2_batch_prices_are_the_hand_checked_strings() -> None:
    tokens, body = sample("Multiple tokens")
    assert tokens == [SOL, USDC, JUP]
    facets = parse_prices(body, tokens, fetched_at=NOW)
    prices = [f.data.price_usd if f.data else None for f in facets]
    assert prices == [pytest.approx(143.998155), pytest.approx(1.000057), pytest.approx(0.416513)]


def test_v2_null_for_unknown_mint_is_absent() -> None:
    tokens, body = sample("Example from docs")
    assert tokens == [UNKNOWN]
    assert body["data"][UNKNOWN.address] is None
    (facet,) = parse_prices(body, tokens, fetched_at=NOW)
    assert facet.state is FacetState.ABSENT
    assert facet.source == "jupiter"


V3 = {
    SOL.address: {
        "usdPrice": 147.48,
        "blockId": 348004023,
        "decimals": 9,
        "priceChange24h": 1.29,
    },
    JUP.address: {"usdPrice": "0.42", "blockId": None, "decimals": 6},
    USDC.address: {"usdPrice": "free", "blockId": 1},
}


def test_v3_prices_changes_and_omitted_mints() -> None:
    facets = parse_prices(V3, [SOL, UNKNOWN, JUP, USDC], fetched_at=NOW)
    sol, unknown, jup, usdc = facets
    assert sol.data is not None
    assert (sol.data.price_usd, sol.data.price_change_24h, sol.data.block_id) == (
        147.48,
        1.29,
        348004023,
    )
    assert unknown.state is FacetState.ABSENT  # v3 omits unknown mints
    assert jup.data is not None
    assert (jup.data.price_usd, jup.data.price_change_24h, jup.data.block_id) == (0.42, None, None)
    assert usdc.state is FacetState.ERROR  # an entry without a usable price: that mint only
    assert usdc.error is not None
    assert usdc.error.kind == "malformed"


@pytest.mark.parametrize("body", [[], "x", {"data": []}])
def test_wrong_top_level_is_malformed(body: object) -> None:
    with pytest.raises(MalformedResponse):
        parse_prices(body, [SOL], fetched_at=NOW)


async def test_client_sends_ids_api_key_and_uses_the_price_gate(serve: Serve) -> None:
    seen: list[tuple[str, str | None, str]] = []

    async def price(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("x-api-key"), request.query["ids"]))
        body = {k: v for k, v in V3.items() if k in request.query["ids"].split(",")}
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_get("/jup/price/v3", price)
    base = await serve(app)
    gate = RecordingGate()
    settings = JupiterSettings(base_url=base + "/jup", api_key=SecretStr("k3y"))
    async with JupiterClient(settings, gate=gate) as client:
        facets = await client.fetch_prices([SOL, UNKNOWN])
    assert [f.state for f in facets] == [FacetState.OK, FacetState.ABSENT]
    assert seen == [("/jup/price/v3", "k3y", f"{SOL.address},{UNKNOWN.address}")]
    assert gate.calls == [("price", 1)]


async def test_client_refuses_misuse_before_sending() -> None:
    async with JupiterClient(JupiterSettings(base_url="http://127.0.0.1:9")) as client:
        with pytest.raises(ValueError, match="Solana tokens only"):
            await client.fetch_prices([TokenRef("ethereum", "0x" + "a" * 40)])
        with pytest.raises(ValueError, match="at most 50"):
            await client.fetch_prices([SOL] * 51)
        with pytest.raises(ValueError, match="duplicate"):
            await client.fetch_prices([SOL, SOL])
