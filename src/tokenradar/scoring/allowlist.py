"""Well-known majors that keep authorities by design.

USDC and USDT keep mint and freeze authorities (issuers mint, burn and freeze
by law), PYUSD is a token-2022 mint with a permanent delegate, liquid-staking
tokens are minted by their stake-pool programs. A scorer that reads those as rug
signals rates USDT 45/100; an allowlisted token passes the checks listed in
``[scoring] allowlist_exempt`` with the reason "allowlisted major".

Real Solana mint addresses. Extend with ``[scoring.allowlist]``.
"""

from __future__ import annotations

from tokenradar.settings.scoring import ScoringSettings

MAJORS: dict[str, str] = {
    "So11111111111111111111111111111111111111112": "wrapped SOL",
    "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v": "USDC",
    "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB": "USDT",
    "2b1kV6DkPAnxd5ixfnxCpjxmKwqjjaYmCZfHsFu24GXo": "PYUSD",
    "JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN": "JUP",
    "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263": "BONK",
    "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm": "WIF",
    "4k3Dyjzvzp8eMZWUXbBCjEvwSkkk59S5iCNLY3QrkX6R": "RAY",
    "J1toso1uCk3RLmjorhTtrVwY9HJ7X8V9yYac6Y7kGCPn": "JitoSOL",
    "mSoLzYCxHdYgdzU16g5QSh3i5K3z3KZK7ytfqcJm7So": "mSOL",
}


def effective_allowlist(settings: ScoringSettings) -> dict[str, str]:
    """``"chain:address" -> label`` of every allowlisted token: the built-in
    majors (unless ``builtin_allowlist = false``) and ``[scoring.allowlist]``."""
    base = {f"solana:{addr}": label for addr, label in MAJORS.items()}
    return (base if settings.builtin_allowlist else {}) | settings.allowlist
