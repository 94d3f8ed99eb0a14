"""The handful of majors every Solana world has, and the few EVM tokens on DexScreener.

Majors are healthy by construction but not spotless: USDC and USDT keep their
mint and freeze authorities (as the real ones do: the issuer mints, redeems and
freezes), which a naive "authority kept = scam" rule gets wrong.
"""

from __future__ import annotations

import random

from tokenradar.domain import TokenRef
from tokenradar.simulator import addresses as A
from tokenradar.simulator.genesis import (
    DAY,
    SOL_QUOTE,
    USDC_QUOTE,
    USDT_QUOTE,
    hash_str,
    token_key,
)
from tokenradar.simulator.model import AuthorityPlan, Fate, MarketParams, PairSpec, Quote, SimToken

# (mint, name, symbol, decimals, supply ui, price, daily sigma, liquidity, mint auth, freeze auth)
_Major = tuple[str, str, str, int, float, float, float, float, str | None, str | None]
_MAJORS: tuple[_Major, ...] = (
    (A.WSOL_MINT, "Wrapped SOL", "SOL", 9, 5.9e8, 150.0, 0.04, 9e7, None, None),
    (A.USDC_MINT, "USD Coin", "USDC", 6, 8.9e9, 1.0, 0.0004, 6e7,
     "BJE5MMbqXjVwjAF7oxwPYXnTXDyspzZyt4vwenNw5ruG",
     "7dGbd2QZcCKcTndnHcTL8q7SMVXAkp688NTQYwrRCrar"),
    (A.USDT_MINT, "USDT", "USDT", 6, 2.4e9, 1.0, 0.0004, 2e7,
     "Q6XprfkF8RQQKoQVG33xT88H7wi8Uk1B1CC7YAs69Gi", "Q6XprfkF8RQQKoQVG33xT88H7wi8Uk1B1CC7YAs69Gi"),
    (A.JUP_MINT, "Jupiter", "JUP", 6, 1e10, 0.45, 0.05, 8e6, None, None),
    (A.BONK_MINT, "Bonk", "Bonk", 5, 8.8e13, 0.00002, 0.07, 6e6, None, None),
)  # fmt: skip

MAJOR_COUNT = len(_MAJORS)
#: what each major trades against (memecoin-like majors trade against SOL and USDC)
_QUOTES = {A.WSOL_MINT: (USDC_QUOTE,), A.USDC_MINT: (USDT_QUOTE,), A.USDT_MINT: (USDC_QUOTE,)}

