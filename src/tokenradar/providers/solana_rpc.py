"""Solana JSON-RPC client: mint facets (getMultipleAccounts) and holder facets.

Every HTTP request carries calls of ONE method and runs inside
``gate(method, cost=number of calls)``: the public RPC counts each call of a
batch against its per-method limit. One call is sent as a plain JSON-RPC
object, several as a batch array.

Errors: HTTP-level failures come from :class:`HttpClient`; JSON-RPC ``error``
objects (HTTP 200) are mapped by :func:`solana_parse.rpc_error`. A rate-limit
error for any call of a request raises :class:`RateLimited` for the whole
request (inside the gate, so the limiter backs off); other per-call errors
become ``error`` facets of the tokens they concern.

Holders (:meth:`SolanaRpcClient.fetch_holders`) take three requests per batch
of tokens:

1. ``getTokenLargestAccounts`` per token (one batch; cost = tokens);
2. ``getMultipleAccounts`` (jsonParsed) on the mints (supply, decimals) and on
   every largest token account (its owner), ≤100 keys per call, all calls in
   one batch;
3. ``getMultipleAccounts`` on the distinct owners, ``base64`` with a zero-byte
   ``dataSlice`` (only the owning program is needed), to classify each holder
   (see :mod:`tokenradar.providers.holders`).

A mint that does not exist is ``absent``, as in the mint facet. Nodes refuse
``getTokenLargestAccounts`` for it with a permanent "invalid param" whose words
vary: agave says "could not find mint" (``absent`` at once), others "could not
find account" or "not a Token mint". So a token whose call failed permanently
otherwise joins step 2's accounts and its account decides: none is ``absent``;
an account (a wallet, a mint the node still refuses) or a failed look-up keeps
the error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import aiohttp

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import (
    D,
    Facet,
    FacetKind,
    HoldersData,
    MintData,
    TokenRef,
    absent_facet,
    error_facet,
    is_solana_address,
    ok_facet,
)
from tokenradar.errors import (
    InvalidAddress,
    MalformedResponse,
    PermanentError,
    RateLimited,
    UpstreamError,
)
from tokenradar.providers.batch import check_batch
from tokenradar.providers.client import ProviderClient
from tokenradar.providers.coerce import as_dict, as_int, as_list, as_str
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.providers.holders import LargestAccount, build_holders
from tokenradar.providers.http import JsonResponse
from tokenradar.providers.solana_parse import (
    SOURCE,
    is_mint_not_found,
    parse_mint_account,
    rpc_error,
    rpc_value,
    token_account_owner,
)
from tokenradar.settings import HOLDERS_MAX_BATCH, SolanaRpcSettings

MAX_KEYS: Final = 100  # getMultipleAccounts' limit
_COMMITMENT: Final = {"commitment": "confirmed"}
_PARSED: Final = {"encoding": "jsonParsed", "commitment": "confirmed"}
_OWNER_ONLY: Final = {
    "encoding": "base64",
    "dataSlice": {"offset": 0, "length": 0},
    "commitment": "confirmed",
}

#: one call's outcome: its ``result``, or the error it got
CallResult = object


@dataclass(frozen=True, slots=True)
class TokenSupply:
    amount: int  # raw units
    decimals: int


def _chunks(keys: Sequence[str], size: int = MAX_KEYS) -> list[list[str]]:
    return [list(keys[i : i + size]) for i in range(0, len(keys), size)]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _failed(token: TokenRef, kind: FacetKind, exc: UpstreamError, now: float) -> Facet[D]:
    return error_facet(
        token, kind, fetched_at=now, source=SOURCE, error_kind=exc.kind, message=str(exc)
    )


class SolanaRpcClient(ProviderClient):
    """Mint and holder facets from a Solana JSON-RPC node; one long-lived session."""

    source = SOURCE

    def __init__(
        self,
        settings: SolanaRpcSettings,
        *,
        gate: Gate = OPEN_GATE,
        clock: Clock = SYSTEM_CLOCK,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        super().__init__(settings, gate=gate, clock=clock, session=session)
        self.settings = settings
        self.max_batch = min(settings.max_batch, MAX_KEYS)
        #: tokens per fetch_holders call: 20 largest accounts each, owners chunked by 100
        self.holders_max_batch = min(settings.max_batch, HOLDERS_MAX_BATCH)
        self._url = settings.url
        self._ids = 0

    # ------------------------------------------------------------------
    # JSON-RPC transport
    # ------------------------------------------------------------------

    async def call_many(
        self, method: str, params: Sequence[list[object]], *, strict: bool = False
    ) -> list[CallResult | UpstreamError]:
        """Send ``len(params)`` calls of ``method`` in one HTTP request.

        Returns each call's ``result`` or its typed error, in order. Raises for
        failures of the whole request, :class:`RateLimited` when any call was
        rate limited, and with ``strict`` the first call error of any kind (all
        inside the gate, so the limiter and breaker see them).
        """
        if not params:
            return []
        first_id = self._ids + 1
        self._ids += len(params)
        calls = [
            {"jsonrpc": "2.0", "id": first_id + i, "method": method, "params": p}
            for i, p in enumerate(params)
        ]
        body: object = calls if len(calls) > 1 else calls[0]

        def check(response: JsonResponse) -> list[CallResult | UpstreamError]:
            results = self._match(method, response.data, first_id, len(calls))
            failed = next((r for r in results if isinstance(r, UpstreamError)), None)
            if strict and failed is not None:
                raise failed
            return results

        return await self.http.request(
            "POST", self._url, endpoint=method, cost=len(calls), json_body=body, check=check
        )

    def _match(
        self, method: str, data: object, first_id: int, count: int
    ) -> list[CallResult | UpstreamError]:
        entries = data if isinstance(data, list) else [data]
        if isinstance(data, dict) and "error" in data and data.get("id") is None:
            raise rpc_error(data["error"], method=method)  # the whole request was refused
        by_id: dict[int, dict[str, object]] = {}
        for entry in entries:
            answer = as_dict(entry)
            answer_id = as_int(answer.get("id"))
            if answer_id is not None:
                by_id[answer_id] = answer
        results: list[CallResult | UpstreamError] = []
        for call_id in range(first_id, first_id + count):
            item = by_id.get(call_id)
            if item is None:
                results.append(
                    MalformedResponse(SOURCE, f"{method}: no answer for call id {call_id}")
                )
            elif "error" in item and item["error"] is not None:
                results.append(rpc_error(item["error"], method=method))
            elif "result" in item:
                results.append(item["result"])
            else:
                results.append(MalformedResponse(SOURCE, f"{method}: neither result nor error"))
        limited = next((r for r in results if isinstance(r, RateLimited)), None)
        if limited is not None:
            raise limited
        return results

    async def call(self, method: str, params: list[object]) -> CallResult:
        """One call; its JSON-RPC error is raised."""
        (result,) = await self.call_many(method, [params], strict=True)
        return result

    async def get_multiple_accounts(
        self, keys: Sequence[str], config: Mapping[str, object]
    ) -> dict[str, object | UpstreamError]:
        """Accounts by address (None for missing ones), ≤100 keys per call, one request."""
        unique = _unique(keys)
        chunks = _chunks(unique)
        results = await self.call_many("getMultipleAccounts", [[chunk, config] for chunk in chunks])
        accounts: dict[str, object | UpstreamError] = {}
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, UpstreamError):
                accounts.update(dict.fromkeys(chunk, result))
                continue
            value = as_list(rpc_value(result, method="getMultipleAccounts"))
            if len(value) != len(chunk):
                raise MalformedResponse(
                    SOURCE, f"getMultipleAccounts: {len(value)} accounts for {len(chunk)} keys"
                )
            accounts.update(zip(chunk, value, strict=True))
        return accounts

    # ------------------------------------------------------------------
    # Thin helpers
    # ------------------------------------------------------------------

    async def get_account_info(
        self, address: str, *, encoding: str = "jsonParsed"
    ) -> dict[str, object] | None:
        """The account at ``address`` (None when it does not exist)."""
        if not is_solana_address(address):
            raise InvalidAddress(f"{address!r} is not a Solana address")
        result = await self.call(
            "getAccountInfo", [address, {"encoding": encoding, "commitment": "confirmed"}]
        )
        value = rpc_value(result, method="getAccountInfo")
        return None if value is None else as_dict(value)

    async def get_token_supply(self, token: TokenRef) -> TokenSupply:
        check_batch([token], provider=SOURCE, max_batch=1, solana_only=True)
        result = await self.call("getTokenSupply", [token.address, _COMMITMENT])
        value = as_dict(rpc_value(result, method="getTokenSupply"))
        amount, decimals = as_int(value.get("amount")), as_int(value.get("decimals"))
        if amount is None or decimals is None:
            raise MalformedResponse(SOURCE, "getTokenSupply: no amount/decimals", body=str(value))
        return TokenSupply(amount, decimals)

    # ------------------------------------------------------------------
    # Facets
    # ------------------------------------------------------------------

    async def fetch_mints(self, tokens: Sequence[TokenRef]) -> list[Facet[MintData]]:
        """One getMultipleAccounts for ≤100 mints; one facet per token, in order."""
        check_batch(tokens, provider=SOURCE, max_batch=self.max_batch, solana_only=True)
        result = await self.call("getMultipleAccounts", [[t.address for t in tokens], _PARSED])
        value = rpc_value(result, method="getMultipleAccounts")
        if not isinstance(value, list) or len(value) != len(tokens):
            raise MalformedResponse(
                SOURCE, f"getMultipleAccounts: expected {len(tokens)} accounts", body=str(value)
            )
        now = self._clock.now()
        facets: list[Facet[MintData]] = []
        for token, account in zip(tokens, value, strict=True):
            if account is None:
                facets.append(absent_facet(token, FacetKind.MINT, fetched_at=now, source=SOURCE))
                continue
            try:
                mint = parse_mint_account(account, token.address)
            except UpstreamError as exc:
                facets.append(_failed(token, FacetKind.MINT, exc, now))
                continue
            facets.append(ok_facet(token, FacetKind.MINT, mint, fetched_at=now, source=SOURCE))
        return facets

    async def fetch_holders(self, tokens: Sequence[TokenRef]) -> list[Facet[HoldersData]]:
        """Largest accounts, their owners and the owners' programs; one facet per token."""
        check_batch(tokens, provider=SOURCE, max_batch=self.holders_max_batch, solana_only=True)
        outcome: dict[TokenRef, Facet[HoldersData]] = {}
        now = self._clock.now()

        # 1. largest accounts, one call per token
        results = await self.call_many(
            "getTokenLargestAccounts", [[t.address, _COMMITMENT] for t in tokens]
        )
        largest: dict[TokenRef, list[LargestAccount]] = {}
        refused: dict[TokenRef, PermanentError] = {}  # does the mint exist? step 2 says
        for token, result in zip(tokens, results, strict=True):
            if is_mint_not_found(result):  # agave's words for "no such account"
                outcome[token] = absent_facet(
                    token, FacetKind.HOLDERS, fetched_at=now, source=SOURCE
                )
                continue
            if isinstance(result, PermanentError):
                refused[token] = result
                continue
            if isinstance(result, UpstreamError):
                outcome[token] = _failed(token, FacetKind.HOLDERS, result, now)
                continue
            entries = as_list(rpc_value(result, method="getTokenLargestAccounts"))
            largest[token] = [
                LargestAccount(address, amount)
                for e in entries
                if (address := as_str(as_dict(e).get("address"))) is not None
                and (amount := as_int(as_dict(e).get("amount"))) is not None
            ]

        # 2. mints and token accounts
        keys = [t.address for t in (*refused, *largest)]
        keys += [a.address for accs in largest.values() for a in accs]
        accounts = await self.get_multiple_accounts(keys, _PARSED) if keys else {}
        for token, error in refused.items():
            if accounts[token.address] is None:  # no such mint, whatever the node's words
                outcome[token] = absent_facet(
                    token, FacetKind.HOLDERS, fetched_at=now, source=SOURCE
                )
            else:  # it exists (or its look-up failed): the refusal stands
                outcome[token] = _failed(token, FacetKind.HOLDERS, error, now)
        mints: dict[TokenRef, MintData] = {}
        for token, accs in largest.items():
            try:
                mint_account = accounts[token.address]
                if isinstance(mint_account, UpstreamError):
                    raise mint_account
                if mint_account is None:
                    outcome[token] = absent_facet(
                        token, FacetKind.HOLDERS, fetched_at=now, source=SOURCE
                    )
                    continue
                mints[token] = parse_mint_account(mint_account, token.address)
                for i, acc in enumerate(accs):
                    account = accounts[acc.address]
                    if isinstance(account, UpstreamError):
                        raise account
                    accs[i] = LargestAccount(acc.address, acc.amount, token_account_owner(account))
            except UpstreamError as exc:
                outcome[token] = _failed(token, FacetKind.HOLDERS, exc, now)
                mints.pop(token, None)

        # 3. the owners' accounts, to classify each holder
        owners = _unique(a.owner for t in mints for a in largest[t] if a.owner is not None)
        owner_accounts = await self.get_multiple_accounts(owners, _OWNER_ONLY) if owners else {}
        for token, mint in mints.items():
            failed = next(
                (
                    owner_accounts[a.owner]
                    for a in largest[token]
                    if a.owner is not None and isinstance(owner_accounts[a.owner], UpstreamError)
                ),
                None,
            )
            if isinstance(failed, UpstreamError):
                outcome[token] = _failed(token, FacetKind.HOLDERS, failed, now)
                continue
            data = build_holders(mint.supply, mint.decimals, largest[token], owner_accounts)
            outcome[token] = ok_facet(token, FacetKind.HOLDERS, data, fetched_at=now, source=SOURCE)
        return [outcome[t] for t in tokens]
