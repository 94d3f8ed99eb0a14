"""open_providers: one client per provider, each behind its own gate, all closed on exit."""

from __future__ import annotations

import orjson
import pytest
from aiohttp import web

from tokenradar.clock import SYSTEM_CLOCK
from tokenradar.domain import FacetState
from tokenradar.providers import PROVIDER_NAMES, Providers, open_providers
from tokenradar.providers.dexscreener import DexScreenerClient
from tokenradar.providers.jupiter import JupiterClient
from tokenradar.providers.rugcheck import RugCheckClient
from tokenradar.providers.solana_rpc import SolanaRpcClient
from tokenradar.settings import Settings

from .conftest import MINTS, RecordingGate, Serve, raw, token
from .solana_node import SolanaNode, mint_account


async def test_each_provider_uses_its_own_gate_and_sessions_close(serve: Serve) -> None:
    node = SolanaNode()
    node.add(MINTS["spx"], mint_account(11571182414241233, 8, mint_authority=MINTS["gor"]))
    pairs = orjson.loads(raw("dexscreener_latest_dex_tokens_spx.json"))["pairs"]

    async def tokens_v1(_: web.Request) -> web.Response:
        return web.json_response(pairs)

    async def report(_: web.Request) -> web.Response:
        return web.Response(body=raw("rugcheck_report_spx.json"), content_type="application/json")

    async def price(_: web.Request) -> web.Response:
        return web.json_response({MINTS["spx"]: {"usdPrice": 1.31, "blockId": 5}})

    app = web.Application()
    app.router.add_get("/dex/tokens/v1/solana/{a}", tokens_v1)
    app.router.add_get("/rc/v1/tokens/{mint}/report", report)
    app.router.add_get("/jup/price/v3", price)
    app.router.add_post("/rpc", node.handle)
    base = await serve(app)
    settings = Settings(
        providers={
            "dexscreener": {"base_url": f"{base}/dex"},
            "solana_rpc": {"url": f"{base}/rpc"},
            "rugcheck": {"base_url": f"{base}/rc"},
            "jupiter": {"base_url": f"{base}/jup"},
        }
    )
    gates = {name: RecordingGate() for name in PROVIDER_NAMES}
    spx = [token("spx")]
    async with open_providers(settings, gates=gates) as p:
        (market,) = await p.dexscreener.fetch_market(spx)
        (mint,) = await p.solana_rpc.fetch_mints(spx)
        (risk,) = await p.rugcheck.fetch_risk(spx)
        (price_facet,) = await p.jupiter.fetch_prices(spx)
    assert [f.state for f in (market, mint, risk, price_facet)] == [FacetState.OK] * 4
    assert mint.data is not None
    assert mint.data.supply == 11571182414241233
    assert gates["dexscreener"].calls == [("tokens", 1)]
    assert gates["solana_rpc"].calls == [("getMultipleAccounts", 1)]
    assert gates["rugcheck"].calls == [("report", 1)]
    assert gates["jupiter"].calls == [("price", 1)]
    with pytest.raises(RuntimeError, match="closed"):
        await p.jupiter.fetch_prices(spx)


async def test_gates_for_unknown_providers_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown providers \\['dexscraper'\\]"):
        async with open_providers(Settings(), gates={"dexscraper": RecordingGate()}):
            pass


class _CloseFails(DexScreenerClient):
    async def aclose(self) -> None:
        await super().aclose()
        raise RuntimeError("close failed")


async def test_one_client_failing_to_close_does_not_leave_the_others_open() -> None:
    nowhere = "http://127.0.0.1:9"  # loopback, so even a regression sends nothing out
    settings = Settings(
        providers={
            "dexscreener": {"base_url": nowhere},
            "solana_rpc": {"url": nowhere},
            "rugcheck": {"base_url": nowhere},
            "jupiter": {"base_url": nowhere},
        }
    ).providers
    p = Providers(
        settings=settings,
        dexscreener=_CloseFails(settings.dexscreener),
        solana_rpc=SolanaRpcClient(settings.solana_rpc),
        rugcheck=RugCheckClient(settings.rugcheck),
        jupiter=JupiterClient(settings.jupiter),
        gates={},
        clock=SYSTEM_CLOCK,
    )
    with pytest.raises(RuntimeError, match="close failed"):
        await p.aclose()
    spx = [token("spx")]
    # a closed client refuses to send, before any network I/O
    for fetch in (p.solana_rpc.fetch_mints, p.rugcheck.fetch_risk, p.jupiter.fetch_prices):
        with pytest.raises(RuntimeError, match="closed"):
            await fetch(spx)
