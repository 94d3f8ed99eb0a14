"""A tiny Solana JSON-RPC node for tests: real account shapes over a hand-made ledger.

It answers getMultipleAccounts (jsonParsed, or base64 honouring dataSlice),
getTokenLargestAccounts, getTokenSupply and getAccountInfo, as single calls or
batch arrays, with the real error codes and messages, and records every HTTP
request (method, number of calls) so tests can check what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import base58
import orjson
from aiohttp import web

from tokenradar.providers.holders import SYSTEM_PROGRAM_ID
from tokenradar.providers.solana_parse import SPL_TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID

RENT_EPOCH = 2**64 - 1  # what the real node sends for rent-exempt accounts


def addr(n: int) -> str:
    """A deterministic valid Solana address."""
    return base58.b58encode(bytes([n]) * 32).decode()


@dataclass
class Account:
    owner: str
    parsed: dict[str, Any] | None = None  # jsonParsed "parsed" value, None if opaque
    program: str | None = None  # "spl-token" / "spl-token-2022"
    space: int = 0
    executable: bool = False
    lamports: int = 2_039_280

    def encode(self, config: dict[str, Any]) -> dict[str, Any]:
        encoding = config.get("encoding", "base64")
        if encoding == "jsonParsed" and self.parsed is not None:
            data: object = {"parsed": self.parsed, "program": self.program, "space": self.space}
        else:
            data = ["", "base64"]  # zero-length dataSlice (or unparseable): bytes elided
        return {
            "data": data,
            "executable": self.executable,
            "lamports": self.lamports,
            "owner": self.owner,
            "rentEpoch": RENT_EPOCH,
            "space": self.space,
        }


def mint_account(
    supply: int,
    decimals: int,
    *,
    mint_authority: str | None = None,
    freeze_authority: str | None = None,
    extensions: list[dict[str, Any]] | None = None,
) -> Account:
    info: dict[str, Any] = {
        "decimals": decimals,
        "freezeAuthority": freeze_authority,
        "isInitialized": True,
        "mintAuthority": mint_authority,
        "supply": str(supply),
    }
    program, owner = "spl-token", SPL_TOKEN_PROGRAM_ID
    if extensions is not None:
        info["extensions"] = extensions
        program, owner = "spl-token-2022", TOKEN_2022_PROGRAM_ID
    return Account(owner, {"info": info, "type": "mint"}, program, 82, lamports=1_461_600)


def token_account(mint: str, owner: str, amount: int, decimals: int) -> Account:
    info = {
        "isNative": False,
        "mint": mint,
        "owner": owner,
        "state": "initialized",
        "tokenAmount": {
            "amount": str(amount),
            "decimals": decimals,
            "uiAmount": amount / 10**decimals,
            "uiAmountString": str(amount / 10**decimals),
        },
    }
    return Account(SPL_TOKEN_PROGRAM_ID, {"info": info, "type": "account"}, "spl-token", 165)


def wallet() -> Account:
    return Account(SYSTEM_PROGRAM_ID, lamports=5_000_000_000)


@dataclass
class SolanaNode:
    accounts: dict[str, Account] = field(default_factory=dict)
    #: (method, key) -> JSON-RPC error object returned for that call
    call_errors: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: method -> JSON-RPC error object returned for every call of it
    method_errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: (method, number of calls, was a batch array) per HTTP request
    requests: list[tuple[str, int, bool]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)

    def add(self, address: str, account: Account) -> str:
        self.accounts[address] = account
        return address

    def _largest(self, mint: str) -> dict[str, Any]:
        account = self.accounts.get(mint)
        if account is None:
            raise _RpcError(-32602, "Invalid param: could not find mint")
        if account.parsed is None or account.parsed.get("type") != "mint":
            raise _RpcError(-32602, "Invalid param: not a Token mint")
        decimals = account.parsed["info"]["decimals"]
        holdings = []
        for address, acc in self.accounts.items():
            parsed = acc.parsed or {}
            if parsed.get("type") == "account" and parsed["info"]["mint"] == mint:
                amount = int(parsed["info"]["tokenAmount"]["amount"])
                holdings.append((amount, address))
        holdings.sort(reverse=True)
        return {
            "context": {"apiVersion": "2.2.3", "slot": 341_000_000},
            "value": [
                {
                    "address": address,
                    "amount": str(amount),
                    "decimals": decimals,
                    "uiAmount": amount / 10**decimals,
                    "uiAmountString": str(amount / 10**decimals),
                }
                for amount, address in holdings[:20]
            ],
        }

    def _call(self, method: str, params: list[Any]) -> object:
        key = params[0] if params and isinstance(params[0], str) else ""
        error = self.call_errors.get((method, key)) or self.method_errors.get(method)
        if error is not None:
            raise _RpcError(error["code"], error["message"])
        context = {"apiVersion": "2.2.3", "slot": 341_000_000}
        if method == "getMultipleAccounts":
            keys, config = params[0], params[1] if len(params) > 1 else {}
            if len(keys) > 100:
                raise _RpcError(-32602, "Too many inputs provided; max 100")
            value = [self.accounts[k].encode(config) if k in self.accounts else None for k in keys]
            return {"context": context, "value": value}
        if method == "getAccountInfo":
            account = self.accounts.get(params[0])
            config = params[1] if len(params) > 1 else {}
            return {"context": context, "value": account.encode(config) if account else None}
        if method == "getTokenLargestAccounts":
            return self._largest(params[0])
        if method == "getTokenSupply":
            account = self.accounts.get(params[0])
            if account is None or account.parsed is None:
                raise _RpcError(-32602, "Invalid param: could not find account")
            info = account.parsed["info"]
            return {
                "context": context,
                "value": {"amount": info["supply"], "decimals": info["decimals"]},
            }
        raise _RpcError(-32601, "Method not found")

    def _answer(self, call: dict[str, Any]) -> dict[str, Any]:
        try:
            result = self._call(call["method"], call.get("params", []))
        except _RpcError as exc:
            error = {"code": exc.code, "message": exc.message}
            return {"jsonrpc": "2.0", "error": error, "id": call.get("id")}
        return {"jsonrpc": "2.0", "result": result, "id": call.get("id")}

    async def handle(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        self.bodies.append(body)
        calls = body if isinstance(body, list) else [body]
        self.requests.append((calls[0]["method"], len(calls), isinstance(body, list)))
        answers = [self._answer(c) for c in calls]
        out = answers if isinstance(body, list) else answers[0]
        return web.Response(body=orjson.dumps(out), content_type="application/json")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self.handle)
        return app


class _RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
