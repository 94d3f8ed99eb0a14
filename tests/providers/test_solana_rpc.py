"""SolanaRpcClient against a loopback JSON-RPC node with real account shapes."""

from __future__ import annotations

import base58
import pytest
from aiohttp import web

from tokenradar.domain import FacetState, HolderKind, TokenProgram, TokenRef
from tokenradar.errors import (
    InvalidAddress,
    MalformedResponse,
    PermanentError,
    RateLimited,
    UpstreamUnavailable,
)
from tokenradar.providers.holders import INCINERATOR
from tokenradar.providers.solana_rpc import SolanaRpcClient, TokenSupply
from tokenradar.settings import SolanaRpcSettings

from .conftest import RecordingGate, Serve
from .solana_node import Account, SolanaNode, addr, mint_account, token_account, wallet

RAYDIUM_V4_AUTHORITY = "5Q544fKrFoe6tsEbD7S8EmxGTJYAKtTVhAW5Q5pge4j1"
WHIRLPOOL = "whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc"
PUMPFUN = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
LOCKER_PROGRAM = addr(200)

MINT_A = addr(1)  # spl-token, authorities revoked, holders of every kind
MINT_B = addr(2)  # token-2022 with a transfer fee, authorities kept
MISSING = addr(3)  # no account at all
W1, W2, UNFUNDED = addr(10), addr(11), addr(12)
WHIRL_POOL_STATE, LOCKER, CURVE = addr(20), addr(21), addr(22)
SUPPLY = 1_000_000_000_000_000  # 1e9 tokens at 6 decimals


def ledger() -> SolanaNode:
    node = SolanaNode()
    node.add(MINT_A, mint_account(SUPPLY, 6))
    node.add(
        MINT_B,
        mint_account(
            5_000,
            9,
            mint_authority=W1,
            freeze_authority=W2,
            extensions=[
                {
                    "extension": "transferFeeConfig",
                    "state": {
                        "newerTransferFee": {
                            "epoch": 790,
                            "maximumFee": 10**15,
                            "transferFeeBasisPoints": 500,
                        },
                        "olderTransferFee": {
                            "epoch": 780,
                            "maximumFee": 0,
                            "transferFeeBasisPoints": 0,
                        },
                        "transferFeeConfigAuthority": W1,
                        "withdrawWithheldAuthority": W1,
                        "withheldAmount": 0,
                    },
                },
                {"extension": "permanentDelegate", "state": {"delegate": W1}},
            ],
        ),
    )
    node.add(W1, wallet())
    node.add(W2, wallet())
    node.add(WHIRL_POOL_STATE, Account(WHIRLPOOL, space=653))
    node.add(LOCKER, Account(LOCKER_PROGRAM, space=200))
    node.add(CURVE, Account(PUMPFUN, space=150))
    for n, owner, amount in [
        (30, RAYDIUM_V4_AUTHORITY, 400),
        (31, W1, 200),
        (32, WHIRL_POOL_STATE, 150),
        (33, LOCKER, 100),
        (34, W2, 50),
        (35, UNFUNDED, 30),
        (36, INCINERATOR, 20),
    ]:
        node.add(addr(n), token_account(MINT_A, owner, amount * 10**12, 6))
    node.add(addr(40), token_account(MINT_B, CURVE, 4_000, 9))
    node.add(addr(41), token_account(MINT_B, W2, 1_000, 9))
    return node


def sol(address: str) -> TokenRef:
    return TokenRef("solana", address)


async def client_for(serve: Serve, node: SolanaNode, gate: RecordingGate) -> SolanaRpcClient:
    url = await serve(node.app())
    return SolanaRpcClient(SolanaRpcSettings(url=url), gate=gate)


