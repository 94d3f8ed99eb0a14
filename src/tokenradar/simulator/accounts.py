"""Solana accounts as the RPC returns them: jsonParsed, base64 or base58.

jsonParsed renders what solana-account-decoder renders: mint accounts
(``type: "mint"``; token-2022 ones with an ``extensions`` list of
``{"extension": name, "state": {...}}``, unit extensions without ``state``),
token accounts (``type: "account"`` with ``tokenAmount``), and falls back to
``["<base64>", "base64"]`` for accounts it cannot parse (wallets with no data,
pool and curve accounts owned by AMM programs).
"""

from __future__ import annotations

import base64
import struct
from decimal import Decimal
from typing import Any

import base58

from tokenradar.simulator import addresses as A
from tokenradar.simulator.model import SimToken
from tokenradar.simulator.world import AccountRef, World

RENT_EPOCH = 18446744073709551615  # u64::MAX: rent-exempt accounts since rent collection ended
MINT_LAMPORTS = 1_461_600
TOKEN_ACCOUNT_LAMPORTS = 2_039_280
EPOCH_SLOTS = 432_000

_EXT_TYPES = {
    "transferFeeConfig": (1, 108),
    "mintCloseAuthority": (3, 32),
    "defaultAccountState": (6, 1),
    "nonTransferable": (9, 0),
    "permanentDelegate": (12, 32),
    "transferHook": (14, 64),
    "metadataPointer": (18, 64),
    "tokenMetadata": (19, 0),
}


class EncodingError(ValueError):
    """The account cannot be returned in the requested encoding (JSON-RPC -32602)."""


def ui_amount_string(amount: int, decimals: int) -> str:
    if decimals == 0:
        return str(amount)
    text = f"{Decimal(amount).scaleb(-decimals):.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def token_amount(amount: int, decimals: int) -> dict[str, Any]:
    return {
        "amount": str(amount),
        "decimals": decimals,
        "uiAmount": amount / 10**decimals,
        "uiAmountString": ui_amount_string(amount, decimals),
    }


def _ui_extension(tok: SimToken, ext: dict[str, Any], epoch: int) -> dict[str, Any]:
    name = str(ext["extension"])
    if name == "transferFeeConfig":
        fee = {
            "epoch": epoch,
            "maximumFee": tok.supply_raw // 100,
            "transferFeeBasisPoints": ext["bps"],
        }
        state: dict[str, Any] = {
            "newerTransferFee": fee,
            "olderTransferFee": dict(fee, epoch=max(0, epoch - 3)),
            "transferFeeConfigAuthority": ext["authority"],
            "withdrawWithheldAuthority": ext["authority"],
            "withheldAmount": 0,
        }
    elif name == "permanentDelegate":
        state = {"delegate": ext["delegate"]}
    elif name == "transferHook":
        state = {"authority": ext["authority"], "programId": ext["program"]}
    elif name == "mintCloseAuthority":
        state = {"closeAuthority": ext["authority"]}
    elif name == "defaultAccountState":
        state = {"accountState": ext["state"]}
    elif name == "metadataPointer":
        state = {"authority": ext["authority"], "metadataAddress": tok.ref.address}
    elif name == "tokenMetadata":
        state = {
            "additionalMetadata": [],
            "mint": tok.ref.address,
            "name": tok.name,
            "symbol": tok.symbol,
            "updateAuthority": tok.update_authority,
            "uri": tok.uri,
        }
    else:  # unit extensions (nonTransferable) carry no state
        return {"extension": name}
    return {"extension": name, "state": state}


def _coption(address: str | None) -> bytes:
    if address is None:
        return b"\0" * 36
    return struct.pack("<I", 1) + base58.b58decode(address)


def mint_bytes(tok: SimToken, tau: float) -> bytes:
    raw = (
        _coption(tok.mint_authority.holder_at(tau))
        + struct.pack("<QBB", tok.supply_raw, tok.decimals, 1)
        + _coption(tok.freeze_authority.holder_at(tau))
    )
    if tok.program != A.TOKEN_2022_PROGRAM:
        return raw
    raw += b"\0" * (165 - len(raw)) + b"\x01"  # padding to the account size, then AccountType::Mint
    for ext in tok.extensions:
        code, size = _EXT_TYPES[str(ext["extension"])]
        body = (tok.name + tok.symbol + tok.uri).encode() if code == 19 else b"\0" * size
        raw += struct.pack("<HH", code, len(body)) + body
    return raw


