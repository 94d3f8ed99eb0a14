"""Solana JSON-RPC: real envelopes, real errors, and holders a client can classify."""

from __future__ import annotations

from typing import Any

import aiohttp
import base58

from tokenradar.simulator import SimulatedMarket
from tokenradar.simulator.addresses import SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, is_on_curve


async def _call(
    http: aiohttp.ClientSession, sim: SimulatedMarket, method: str, params: list[Any]
) -> Any:
    body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
    async with http.post(sim.rpc_url, json=body) as r:
        assert r.status == 200  # JSON-RPC errors arrive with HTTP 200
        return await r.json()


def _mints(sim: SimulatedMarket) -> list[str]:
    return [t.address for t in sim.world.tokens if t.chain == "solana"]


async def test_errors_are_json_rpc_objects_with_http_200(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    too_many = await _call(
        http, sim, "getMultipleAccounts", [_mints(sim)[:1] * 101, {"encoding": "jsonParsed"}]
    )
    assert too_many["error"]["code"] == -32602
    assert "max 100" in too_many["error"]["message"]
    assert too_many["id"] == 7
    assert (await _call(http, sim, "getFoo", []))["error"]["code"] == -32601
    assert (await _call(http, sim, "getAccountInfo", ["nope"]))["error"]["code"] == -32602
    bad_encoding = await _call(http, sim, "getAccountInfo", [_mints(sim)[0], {"encoding": "hex"}])
    assert bad_encoding["error"]["code"] == -32602
    wallet = await _call(http, sim, "getTokenSupply", [SYSTEM_PROGRAM])
    assert wallet["error"]["code"] == -32602
    async with http.post(sim.rpc_url, data=b"{not json") as r:
        assert (r.status, (await r.json())["error"]["code"]) == (200, -32700)
    async with http.post(sim.rpc_url, json=[]) as r:
        assert (await r.json())["error"]["code"] == -32600


async def test_get_multiple_accounts_renders_mints_and_null_for_missing(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    missing = base58.b58encode(bytes(range(32))).decode()
    mints = _mints(sim)[:20]
    reply = await _call(
        http, sim, "getMultipleAccounts", [[*mints, missing], {"encoding": "jsonParsed"}]
    )
    result = reply["result"]
    assert set(result["context"]) == {"apiVersion", "slot"}
    *accounts, absent = result["value"]
    assert absent is None
    for address, account in zip(mints, accounts, strict=True):
        parsed = account["data"]["parsed"]
        assert parsed["type"] == "mint"
        info = parsed["info"]
        assert isinstance(info["supply"], str)
        tok = sim.world.token(address)
        assert tok is not None
        assert account["owner"] == tok.program
        assert (account["data"]["program"] == "spl-token-2022") == (
            tok.program == TOKEN_2022_PROGRAM
        )
        assert ("extensions" in info) == (tok.program == TOKEN_2022_PROGRAM)


async def test_token_2022_mints_carry_their_extensions(http: aiohttp.ClientSession) -> None:
    from tokenradar.clock import FakeClock
    from tokenradar.simulator import run_simulator

    from .conftest import fast_config

    async with run_simulator(
        fast_config(tokens=400, profile="unlimited"), clock=FakeClock()
    ) as sim:
        t22 = [t for t in sim.world.all_tokens() if t.program == TOKEN_2022_PROGRAM]
        assert t22
        keys = [t.ref.address for t in t22]
        reply = await _call(http, sim, "getMultipleAccounts", [keys, {"encoding": "jsonParsed"}])
    names = set()
    for tok, account in zip(t22, reply["result"]["value"], strict=True):
        exts = account["data"]["parsed"]["info"]["extensions"]
        assert [e["extension"] for e in exts] == [e["extension"] for e in tok.extensions]
        names |= {e["extension"] for e in exts}
        for e in exts:
            assert ("state" in e) == (e["extension"] != "nonTransferable")
    assert {"metadataPointer", "tokenMetadata", "transferFeeConfig"} <= names


async def test_vaults_and_wallets_are_told_apart_by_their_owner_accounts(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    """The rule documented in simulator/holders.py, applied as a client would."""
    for mint in _mints(sim)[:12]:
        largest = (await _call(http, sim, "getTokenLargestAccounts", [mint]))["result"]["value"]
        assert 0 < len(largest) <= 20
        assert all(
            isinstance(h["amount"], str) and isinstance(h["uiAmountString"], str) for h in largest
        )
        accounts = [h["address"] for h in largest]
        parsed = await _call(
            http, sim, "getMultipleAccounts", [accounts, {"encoding": "jsonParsed"}]
        )
        owners = [a["data"]["parsed"]["info"]["owner"] for a in parsed["result"]["value"]]
        owner_accounts = await _call(
            http, sim, "getMultipleAccounts", [owners, {"encoding": "jsonParsed"}]
        )
        truth = {h.address: h.kind for h in sim.world.truth(mint).holders}
        for address, owner, account in zip(
            accounts, owners, owner_accounts["result"]["value"], strict=True
        ):
            is_wallet = account is not None and account["owner"] == SYSTEM_PROGRAM
            assert is_wallet == (truth[address] == "wallet"), (mint, address)
            assert is_on_curve(base58.b58decode(owner)) == is_wallet


async def test_batch_answers_every_call_in_order(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    mint = _mints(sim)[3]
    batch = [
        {"jsonrpc": "2.0", "id": "a", "method": "getTokenSupply", "params": [mint]},
        {"jsonrpc": "2.0", "id": "b", "method": "nope", "params": []},
        {
            "jsonrpc": "2.0",
            "id": "c",
            "method": "getAccountInfo",
            "params": [mint, {"encoding": "base64"}],
        },
    ]
    async with http.post(sim.rpc_url, json=batch) as r:
        answers = await r.json()
    assert [a["id"] for a in answers] == ["a", "b", "c"]
    tok = sim.world.token(mint)
    assert tok is not None
    assert answers[0]["result"]["value"]["amount"] == str(tok.supply_raw)
    assert answers[1]["error"]["code"] == -32601
    data, encoding = answers[2]["result"]["value"]["data"]
    assert encoding == "base64"
    assert data
