"""Solana JSON-RPC at ``POST /rpc``: single calls and batch arrays.

Methods: getMultipleAccounts (<= 100 keys), getAccountInfo,
getTokenLargestAccounts (top 20), getTokenSupply, getBalance, getSlot,
getHealth, getVersion, and over the launch hub's ledger getSignaturesForAddress
(newest first; ``before``/``until``/``limit`` <= 1000) and getTransaction
(``jsonParsed`` only; a version-0 transaction needs
``maxSupportedTransactionVersion: 0``, else -32015). Both default to
``finalized``, as upstream, which hides the newest 32 slots: ask ``confirmed``.
Errors arrive as JSON-RPC error objects with HTTP 200:
-32700 parse error, -32600 invalid request, -32601 unknown method, -32602
invalid params (too many keys, bad pubkey, not a mint, unknown encoding). Every
call of a batch counts against the limits: 100 per 10 s in all and 40 per 10 s
per method per client IP; a batch that does not fit is refused whole (HTTP 429
with ``Retry-After``). At most ``rpc_max_concurrent`` requests in flight per IP.
"""

from __future__ import annotations

from typing import Any

import base58
import orjson
from aiohttp import web

from tokenradar.domain import is_solana_address
from tokenradar.simulator.accounts import EncodingError, render, token_amount
from tokenradar.simulator.gateway import FAULT_KEY, Gateway, Reply
from tokenradar.simulator.ledger import (
    FINALIZED_DEPTH,
    Ledger,
    render_transaction,
    signature_info,
)
from tokenradar.simulator.limits import Charge
from tokenradar.simulator.world import World

MAX_KEYS = 100
MAX_SIGNATURES = 1000
API_VERSION = "2.2.7"
ENCODINGS = ("jsonParsed", "base64", "base58", "binary")
KNOWN_METHODS = frozenset(
    {
        "getMultipleAccounts",
        "getAccountInfo",
        "getTokenLargestAccounts",
        "getTokenSupply",
        "getBalance",
        "getSlot",
        "getHealth",
        "getVersion",
        "getSignaturesForAddress",
        "getTransaction",
    }
)
COMMITMENTS = ("processed", "confirmed", "finalized")
VERSION_0_REFUSED = (
    "Transaction version (0) is not supported by the requesting client. Please try the "
    'request again with the following configuration parameter: "maxSupportedTransactionVersion": 0'
)


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _error(code: int, message: str, id_: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id_}


def _pubkey(value: Any) -> str:
    if not isinstance(value, str):
        raise RpcError(-32602, f"Invalid param: expected a base-58 pubkey string, got {value!r}")
    if not is_solana_address(value):
        raise RpcError(
            -32602, "Invalid param: WrongSize" if value.isalnum() else "Invalid param: Invalid"
        )
    return value


def _config(params: list[Any], index: int) -> dict[str, Any]:
    if len(params) <= index or params[index] is None:
        return {}
    cfg = params[index]
    if not isinstance(cfg, dict):
        raise RpcError(-32602, f"Invalid params: expected a config object, got {cfg!r}")
    return cfg


def _encoding(cfg: dict[str, Any]) -> str:
    enc = cfg.get("encoding", "binary")
    if enc not in ENCODINGS:
        raise RpcError(
            -32602,
            f"Invalid params: unknown variant `{enc}`, expected one of `binary`, `base58`, "
            "`base64`, `jsonParsed`, `base64+zstd`.",
        )
    return str(enc)


def _signature(value: Any, what: str = "signature") -> str:
    try:
        valid = isinstance(value, str) and len(base58.b58decode(value)) == 64
    except ValueError:
        valid = False
    if not valid:
        raise RpcError(-32602, f"Invalid param: Invalid {what}: {value!r}")
    return str(value)


def _finalized(cfg: dict[str, Any]) -> bool:
    """Whether the call asks for finalized data (the default); refuses ``processed``."""
    commitment = cfg.get("commitment", "finalized")
    if commitment not in COMMITMENTS:
        raise RpcError(-32602, f"Invalid params: unknown variant `{commitment}`")
    if commitment == "processed":
        raise RpcError(-32602, "Method does not support commitment below `confirmed`")
    return bool(commitment == "finalized")


