"""Pure parsing of what the backfill reads: signature lists and created tokens.

``getSignaturesForAddress`` answers a list of ``{signature, slot, err,
blockTime, confirmationStatus, memo}``, newest first (:func:`parse_signatures`).
``getTransaction`` (``jsonParsed``) answers the transaction or ``null``;
:func:`created_token` reads the token it created, if any, in this order:

1. a pump.fun CreateEvent in ``meta.logMessages`` (mint, name, symbol);
2. a launchpad: the one mint an ``initializeMint``/``initializeMint2``
   instruction (outer or inner) creates;
3. a pool: the one mint of ``meta.postTokenBalances`` that is not a quote
   (SOL, USDC, USDT) and not minted in the transaction (an LP mint).

A failed transaction created nothing; a transaction where the rule finds no
mint, or more than one, is not taken as a creation (None): never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tokenradar.discovery.programs import PoolProgram
from tokenradar.domain import is_solana_address
from tokenradar.errors import MalformedResponse
from tokenradar.providers.coerce import as_dict, as_float, as_int, as_list, as_str
from tokenradar.providers.pumpfun import create_event_from_logs
from tokenradar.providers.solana_parse import SOURCE

#: mints a new pool is quoted in, never the new token itself
QUOTE_MINTS: Final = frozenset(
    {
        "So11111111111111111111111111111111111111112",  # wrapped SOL
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",  # USDC
        "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",  # USDT
    }
)
_INITIALIZE_MINT: Final = frozenset({"initializeMint", "initializeMint2"})


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    signature: str
    slot: int | None
    failed: bool  # ``err`` was set: the transaction changed nothing
    block_time: float | None  # epoch s


@dataclass(frozen=True, slots=True)
class CreatedToken:
    mint: str
    block_time: float | None
    slot: int | None
    name: str | None = None
    symbol: str | None = None


def parse_signatures(result: object) -> list[SignatureInfo]:
    """The entries of a ``getSignaturesForAddress`` result, in the node's order."""
    if not isinstance(result, list):
        raise MalformedResponse(
            SOURCE, "getSignaturesForAddress: expected an array", body=str(result)[:200]
        )
    infos = []
    for entry in result:
        item = as_dict(entry)
        signature = as_str(item.get("signature"))
        if signature is None:
            raise MalformedResponse(
                SOURCE, "getSignaturesForAddress: an entry without a signature", body=str(entry)
            )
        infos.append(
            SignatureInfo(
                signature=signature,
                slot=as_int(item.get("slot")),
                failed=item.get("err") is not None,
                block_time=as_float(item.get("blockTime")),
            )
        )
    return infos


def _instructions(tx: dict[str, object]) -> list[dict[str, object]]:
    message = as_dict(as_dict(tx.get("transaction")).get("message"))
    outer = [as_dict(i) for i in as_list(message.get("instructions"))]
    inner = [
        as_dict(i)
        for group in as_list(as_dict(tx.get("meta")).get("innerInstructions"))
        for i in as_list(as_dict(group).get("instructions"))
    ]
    return outer + inner


def _minted(tx: dict[str, object]) -> set[str]:
    """Mints an ``initializeMint`` instruction of this transaction creates."""
    minted = set()
    for instruction in _instructions(tx):
        parsed = as_dict(instruction.get("parsed"))
        if parsed.get("type") in _INITIALIZE_MINT:
            mint = as_str(as_dict(parsed.get("info")).get("mint"))
            if mint is not None:
                minted.add(mint)
    return minted


def _one(candidates: set[str]) -> str | None:
    valid = {c for c in candidates if is_solana_address(c)}
    return next(iter(valid)) if len(valid) == 1 else None


def created_token(tx: object, program: PoolProgram) -> CreatedToken | None:
    """The token ``tx`` (a jsonParsed ``getTransaction`` result) created, if any."""
    body = as_dict(tx)
    meta = as_dict(body.get("meta"))
    if not body or meta.get("err") is not None:
        return None
    block_time = as_float(body.get("blockTime"))
    slot = as_int(body.get("slot"))
    logs = [line for line in as_list(meta.get("logMessages")) if isinstance(line, str)]
    event = create_event_from_logs(logs) if program.decodes else None
    if event is not None and is_solana_address(event.mint):
        return CreatedToken(event.mint, block_time, slot, name=event.name, symbol=event.symbol)
    minted = _minted(body)
    if program.kind == "launchpad":
        mint = _one(minted)
    else:
        balances = {
            m
            for b in as_list(meta.get("postTokenBalances"))
            if (m := as_str(as_dict(b).get("mint"))) is not None
        }
        mint = _one(balances - QUOTE_MINTS - minted)
    return CreatedToken(mint, block_time, slot) if mint is not None else None
