"""The simulated chain's recent transactions: what ``getSignaturesForAddress`` and
``getTransaction`` read.

Every transaction the launch hub announces over ``logsSubscribe`` (creates,
failed creates, trade noise) is recorded here first, so a client that missed a
notification can find it again, as on mainnet:

- :meth:`Ledger.signatures`: the transactions that mention an address (any of
  their account keys), **newest first**, ``before`` / ``until`` exclusive, at
  most ``limit``. As on a real node, an unknown ``before`` answers nothing and
  an unknown ``until`` bounds nothing (the scan runs to the oldest kept).
- :func:`render_transaction`: the ``jsonParsed`` body of ``getTransaction``
  (``version: 0``, ``meta.logMessages``, ``innerInstructions``, account keys
  as objects).

Bounded: the newest :data:`LEDGER_SIZE` transactions are kept; older ones are
forgotten as a pruned node forgets them.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

LEDGER_SIZE = 10_000
#: a slot this far behind the tip is finalized (Solana's 32-slot lockout)
FINALIZED_DEPTH = 32


@dataclass(frozen=True, slots=True)
class AccountKey:
    pubkey: str
    signer: bool = False
    writable: bool = False


@dataclass(frozen=True, slots=True)
class SimTransaction:
    """One transaction, already in the parts ``jsonParsed`` shows."""

    signature: str
    slot: int
    block_time: int
    err: Any  # None, or the TransactionError object (``{"InstructionError": [2, ...]}``)
    logs: tuple[str, ...]
    accounts: tuple[AccountKey, ...]
    instructions: tuple[dict[str, Any], ...] = ()
    inner: tuple[dict[str, Any], ...] = ()  # ``{"index": i, "instructions": [...]}`` entries
    post_token_balances: tuple[dict[str, Any], ...] = ()
    fee: int = 5000
    compute_units: int = 150_000
    blockhash: str = ""
    #: every account key: what ``mentions`` filters and the signature index match on
    mentions: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.mentions:
            object.__setattr__(self, "mentions", frozenset(a.pubkey for a in self.accounts))


class Ledger:
    """The newest transactions, by signature and by every address they mention."""

    def __init__(self, size: int = LEDGER_SIZE) -> None:
        if size < 1:
            raise ValueError(f"a ledger keeps at least one transaction, got size={size}")
        self.size = size
        self._txs: OrderedDict[str, tuple[int, SimTransaction]] = OrderedDict()
        self._by_address: dict[str, deque[tuple[int, str]]] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._txs)

    def record(self, tx: SimTransaction) -> None:
        seq = next(self._seq)
        self._txs[tx.signature] = (seq, tx)
        for address in tx.mentions:
            self._by_address.setdefault(address, deque()).append((seq, tx.signature))
        while len(self._txs) > self.size:
            old_seq, old = self._txs.popitem(last=False)[1]
            # the oldest transaction is the oldest in each of its addresses' lists
            for address in old.mentions:
                entries = self._by_address.get(address)
                if entries and entries[0][0] == old_seq:
                    entries.popleft()
                if not entries:
                    self._by_address.pop(address, None)

    def get(self, signature: str) -> SimTransaction | None:
        entry = self._txs.get(signature)
        return entry[1] if entry is not None else None

    def signatures(
        self,
        address: str,
        *,
        before: str | None = None,
        until: str | None = None,
        limit: int = 1000,
        max_slot: int | None = None,
    ) -> list[SimTransaction]:
        """Transactions mentioning ``address``, newest first (``max_slot``: finalized only)."""
        newest = None
        if before is not None:
            found = self._txs.get(before)
            if found is None:
                return []
            newest = found[0]
        oldest = self._txs[until][0] if until is not None and until in self._txs else None
        out: list[SimTransaction] = []
        for seq, signature in reversed(self._by_address.get(address, ())):
            if newest is not None and seq >= newest:
                continue
            if oldest is not None and seq <= oldest:
                break
            tx = self._txs[signature][1]
            if max_slot is not None and tx.slot > max_slot:
                continue
            out.append(tx)
            if len(out) >= limit:
                break
        return out


def signature_info(tx: SimTransaction, tip_slot: int) -> dict[str, Any]:
    """One entry of ``getSignaturesForAddress``."""
    finalized = tip_slot - tx.slot >= FINALIZED_DEPTH
    return {
        "blockTime": tx.block_time,
        "confirmationStatus": "finalized" if finalized else "confirmed",
        "err": tx.err,
        "memo": None,
        "signature": tx.signature,
        "slot": tx.slot,
    }


def render_transaction(tx: SimTransaction) -> dict[str, Any]:
    """``getTransaction``'s ``jsonParsed`` answer (a version-0 transaction)."""
    n = len(tx.accounts)
    payer_after = 2_000_000_000 - tx.fee
    return {
        "blockTime": tx.block_time,
        "meta": {
            "computeUnitsConsumed": tx.compute_units,
            "err": tx.err,
            "fee": tx.fee,
            "innerInstructions": list(tx.inner),
            "logMessages": list(tx.logs),
            "postBalances": [payer_after] + [1_461_600] * (n - 1),
            "postTokenBalances": list(tx.post_token_balances),
            "preBalances": [2_000_000_000] + [1_461_600] * (n - 1),
            "preTokenBalances": [],
            "rewards": [],
            "status": {"Ok": None} if tx.err is None else {"Err": tx.err},
        },
        "slot": tx.slot,
        "transaction": {
            "message": {
                "accountKeys": [
                    {
                        "pubkey": a.pubkey,
                        "signer": a.signer,
                        "source": "transaction",
                        "writable": a.writable,
                    }
                    for a in tx.accounts
                ],
                "addressTableLookups": [],
                "instructions": list(tx.instructions),
                "recentBlockhash": tx.blockhash,
            },
            "signatures": [tx.signature],
        },
        "version": 0,
    }