class SolanaRpcApi:
    def __init__(
        self, world: World, gateway: Gateway, max_concurrent: int, ledger: Ledger | None = None
    ) -> None:
        self.world = world
        self.gateway = gateway
        self.max_concurrent = max_concurrent
        self.ledger = ledger if ledger is not None else Ledger()

    def routes(self, prefix: str = "/rpc") -> list[web.RouteDef]:
        return [web.post(prefix, self.handle), web.post(prefix + "/", self.handle)]

    def _context(self, tau: float) -> dict[str, Any]:
        return {"apiVersion": API_VERSION, "slot": self.world.slot(tau)}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
            calls: list[Any] = [None]
        else:
            calls = body if isinstance(body, list) else [body]
        batch = isinstance(body, list)
        methods = [self._method_name(c) for c in calls]
        stats = self.gateway.stats
        per_method: dict[str, int] = {}
        for m in methods:
            per_method[m] = per_method.get(m, 0) + 1
            stats.received(f"solana_rpc.{m}", self._keys_count(calls, m))
        charges = [Charge("solana_rpc.all", max(1, len(calls)))]
        charges += [Charge("solana_rpc.method", n, m) for m, n in sorted(per_method.items())]
        handled = False

        async def respond() -> Reply:
            nonlocal handled
            handled = True
            tau = self.world.tau()
            if body is None:
                return Reply(payload=_error(-32700, "Parse error", None))
            if batch and not calls:
                return Reply(payload=_error(-32600, "Invalid request", None))
            answers: list[dict[str, Any]] = [self._call(c, tau) for c in calls]
            for m, a in zip(methods, answers, strict=True):
                stats.outcome(f"solana_rpc.{m}", 400 if "error" in a else 200)
            return Reply(payload=answers if batch else answers[0])

        response = await self.gateway.serve(
            request,
            "solana_rpc",
            "solana_rpc",
            charges,
            respond,
            batch=len(calls),
            max_in_flight=self.max_concurrent,
        )
        if not handled:  # refused or faulted before any call ran: count it for each call
            fault = request.get(FAULT_KEY)
            for m in methods:
                if fault is not None:
                    stats.fault(f"solana_rpc.{m}", fault)
                else:
                    stats.outcome(f"solana_rpc.{m}", response.status)
        return response

    @staticmethod
    def _method_name(call: Any) -> str:
        method = call.get("method") if isinstance(call, dict) else None
        if isinstance(method, str) and method in KNOWN_METHODS:
            return method
        return "invalid_request" if not isinstance(method, str) else "unknown_method"

    @staticmethod
    def _keys_count(calls: list[Any], method: str) -> int | None:
        if method != "getMultipleAccounts":
            return None
        for c in calls:
            params = c.get("params") if isinstance(c, dict) else None
            if isinstance(params, list) and params and isinstance(params[0], list):
                return len(params[0])
        return 0

    def _call(self, call: Any, tau: float) -> dict[str, Any]:
        if (
            not isinstance(call, dict)
            or call.get("jsonrpc") != "2.0"
            or not isinstance(call.get("method"), str)
        ):
            return _error(
                -32600, "Invalid request", call.get("id") if isinstance(call, dict) else None
            )
        id_ = call.get("id")
        method = call["method"]
        params = call.get("params", [])
        if not isinstance(params, list):
            return _error(-32602, "Invalid params: expected an array of parameters", id_)
        try:
            result = self._dispatch(method, params, tau)
        except RpcError as exc:
            return _error(exc.code, exc.message, id_)
        return {"jsonrpc": "2.0", "result": result, "id": id_}

    def _dispatch(self, method: str, params: list[Any], tau: float) -> Any:
        if method == "getMultipleAccounts":
            return self._get_multiple_accounts(params, tau)
        if method == "getAccountInfo":
            key = _pubkey(params[0] if params else None)
            value = self._render(key, _encoding(_config(params, 1)), tau)
            return {"context": self._context(tau), "value": value}
        if method == "getTokenLargestAccounts":
            tok = self._mint(params, tau)
            top = self.world.holders(tok, tau)[:20]
            largest = [{"address": h.address, **token_amount(h.amount, tok.decimals)} for h in top]
            return {"context": self._context(tau), "value": largest}
        if method == "getTokenSupply":
            tok = self._mint(params, tau)
            return {
                "context": self._context(tau),
                "value": token_amount(tok.supply_raw, tok.decimals),
            }
        if method == "getBalance":
            key = _pubkey(params[0] if params else None)
            account = render(self.world, key, "base64", tau)
            return {"context": self._context(tau), "value": account["lamports"] if account else 0}
        if method == "getSlot":
            return self.world.slot(tau)
        if method == "getHealth":
            return "ok"
        if method == "getVersion":
            return {"feature-set": 3294202862, "solana-core": API_VERSION}
        if method == "getSignaturesForAddress":
            return self._signatures_for_address(params, tau)
        if method == "getTransaction":
            return self._transaction(params, tau)
        raise RpcError(-32601, "Method not found")

    def _signatures_for_address(self, params: list[Any], tau: float) -> Any:
        address = _pubkey(params[0] if params else None)
        cfg = _config(params, 1)
        limit = cfg.get("limit", MAX_SIGNATURES)
        whole = isinstance(limit, int) and not isinstance(limit, bool)
        if not whole or not 1 <= limit <= MAX_SIGNATURES:
            raise RpcError(-32602, f"Invalid limit; max {MAX_SIGNATURES}")
        before = cfg.get("before")
        until = cfg.get("until")
        tip = self.world.slot(tau)
        txs = self.ledger.signatures(
            address,
            before=None if before is None else _signature(before, "before"),
            until=None if until is None else _signature(until, "until"),
            limit=limit,
            max_slot=tip - FINALIZED_DEPTH if _finalized(cfg) else None,
        )
        return [signature_info(tx, tip) for tx in txs]

    def _transaction(self, params: list[Any], tau: float) -> Any:
        signature = _signature(params[0] if params else None)
        cfg = _config(params, 1)
        encoding = cfg.get("encoding", "json")
        if encoding != "jsonParsed":
            raise RpcError(
                -32602,
                f"Invalid params: the simulator renders transactions as jsonParsed only, "
                f"got encoding {encoding!r}",
            )
        finalized = _finalized(cfg)
        tx = self.ledger.get(signature)
        if tx is None or (finalized and self.world.slot(tau) - tx.slot < FINALIZED_DEPTH):
            return None
        version = cfg.get("maxSupportedTransactionVersion")
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise RpcError(-32015, VERSION_0_REFUSED)
        return render_transaction(tx)

    def _render(self, key: str, encoding: str, tau: float) -> dict[str, Any] | None:
        try:
            return render(self.world, key, encoding, tau)
        except EncodingError as exc:
            raise RpcError(-32602, str(exc)) from exc

    def _get_multiple_accounts(self, params: list[Any], tau: float) -> Any:
        if not params or not isinstance(params[0], list):
            raise RpcError(-32602, "Invalid params: expected an array of base-58 pubkeys")
        keys = params[0]
        if len(keys) > MAX_KEYS:
            raise RpcError(-32602, f"Too many inputs provided; max {MAX_KEYS}")
        pubkeys = [_pubkey(k) for k in keys]
        encoding = _encoding(_config(params, 1))
        value = [self._render(k, encoding, tau) for k in pubkeys]
        return {"context": self._context(tau), "value": value}

    def _mint(self, params: list[Any], tau: float) -> Any:
        key = _pubkey(params[0] if params else None)
        ref = self.world.account(key)
        if ref is None or (ref.token is not None and tau < ref.token.launched_at):
            raise RpcError(-32602, "Invalid param: could not find account")
        if ref.kind != "mint" or ref.token is None:
            raise RpcError(-32602, "Invalid param: not a Token mint")
        return ref.token
