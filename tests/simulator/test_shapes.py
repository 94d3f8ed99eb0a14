"""Simulated DexScreener pairs and RugCheck reports have the real fixtures' shape."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tokenradar.simulator import SimulatedMarket, run_simulator
from tokenradar.simulator.addresses import SYSTEM_PROGRAM

from .conftest import fast_config
from .shapes import differences, shape_of

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
async def open_sim() -> AsyncIterator[SimulatedMarket]:
    async with run_simulator(fast_config(tokens=400, profile="unlimited")) as market:
        yield market


def _real_pairs() -> list[dict[str, object]]:
    pairs: list[dict[str, object]] = []
    for f in sorted(DATA.glob("dexscreener_latest_dex_tokens_*.json")):
        pairs.extend(json.loads(f.read_text())["pairs"])
    return pairs


async def test_simulated_dexscreener_pairs_have_the_real_shape(
    open_sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    refs = open_sim.world.tokens
    sim_pairs: list[dict[str, object]] = []
    for chain in sorted({r.chain for r in refs}):
        addrs = [r.address for r in refs if r.chain == chain]
        for i in range(0, len(addrs), 30):
            url = f"{open_sim.dexscreener_url}/tokens/v1/{chain}/{','.join(addrs[i : i + 30])}"
            async with http.get(url) as r:
                assert r.status == 200
                sim_pairs.extend(await r.json())
    assert len(sim_pairs) > 400
    problems = differences(
        shape_of(_real_pairs()),
        shape_of(sim_pairs),
        extra_ok={
            ".boosts": "DexScreener adds boosts.active on boosted tokens' pairs (API docs)",
            ".boosts.active": "as above",
        },
        optional_ok={".pairCreatedAt": "can be missing (fixtures README)"},
    )
    assert problems == []
    # the quirks show up, not just the keys
    assert any("priceUsd" not in p for p in sim_pairs)
    assert any(p["priceChange"] == {} or len(p["priceChange"]) < 4 for p in sim_pairs)  # type: ignore[arg-type]
    assert any("labels" not in p for p in sim_pairs)
    assert all(isinstance(p["priceNative"], str) for p in sim_pairs)
    zero_volume = [
        p
        for p in sim_pairs
        if p["volume"]["h24"] == 0 and sum(p["txns"]["h24"].values()) > 0  # type: ignore[index]
    ]
    assert zero_volume


async def test_simulated_rugcheck_reports_have_the_real_shape(
    open_sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    real = [json.loads(f.read_text()) for f in sorted(DATA.glob("rugcheck_report_*.json"))]
    mints = [r.address for r in open_sim.world.tokens if r.chain == "solana"][:120]
    reports = []
    for mint in mints:
        async with http.get(f"{open_sim.rugcheck_url}/v1/tokens/{mint}/report") as r:
            assert r.status == 200
            reports.append(await r.json())
    problems = differences(
        shape_of(real),
        shape_of(reports),
        extra_ok={
            # The fixtures' tokens all revoked their freeze authority; when it is kept,
            # RugCheck reports it exactly like the mint authority (account object / string).
            ".freezeAuthority:object": "mirrors .mintAuthority",
            ".freezeAuthority.lamports": "mirrors .mintAuthority",
            ".freezeAuthority.owner": "mirrors .mintAuthority",
            ".freezeAuthority.data": "mirrors .mintAuthority",
            ".freezeAuthority.data[]": "mirrors .mintAuthority",
            ".freezeAuthority.executable": "mirrors .mintAuthority",
            ".freezeAuthority.rentEpoch": "mirrors .mintAuthority",
            ".token.freezeAuthority:str": "mirrors .token.mintAuthority",
            # the fixtures' tokens have no transfer fee (0); a 0.5 % fee is a JSON float
            ".transferFee.pct:float": "fractional percent fees",
        },
        optional_ok={},
    )
    assert problems == []
    # integers beyond 2^53 appear, as in the real reports
    assert any(r["token"]["supply"] > 2**53 for r in reports)
    names = {risk["name"] for r in reports for risk in r["risks"]}
    assert {"Mint Authority still enabled", "Freeze Authority still enabled"} <= names
    assert "Large Amount of LP Unlocked" in names


async def test_concentrated_liquidity_markets_report_no_lp_mint_like_real_rugcheck(
    open_sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    """DLMM / CLMM / Whirlpool pools have no fungible LP token: mainnet RugCheck gives
    them the default address as LP mint (every fixture report does), so a client can
    tell their ``lpLockedPct: 0`` ("no LP token") from an unlocked LP-token pool."""
    no_lp_token = {"meteoraDlmm", "raydium_clmm", "orca"}
    real = [json.loads(f.read_text()) for f in sorted(DATA.glob("rugcheck_report_*.json"))]
    real_markets = [m for r in real for m in r["markets"] if m["marketType"] in no_lp_token]
    assert real_markets
    assert {m["mintLP"] for m in real_markets} == {SYSTEM_PROGRAM}
    seen: dict[bool, int] = {True: 0, False: 0}
    for tok in open_sim.world.tokens:
        if tok.chain != "solana":
            continue
        async with http.get(f"{open_sim.rugcheck_url}/v1/tokens/{tok.address}/report") as r:
            report = await r.json()
        for m in report["markets"]:
            concentrated = m["marketType"] in no_lp_token
            seen[concentrated] += 1
            assert (m["mintLP"] == SYSTEM_PROGRAM) is concentrated, m["marketType"]
            assert m["lp"]["lpMint"] == m["mintLP"]
        if all(seen.values()):
            break
    assert all(seen.values())  # both kinds of pool were checked


async def test_rugcheck_transfer_fee_pct_is_the_mint_accounts_fee_not_truncated(
    open_sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    """A 50 bps transfer fee is 0.5 % in the report, as on the chain; it was reported as
    0 % (integer division), so the RugCheck fallback read a taxed token as untaxed."""
    fees: dict[int, float] = {}
    for ref in open_sim.world.tokens:
        tok = open_sim.world.token(ref.address)
        assert tok is not None
        fee = next((e for e in tok.extensions if e["extension"] == "transferFeeConfig"), None)
        if fee is None:
            continue
        async with http.get(f"{open_sim.rugcheck_url}/v1/tokens/{ref.address}/report") as r:
            fees[int(fee["bps"])] = (await r.json())["transferFee"]["pct"]
    assert any(bps % 100 for bps in fees)  # fractional percents were checked
    assert fees == {bps: pytest.approx(bps / 100.0) for bps in fees}