async def test_fetch_mints_is_one_call_with_absent_and_not_a_mint(serve: Serve) -> None:
    node, gate = ledger(), RecordingGate()
    async with await client_for(serve, node, gate) as rpc:
        a, b, missing, wallet_ref = await rpc.fetch_mints(
            [sol(MINT_A), sol(MINT_B), sol(MISSING), sol(W1)]
        )
    assert node.requests == [("getMultipleAccounts", 1, False)]
    assert node.bodies[0]["params"][1] == {"encoding": "jsonParsed", "commitment": "confirmed"}
    assert gate.calls == [("getMultipleAccounts", 1)]
    assert a.data is not None
    assert a.data.program is TokenProgram.SPL_TOKEN
    assert (a.data.mint_authority, a.data.freeze_authority) == (None, None)
    assert (a.data.supply, a.data.decimals, a.data.is_initialized) == (SUPPLY, 6, True)
    assert a.data.extensions == ()
    assert a.data.transfer_fee_bps is None
    assert b.data is not None
    assert b.data.program is TokenProgram.SPL_TOKEN_2022
    assert (b.data.mint_authority, b.data.freeze_authority) == (W1, W2)
    assert b.data.extensions == ("transferFeeConfig", "permanentDelegate")
    assert b.data.transfer_fee_bps == 500  # the higher of the older/newer fee
    assert missing.state is FacetState.ABSENT
    assert wallet_ref.state is FacetState.ERROR
    assert wallet_ref.error is not None
    assert wallet_ref.error.kind == "permanent"
    assert "is not a mint" in wallet_ref.error.message


async def test_fetch_holders_classifies_vaults_programs_and_wallets(serve: Serve) -> None:
    node, gate = ledger(), RecordingGate()
    async with await client_for(serve, node, gate) as rpc:
        facet_a, facet_b = await rpc.fetch_holders([sol(MINT_A), sol(MINT_B)])
    data = facet_a.data
    assert data is not None
    assert (data.supply, data.decimals) == (SUPPLY, 6)
    kinds = [(h.owner, h.kind) for h in data.top]
    assert kinds == [
        (RAYDIUM_V4_AUTHORITY, HolderKind.POOL_VAULT),  # known authority, by address
        (W1, HolderKind.WALLET),
        (WHIRL_POOL_STATE, HolderKind.POOL_VAULT),  # owned by the Whirlpool program
        (LOCKER, HolderKind.PROGRAM),
        (W2, HolderKind.WALLET),
        (UNFUNDED, HolderKind.UNKNOWN),  # owner has no account
        (INCINERATOR, HolderKind.PROGRAM),  # burned
    ]
    assert [h.share for h in data.top][:2] == [pytest.approx(0.4), pytest.approx(0.2)]
    assert data.top1_share == pytest.approx(0.2)
    assert data.top10_share == pytest.approx(0.28)  # W1 + W2 + UNFUNDED
    data_b = facet_b.data
    assert data_b is not None
    assert [(h.kind, h.share) for h in data_b.top] == [
        (HolderKind.POOL_VAULT, 0.8),  # pump.fun bonding curve
        (HolderKind.WALLET, 0.2),
    ]
    # three requests: largest accounts (batch of 2), then accounts, then owners
    assert node.requests == [
        ("getTokenLargestAccounts", 2, True),
        ("getMultipleAccounts", 1, False),
        ("getMultipleAccounts", 1, False),
    ]
    assert gate.calls == [
        ("getTokenLargestAccounts", 2),
        ("getMultipleAccounts", 1),
        ("getMultipleAccounts", 1),
    ]
    owners_config = node.bodies[2]["params"][1]
    assert owners_config["dataSlice"] == {"offset": 0, "length": 0}


