"""pump.fun transactions of the simulated chain: their logs and their ``jsonParsed`` bodies.

A **create** carries, as on mainnet, ``Program log: Instruction: Create`` and a
``Program data:`` line with the Anchor CreateEvent (encoded with
:mod:`tokenradar.providers.pumpfun`, so client and simulator agree on the
bytes), the create instruction with its accounts in the program's order (mint,
mint authority, bonding curve, associated bonding curve, global, metadata
program, metadata, user, ...), and inner instructions that create and
initialise the mint (``initializeMint2``), mint the whole supply to the curve
and revoke the mint authority. A **trade** (Buy/Sell noise) moves tokens
between the curve and a wallet and carries a TradeEvent. A failed create has
``err`` set and its mint never exists.
"""

from __future__ import annotations

import base64
import hashlib
import random
import struct
from dataclasses import dataclass
from typing import Any

import base58

from tokenradar.providers.pumpfun import encode_create_event, program_data_log
from tokenradar.simulator import addresses as A
from tokenradar.simulator.ledger import AccountKey, SimTransaction

TRADE_EVENT_DISCRIMINATOR = bytes.fromhex("bddb7fd34ee661ee")
CREATE_DISCRIMINATOR = hashlib.sha256(b"global:create").digest()[:8]
BUY_DISCRIMINATOR = hashlib.sha256(b"global:buy").digest()[:8]
SELL_DISCRIMINATOR = hashlib.sha256(b"global:sell").digest()[:8]
#: pump.fun mints one billion tokens of six decimals to the bonding curve
DECIMALS = 6
TOTAL_SUPPLY = 1_000_000_000 * 10**DECIMALS


@dataclass(frozen=True, slots=True)
class Launch:
    """What one create transaction creates."""

    name: str
    symbol: str
    uri: str
    mint: str
    curve: str  # the bonding curve (a PDA)
    user: str  # the creator's wallet, fee payer and signer

    def associated_curve(self) -> str:
        """The curve's token account: a stable fresh address per mint."""
        return A.account(random.Random(f"ata:{self.mint}"))

    def metadata(self) -> str:
        return A.pda(random.Random(f"metadata:{self.mint}"))


def create_logs(launch: Launch, *, failed: bool) -> list[str]:
    event = encode_create_event(
        launch.name,
        launch.symbol,
        launch.uri,
        base58.b58decode(launch.mint),
        base58.b58decode(launch.curve),
        base58.b58decode(launch.user),
    )
    logs = [
        f"Program {A.COMPUTE_BUDGET_PROGRAM} invoke [1]",
        f"Program {A.COMPUTE_BUDGET_PROGRAM} success",
        f"Program {A.PUMPFUN_PROGRAM} invoke [1]",
        "Program log: Instruction: Create",
        f"Program {A.TOKEN_PROGRAM} invoke [2]",
        "Program log: Instruction: InitializeMint2",
        f"Program {A.TOKEN_PROGRAM} consumed 2780 of 234142 compute units",
        f"Program {A.TOKEN_PROGRAM} success",
        f"Program {A.METADATA_PROGRAM} invoke [2]",
        "Program log: IX: Create Metadata Accounts v3",
        f"Program {A.METADATA_PROGRAM} consumed 33766 of 208553 compute units",
        f"Program {A.METADATA_PROGRAM} success",
        program_data_log(event),
    ]
    if failed:
        logs += [
            f"Program {A.PUMPFUN_PROGRAM} consumed 98001 of 249850 compute units",
            f"Program {A.PUMPFUN_PROGRAM} failed: custom program error: 0x1770",
        ]
    else:
        logs += [
            f"Program {A.PUMPFUN_PROGRAM} consumed 122839 of 249850 compute units",
            f"Program {A.PUMPFUN_PROGRAM} success",
        ]
    return logs


