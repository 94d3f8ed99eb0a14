"""DexScreener's request rules: 30 addresses at most, null pairs, chain filtering."""

from __future__ import annotations

import aiohttp

from tokenradar.simulator import SimulatedMarket


async def test_addresses_past_the_30th_are_ignored(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    mints = [t.address for t in sim.world.tokens if t.chain == "solana"][:31]
    async with http.get(f"{sim.dexscreener_url}/tokens/v1/solana/{','.join(mints)}") as r:
        pairs = await r.json()
    bases = {p["baseToken"]["address"] for p in pairs}
    assert mints[29] in bases
    assert mints[30] not in bases
    assert sim.stats()["endpoints"]["dexscreener.tokens"]["batch_sizes"] == {"31": 1}


async def test_unknown_tokens_give_null_pairs_and_other_chains_nothing(
    sim: SimulatedMarket, http: aiohttp.ClientSession
) -> None:
    async with http.get(
        f"{sim.dexscreener_url}/latest/dex/tokens/So1111111111111111111111111111111111111111x"
    ) as r:
        assert await r.json() == {"schemaVersion": "1.0.0", "pairs": None}
    evm = next(t for t in sim.world.tokens if t.is_evm)
    async with http.get(f"{sim.dexscreener_url}/tokens/v1/solana/{evm.address}") as r:
        assert await r.json() == []
    async with http.get(
        f"{sim.dexscreener_url}/tokens/v1/{evm.chain}/{evm.address.upper().replace('0X', '0x')}"
    ) as r:
        pairs = await r.json()
    assert pairs
    assert all(p["chainId"] == evm.chain for p in pairs)
