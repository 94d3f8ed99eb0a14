"""The backfill's paging and bounds, and reading created tokens out of transactions."""

from __future__ import annotations

from typing import Any, cast

import base58
import pytest

from tokenradar.discovery.backfill import ChainReader, missed_signatures
from tokenradar.discovery.programs import KNOWN_PROGRAMS, PUMPFUN
from tokenradar.discovery.recent import RecentSet
from tokenradar.discovery.transactions import (
    QUOTE_MINTS,
    SignatureInfo,
    created_token,
    parse_signatures,
)
from tokenradar.errors import MalformedResponse
from tokenradar.providers.pumpfun import (
    CREATE_INSTRUCTION_LOG,
    encode_create_event,
    program_data_log,
)

RAYDIUM_V4 = KNOWN_PROGRAMS["675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"]
WSOL = "So11111111111111111111111111111111111111112"


def addr(n: int) -> str:
    return base58.b58encode(bytes([n]) * 32).decode()


class Ledger:
    """Answers ``signatures`` as a node does: newest first, until/before exclusive."""

    def __init__(self, infos: list[SignatureInfo]) -> None:
        self.infos = infos  # newest first
        self.calls: list[dict[str, Any]] = []

    async def signatures(
        self, address: str, *, limit: int, until: str | None = None, before: str | None = None
    ) -> list[SignatureInfo]:
        self.calls.append({"limit": limit, "until": until, "before": before})
        names = [i.signature for i in self.infos]
        start = names.index(before) + 1 if before is not None else 0
        stop = names.index(until) if until is not None else len(names)
        return self.infos[start:stop][:limit]


def infos(n: int, *, failed: set[int] = frozenset()) -> list[SignatureInfo]:  # type: ignore[assignment]
    return [SignatureInfo(f"s{i}", 1000 - i, i in failed, None) for i in range(n)]


async def missed(ledger: Ledger, **kw: Any) -> Any:
    params: dict[str, Any] = {
        "until": None,
        "seen": lambda _s: False,
        "page_size": 10,
        "max_pages": 5,
        "max_signatures": 100,
    }
    return await missed_signatures(cast(ChainReader, ledger), "prog", **{**params, **kw})


async def test_the_backfill_pages_back_until_the_last_signature_seen() -> None:
    ledger = Ledger(infos(40))
    got = await missed(ledger, until="s25")
    assert [i.signature for i in got.signatures] == [f"s{i}" for i in range(25)]
    assert (got.newest, got.pages, got.truncated) == ("s0", 3, False)
    assert [c["before"] for c in ledger.calls] == [None, "s9", "s19"]
    assert {c["until"] for c in ledger.calls} == {"s25"}


async def test_the_backfill_skips_failed_and_seen_signatures_without_reading_them() -> None:
    seen = RecentSet[str](10)
    seen.add("s1")
    got = await missed(Ledger(infos(5, failed={3})), until="s4", seen=seen.__contains__)
    assert [i.signature for i in got.signatures] == ["s0", "s2"]


@pytest.mark.parametrize(
    ("bounds", "kept", "pages"),
    [({"max_pages": 2}, 20, 2), ({"max_signatures": 15}, 15, 2), ({"max_signatures": 10}, 10, 2)],
)
async def test_a_long_gap_stops_at_its_bounds_and_says_so(
    bounds: dict[str, int], kept: int, pages: int
) -> None:
    got = await missed(Ledger(infos(100)), until="s99", **bounds)
    assert len(got.signatures) == kept
    assert got.signatures[0].signature == "s0"  # the newest are the ones kept
    assert got.truncated
    assert got.pages == pages


def test_signature_lists_parse_and_refuse_garbage() -> None:
    (info,) = parse_signatures(
        [{"signature": "abc", "slot": 7, "err": {"X": 1}, "blockTime": 1700000000, "memo": None}]
    )
    assert info == SignatureInfo("abc", 7, True, 1_700_000_000.0)
    with pytest.raises(MalformedResponse):
        parse_signatures({"not": "a list"})
    with pytest.raises(MalformedResponse):
        parse_signatures([{"slot": 7}])


def tx(
    *,
    logs: list[str] = (),  # type: ignore[assignment]
    minted: list[str] = (),  # type: ignore[assignment]
    balances: list[str] = (),  # type: ignore[assignment]
    err: object = None,
) -> dict[str, Any]:
    inner = [
        {"parsed": {"type": "initializeMint2", "info": {"mint": m, "decimals": 6}}} for m in minted
    ]
    return {
        "blockTime": 1_700_000_123,
        "slot": 345,
        "meta": {
            "err": err,
            "logMessages": list(logs),
            "innerInstructions": [{"index": 1, "instructions": inner}],
            "postTokenBalances": [{"accountIndex": i, "mint": m} for i, m in enumerate(balances)],
        },
        "transaction": {"message": {"instructions": [], "accountKeys": []}},
    }


def test_a_pump_fun_create_is_read_from_its_event() -> None:
    event = encode_create_event(
        "Name", "SYM", "uri", bytes([5]) * 32, bytes([6]) * 32, bytes([7]) * 32
    )
    logs = [CREATE_INSTRUCTION_LOG, program_data_log(event)]
    created = created_token(tx(logs=logs, minted=[addr(5)]), PUMPFUN)
    assert created is not None
    assert (created.mint, created.symbol, created.name) == (addr(5), "SYM", "Name")
    assert (created.block_time, created.slot) == (1_700_000_123.0, 345)


def test_a_launchpad_without_a_decodable_event_is_read_from_its_initialize_mint() -> None:
    created = created_token(tx(minted=[addr(5)], balances=[addr(5)]), PUMPFUN)
    assert created is not None
    assert created.mint == addr(5)
    assert created_token(tx(minted=[addr(5), addr(6)]), PUMPFUN) is None  # two: no guess


def test_a_pool_creation_names_the_one_mint_that_is_no_quote_and_no_lp() -> None:
    lp = addr(9)
    pool = tx(
        logs=["Program log: initialize2: InitializeInstruction2 { nonce: 254 }"],
        minted=[lp],
        balances=[addr(5), WSOL, lp],
    )
    assert RAYDIUM_V4.is_creation(pool["meta"]["logMessages"])
    created = created_token(pool, RAYDIUM_V4)
    assert created is not None
    assert created.mint == addr(5)
    two_memes = tx(balances=[addr(5), addr(6)])
    assert created_token(two_memes, RAYDIUM_V4) is None
    assert WSOL in QUOTE_MINTS


def test_failed_or_missing_transactions_created_nothing() -> None:
    assert created_token(tx(minted=[addr(5)], err={"InstructionError": [0, "X"]}), PUMPFUN) is None
    assert created_token(None, PUMPFUN) is None
    assert created_token({"meta": {}}, RAYDIUM_V4) is None


def test_creation_markers_match_whole_lines_not_token_program_logs() -> None:
    cpmm = KNOWN_PROGRAMS["CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"]
    assert cpmm.is_creation(["Program log: Instruction: Initialize"])
    assert not cpmm.is_creation(["Program log: Instruction: InitializeMint2"])
    assert not PUMPFUN.is_creation(["Program log: Instruction: Buy"])


def test_the_recent_set_forgets_the_least_recently_seen() -> None:
    recent = RecentSet[str](2)
    assert recent.add("a")
    assert recent.add("b")
    assert not recent.add("a")  # refreshes a
    assert recent.add("c")  # forgets b
    assert "a" in recent
    assert "b" not in recent
    assert len(recent) == 2