def token_account_bytes(mint: str, owner: str, amount: int) -> bytes:
    return (
        base58.b58decode(mint)
        + base58.b58decode(owner)
        + struct.pack("<Q", amount)
        + b"\0" * 36  # delegate: None
        + b"\x01"  # state: initialized
        + b"\0" * 12  # is_native: None
        + struct.pack("<Q", 0)  # delegated amount
        + b"\0" * 36  # close authority: None
    )


def _envelope(data: Any, owner: str, lamports: int, space: int) -> dict[str, Any]:
    return {
        "data": data,
        "executable": False,
        "lamports": lamports,
        "owner": owner,
        "rentEpoch": RENT_EPOCH,
        "space": space,
    }


def _binary(raw: bytes, encoding: str) -> Any:
    if encoding in ("base58", "binary"):
        if len(raw) > 128:
            raise EncodingError(
                "Encoded binary (base 58) data should be less than 128 bytes, "
                "please use Base64 encoding."
            )
        text = base58.b58encode(raw).decode("ascii")
        return text if encoding == "binary" else [text, "base58"]
    return [base64.b64encode(raw).decode("ascii"), "base64"]


def _program_bytes(ref: AccountRef, address: str) -> bytes:
    seed = base58.b58decode(address)
    return (seed[:8] + b"\0" * ref.space)[: ref.space]


def render(world: World, address: str, encoding: str, tau: float) -> dict[str, Any] | None:
    """The account at ``address`` in ``encoding``; None when no account exists there."""
    ref = world.account(address)
    if ref is None:
        return None
    parsed = encoding == "jsonParsed"
    if ref.kind == "mint":
        tok = ref.token
        assert tok is not None
        if tau < tok.launched_at:
            return None
        raw = mint_bytes(tok, tau)
        if not parsed:
            return _envelope(_binary(raw, encoding), tok.program, MINT_LAMPORTS, len(raw))
        info: dict[str, Any] = {
            "decimals": tok.decimals,
            "freezeAuthority": tok.freeze_authority.holder_at(tau),
            "isInitialized": True,
            "mintAuthority": tok.mint_authority.holder_at(tau),
            "supply": str(tok.supply_raw),
        }
        program_name = "spl-token"
        if tok.program == A.TOKEN_2022_PROGRAM:
            program_name = "spl-token-2022"
            epoch = world.slot(tau) // EPOCH_SLOTS
            info["extensions"] = [_ui_extension(tok, e, epoch) for e in tok.extensions]
        data = {
            "parsed": {"info": info, "type": "mint"},
            "program": program_name,
            "space": len(raw),
        }
        return _envelope(data, tok.program, MINT_LAMPORTS, len(raw))
    if ref.kind in ("token_account", "quote_vault"):
        return _token_account(world, ref, address, encoding, tau)
    if ref.kind == "wallet":
        return _envelope(
            _binary(b"", encoding) if not parsed else ["", "base64"],
            A.SYSTEM_PROGRAM,
            ref.lamports,
            0,
        )
    raw = _program_bytes(ref, address)
    data = _binary(raw, "base64" if parsed else encoding)
    return _envelope(data, ref.program, ref.lamports, ref.space)


def _token_account(
    world: World, ref: AccountRef, address: str, encoding: str, tau: float
) -> dict[str, Any] | None:
    tok = ref.token
    assert tok is not None
    if tau < tok.launched_at:
        return None
    if ref.kind == "quote_vault":
        pair = ref.pair
        assert pair is not None
        if tau < pair.created_at:
            return None
        snap = world.snapshot(tok, tau)
        quote_ui = snap.liquidity * pair.weight / 2.0 / world.quote_price(pair.quote, tau)
        mint, owner, decimals = pair.quote.address, pair.vault_owner, pair.quote.decimals
        amount = int(quote_ui * 10**decimals)
        program = A.TOKEN_PROGRAM
    else:
        holder = next((h for h in world.holders(tok, tau) if h.address == address), None)
        if holder is None:
            return None
        mint, owner, decimals, amount = tok.ref.address, holder.owner, tok.decimals, holder.amount
        program = tok.program
    raw = token_account_bytes(mint, owner, amount)
    if encoding != "jsonParsed":
        return _envelope(_binary(raw, encoding), program, TOKEN_ACCOUNT_LAMPORTS, len(raw))
    info: dict[str, Any] = {
        "isNative": False,
        "mint": mint,
        "owner": owner,
        "state": "initialized",
        "tokenAmount": token_amount(amount, decimals),
    }
    program_name = "spl-token"
    if program == A.TOKEN_2022_PROGRAM:
        program_name = "spl-token-2022"
        info["extensions"] = [{"extension": "immutableOwner"}]
    data = {"parsed": {"info": info, "type": "account"}, "program": program_name, "space": 165}
    return _envelope(data, program, TOKEN_ACCOUNT_LAMPORTS, 165)
