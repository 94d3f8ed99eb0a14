"""Who holds a token: classifying the largest accounts and measuring concentration.

``getTokenLargestAccounts`` returns token *accounts*. Each has an owner (its
authority), and the owner is itself an account owned by some program. That
program tells what the holder is:

- ``POOL_VAULT``: the owner is a known AMM/launchpad vault authority (a PDA
  that has no account of its own, so it is recognised by address), or the
  owner account is owned by an AMM/launchpad program (pool state accounts own
  the vaults of Orca Whirlpools, Raydium CLMM, Meteora DLMM/DAMM, PumpSwap and
  the pump.fun bonding curves). Liquidity, not a holder.
- ``WALLET``: the owner account is owned by the System Program: a keypair.
- ``PROGRAM``: the owner account is owned by any other program (lockers,
  vesting, bridges, multisigs), or the owner is the incinerator (burned).
- ``UNKNOWN``: the owner could not be learned (token account closed between
  calls, owner account never funded).

``top1_share``/``top10_share`` count WALLET and UNKNOWN holders only: vaults
and programs are not people who can dump. UNKNOWN counts against the token on
purpose: an address we cannot explain is treated like a wallet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from tokenradar.domain import Holder, HolderKind, HoldersData
from tokenradar.providers.coerce import as_bool, as_dict, as_str
from tokenradar.providers.pumpfun import PUMPFUN_PROGRAM_ID

SYSTEM_PROGRAM_ID: Final = "11111111111111111111111111111111"
INCINERATOR: Final = "1nc1nerator11111111111111111111111111111111"

#: vault authorities that are PDAs without an account: recognised by address
POOL_AUTHORITIES: Final = {
    "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1": "Raydium AMM v4 authority",
    "GpMZbSM2GgvTKHJirzeGfMFoaZ8UR2X7F4v8vHTvxFbL": "Raydium CPMM vault authority",
    "WLHv2UAZm6z4KyaaELi5pjdbJh6RESMva1Rnn8pJVVh": "Raydium LaunchLab vault authority",
}

#: programs whose accounts (pool states, bonding curves) own liquidity vaults
AMM_PROGRAMS: Final = {
    "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8": "Raydium AMM v4",
    "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C": "Raydium CPMM",
    "CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK": "Raydium CLMM",
    "LanMV9sAd7wArD4vJFi2qDdfnVhFxYSUg6eADduJ3uj": "Raydium LaunchLab",
    "whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc": "Orca Whirlpool",
    "9W959DqEETiGZocYWCQPaJ6sBmUzgfxXfqGeTEdp3aP": "Orca token swap v2",
    "LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo": "Meteora DLMM",
    "Eo7WjKq67rjJQSZxS6z3YkapzY3eMj6Xy8X5EQVn5UaB": "Meteora dynamic AMM",
    "cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG": "Meteora DAMM v2",
    "dbcij3LWUppWqq96dh6gJWwBifmcGfLSB5D4DuSMaqN": "Meteora dynamic bonding curve",
    "24Uqj9JCLxUeoC3hGfh5W3s9FM9uCHDS2SG3LYwBpyTi": "Meteora vault",
    PUMPFUN_PROGRAM_ID: "pump.fun bonding curve",
    "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA": "PumpSwap AMM",
    "MoonCVVNZFSYkqNXP6bxHLPL6QQJiMagDL3qcqUQTrG": "Moonshot",
    "2wT8Yq49kHgDzXuPxZSaeLaH1qbmGXtEyPy64bL7aD3c": "Lifinity v2",
}


@dataclass(frozen=True, slots=True)
class LargestAccount:
    """One entry of getTokenLargestAccounts, with its owner once known."""

    address: str
    amount: int
    owner: str | None = None


def classify_owner(owner: str | None, owner_account: object) -> HolderKind:
    """What a token account's owner is, from the owner's address and its account.

    ``owner_account`` is the owner's account as getMultipleAccounts returns it
    (None when it does not exist); only its ``owner`` and ``executable`` are read.
    """
    if owner is None:
        return HolderKind.UNKNOWN
    if owner in POOL_AUTHORITIES:
        return HolderKind.POOL_VAULT
    if owner == INCINERATOR:
        return HolderKind.PROGRAM  # burned: out of circulation, nobody can sell it
    if owner_account is None:
        return HolderKind.UNKNOWN
    account = as_dict(owner_account)
    program = as_str(account.get("owner"))
    if program is None:
        return HolderKind.UNKNOWN
    if program in AMM_PROGRAMS:
        return HolderKind.POOL_VAULT
    if program == SYSTEM_PROGRAM_ID and as_bool(account.get("executable")) is not True:
        return HolderKind.WALLET
    return HolderKind.PROGRAM


def build_holders(
    supply: int,
    decimals: int,
    largest: Sequence[LargestAccount],
    owner_accounts: Mapping[str, object],
) -> HoldersData:
    """HoldersData from the largest accounts, their owners and the owners' accounts."""
    ranked = sorted(largest, key=lambda a: a.amount, reverse=True)
    top = tuple(
        Holder(
            token_account=acc.address,
            owner=acc.owner,
            amount=acc.amount,
            share=acc.amount / supply if supply > 0 else 0.0,
            kind=classify_owner(acc.owner, owner_accounts.get(acc.owner or "")),
        )
        for acc in ranked
    )
    people = [h.share for h in top if h.kind in {HolderKind.WALLET, HolderKind.UNKNOWN}]
    if supply <= 0:
        return HoldersData(supply, decimals, top, None, None)
    return HoldersData(
        supply=supply,
        decimals=decimals,
        top=top,
        top1_share=people[0] if people else 0.0,
        top10_share=sum(people[:10]),
    )
