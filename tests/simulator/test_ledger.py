"""What a client that missed notifications can find again: signatures and transactions."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tokenradar.providers.pumpfun import PUMPFUN_PROGRAM_ID, create_event_from_logs
from tokenradar.simulator import SimulatedMarket
from tokenradar.simulator.addresses import TOKEN_PROGRAM
from tokenradar.simulator.ledger import AccountKey, Ledger, SimTransaction

CONFIRMED = {"commitment": "confirmed"}
PARSED = {"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0, **CONFIRMED}


async def _call(
    http: aiohttp.ClientSession, sim: SimulatedMarket, method: str, params: list[Any]
) -> Any:
    body = {"jsonrpc": "2.0", "id": 9, "method": method, "params": params}
    async with http.post(sim.rpc_url, json=body) as r:
        assert r.status == 200
        return await r.json()


async def _signatures(
    http: aiohttp.ClientSession, sim: SimulatedMarket, **config: Any
) -> list[dict[str, Any]]:
    reply = await _call(
        http, sim, "getSignaturesForAddress", [PUMPFUN_PROGRAM_ID, {**CONFIRMED, **config}]
    )
    result: list[dict[str, Any]] = reply["result"]
    return result


async def test_signatures_page_newest_first_with_before_and_until(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    await sim.launches.burst(6)
    everything = await _signatures(http, sim)
    assert len(everything) >= 6  # creates plus trade noise, all mention pump.fun
    assert set(everything[0]) == {
        "blockTime",
        "confirmationStatus",
        "err",
        "memo",
        "signature",
        "slot",
    }
    assert everything[0]["confirmationStatus"] == "confirmed"
    newest = [s["signature"] for s in everything]
    first = await _signatures(http, sim, limit=2)
    assert [s["signature"] for s in first] == newest[:2]
    second = await _signatures(http, sim, limit=2, before=first[-1]["signature"])
    assert [s["signature"] for s in second] == newest[2:4]
    since = await _signatures(http, sim, until=newest[3])
    assert [s["signature"] for s in since] == newest[:3]  # until is exclusive


async def test_default_commitment_is_finalized_and_hides_the_newest_slots(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    (tok,) = await sim.launches.burst(1)
    reply = await _call(http, sim, "getSignaturesForAddress", [tok.ref.address])
    assert reply["result"] == []  # the clock is frozen: nothing is 32 slots old
    (info,) = await _signatures(http, sim, limit=1)
    plain = await _call(
        http,
        sim,
        "getTransaction",
        [info["signature"], {"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0}],
    )
    assert plain["result"] is None


async def test_get_transaction_shows_the_created_mint_and_its_create_event(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    (tok,) = await sim.launches.burst(1)
    reply = await _call(http, sim, "getSignaturesForAddress", [tok.ref.address, CONFIRMED])
    info = reply["result"][-1]  # the oldest transaction mentioning the mint created it
    tx = (await _call(http, sim, "getTransaction", [info["signature"], PARSED]))["result"]
    assert (tx["slot"], tx["blockTime"], tx["version"]) == (info["slot"], info["blockTime"], 0)
    assert tx["meta"]["err"] is None
    assert tx["meta"]["status"] == {"Ok": None}
    event = create_event_from_logs(tx["meta"]["logMessages"])
    assert event is not None
    assert (event.mint, event.symbol, event.bonding_curve) == (
        tok.ref.address,
        tok.symbol,
        tok.bonding_curve,
    )
    keys = tx["transaction"]["message"]["accountKeys"]
    mint_key = {"pubkey": tok.ref.address, "signer": True, "source": "transaction"}
    assert {**mint_key, "writable": True} in keys
    assert tx["transaction"]["signatures"] == [info["signature"]]
    inner = [i for group in tx["meta"]["innerInstructions"] for i in group["instructions"]]
    init = [i for i in inner if i.get("parsed", {}).get("type") == "initializeMint2"]
    assert init[0]["parsed"]["info"]["mint"] == tok.ref.address
    assert init[0]["programId"] == TOKEN_PROGRAM
    assert tx["meta"]["postTokenBalances"][0]["mint"] == tok.ref.address
    n = len(keys)
    assert len(tx["meta"]["preBalances"]) == len(tx["meta"]["postBalances"]) == n


async def test_get_transaction_refuses_what_mainnet_refuses(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    await sim.launches.burst(1)
    (info,) = await _signatures(http, sim, limit=1)
    signature = info["signature"]
    legacy_only = await _call(
        http, sim, "getTransaction", [signature, {"encoding": "jsonParsed", **CONFIRMED}]
    )
    assert legacy_only["error"]["code"] == -32015
    assert "maxSupportedTransactionVersion" in legacy_only["error"]["message"]
    base64 = await _call(http, sim, "getTransaction", [signature, {**PARSED, "encoding": "base64"}])
    assert base64["error"]["code"] == -32602
    assert (await _call(http, sim, "getTransaction", ["nope", PARSED]))["error"]["code"] == -32602
    unknown = "1" * 64
    assert (await _call(http, sim, "getTransaction", [unknown, PARSED]))["result"] is None
    processed = await _call(
        http, sim, "getSignaturesForAddress", [PUMPFUN_PROGRAM_ID, {"commitment": "processed"}]
    )
    assert processed["error"]["code"] == -32602  # not supported below confirmed


@pytest.mark.parametrize("limit", [0, 1001, "10", True])
async def test_a_limit_outside_1_to_1000_is_invalid_params(
    sim: SimulatedMarket, http: aiohttp.ClientSession, limit: object
) -> None:
    reply = await _call(
        http, sim, "getSignaturesForAddress", [PUMPFUN_PROGRAM_ID, {"limit": limit}]
    )
    assert reply["error"]["code"] == -32602


def _tx(n: int, *addresses: str) -> SimTransaction:
    return SimTransaction(
        signature=f"sig{n}",
        slot=n,
        block_time=n,
        err=None,
        logs=(),
        accounts=tuple(AccountKey(a) for a in addresses),
    )


def test_the_ledger_keeps_the_newest_and_forgets_the_rest_from_every_index() -> None:
    ledger = Ledger(size=3)
    for n in range(5):
        ledger.record(_tx(n, "prog", f"mint{n}"))
    assert len(ledger) == 3
    assert [t.signature for t in ledger.signatures("prog")] == ["sig4", "sig3", "sig2"]
    assert ledger.signatures("mint0") == []
    assert ledger.get("sig1") is None
    # as a node: an unknown `before` answers nothing, an unknown `until` bounds nothing
    assert ledger.signatures("prog", before="sig0") == []
    unbounded = ledger.signatures("prog", until="sig0")
    assert [t.signature for t in unbounded] == ["sig4", "sig3", "sig2"]
    assert [t.signature for t in ledger.signatures("prog", max_slot=3)] == ["sig3", "sig2"]
