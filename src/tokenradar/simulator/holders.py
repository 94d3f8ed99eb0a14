"""Who holds a token: wallets, pool vaults, bonding curves, locker escrows.

The set of accounts is drawn once per token (lazily, on first need, from the
token's own seed); their balances follow the market: a pool vault holds the
token side of that pool's liquidity, so after a rug it is nearly empty, and a
pump.fun bonding curve empties as the price climbs.

How a client tells a pool vault from a wallet (the same rules hold on mainnet):

1. Every holder is a token account; its parsed ``info.owner`` is the owner.
2. Look the owners up with ``getMultipleAccounts`` (jsonParsed):
   - ``null`` (no account)               -> a PDA authority (Raydium AMM v4
     ``5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1``, Raydium CPMM
     ``GpMZbSM2GgvTKHJirzeGfMFoaZ8UR2X7F4v8vHTvxFbL``): a pool vault;
   - ``owner`` is a program other than ``11111111111111111111111111111111``
     (pump.fun, PumpSwap, Orca, Meteora, Raydium CLMM pool accounts, a
     Streamflow escrow): a pool vault / bonding curve / program escrow;
   - ``owner == 11111111111111111111111111111111`` (System Program): a wallet.
3. Independently, wallets are on the ed25519 curve and PDAs are not
   (``addresses.is_on_curve``), which also catches an authority PDA that
   someone has sent lamports to (mainnet's Raydium authority is such a case).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

from tokenradar.simulator import addresses as A
from tokenradar.simulator.market import pool_base_tokens
from tokenradar.simulator.model import Fate, HolderTruth, SimToken
from tokenradar.simulator.noise import subkey

HolderKind = Literal["wallet", "pool_vault", "bonding_curve", "program"]


@dataclass(frozen=True, slots=True)
class HolderSlot:
    address: str  # token account
    owner: str
    kind: HolderKind
    share: float  # fixed share (wallets, escrows); vaults/curves follow the market
    pair: int | None = None  # index into token.pairs for pool vaults


@dataclass(frozen=True, slots=True)
class HolderBook:
    slots: tuple[HolderSlot, ...]
    escrow_owner: str | None  # a program-owned escrow account (exists, owned by Streamflow)


def build_book(token: SimToken) -> HolderBook:
    rng = random.Random(subkey(token.key, 77))
    slots: list[HolderSlot] = []
    for i, pair in enumerate(token.pairs):
        kind: HolderKind = "bonding_curve" if pair.market_type == "pump_fun" else "pool_vault"
        slots.append(HolderSlot(pair.vault_base, pair.vault_owner, kind, 0.0, i))
    top = token.top_wallet_share
    slots.append(
        HolderSlot(A.account(rng), token.creator if top > 0.2 else A.wallet(rng), "wallet", top)
    )
    escrow: str | None = None
    if token.fate is Fate.HEALTHY and not token.is_launch and rng.random() < 0.3:
        escrow = A.pda(rng)
        slots.append(HolderSlot(A.account(rng), escrow, "program", rng.uniform(0.03, 0.15)))
    # The tail: each next wallet holds a fraction of the previous one. Bundled
    # rugs (several wallets bought together) show near-equal shares.
    bundled = token.fate in (Fate.RUG, Fate.PUMP_AND_DUMP) and rng.random() < 0.4
    share = top * rng.uniform(0.15, 0.6)
    for _ in range(24):
        slots.append(HolderSlot(A.account(rng), A.wallet(rng), "wallet", share))
        share *= rng.uniform(0.93, 0.99) if bundled else token.concentration + rng.uniform(0, 0.12)
    return HolderBook(tuple(slots), escrow)


def balances(
    token: SimToken, book: HolderBook, price: float, liquidity: float, tau: float
) -> list[HolderTruth]:
    """Every account of ``book`` with its balance at ``tau``, largest first."""
    supply_ui = token.supply_raw / 10**token.decimals
    market_shares: dict[int, float] = {}
    for slot in book.slots:
        if slot.pair is None:
            continue
        pair = token.pairs[slot.pair]
        if tau < pair.created_at:
            market_shares[slot.pair] = 0.0
        elif slot.kind == "bonding_curve":
            grown = math.sqrt(max(token.market.p0, 1e-30) / max(price, 1e-30))
            market_shares[slot.pair] = max(0.02, min(0.95, 0.8 * grown))
        else:
            tokens_in_pool = pool_base_tokens(liquidity * pair.weight / 2.0, price, supply_ui)
            market_shares[slot.pair] = min(0.6, tokens_in_pool / supply_ui)
    pooled = sum(market_shares.values())
    fixed = sum(s.share for s in book.slots if s.pair is None)
    room = 0.985 - pooled
    scale = min(1.0, room / fixed) if fixed > 0 else 1.0
    out: list[HolderTruth] = []
    for slot in book.slots:
        share = market_shares[slot.pair] if slot.pair is not None else slot.share * max(scale, 0.0)
        amount = int(share * token.supply_raw)
        out.append(HolderTruth(slot.address, slot.owner, slot.kind, share, amount))
    out.sort(key=lambda h: h.amount, reverse=True)
    return out