# (chain, dexes, quote)
_EVM: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...], Quote], ...] = (
    ("ethereum", (("uniswap", ("v2",)), ("uniswap", ("v3",))),
     Quote("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "Wrapped Ether", "WETH", 18)),
    ("base", (("aerodrome", ("v2",)), ("uniswap", ("v3",))),
     Quote("0x4200000000000000000000000000000000000006", "Wrapped Ether", "WETH", 18)),
    ("bsc", (("pancakeswap", ("v2",)), ("pancakeswap", ("v3",))),
     Quote("0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c", "Wrapped BNB", "WBNB", 18)),
)  # fmt: skip


def sol_market(seed: int) -> MarketParams:
    """SOL's own price path: the quote price of every SOL pair."""
    key = token_key(seed, "major", 0)
    return MarketParams(key, 150.0, 0.04, 0.0, 9e7, 2e8, 900.0, False, p0_fdv=150.0 * 5.9e8)


def make_majors(seed: int, *, now: float) -> list[SimToken]:
    out: list[SimToken] = []
    for i, (mint, name, symbol, dec, supply, price, sigma, liq, mauth, fauth) in enumerate(_MAJORS):
        key = token_key(seed, "major", i)
        rng = random.Random(key)
        launched_at = now - rng.uniform(400, 1400) * DAY
        quotes = _QUOTES.get(mint, (SOL_QUOTE, USDC_QUOTE))
        pairs: list[PairSpec] = []
        dexes = [
            ("raydium", None, "raydium", A.RAYDIUM_AMM_PROGRAM, A.RAYDIUM_AMM_AUTHORITY),
            ("orca", ("wp",), "orca", A.ORCA_WHIRLPOOL_PROGRAM, ""),
            ("meteora", ("DLMM",), "meteoraDlmm", A.METEORA_DLMM_PROGRAM, ""),
            ("raydium", ("CLMM",), "raydium_clmm", A.RAYDIUM_CLMM_PROGRAM, ""),
        ]
        n = rng.randint(3, 4) * len(quotes)
        weights = sorted((rng.random() + 0.1 for _ in range(n)), reverse=True)
        for j in range(n):
            dex_id, labels, mtype, program, authority = dexes[j % len(dexes)]
            address = A.pda(rng)
            pairs.append(
                PairSpec(
                    address=address,
                    chain="solana",
                    dex_id=dex_id,
                    labels=labels,
                    market_type=mtype,
                    quote=quotes[j % len(quotes)],
                    weight=weights[j] / sum(weights),
                    created_at=launched_at + rng.uniform(0, 200) * DAY,
                    skew=rng.gauss(0.0, 0.0005) if j else 0.0,
                    missing=frozenset(),
                    program=program,
                    vault_base=A.account(rng),
                    vault_quote=A.account(rng),
                    vault_owner=authority or address,
                    vault_owner_is_pool=not authority,
                    lp_mint=A.account(rng),
                    lp_locked_pct=100.0 if mtype == "raydium" else 0.0,
                )
            )
        market = (
            sol_market(seed)
            if i == 0
            else MarketParams(
                key, price, sigma, 0.0, liq, liq * 1.5, 400.0, False, p0_fdv=price * supply
            )
        )
        creator = A.wallet(rng)
        out.append(
            SimToken(
                index=i,
                ref=TokenRef("solana", mint),
                key=key,
                name=name,
                symbol=symbol,
                decimals=dec,
                supply_raw=int(supply * 10**dec),
                circulating=0.95,
                program=A.TOKEN_PROGRAM,
                extensions=(),
                fate=Fate.HEALTHY,
                major=True,
                launched_at=launched_at,
                via="major",
                mint_authority=AuthorityPlan("kept", mauth)
                if mauth
                else AuthorityPlan("never", None),
                freeze_authority=AuthorityPlan("kept", fauth)
                if fauth
                else AuthorityPlan("never", None),
                top_wallet_share=rng.uniform(0.02, 0.07),
                concentration=0.8,
                total_holders=int(rng.uniform(5e5, 3e6)),
                lp_locked_pct=100.0,
                socials=(("twitter", f"https://x.com/{symbol.lower()}"),),
                website=f"https://{symbol.lower()}.example",
                image=f"https://ipfs.io/ipfs/major{i}",
                uri=f"https://ipfs.io/ipfs/major-meta-{i}",
                mutable_metadata=mint in (A.USDC_MINT, A.USDT_MINT),
                update_authority=creator,
                creator=creator,
                clean_looking=False,
                is_launch=False,
                boost=0,
                market=market,
                pairs=pairs,
                description=f"{name}",
            )
        )
    return out


def make_evm_token(seed: int, index: int, *, now: float) -> SimToken:
    """An EVM token: DexScreener knows it, the Solana services do not."""
    key = token_key(seed, "evm", index)
    rng = random.Random(key)
    chain, dexes, quote = _EVM[index % len(_EVM)]
    fate = rng.choices((Fate.HEALTHY, Fate.RUG, Fate.SLOW_BLEED), weights=(6, 2, 2))[0]
    launched_at = now - rng.uniform(0.2, 300) * DAY
    liquidity = 10 ** rng.uniform(4.0, 7.0)
    pairs = []
    for j, (dex_id, labels) in enumerate(dexes[: rng.randint(1, 2)]):
        pairs.append(
            PairSpec(
                address=A.evm_address(rng),
                chain=chain,
                dex_id=dex_id,
                labels=labels,
                market_type=dex_id,
                quote=quote,
                weight=0.8 if j == 0 else 0.2,
                created_at=launched_at,
                skew=0.0,
                missing=frozenset(),
                program="",
                vault_base="",
                vault_quote="",
                vault_owner="",
                vault_owner_is_pool=False,
                lp_mint="",
                lp_locked_pct=0.0,
            )
        )
    if len(pairs) == 1:
        pairs[0] = _with_weight(pairs[0], 1.0)
    supply = 10 ** rng.uniform(8, 12)
    fdv = liquidity / rng.uniform(0.05, 0.3)
    rug_at = now + rng.expovariate(1 / 3600.0) + 20.0 if fate is Fate.RUG else None
    market = MarketParams(
        key,
        fdv / supply,
        rng.uniform(0.2, 1.0),
        0.0,
        liquidity,
        liquidity * rng.uniform(0.3, 3.0),
        rng.uniform(100, 2000),
        False,
        rug_at=rug_at,
        rug_price_floor=rng.uniform(0.001, 0.05),
        rug_liquidity_floor=rng.uniform(0.0005, 0.02),
        bleed_from=launched_at if fate is Fate.SLOW_BLEED else None,
        bleed_rate=rng.uniform(0.2, 1.0),
        p0_fdv=fdv,
    )
    name = f"{chain.capitalize()} Token {index}"
    symbol = f"E{hash_str(name) % 100000:05d}"[:6]
    creator = A.evm_address(rng)
    return SimToken(
        index=index,
        ref=TokenRef(chain, A.evm_address(rng)),
        key=key,
        name=name,
        symbol=symbol,
        decimals=18,
        supply_raw=int(supply) * 10**18,
        circulating=1.0,
        program="",
        extensions=(),
        fate=fate,
        major=False,
        launched_at=launched_at,
        via="evm",
        mint_authority=AuthorityPlan("never", None),
        freeze_authority=AuthorityPlan("never", None),
        top_wallet_share=rng.uniform(0.02, 0.5),
        concentration=0.7,
        total_holders=int(rng.uniform(50, 20000)),
        lp_locked_pct=0.0,
        socials=(),
        website=None,
        image="",
        uri="",
        mutable_metadata=False,
        update_authority=creator,
        creator=creator,
        clean_looking=False,
        is_launch=False,
        boost=0,
        market=market,
        pairs=pairs,
    )


def _with_weight(p: PairSpec, w: float) -> PairSpec:
    from dataclasses import replace  # noqa: PLC0415

    return replace(p, weight=w)