def trade_logs(rng: random.Random, mint: str, *, buy: bool) -> list[str]:
    payload = (
        TRADE_EVENT_DISCRIMINATOR
        + base58.b58decode(mint)
        + struct.pack("<QQ?", rng.randint(10**6, 10**10), rng.randint(10**9, 10**14), buy)
        + rng.randbytes(32)
        + struct.pack(
            "<qQQ", 1_700_000_000, rng.randint(10**10, 10**11), rng.randint(10**14, 10**15)
        )
    )
    return [
        f"Program {A.COMPUTE_BUDGET_PROGRAM} invoke [1]",
        f"Program {A.COMPUTE_BUDGET_PROGRAM} success",
        f"Program {A.PUMPFUN_PROGRAM} invoke [1]",
        f"Program log: Instruction: {'Buy' if buy else 'Sell'}",
        f"Program {A.TOKEN_PROGRAM} invoke [2]",
        "Program log: Instruction: Transfer",
        f"Program {A.TOKEN_PROGRAM} success",
        "Program data: " + base64.b64encode(payload).decode("ascii"),
        f"Program {A.PUMPFUN_PROGRAM} consumed 40317 of 200000 compute units",
        f"Program {A.PUMPFUN_PROGRAM} success",
    ]


def _borsh(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<I", len(raw)) + raw


def _raw(program: str, accounts: list[str], data: bytes, stack: int | None) -> dict[str, Any]:
    """An instruction ``jsonParsed`` cannot parse: accounts and base-58 data."""
    return {"accounts": accounts, "data": A.b58(data), "programId": program, "stackHeight": stack}


def _parsed(program: str, name: str, kind: str, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "parsed": {"info": info, "type": kind},
        "program": name,
        "programId": program,
        "stackHeight": 2,
    }


def _compute_budget() -> list[dict[str, Any]]:
    limit = _raw(A.COMPUTE_BUDGET_PROGRAM, [], bytes([2]) + struct.pack("<I", 250_000), None)
    price = _raw(A.COMPUTE_BUDGET_PROGRAM, [], bytes([3]) + struct.pack("<Q", 100_000), None)
    return [limit, price]


def _token_amount(amount: int) -> dict[str, Any]:
    ui = amount / 10**DECIMALS
    return {
        "amount": str(amount),
        "decimals": DECIMALS,
        "uiAmount": ui,
        "uiAmountString": f"{ui:g}",
    }


def create_transaction(
    launch: Launch, *, signature: str, slot: int, block_time: int, err: Any, blockhash: str
) -> SimTransaction:
    """A pump.fun create, as ``getTransaction`` (jsonParsed, version 0) shows it."""
    ata, metadata = launch.associated_curve(), launch.metadata()
    keys = [
        AccountKey(launch.user, signer=True, writable=True),
        AccountKey(launch.mint, signer=True, writable=True),
        AccountKey(launch.curve, writable=True),
        AccountKey(ata, writable=True),
        AccountKey(metadata, writable=True),
        AccountKey(A.PUMPFUN_MINT_AUTHORITY),
        AccountKey(A.PUMPFUN_GLOBAL),
        AccountKey(A.METADATA_PROGRAM),
        AccountKey(A.SYSTEM_PROGRAM),
        AccountKey(A.TOKEN_PROGRAM),
        AccountKey(A.ASSOCIATED_TOKEN_PROGRAM),
        AccountKey(A.RENT_SYSVAR),
        AccountKey(A.PUMPFUN_EVENT_AUTHORITY),
        AccountKey(A.COMPUTE_BUDGET_PROGRAM),
        AccountKey(A.PUMPFUN_PROGRAM),
    ]
    create_accounts = [
        launch.mint,
        A.PUMPFUN_MINT_AUTHORITY,
        launch.curve,
        ata,
        A.PUMPFUN_GLOBAL,
        A.METADATA_PROGRAM,
        metadata,
        launch.user,
        A.SYSTEM_PROGRAM,
        A.TOKEN_PROGRAM,
        A.ASSOCIATED_TOKEN_PROGRAM,
        A.RENT_SYSVAR,
        A.PUMPFUN_EVENT_AUTHORITY,
        A.PUMPFUN_PROGRAM,
    ]
    data = CREATE_DISCRIMINATOR + _borsh(launch.name) + _borsh(launch.symbol) + _borsh(launch.uri)
    system, token = A.SYSTEM_PROGRAM, A.TOKEN_PROGRAM
    inner = [
        _parsed(
            system,
            "system",
            "createAccount",
            {
                "lamports": 1_461_600,
                "newAccount": launch.mint,
                "owner": token,
                "source": launch.user,
                "space": 82,
            },
        ),
        _parsed(
            token,
            "spl-token",
            "initializeMint2",
            {"decimals": DECIMALS, "mint": launch.mint, "mintAuthority": A.PUMPFUN_MINT_AUTHORITY},
        ),
        _parsed(
            A.ASSOCIATED_TOKEN_PROGRAM,
            "spl-associated-token-account",
            "create",
            {
                "account": ata,
                "mint": launch.mint,
                "source": launch.user,
                "systemProgram": system,
                "tokenProgram": token,
                "wallet": launch.curve,
            },
        ),
        _raw(A.METADATA_PROGRAM, [metadata, launch.mint, launch.user], bytes([33]), 2),
        _parsed(
            token,
            "spl-token",
            "mintTo",
            {
                "account": ata,
                "amount": str(TOTAL_SUPPLY),
                "mint": launch.mint,
                "mintAuthority": A.PUMPFUN_MINT_AUTHORITY,
            },
        ),
        _parsed(
            token,
            "spl-token",
            "setAuthority",
            {
                "authority": A.PUMPFUN_MINT_AUTHORITY,
                "authorityType": "mintTokens",
                "mint": launch.mint,
                "newAuthority": None,
            },
        ),
    ]
    failed = err is not None
    return SimTransaction(
        signature=signature,
        slot=slot,
        block_time=block_time,
        err=err,
        logs=tuple(create_logs(launch, failed=failed)),
        accounts=tuple(keys),
        instructions=(
            *_compute_budget(),
            _raw(A.PUMPFUN_PROGRAM, create_accounts, data, None),
        ),
        # a failed create stopped after creating the mint account: nothing was minted
        inner=({"index": 2, "instructions": inner[:2] if failed else inner},),
        post_token_balances=()
        if failed
        else (
            {
                "accountIndex": 3,
                "mint": launch.mint,
                "owner": launch.curve,
                "programId": token,
                "uiTokenAmount": _token_amount(TOTAL_SUPPLY),
            },
        ),
        compute_units=98_001 if failed else 122_839,
        blockhash=blockhash,
    )


def trade_transaction(
    rng: random.Random,
    *,
    mint: str,
    curve: str,
    buy: bool,
    signature: str,
    slot: int,
    block_time: int,
    blockhash: str,
) -> SimTransaction:
    """A pump.fun Buy or Sell of ``mint`` on its bonding curve by a fresh wallet."""
    user = A.wallet(rng)
    curve_ata = Launch("", "", "", mint, curve, user).associated_curve()
    user_ata = A.account(rng)
    amount = rng.randint(10**9, 10**13)
    keys = [
        AccountKey(user, signer=True, writable=True),
        AccountKey(A.PUMPFUN_GLOBAL),
        AccountKey(A.PUMPFUN_FEE_RECIPIENT, writable=True),
        AccountKey(mint),
        AccountKey(curve, writable=True),
        AccountKey(curve_ata, writable=True),
        AccountKey(user_ata, writable=True),
        AccountKey(A.SYSTEM_PROGRAM),
        AccountKey(A.TOKEN_PROGRAM),
        AccountKey(A.PUMPFUN_EVENT_AUTHORITY),
        AccountKey(A.COMPUTE_BUDGET_PROGRAM),
        AccountKey(A.PUMPFUN_PROGRAM),
    ]
    source, destination = (curve_ata, user_ata) if buy else (user_ata, curve_ata)
    data = (BUY_DISCRIMINATOR if buy else SELL_DISCRIMINATOR) + struct.pack("<QQ", amount, 0)
    inner = [
        _parsed(
            A.TOKEN_PROGRAM,
            "spl-token",
            "transfer",
            {
                "amount": str(amount),
                "authority": curve if buy else user,
                "destination": destination,
                "source": source,
            },
        )
    ]
    balances = (
        {
            "accountIndex": 5,
            "mint": mint,
            "owner": curve,
            "programId": A.TOKEN_PROGRAM,
            "uiTokenAmount": _token_amount(TOTAL_SUPPLY - amount),
        },
        {
            "accountIndex": 6,
            "mint": mint,
            "owner": user,
            "programId": A.TOKEN_PROGRAM,
            "uiTokenAmount": _token_amount(amount),
        },
    )
    return SimTransaction(
        signature=signature,
        slot=slot,
        block_time=block_time,
        err=None,
        logs=tuple(trade_logs(rng, mint, buy=buy)),
        accounts=tuple(keys),
        instructions=(
            *_compute_budget(),
            _raw(A.PUMPFUN_PROGRAM, [k.pubkey for k in keys[1:10]], data, None),
        ),
        inner=({"index": 2, "instructions": inner},),
        post_token_balances=balances,
        compute_units=40_317,
        blockhash=blockhash,
    )
