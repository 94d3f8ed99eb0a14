"""Addresses of the simulated chain: real program ids, and seeded fresh keys.

Wallets on Solana are ed25519 public keys, so they lie ON the curve; program
derived addresses (PDAs: pool authorities, vaults' owners, bonding curves) are
chosen to lie OFF it. The simulator keeps that property, so a client may use the
same on-curve test it would use against mainnet.
"""

from __future__ import annotations

import random

SYSTEM_PROGRAM = "11111111111111111111111111111111"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
ASSOCIATED_TOKEN_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
METADATA_PROGRAM = "metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s"
COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111"
RENT_SYSVAR = "SysvarRent111111111111111111111111111111111"

PUMPFUN_PROGRAM = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
#: pump.fun's fixed accounts (global config, mint authority, event authority, fee wallet)
PUMPFUN_GLOBAL = "4wTV1YmiEkRvAtNtsSGPtUrqRYQMe5SKy2uB4Jjaxnjf"
PUMPFUN_MINT_AUTHORITY = "TSLvdd1pWpHVjahSpsvCXUbgwsL3JAcvokwaKt1eokM"
PUMPFUN_EVENT_AUTHORITY = "Ce6TQqeHC9p8KetsN6JsjHK7UTZk7nasjjnr7XxXp9F1"
PUMPFUN_FEE_RECIPIENT = "CebN5WGQ4jvEPvsVU4EoHEpgzq1VV7AbicfhtW4xC9iM"
PUMPSWAP_PROGRAM = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"
RAYDIUM_AMM_PROGRAM = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"
RAYDIUM_CPMM_PROGRAM = "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"
RAYDIUM_CLMM_PROGRAM = "CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK"
ORCA_WHIRLPOOL_PROGRAM = "whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc"
METEORA_DLMM_PROGRAM = "LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo"
METEORA_DYN_PROGRAM = "Eo7WjKq67rjJQSZxS6z3YkapzY3eMj6Xy8X5EQVn5UaB"
STREAMFLOW_PROGRAM = "strmRqUCoQUgGUan5YhzUZa6KqdzwX5L6FpUxfmKg5m"

#: Raydium AMM v4's single authority: owner of every v4 pool vault.
RAYDIUM_AMM_AUTHORITY = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"
#: Raydium CPMM's authority: owner of every CPMM pool vault.
RAYDIUM_CPMM_AUTHORITY = "GpMZbSM2GgvTKHJirzeGfMFoaZ8UR2X7F4v8vHTvxFbL"

WSOL_MINT = "So11111111111111111111111111111111111111112"
USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
USDT_MINT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
JUP_MINT = "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN"
BONK_MINT = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"

# ed25519 (edwards25519) parameters, for the on-curve test.
_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P


_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_CHUNK = 58**10  # divide the big integer ten digits at a time: 4x faster than digit by digit


def b58(raw: bytes) -> str:
    """Base58 (Bitcoin alphabet), as ``base58.b58encode`` but fast enough for 10^5 keys."""
    n = int.from_bytes(raw, "big")
    digits: list[int] = []
    while n:
        n, chunk = divmod(n, _CHUNK)
        for _ in range(10):
            chunk, d = divmod(chunk, 58)
            digits.append(d)
    while digits and digits[-1] == 0:
        digits.pop()
    zeros = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * zeros + "".join(_ALPHABET[d] for d in reversed(digits))


def is_on_curve(raw: bytes) -> bool:
    """True when 32 bytes decompress to an edwards25519 point (a possible wallet key).

    The same test as ``PublicKey.isOnCurve`` in @solana/web3.js; PDAs fail it.
    """
    if len(raw) != 32:
        return False
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= _P:
        return False
    y2 = y * y % _P
    u = (y2 - 1) % _P
    v = (_D * y2 + 1) % _P  # never 0: d is not a square
    if u == 0:  # x = 0: valid only with the sign bit clear
        return not raw[31] >> 7
    # x^2 = u/v has a root iff u/v is a square iff u*v is a square mod p.
    return _jacobi(u * v % _P, _P) == 1


def _jacobi(a: int, n: int) -> int:
    """The Jacobi symbol (a/n): for prime n, 1 iff a is a non-zero square mod n.

    Five times faster than Euler's criterion (a modular exponentiation) in CPython."""
    a %= n
    result = 1
    while a:
        while not a & 1:
            a >>= 1
            if n & 7 in (3, 5):
                result = -result
        a, n = n, a
        if a & 3 == 3 and n & 3 == 3:
            result = -result
        a %= n
    return result if n == 1 else 0


def wallet(rng: random.Random) -> str:
    """A fresh on-curve address (what a keypair's public key looks like)."""
    while True:
        raw = rng.randbytes(32)
        if is_on_curve(raw):
            return b58(raw)


def pda(rng: random.Random) -> str:
    """A fresh off-curve address (what a program derived address looks like)."""
    while True:
        raw = rng.randbytes(32)
        if not is_on_curve(raw):
            return b58(raw)


def account(rng: random.Random) -> str:
    """Any fresh address (token accounts, mints, pool state accounts): nobody classifies
    these by curve, so they skip the (slow, pure-Python) curve test."""
    return b58(rng.randbytes(32))


def signature(rng: random.Random) -> str:
    """A transaction signature: 64 bytes, base58."""
    return b58(rng.randbytes(64))


def evm_address(rng: random.Random) -> str:
    return "0x" + rng.randbytes(20).hex()
