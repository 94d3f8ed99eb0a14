"""Jupiter client: the price facet, up to 50 mints per ``GET /price/v3?ids=a,b``.

Two response shapes are accepted, because the API changed under its users:

- v3 (current): ``{"<mint>": {"usdPrice": 1.23, "blockId": 348004023,
  "decimals": 6, "priceChange24h": -1.2}}``; unknown mints are *omitted*.
- v2 (the captured fixture): ``{"data": {"<mint>": null | {"id", "type",
  "price": "1.23"}}, "timeTaken": ...}``; unknown mints are ``null``.

Either way a mint that is missing or null is an ``absent`` facet; a mint whose
entry has no usable price (missing, not a number, negative) is an ``error``
facet (malformed) for that mint only. ``api_key`` is sent as ``x-api-key``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import (
    Facet,
    FacetKind,
    PriceData,
    TokenRef,
    absent_facet,
    error_facet,
    ok_facet,
)
from tokenradar.errors import MalformedResponse
from tokenradar.providers.batch import check_batch
from tokenradar.providers.client import ProviderClient
from tokenradar.providers.coerce import as_dict, as_float, as_int
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.settings import JupiterSettings

SOURCE = "jupiter"


def _entries(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise MalformedResponse(SOURCE, f"expected a JSON object, got {type(body).__name__}")
    if "data" in body:  # v2: {"data": {...}, "timeTaken": ...}
        data = body["data"]
        if not isinstance(data, dict):
            raise MalformedResponse(SOURCE, "v2 'data' is not an object", body=str(body))
        return data
    return body


def parse_prices(
    body: object, tokens: Sequence[TokenRef], *, fetched_at: float
) -> list[Facet[PriceData]]:
    """One price facet per token, in order, from a v3 or v2 response body."""
    entries = _entries(body)
    facets: list[Facet[PriceData]] = []
    for token in tokens:
        entry = entries.get(token.address)
        if entry is None:
            facets.append(
                absent_facet(token, FacetKind.PRICE, fetched_at=fetched_at, source=SOURCE)
            )
            continue
        item = as_dict(entry)
        price = as_float(item["usdPrice"]) if "usdPrice" in item else as_float(item.get("price"))
        if price is None or price < 0:
            facets.append(
                error_facet(
                    token,
                    FacetKind.PRICE,
                    fetched_at=fetched_at,
                    source=SOURCE,
                    error_kind=MalformedResponse.kind,
                    message=f"no usable price in {str(entry)[:120]}",
                )
            )
            continue
        data = PriceData(
            price_usd=price,
            price_change_24h=as_float(item.get("priceChange24h")),
            block_id=as_int(item.get("blockId")),
        )
        facets.append(ok_facet(token, FacetKind.PRICE, data, fetched_at=fetched_at, source=SOURCE))
    return facets


class JupiterClient(ProviderClient):
    """Prices from Jupiter; one long-lived session."""

    source = SOURCE

    def __init__(
        self,
        settings: JupiterSettings,
        *,
        gate: Gate = OPEN_GATE,
        clock: Clock = SYSTEM_CLOCK,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.settings = settings
        self._url = settings.base_url.rstrip("/") + "/price/v3"
        headers = {}
        if settings.api_key is not None:
            headers["x-api-key"] = settings.api_key.get_secret_value()
        super().__init__(settings, gate=gate, clock=clock, session=session, headers=headers)

    async def fetch_prices(self, tokens: Sequence[TokenRef]) -> list[Facet[PriceData]]:
        """One request for up to ``max_batch`` (50) Solana mints; one facet per token, in order."""
        check_batch(tokens, provider=SOURCE, max_batch=self.max_batch, solana_only=True)
        ids = ",".join(t.address for t in tokens)
        response = await self.http.get_json(
            self._url, endpoint="price", params={"ids": ids}, expect=dict
        )
        return parse_prices(response.data, tokens, fetched_at=self._clock.now())