async def test_holders_per_token_errors_stay_with_their_token(serve: Serve) -> None:
    node, gate = ledger(), RecordingGate()
    node.call_errors[("getTokenLargestAccounts", MINT_B)] = {
        "code": -32005,
        "message": "Node is behind by 42 slots",
    }
    async with await client_for(serve, node, gate) as rpc:
        a, b, missing, not_mint = await rpc.fetch_holders(
            [sol(MINT_A), sol(MINT_B), sol(MISSING), sol(W1)]
        )
    assert a.state is FacetState.OK
    assert b.error is not None
    assert b.error.kind == "unavailable"
    assert "-32005" in b.error.message
    assert missing.state is FacetState.ABSENT  # "could not find mint"
    assert not_mint.error is not None
    assert not_mint.error.kind == "permanent"
    assert "not a Token mint" in not_mint.error.message


@pytest.mark.parametrize(
    "refusal",
    [
        "Invalid param: could not find mint",  # agave
        "Invalid param: could not find account",  # the simulator; agave's getTokenSupply
        "Invalid param: not a Token mint",
    ],
)
async def test_a_mint_without_an_account_is_absent_whatever_the_refusal_says(
    serve: Serve, refusal: str
) -> None:
    node, gate = ledger(), RecordingGate()
    node.call_errors[("getTokenLargestAccounts", MISSING)] = {"code": -32602, "message": refusal}
    async with await client_for(serve, node, gate) as rpc:
        a, missing = await rpc.fetch_holders([sol(MINT_A), sol(MISSING)])
    assert a.state is FacetState.OK
    assert (missing.state, missing.error) == (FacetState.ABSENT, None)
    # the look-up rides in the request that reads the mints: still three requests
    assert [method for method, _, _ in node.requests] == [
        "getTokenLargestAccounts",
        "getMultipleAccounts",
        "getMultipleAccounts",
    ]


async def test_a_permanent_refusal_of_a_mint_that_exists_stays_an_error(serve: Serve) -> None:
    node, gate = ledger(), RecordingGate()
    refusal = {"code": -32602, "message": "Invalid param: Token mint could not be unpacked"}
    node.call_errors[("getTokenLargestAccounts", MINT_A)] = refusal
    async with await client_for(serve, node, gate) as rpc:
        (a,) = await rpc.fetch_holders([sol(MINT_A)])
    assert a.error is not None
    assert a.error.kind == "permanent"
    assert "could not be unpacked" in a.error.message


async def test_a_refused_mint_whose_account_could_not_be_read_is_not_called_absent(
    serve: Serve,
) -> None:
    node, gate = ledger(), RecordingGate()
    refusal = {"code": -32602, "message": "Invalid param: not a Token mint"}
    node.call_errors[("getTokenLargestAccounts", MISSING)] = refusal
    node.method_errors["getMultipleAccounts"] = {"code": -32005, "message": "Node is behind"}
    async with await client_for(serve, node, gate) as rpc:
        (missing,) = await rpc.fetch_holders([sol(MISSING)])
    assert missing.error is not None  # no account seen missing: no verdict
    assert "not a Token mint" in missing.error.message


async def test_many_keys_are_chunked_by_100_in_one_batch(serve: Serve) -> None:
    node, gate = ledger(), RecordingGate()
    mints = []
    for i in range(12):  # 12 mints x 20 holders: 252 keys -> 3 chunks
        mint = node.add(addr(50 + i), mint_account(10**9, 0))
        mints.append(mint)
        for j in range(20):
            key = base_key(i, j)
            node.add(key, token_account(mint, W1, 10**6 + j, 0))
    async with await client_for(serve, node, gate) as rpc:
        facets = await rpc.fetch_holders([sol(m) for m in mints])
    assert all(f.state is FacetState.OK for f in facets)
    assert all(f.data is not None and len(f.data.top) == 20 for f in facets)
    assert node.requests[1] == ("getMultipleAccounts", 3, True)
    assert gate.calls[1] == ("getMultipleAccounts", 3)
    assert all(len(call["params"][0]) <= 100 for call in node.bodies[1])


def base_key(i: int, j: int) -> str:
    return base58.b58encode(bytes([100 + i, j]) * 16).decode()


