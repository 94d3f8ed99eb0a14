from __future__ import annotations

import pytest

from tokenradar.domain import (
    Facet,
    FacetError,
    FacetKind,
    FacetState,
    PriceData,
    TokenRef,
    error_facet,
    ok_facet,
)
from tokenradar.errors import InvalidAddress

SPX = "J3NKxxXZcnNiMjKw9hYb2K4LUxgwB6t1FtPtQVsv3KFr"
WSOL = "So11111111111111111111111111111111111111112"


def test_solana_address_that_decodes_to_32_bytes_is_accepted() -> None:
    ref = TokenRef("solana", SPX)
    assert ref.address == SPX
    assert str(ref) == f"solana:{SPX}"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "J3NKxxXZcnNiMjKw9hYb2K4LUxgwB6t1FtPtQVsv3KF0",  # '0' is not base58
        "J3NKxxXZcnNiMjKw9hYb2K4LUxgwB6t1FtPtQVsv3KFrJ3",  # decodes to more than 32 bytes
        "1111",
        "0x" + "a" * 40,
    ],
)
def test_invalid_solana_address_is_rejected_naming_the_value(bad: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        TokenRef("solana", bad)
    assert repr(bad) in str(info.value) or "empty" in str(info.value)


def test_evm_address_is_stored_lower_case() -> None:
    ref = TokenRef("ethereum", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")
    assert ref.address == "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
    assert ref == TokenRef("ethereum", ref.address.upper().replace("0X", "0x"))


@pytest.mark.parametrize("bad", ["0x123", "0x" + "g" * 40, SPX])
def test_invalid_evm_address_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidAddress, match="EVM address"):
        TokenRef("base", bad)


def test_unknown_chain_is_rejected_with_the_known_ones() -> None:
    with pytest.raises(InvalidAddress, match=r"unknown chain 'tron'.*solana"):
        TokenRef("tron", SPX)


def test_parse_accepts_chain_prefix_and_bare_addresses() -> None:
    assert TokenRef.parse(f"solana:{SPX}") == TokenRef("solana", SPX)
    assert TokenRef.parse(SPX).chain == "solana"
    assert TokenRef.parse("0x" + "A" * 40).chain == "ethereum"
    assert TokenRef.parse("0x" + "A" * 40, default_chain="bsc").chain == "bsc"
    assert TokenRef.parse(f"  BASE:0x{'b' * 40}  ") == TokenRef("base", "0x" + "b" * 40)


def test_facet_carries_data_only_when_ok_and_error_only_when_errored() -> None:
    ref = TokenRef("solana", WSOL)
    facet = ok_facet(ref, FacetKind.PRICE, PriceData(1.0), fetched_at=10.0, source="jupiter")
    assert facet.age(15.0) == 5.0
    err: Facet[PriceData] = error_facet(
        ref, FacetKind.PRICE, fetched_at=10.0, source="jupiter", error_kind="timeout", message="x"
    )
    assert err.error == FacetError("timeout", "x")
    with pytest.raises(ValueError, match="must carry data"):
        Facet(ref, FacetKind.PRICE, FacetState.OK, 1.0, "jupiter")
    with pytest.raises(ValueError, match="must carry error"):
        Facet(ref, FacetKind.PRICE, FacetState.ERROR, 1.0, "jupiter")
