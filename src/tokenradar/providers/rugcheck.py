"""RugCheck client: the risk facet, one ``GET /v1/tokens/{mint}/report`` per token.

RugCheck has no batch endpoint (``max_batch`` is 1). :meth:`RugCheckClient.fetch_risk`
still takes a sequence, so every client looks the same to the engine, and sends
one request per token, one after the other (each through ``gate("report")``);
a failure stops the loop and propagates, because the lane retries whole batches.
With the default ``max_batch = 1`` the lane sends exactly one token per call.

Quirks handled by :func:`parse_report`:

- top-level ``mintAuthority``/``freezeAuthority`` are null or an *account
  object* (lamports, owner, ...), while ``token.mintAuthority`` is the
  authority's address as a string: the authority is read from ``token``.
- partial reports (RugCheck has often not analysed a brand-new token yet): a
  part the report does not carry is *unknown*, listed in ``RiskData.missing``,
  never a verdict. ``token.mintAuthority: null`` is "revoked"; an absent
  ``token`` (or key) falls back to the top level, where the account object is
  the authority's account (SPX in the fixtures; the simulator builds it only
  for a set authority), so it means "set" with the address unknown
  (:data:`AUTHORITY_UNNAMED`). A top-level null is not proof of revocation (it
  is also what an authority address without an on-chain account would give),
  so without ``token`` it is unknown. ``risks`` that is not a list (absent or
  null) is unknown, not "no risks"; ``risks: []`` is "no risks". RugCheck's
  holder risks are computed from ``topHolders``: without that list their
  absence says nothing (``TOP_HOLDERS`` missing).
- integers beyond 2**53 (``token.supply``, ``rentEpoch`` = 2**64-1): orjson
  decodes them exactly up to 2**64-1 (beyond that as floats); nothing here
  needs them beyond int.
- ``totalHolders`` is 0 for big tokens RugCheck has not counted (TRUMP, aura
  in the fixtures): 0 holders of a traded token is "unknown", so it becomes None.
- ``lp_locked_pct`` is the ``lp.lpLockedPct`` of the market with the most USD
  liquidity (``lp.baseUSD + lp.quoteUSD``): the pool a buyer actually trades
  against. Not the maximum over markets: in every real report some dust pool is
  100 % locked, so the maximum is always 100 and says nothing (and a rugger can
  lock a dust pool on purpose). Concentrated-liquidity pools (DLMM, CLMM,
  Whirlpool) have no LP token: RugCheck gives them the default address
  ``11111111111111111111111111111111`` as ``mintLP`` and ``lpLockedPct`` 0,
  which means "nothing to measure", not "0 % locked" (RugCheck raises no
  "Large Amount of LP Unlocked" for them: TRUMP and GOR in the fixtures). When
  the most liquid market is such a pool the share is None (unknown), not 0 and
  not the pct of some smaller LP-token pool (for TRUMP that would judge a
  $37k pool beside $354M of DLMM). A non-zero pct from a pool without an LP
  mint (Raydium CLMM reports locked positions) is a measurement and counts.
  Falls back to the highest measured pct when no market reports USD sizes;
  None when no market measures one.
- an unknown token is HTTP 404 with a JSON body → an ``absent`` facet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import (
    AUTHORITY_UNNAMED,
    Facet,
    FacetKind,
    RiskData,
    RiskField,
    RiskItem,
    TokenRef,
    absent_facet,
    ok_facet,
)
from tokenradar.errors import MalformedResponse
from tokenradar.providers.batch import check_batch
from tokenradar.providers.client import ProviderClient
from tokenradar.providers.coerce import as_bool, as_dict, as_float, as_int, as_list, as_str
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.settings import RugCheckSettings

SOURCE = "rugcheck"
_REPORT_KEYS = frozenset({"mint", "token", "score", "risks", "markets"})
#: the LP mint RugCheck reports for a pool without an LP token (the default address)
NO_LP_MINT = frozenset({"11111111111111111111111111111111", ""})


def _risk_items(entries: list[Any]) -> tuple[RiskItem, ...]:
    items = []
    for entry in entries:
        risk = as_dict(entry)
        name = as_str(risk.get("name"))
        if name is None:
            continue
        items.append(
            RiskItem(
                name=name,
                level=as_str(risk.get("level")) or "unknown",
                score=as_int(risk.get("score")) or 0,
                description=as_str(risk.get("description")) or "",
                value=as_str(risk.get("value")) or "",
            )
        )
    return tuple(items)


def _authority(report: dict[str, Any], key: str) -> tuple[bool, str | None]:
    """``(reported, address)``: address None = revoked when reported."""
    token = report.get("token")
    if isinstance(token, dict) and key in token:
        value = token[key]
        if value is None:
            return True, None
        if (address := as_str(value)) is not None:
            return True, address
        # a wrong type is no answer: try the top level
    top = report.get(key)
    if (address := as_str(top)) is not None:
        return True, address  # older reports: the top level may itself be the address
    if isinstance(top, dict) and ("lamports" in top or "owner" in top):
        return True, AUTHORITY_UNNAMED  # the authority's account: one is set
    return False, None


def _lp_locked_pct(report: dict[str, Any]) -> float | None:
    # (USD liquidity or None, locked pct or None when the pool has no LP token) per market
    markets: list[tuple[float | None, float | None]] = []
    for entry in as_list(report.get("markets")):
        market = as_dict(entry)
        lp = as_dict(market.get("lp"))
        pct = as_float(lp.get("lpLockedPct"))
        if pct is None:
            continue
        lp_mint = as_str(market.get("mintLP")) or as_str(lp.get("lpMint"))
        measured = None if pct == 0 and lp_mint in NO_LP_MINT else pct
        sides = [v for k in ("baseUSD", "quoteUSD") if (v := as_float(lp.get(k))) is not None]
        markets.append((sum(sides) if sides else None, measured))
    sized = [m for m in markets if m[0] is not None]
    if sized:
        return max(sized, key=lambda m: m[0] or 0.0)[1]
    return max((pct for _, pct in markets if pct is not None), default=None)


def parse_report(obj: object, token: TokenRef, *, fetched_at: float) -> Facet[RiskData]:
    """A RugCheck report → an ok risk facet; a foreign or shapeless report is malformed."""
    report = as_dict(obj)
    if not report or not _REPORT_KEYS & report.keys():
        raise MalformedResponse(SOURCE, f"not a token report for {token.address}", body=str(obj))
    mint = as_str(report.get("mint"))
    if mint is not None and mint != token.address:
        raise MalformedResponse(SOURCE, f"asked for {token.address}, got a report for {mint}")
    holders = as_int(report.get("totalHolders"))
    missing: set[RiskField] = set()
    risks = report.get("risks")
    if not isinstance(risks, list):
        missing.add(RiskField.RISKS)
    if not isinstance(report.get("topHolders"), list):
        missing.add(RiskField.TOP_HOLDERS)
    mint_known, mint_authority = _authority(report, "mintAuthority")
    if not mint_known:
        missing.add(RiskField.MINT_AUTHORITY)
    freeze_known, freeze_authority = _authority(report, "freezeAuthority")
    if not freeze_known:
        missing.add(RiskField.FREEZE_AUTHORITY)
    data = RiskData(
        score=as_int(report.get("score")),
        score_normalised=as_float(report.get("score_normalised")),
        risks=_risk_items(as_list(risks)),
        rugged=as_bool(report.get("rugged")),
        mint_authority=mint_authority,
        freeze_authority=freeze_authority,
        lp_locked_pct=_lp_locked_pct(report),
        total_holders=holders if holders else None,
        total_market_liquidity=as_float(report.get("totalMarketLiquidity")),
        transfer_fee_pct=as_float(as_dict(report.get("transferFee")).get("pct")),
        token_program=as_str(report.get("tokenProgram")),
        missing=frozenset(missing),
    )
    return ok_facet(token, FacetKind.RISK, data, fetched_at=fetched_at, source=SOURCE)


class RugCheckClient(ProviderClient):
    """Risk reports from RugCheck; one long-lived session."""

    source = SOURCE

    def __init__(
        self,
        settings: RugCheckSettings,
        *,
        gate: Gate = OPEN_GATE,
        clock: Clock = SYSTEM_CLOCK,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.settings = settings
        self._base = settings.base_url.rstrip("/")
        headers = {}
        if settings.api_key is not None:
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        super().__init__(settings, gate=gate, clock=clock, session=session, headers=headers)

    async def fetch_risk(self, tokens: Sequence[TokenRef]) -> list[Facet[RiskData]]:
        """One report request per token, sequentially; one facet per token, in order."""
        check_batch(tokens, provider=SOURCE, max_batch=len(tokens) or 1, solana_only=True)
        return [await self.fetch_report(token) for token in tokens]

    async def fetch_report(self, token: TokenRef) -> Facet[RiskData]:
        check_batch([token], provider=SOURCE, max_batch=1, solana_only=True)
        url = f"{self._base}/v1/tokens/{token.address}/report"
        response = await self.http.get_json(
            url, endpoint="report", expect=dict, accept_status=frozenset({404})
        )
        fetched_at = self._clock.now()
        if response.status == 404:
            return absent_facet(token, FacetKind.RISK, fetched_at=fetched_at, source=SOURCE)
        return parse_report(response.data, token, fetched_at=fetched_at)