async def test_json_rpc_rate_limit_with_http_200_raises_through_the_gate(serve: Serve) -> None:
    node, gate = ledger(), RecordingGate()
    node.call_errors[("getTokenLargestAccounts", MINT_B)] = {
        "code": 429,
        "message": "Too many requests for a specific RPC call",
    }
    async with await client_for(serve, node, gate) as rpc:
        with pytest.raises(RateLimited) as info:
            await rpc.fetch_holders([sol(MINT_A), sol(MINT_B)])
    assert info.value.provider == "solana_rpc"
    assert "Too many requests" in info.value.excerpt
    assert gate.outcomes == ["RateLimited"]


@pytest.mark.parametrize(
    ("code", "message", "error"),
    [
        (-32602, "Invalid params: wrong type", PermanentError),
        (-32601, "Method not found", PermanentError),
        (-32005, "Node is unhealthy", UpstreamUnavailable),
        (-32603, "Internal error", UpstreamUnavailable),
        (-32429, "rate limit exceeded", RateLimited),
    ],
)
async def test_json_rpc_errors_for_a_single_call_raise_typed(
    serve: Serve, code: int, message: str, error: type[Exception]
) -> None:
    node, gate = ledger(), RecordingGate()
    node.method_errors["getMultipleAccounts"] = {"code": code, "message": message}
    async with await client_for(serve, node, gate) as rpc:
        with pytest.raises(error, match=message):
            await rpc.fetch_mints([sol(MINT_A)])
    assert gate.outcomes == [error.__name__]


async def test_thin_helpers(serve: Serve) -> None:
    node, gate = ledger(), RecordingGate()
    async with await client_for(serve, node, gate) as rpc:
        assert await rpc.get_token_supply(sol(MINT_B)) == TokenSupply(5_000, 9)
        account = await rpc.get_account_info(W1)
        assert account is not None
        assert account["owner"] == "11111111111111111111111111111111"
        assert await rpc.get_account_info(MISSING) is None
        with pytest.raises(InvalidAddress):
            await rpc.get_account_info("not-an-address")
    assert gate.calls == [("getTokenSupply", 1), ("getAccountInfo", 1), ("getAccountInfo", 1)]


async def test_http_429_from_the_node_carries_retry_after(serve: Serve) -> None:
    async def limited(_: web.Request) -> web.Response:
        body = {"jsonrpc": "2.0", "error": {"code": 429, "message": "Too many requests"}, "id": 1}
        return web.json_response(body, status=429, headers={"Retry-After": "3"})

    app = web.Application()
    app.router.add_post("/", limited)
    url = await serve(app)
    async with SolanaRpcClient(SolanaRpcSettings(url=url)) as rpc:
        with pytest.raises(RateLimited) as info:
            await rpc.fetch_mints([sol(MINT_A)])
    assert info.value.retry_after == 3.0


async def test_wrong_number_of_accounts_is_malformed(serve: Serve) -> None:
    async def short(_: web.Request) -> web.Response:
        body = {"jsonrpc": "2.0", "result": {"context": {"slot": 1}, "value": []}, "id": 1}
        return web.json_response(body)

    app = web.Application()
    app.router.add_post("/", short)
    url = await serve(app)
    async with SolanaRpcClient(SolanaRpcSettings(url=url)) as rpc:
        with pytest.raises(MalformedResponse, match="expected 1 accounts"):
            await rpc.fetch_mints([sol(MINT_A)])


async def test_misuse_raises_before_sending() -> None:
    async with SolanaRpcClient(SolanaRpcSettings(url="http://127.0.0.1:9")) as rpc:
        with pytest.raises(ValueError, match="Solana tokens only"):
            await rpc.fetch_mints([TokenRef("bsc", "0x" + "2" * 40)])
        with pytest.raises(ValueError, match="at most 100"):
            await rpc.fetch_mints([sol(addr(i)) for i in range(1, 102)])
        with pytest.raises(ValueError, match="at most 20"):
            await rpc.fetch_holders([sol(addr(i)) for i in range(1, 22)])
