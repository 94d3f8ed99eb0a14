"""Drawing tokens: fates first, then the observable traits that real rugs tend to show.

Each token is drawn from its own ``random.Random`` seeded by ``(seed, kind,
index)``, so a world is identical for a seed whatever its size or the order of
requests, and the n-th launch of a run is always the same token.

Fates (pre-existing tokens / pools launched during the run)::

    healthy        55 % / 12 %
    slow_bleed     20 % / 40 %     (dead: volume dries up, price bleeds)
    rug            15 % / 30 %     (liquidity pulled; 40 % of existing rugs happened before start)
    pump_and_dump   7 % / 15 %
    honeypot        3 % /  3 %

Observable traits, drawn independently given the fate (probabilities)::

                       healthy  rug   pump&dump  slow_bleed  honeypot
    mint authority kept   0.04  0.55     0.20       0.15        0.60
    freeze authority kept 0.03  0.40     0.12       0.08        0.90
    top wallet share     1-8 %  30-90 % (p 0.75) else 8-25 %   15-50 %  5-30 %  20-70 %
    LP locked/burned      0.85  0.12     0.45       0.55        0.30
    socials / website     0.85  0.25     0.55       0.45        0.35
    wash-trading volume   0.05  0.55     0.40       0.10        0.30
    token-2022            0.05  0.08     0.05       0.05        0.45
    mutable metadata      0.35  0.75     0.50       0.50        0.80
    median pair age       45 d  8 h      2 d        20 d        12 h

Noise, as in real data: a bad fate is drawn with *healthy* traits ("clean
looking") with probability 0.15 (rug), 0.25 (pump_and_dump), 0.50 (slow_bleed),
0.10 (honeypot); healthy tokens still get each risk trait at the rates above
(e.g. 4 % keep a mint authority); the majors USDC and USDT keep mint and freeze
authority by design. pump.fun launches never have a mint or freeze authority
(the program revokes both in the create instruction): their risk shows in holder
concentration, missing socials and wash trading. Authorities that are not kept
are either revoked 1-30 minutes after launch (60 %) or never set (40 %).

Token-2022 tokens always carry metadataPointer + tokenMetadata and, with the
given probabilities, transferFeeConfig (0.30; honeypots 0.50 with fees of 5-99 %),
permanentDelegate (0.15; honeypots 0.50), transferHook (0.10; honeypots 0.40),
mintCloseAuthority (0.15), defaultAccountState frozen (0.02; honeypots 0.30),
nonTransferable (0.01).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Any

from tokenradar.domain import TokenRef
from tokenradar.simulator import addresses as A
from tokenradar.simulator.model import AuthorityPlan, Fate, MarketParams, PairSpec, Quote, SimToken
from tokenradar.simulator.noise import mix

DAY = 86400.0
U64_MAX = 2**64 - 1

SOL_QUOTE = Quote(A.WSOL_MINT, "Wrapped SOL", "SOL", 9)
USDC_QUOTE = Quote(A.USDC_MINT, "USD Coin", "USDC", 6)
USDT_QUOTE = Quote(A.USDT_MINT, "USDT", "USDT", 6)

FATES_EXISTING = {
    Fate.HEALTHY: 0.55,
    Fate.SLOW_BLEED: 0.20,
    Fate.RUG: 0.15,
    Fate.PUMP_AND_DUMP: 0.07,
    Fate.HONEYPOT: 0.03,
}
FATES_LAUNCH = {
    Fate.HEALTHY: 0.12,
    Fate.SLOW_BLEED: 0.40,
    Fate.RUG: 0.30,
    Fate.PUMP_AND_DUMP: 0.15,
    Fate.HONEYPOT: 0.03,
}
CLEAN_LOOKING = {
    Fate.RUG: 0.15,
    Fate.PUMP_AND_DUMP: 0.25,
    Fate.SLOW_BLEED: 0.50,
    Fate.HONEYPOT: 0.1,
}


@dataclass(frozen=True, slots=True)
class Traits:
    mint_kept: float
    freeze_kept: float
    top_share: tuple[float, float]
    top_share_alt: tuple[float, float, float] | None  # (p, lo, hi) of an alternative range
    lp_locked: float
    socials: float
    wash: float
    t2022: float
    mutable: float
    median_age: float  # seconds


TRAITS = {
    Fate.HEALTHY: Traits(0.04, 0.03, (0.01, 0.08), None, 0.85, 0.85, 0.05, 0.05, 0.35, 45 * DAY),
    Fate.RUG: Traits(
        0.55, 0.40, (0.30, 0.90), (0.25, 0.08, 0.25), 0.12, 0.25, 0.55, 0.08, 0.75, 8 * 3600.0
    ),
    Fate.PUMP_AND_DUMP: Traits(
        0.20, 0.12, (0.15, 0.50), None, 0.45, 0.55, 0.40, 0.05, 0.5, 2 * DAY
    ),
    Fate.SLOW_BLEED: Traits(0.15, 0.08, (0.05, 0.30), None, 0.55, 0.45, 0.10, 0.05, 0.5, 20 * DAY),
    Fate.HONEYPOT: Traits(0.60, 0.90, (0.20, 0.70), None, 0.30, 0.35, 0.30, 0.45, 0.8, 12 * 3600.0),
}

# (dexId, labels, RugCheck marketType, program, vault owner is the pool account, weight)
SOLANA_DEXES: tuple[tuple[str, tuple[str, ...] | None, str, str, bool, float], ...] = (
    ("raydium", None, "raydium", A.RAYDIUM_AMM_PROGRAM, False, 0.30),
    ("raydium", ("CPMM",), "raydium_cpmm", A.RAYDIUM_CPMM_PROGRAM, False, 0.15),
    ("raydium", ("CLMM",), "raydium_clmm", A.RAYDIUM_CLMM_PROGRAM, True, 0.10),
    ("orca", ("wp",), "orca", A.ORCA_WHIRLPOOL_PROGRAM, True, 0.10),
    ("meteora", ("DLMM",), "meteoraDlmm", A.METEORA_DLMM_PROGRAM, True, 0.15),
    ("meteora", ("DYN",), "meteora", A.METEORA_DYN_PROGRAM, True, 0.05),
    ("pumpswap", None, "pump_fun_amm", A.PUMPSWAP_PROGRAM, True, 0.15),
)
#: Pools whose LP is a fungible LP token that the deployer can pull (the rug-able kind).
LP_TOKEN_MARKETS = frozenset({"raydium", "raydium_cpmm", "pump_fun_amm", "meteora"})

_SYLLABLES = (
    "mo", "on", "pe", "pe", "do", "ge", "ki", "tty", "bon", "ka", "sol", "ra", "zu", "fi",
    "wif", "hat", "cat", "dog", "pup", "neo", "lu", "na", "ti", "ger", "ape", "frog", "chad",
    "gi", "ga", "mu", "mu", "tr", "ump", "ai", "bot", "x", "inu", "pump", "fun", "sha", "rk",
)  # fmt: skip


def token_key(seed: int, kind: str, index: int) -> int:
    return mix(hash_str(f"{seed}:{kind}:{index}"))


def hash_str(text: str) -> int:
    h = 0xCBF29CE484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001B3) & ((1 << 64) - 1)
    return h


def _pick(rng: random.Random, weights: dict[Fate, float]) -> Fate:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _name(rng: random.Random) -> tuple[str, str]:
    parts = [rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))]
    word = "".join(parts)
    name = word.capitalize() if rng.random() < 0.6 else " ".join(p.capitalize() for p in parts)
    symbol = word.upper()[: rng.randint(3, 8)]
    return name, symbol


def _authority(
    rng: random.Random, kept: bool, launched_at: float, holder: str, *, pumpfun: bool
) -> AuthorityPlan:
    if pumpfun:
        return AuthorityPlan("never", None)
    if kept:
        return AuthorityPlan("kept", holder)
    if rng.random() < 0.6:
        return AuthorityPlan("revoked", holder, launched_at + rng.uniform(60.0, 1800.0))
    return AuthorityPlan("never", None)


def _extensions(
    rng: random.Random, fate: Fate, mint: str, holder: str
) -> tuple[dict[str, Any], ...]:
    honeypot = fate is Fate.HONEYPOT
    ext: list[dict[str, Any]] = [{"extension": "metadataPointer", "authority": holder}]
    if rng.random() < (0.5 if honeypot else 0.3):
        bps = rng.randint(500, 9900) if honeypot else rng.choice((0, 10, 25, 50, 100, 300))
        ext.append({"extension": "transferFeeConfig", "bps": bps, "authority": holder})
    if rng.random() < (0.5 if honeypot else 0.15):
        ext.append({"extension": "permanentDelegate", "delegate": holder})
    if rng.random() < (0.4 if honeypot else 0.10):
        ext.append({"extension": "transferHook", "authority": holder, "program": A.pda(rng)})
    if rng.random() < 0.15:
        ext.append({"extension": "mintCloseAuthority", "authority": holder})
    if rng.random() < (0.3 if honeypot else 0.02):
        ext.append({"extension": "defaultAccountState", "state": "frozen"})
    if rng.random() < 0.01:
        ext.append({"extension": "nonTransferable"})
    ext.append({"extension": "tokenMetadata", "mint": mint})
    return tuple(ext)


def _pairs(
    rng: random.Random,
    *,
    n: int,
    launched_at: float,
    rug_prone: bool,
    pumpfun_curve: str | None,
    lp_locked_pct: float,
) -> list[PairSpec]:
    out: list[PairSpec] = []
    primary = rng.uniform(0.6, 0.9) if n > 1 else 1.0
    rest = [rng.random() + 0.05 for _ in range(n - 1)]
    weights = [primary] + [(1.0 - primary) * r / sum(rest) for r in rest]
    for i, w in enumerate(weights):
        if i == 0 and pumpfun_curve is not None:
            dex: tuple[str, tuple[str, ...] | None, str, str, bool, float] = (
                "pumpfun", None, "pump_fun", A.PUMPFUN_PROGRAM, True, 1.0
            )  # fmt: skip
        else:
            pool = [d for d in SOLANA_DEXES if not rug_prone or d[2] in LP_TOKEN_MARKETS]
            dex = rng.choices(pool, weights=[d[5] for d in pool])[0]
        dex_id, labels, market_type, program, owner_is_pool, _ = dex
        if i == 0 and pumpfun_curve:
            address = pumpfun_curve
        else:  # pools owning their vaults are PDAs; v4/CPMM pool ids are keypair accounts
            address = A.pda(rng) if owner_is_pool else A.account(rng)
        if market_type == "raydium":
            owner = A.RAYDIUM_AMM_AUTHORITY
        elif market_type == "raydium_cpmm":
            owner = A.RAYDIUM_CPMM_AUTHORITY
        else:
            owner = address  # the pool (or bonding curve) account owns its vaults
        quote = SOL_QUOTE if i == 0 or rng.random() < 0.7 else USDC_QUOTE
        missing: set[str] = set()
        if i > 0 and rng.random() < 0.08:
            # Odd pairs are quoted in another memecoin that DexScreener has no USD price
            # for: no priceUsd, liquidity, fdv or marketCap, and USD volume 0 with trades.
            qname, qsymbol = _name(rng)
            quote = Quote(A.account(rng), qname, qsymbol, 6, 10 ** rng.uniform(-6, 0))
            missing |= {"priceUsd", "liquidity", "fdv", "marketCap"}
        if rng.random() < 0.02:
            missing.add("pairCreatedAt")
        locked = lp_locked_pct if market_type in LP_TOKEN_MARKETS else 0.0
        if market_type == "pump_fun":
            locked = 100.0  # a bonding curve has no LP tokens to pull
        out.append(
            PairSpec(
                address=address,
                chain="solana",
                dex_id=dex_id,
                labels=labels,
                market_type=market_type,
                quote=quote,
                weight=w,
                created_at=launched_at if i == 0 else launched_at + rng.uniform(0, 3 * DAY),
                skew=rng.gauss(0.0, 0.002) if i else 0.0,
                missing=frozenset(missing),
                program=program,
                vault_base=A.account(rng),
                vault_quote=A.account(rng),
                vault_owner=owner,
                vault_owner_is_pool=owner_is_pool,
                lp_mint=A.account(rng),
                lp_locked_pct=locked,
            )
        )
    return out


def _market(
    rng: random.Random, key: int, fate: Fate, *, launched_at: float, now: float, launch: bool
) -> MarketParams:
    if launch:
        fdv = _lognormal(rng, 6_000.0, 0.4)
        liquidity = fdv * rng.uniform(0.6, 1.0)  # the bonding curve's virtual reserves
        sigma = rng.uniform(1.5, 4.0)
    elif fate is Fate.HEALTHY:
        fdv = _lognormal(rng, 5e6, 2.0)
        liquidity = fdv * rng.uniform(0.03, 0.2)
        sigma = rng.uniform(0.15, 0.8)
    else:
        fdv = _lognormal(rng, 2e5, 1.5)
        liquidity = fdv * rng.uniform(0.08, 0.4)
        sigma = rng.uniform(0.5, 1.8)
    wash = False
    turnover = _lognormal(rng, 1.0, 0.8)
    avg_trade = _lognormal(rng, 150.0, 0.8)
    params: dict[str, Any] = {}
    age = now - launched_at
    if fate is Fate.RUG:
        if launch:
            rug_at = now + rng.expovariate(1 / 600.0) + 30.0
        elif rng.random() < 0.4:
            rug_at = launched_at + rng.uniform(0.1, 1.0) * max(age, 600.0)
            rug_at = min(rug_at, now - 1.0)
        else:
            rug_at = now + rng.expovariate(1 / 3600.0) + 20.0
        params |= {
            "rug_at": max(rug_at, launched_at + 120.0),
            "rug_price_floor": rng.uniform(0.001, 0.05),
            "rug_liquidity_floor": rng.uniform(0.0005, 0.02),
        }
    elif fate is Fate.PUMP_AND_DUMP:
        start = (
            now + rng.uniform(0, 300.0) if launch else now + rng.uniform(-min(age, DAY), 4 * 3600)
        )
        params |= {
            "pump_at": max(start, launched_at + 60.0),
            "pump_len": rng.uniform(600.0, 5400.0),
            "pump_gain": rng.uniform(3.0, 30.0),
            "dump_len": rng.uniform(120.0, 1200.0),
            "dump_factor": rng.uniform(0.02, 0.15),
        }
    elif fate is Fate.SLOW_BLEED:
        params |= {
            "bleed_from": launched_at + rng.uniform(0.0, 0.5) * max(age, 3600.0),
            "bleed_rate": rng.uniform(0.2, 1.0),
        }
    elif fate is Fate.HONEYPOT:
        params |= {"sell_ratio": rng.uniform(0.0, 0.04), "drift": rng.uniform(0.3, 1.0)}
    return MarketParams(
        key=key,
        p0=1.0,  # set by the caller from fdv / supply
        sigma=sigma,
        drift=params.pop("drift", rng.gauss(0.0, 0.02)),
        liquidity0=liquidity,
        volume0=liquidity * turnover,
        avg_trade=avg_trade,
        wash=wash,
        p0_fdv=fdv,
        **params,
    )


def make_token(seed: int, index: int, *, now: float, launch: bool) -> SimToken:
    """The ``index``-th pre-existing token (``launch=False``) or the ``index``-th launch."""
    kind = "launch" if launch else "token"
    key = token_key(seed, kind, index)
    rng = random.Random(key)
    fate = _pick(rng, FATES_LAUNCH if launch else FATES_EXISTING)
    clean = fate is not Fate.HEALTHY and rng.random() < CLEAN_LOOKING[fate]
    tr = TRAITS[Fate.HEALTHY if clean else fate]
    mint = A.account(rng)
    creator = A.wallet(rng)
    name, symbol = _name(rng)
    if launch:
        launched_at = now
    else:
        launched_at = now - min(_lognormal(rng, tr.median_age, 1.5), 900 * DAY) - 60.0
    pumpfun = launch or (not clean and fate is not Fate.HEALTHY and rng.random() < 0.3)
    decimals = 6 if pumpfun else rng.choices((6, 9, 8, 5), weights=(70, 20, 6, 4))[0]
    supply_ui = 1e9 if pumpfun else 10 ** rng.uniform(6.0, 12.5)
    supply_ui = min(supply_ui, 0.9 * U64_MAX / 10**decimals)  # SPL supplies are u64
    supply_raw = int(supply_ui * 10**decimals)
    t2022 = not pumpfun and rng.random() < tr.t2022
    lp_locked = rng.uniform(95.0, 100.0) if rng.random() < tr.lp_locked else rng.uniform(0.0, 5.0)
    if tr.top_share_alt is not None and rng.random() < tr.top_share_alt[0]:
        top = rng.uniform(tr.top_share_alt[1], tr.top_share_alt[2])
    else:
        top = rng.uniform(*tr.top_share)
    has_socials = rng.random() < tr.socials
    slug = symbol.lower()
    socials: list[tuple[str, str]] = []
    if has_socials:
        socials.append(("twitter", f"https://x.com/{slug}{rng.randint(1, 999)}"))
        if rng.random() < 0.7:
            socials.append(("telegram", f"https://t.me/{slug}_portal"))
    website = f"https://{slug}.{rng.choice(('com', 'io', 'xyz', 'fun'))}" if has_socials else None
    n_pairs = 1
    if not launch and not pumpfun:
        n_pairs = (
            1 + min(5, int(rng.expovariate(1 / 1.2)))
            if fate is Fate.HEALTHY
            else rng.choice((1, 1, 1, 2))
        )
    curve = A.pda(rng) if pumpfun else None
    rug_prone = fate in (Fate.RUG, Fate.HONEYPOT) and not clean
    pairs = _pairs(
        rng,
        n=n_pairs,
        launched_at=launched_at,
        rug_prone=rug_prone,
        pumpfun_curve=curve if launch else None,
        lp_locked_pct=lp_locked,
    )
    if pumpfun and not launch:
        # Graduated from pump.fun to PumpSwap: the curve is empty, the pool is the pair.
        curve = None
    market = _market(rng, key, fate, launched_at=launched_at, now=now, launch=launch)
    market = _replace(market, p0=market.p0_fdv / supply_ui, wash=rng.random() < tr.wash)
    if market.wash:
        market = _replace(
            market,
            volume0=market.volume0 * rng.uniform(5.0, 30.0),
            avg_trade=rng.uniform(15.0, 60.0),
        )
    return SimToken(
        index=index,
        ref=TokenRef("solana", mint),
        key=key,
        name=name,
        symbol=symbol,
        decimals=decimals,
        supply_raw=supply_raw,
        circulating=1.0 if pumpfun else rng.uniform(0.5, 1.0),
        program=A.TOKEN_2022_PROGRAM if t2022 else A.TOKEN_PROGRAM,
        extensions=_extensions(rng, fate, mint, creator) if t2022 else (),
        fate=fate,
        major=False,
        launched_at=launched_at,
        via="pumpfun" if pumpfun else pairs[0].dex_id,
        mint_authority=_authority(
            rng, rng.random() < tr.mint_kept, launched_at, creator, pumpfun=pumpfun
        ),
        freeze_authority=_authority(
            rng, rng.random() < tr.freeze_kept, launched_at, creator, pumpfun=pumpfun
        ),
        top_wallet_share=top,
        concentration=rng.uniform(0.55, 0.85),
        total_holders=int(_lognormal(rng, 3000.0 if fate is Fate.HEALTHY else 250.0, 1.0)) + 25,
        lp_locked_pct=lp_locked,
        socials=tuple(socials),
        website=website,
        image=f"https://ipfs.io/ipfs/bafkrei{rng.randbytes(20).hex()}",
        uri=f"https://ipfs.io/ipfs/Qm{A.b58(rng.randbytes(32))[:44]}",
        mutable_metadata=rng.random() < tr.mutable,
        update_authority=creator if rng.random() < 0.8 else A.wallet(rng),
        creator=creator,
        clean_looking=clean,
        is_launch=launch,
        boost=rng.choice((10, 30, 50, 100, 500))
        if rng.random() < (0.1 if rug_prone else 0.03)
        else 0,
        market=market,
        pairs=pairs,
        bonding_curve=curve,
        description=f"{name} is the next {rng.choice(('100x', 'moonshot', 'community coin'))}"
        if has_socials
        else "",
    )


def _replace(m: MarketParams, **changes: Any) -> MarketParams:
    return replace(m, **changes)
