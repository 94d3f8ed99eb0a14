"""Checks every client runs on the tokens of a call before anything is sent.

Misuse (an empty, oversized or mixed batch, an EVM token for a Solana-only
provider) is a programming error of the caller, so it raises ``ValueError``
and nothing reaches the wire.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokenradar.domain import SOLANA, TokenRef


def check_batch(
    tokens: Sequence[TokenRef],
    *,
    provider: str,
    max_batch: int,
    one_chain: bool = False,
    solana_only: bool = False,
) -> None:
    if not tokens:
        raise ValueError(f"{provider}: no tokens given")
    if len(tokens) > max_batch:
        raise ValueError(
            f"{provider}: {len(tokens)} tokens in one call; at most {max_batch} allowed"
        )
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"{provider}: duplicate tokens in one call")
    if solana_only:
        others = [str(t) for t in tokens if t.chain != SOLANA]
        if others:
            raise ValueError(f"{provider} serves Solana tokens only, got {', '.join(others)}")
    if one_chain:
        chains = {t.chain for t in tokens}
        if len(chains) > 1:
            raise ValueError(
                f"{provider}: tokens of one request must share a chain, got {sorted(chains)}"
            )
