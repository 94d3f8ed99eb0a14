"""Pure Solana parsing: JSON-RPC error codes, mint accounts, holder classification."""

from __future__ import annotations

import pytest

from tokenradar.domain import HolderKind
from tokenradar.errors import (
    MalformedResponse,
    PermanentError,
    RateLimited,
    UpstreamError,
    UpstreamUnavailable,
)
from tokenradar.providers.holders import (
    INCINERATOR,
    SYSTEM_PROGRAM_ID,
    LargestAccount,
    build_holders,
    classify_owner,
)
from tokenradar.providers.solana_parse import (
    is_mint_not_found,
    parse_mint_account,
    rpc_error,
    token_account_owner,
)

from .solana_node import Account, addr, mint_account, token_account


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": 429, "message": "Too many requests for a specific RPC call"}, RateLimited),
        ({"code": -32429, "message": "x"}, RateLimited),
        ({"code": -32000, "message": "Rate limit exceeded for method"}, RateLimited),
        ({"code": -32005, "message": "Node is behind by 120 slots"}, UpstreamUnavailable),
        ({"code": -32004, "message": "Block not available for slot"}, UpstreamUnavailable),
        ({"code": -32016, "message": "Minimum context slot has not been reached"},
         UpstreamUnavailable),
        ({"code": -32603, "message": "Internal error"}, UpstreamUnavailable),
        ({"code": -32050, "message": "some server error"}, UpstreamUnavailable),
        ({"code": -32010, "message": "excluded from account secondary indexes"}, PermanentError),
        ({"code": -32602, "message": "Invalid param: not a Token mint"}, PermanentError),
        ({"code": -32601, "message": "Method not found"}, PermanentError),
        ({"code": -32600, "message": "Invalid request"}, PermanentError),
        ({"code": -32700, "message": "Parse error"}, PermanentError),
        ("garbage", PermanentError),
        ({"code": "x"}, PermanentError),
    ],
)  # fmt: skip
def test_rpc_error_codes_map_to_what_the_caller_should_do(
    error: object, expected: type[UpstreamError]
) -> None:
    exc = rpc_error(error, method="getTokenLargestAccounts")
    assert type(exc) is expected
    assert exc.provider == "solana_rpc"
    assert str(exc).startswith("solana_rpc: getTokenLargestAccounts: JSON-RPC error")


def test_mint_not_found_is_recognised_from_the_real_message() -> None:
    found = rpc_error({"code": -32602, "message": "Invalid param: could not find mint"}, method="m")
    assert is_mint_not_found(found)
    other = rpc_error({"code": -32602, "message": "Invalid param: not a Token mint"}, method="m")
    assert not is_mint_not_found(other)


def test_mint_parsing_rejects_non_mints_and_garbage() -> None:
    account = token_account(addr(1), addr(2), 5, 0).encode({"encoding": "jsonParsed"})
    with pytest.raises(PermanentError, match="not a mint: a 'account' account owned by Tokenkeg"):
        parse_mint_account(account, "X")
    opaque = mint_account(1, 0).encode({"encoding": "base64"})  # not jsonParsed
    with pytest.raises(PermanentError, match="not a mint"):
        parse_mint_account(opaque, "X")
    with pytest.raises(PermanentError, match="owned by nobody"):
        parse_mint_account("junk", "X")
    broken = mint_account(1, 0).encode({"encoding": "jsonParsed"})
    broken["data"]["parsed"]["info"]["supply"] = "lots"
    with pytest.raises(MalformedResponse, match="supply/decimals"):
        parse_mint_account(broken, "X")


def test_big_supply_strings_keep_full_precision() -> None:
    big = 2**64 - 1
    account = mint_account(big, 6).encode({"encoding": "jsonParsed"})
    assert parse_mint_account(account, "X").supply == big


def test_token_account_owner_only_for_token_accounts() -> None:
    parsed = token_account(addr(1), addr(2), 5, 0).encode({"encoding": "jsonParsed"})
    assert token_account_owner(parsed) == addr(2)
    assert token_account_owner(None) is None
    assert token_account_owner(mint_account(1, 0).encode({"encoding": "jsonParsed"})) is None
    assert token_account_owner(Account(SYSTEM_PROGRAM_ID).encode({})) is None


@pytest.mark.parametrize(
    ("owner", "owner_account", "kind"),
    [
        ("5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1", None, HolderKind.POOL_VAULT),
        ("GpMZbSM2GgvTKHJirzeGfMFoaZ8UR2X7F4v8vHTvxFbL", None, HolderKind.POOL_VAULT),
        (addr(5), {"owner": "LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo"}, HolderKind.POOL_VAULT),
        (addr(5), {"owner": "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"}, HolderKind.POOL_VAULT),
        (addr(5), {"owner": SYSTEM_PROGRAM_ID, "executable": False}, HolderKind.WALLET),
        (addr(5), {"owner": addr(9)}, HolderKind.PROGRAM),
        (addr(5), {"owner": "BPFLoaderUpgradeab1e11111111111111111111111", "executable": True},
         HolderKind.PROGRAM),
        (INCINERATOR, {"owner": SYSTEM_PROGRAM_ID}, HolderKind.PROGRAM),
        (addr(5), None, HolderKind.UNKNOWN),
        (addr(5), {"lamports": 1}, HolderKind.UNKNOWN),
        (None, None, HolderKind.UNKNOWN),
    ],
)  # fmt: skip
def test_classify_owner(owner: str | None, owner_account: object, kind: HolderKind) -> None:
    assert classify_owner(owner, owner_account) is kind


def test_build_holders_excludes_vaults_and_programs_from_concentration() -> None:
    wallet = {"owner": SYSTEM_PROGRAM_ID}
    accounts = [LargestAccount(addr(30 + i), 10 - i, addr(60 + i)) for i in range(10)]
    accounts.append(LargestAccount(addr(50), 50, "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"))
    owners: dict[str, object] = {addr(60 + i): wallet for i in range(10)}
    data = build_holders(100, 2, accounts, owners)
    assert data.top[0].kind is HolderKind.POOL_VAULT  # sorted, biggest first
    assert data.top1_share == pytest.approx(0.10)
    assert data.top10_share == pytest.approx(sum(range(1, 11)) / 100)


def test_build_holders_with_zero_supply_has_no_shares() -> None:
    data = build_holders(0, 0, [LargestAccount(addr(1), 0, addr(2))], {})
    assert (data.top1_share, data.top10_share) == (None, None)
    assert data.top[0].share == 0.0
