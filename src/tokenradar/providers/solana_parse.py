"""Pure parsing for Solana JSON-RPC: error objects, mint accounts, token accounts.

JSON-RPC errors arrive with HTTP 200, per call inside a batch, so they are
mapped here to the same hierarchy the HTTP layer uses (codes from
``solana-rpc-client-api``'s ``custom_error.rs`` and the JSON-RPC 2.0 spec):

==========================================  ===========================================
code                                        raised
==========================================  ===========================================
429, -32429, or a "too many requests" text  ``RateLimited`` (a provider's rate limit)
-32005 node unhealthy / behind              ``UpstreamUnavailable``
-32004, -32014 block not available (yet)    ``UpstreamUnavailable``
-32016 min context slot not reached         ``UpstreamUnavailable``
-32603 internal error                       ``UpstreamUnavailable``
other -32000..-32099 (server-defined)       ``UpstreamUnavailable``
-32700 parse, -32600 invalid request        ``PermanentError``
-32601 method not found                     ``PermanentError``
-32602 invalid params (incl. "not a mint")  ``PermanentError``
-32010 key excluded from secondary index    ``PermanentError``
anything else                               ``PermanentError``
==========================================  ===========================================
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from tokenradar.domain import MintData, TokenProgram
from tokenradar.errors import (
    MalformedResponse,
    PermanentError,
    RateLimited,
    UpstreamError,
    UpstreamUnavailable,
)
from tokenradar.providers.coerce import as_bool, as_dict, as_int, as_list, as_str

SOURCE = "solana_rpc"

SPL_TOKEN_PROGRAM_ID: Final = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM_ID: Final = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
TOKEN_PROGRAMS: Final = {
    SPL_TOKEN_PROGRAM_ID: TokenProgram.SPL_TOKEN,
    TOKEN_2022_PROGRAM_ID: TokenProgram.SPL_TOKEN_2022,
}

_TRANSIENT_CODES: Final = frozenset({-32004, -32005, -32014, -32016, -32603})
_PERMANENT_SERVER_CODES: Final = frozenset({-32010, -32002, -32003, -32006, -32013, -32015})
_RATE_LIMIT_CODES: Final = frozenset({429, -32429})

#: getTokenLargestAccounts' message for a mint that does not exist (code -32602)
MINT_NOT_FOUND_TEXT: Final = "could not find mint"


def rpc_error(error: object, *, method: str) -> UpstreamError:
    """The typed exception for a JSON-RPC ``error`` object."""
    err = as_dict(error)
    code = as_int(err.get("code"))
    message = as_str(err.get("message")) or "no message"
    body = orjson.dumps(error, default=str)
    text = f"{method}: JSON-RPC error {code}: {message}"
    lowered = message.lower()
    if code in _RATE_LIMIT_CODES or "too many requests" in lowered or "rate limit" in lowered:
        return RateLimited(SOURCE, text, body=body)
    if code in _TRANSIENT_CODES:
        return UpstreamUnavailable(SOURCE, text, body=body)
    if code is not None and -32099 <= code <= -32000 and code not in _PERMANENT_SERVER_CODES:
        return UpstreamUnavailable(SOURCE, text, body=body)
    return PermanentError(SOURCE, text, body=body)


def is_mint_not_found(error: object) -> bool:
    """Whether ``error`` is agave's getTokenLargestAccounts refusal of a missing account."""
    return isinstance(error, PermanentError) and MINT_NOT_FOUND_TEXT in error.message.lower()


def rpc_value(result: object, *, method: str) -> object:
    """``result.value`` of a contextful RPC result (``{"context": ..., "value": ...}``)."""
    if not isinstance(result, dict) or "value" not in result:
        raise MalformedResponse(SOURCE, f"{method}: result has no 'value'", body=str(result))
    return result["value"]


def _parsed(account: dict[str, Any]) -> tuple[str | None, dict[str, Any], str | None]:
    """(parsed type, parsed info, program name) of a jsonParsed account, if parsed."""
    data = account.get("data")
    if not isinstance(data, dict):  # ["<base64>", "base64"]: the node could not parse it
        return None, {}, None
    parsed = as_dict(data.get("parsed"))
    return as_str(parsed.get("type")), as_dict(parsed.get("info")), as_str(data.get("program"))


def _transfer_fee_bps(extensions: list[Any]) -> int | None:
    for ext in extensions:
        entry = as_dict(ext)
        if entry.get("extension") != "transferFeeConfig":
            continue
        state = as_dict(entry.get("state"))
        # which of the two is in force depends on the epoch; a buyer may soon pay the higher
        fees = [
            as_int(as_dict(state.get(k)).get("transferFeeBasisPoints"))
            for k in ("olderTransferFee", "newerTransferFee")
        ]
        present = [f for f in fees if f is not None]
        return max(present) if present else None
    return None


def parse_mint_account(account: object, address: str) -> MintData:
    """A jsonParsed mint account → MintData.

    Raises :class:`PermanentError` when the account exists but is not a mint of
    a token program, :class:`MalformedResponse` when a mint lacks its supply or
    decimals.
    """
    acc = as_dict(account)
    owner = as_str(acc.get("owner"))
    program = TOKEN_PROGRAMS.get(owner or "")
    kind, info, _ = _parsed(acc)
    if program is None or kind != "mint":
        what = f"a {kind!r} account" if kind else "an unparsed account"
        raise PermanentError(
            SOURCE, f"{address} is not a mint: {what} owned by {owner or 'nobody'}"
        )
    supply = as_int(info.get("supply"))
    decimals = as_int(info.get("decimals"))
    if supply is None or decimals is None or supply < 0 or not 0 <= decimals <= 255:
        raise MalformedResponse(
            SOURCE, f"mint {address} lacks a usable supply/decimals", body=str(info)
        )
    extensions = as_list(info.get("extensions"))
    names = tuple(
        name for e in extensions if (name := as_str(as_dict(e).get("extension"))) is not None
    )
    return MintData(
        program=program,
        mint_authority=as_str(info.get("mintAuthority")),
        freeze_authority=as_str(info.get("freezeAuthority")),
        supply=supply,
        decimals=decimals,
        is_initialized=as_bool(info.get("isInitialized")) is not False,
        extensions=names,
        transfer_fee_bps=_transfer_fee_bps(extensions),
    )


def token_account_owner(account: object) -> str | None:
    """The owner (authority) of a jsonParsed token account; None if it is not one."""
    acc = as_dict(account)
    if as_str(acc.get("owner")) not in TOKEN_PROGRAMS:
        return None
    kind, info, _ = _parsed(acc)
    return as_str(info.get("owner")) if kind == "account" else None
