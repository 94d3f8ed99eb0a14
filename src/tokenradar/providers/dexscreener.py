"""DexScreener client: market facets for up to 30 tokens per request, plus the feeds.

Endpoints (gate endpoint in brackets; limits are the engine's business):

- ``GET /tokens/v1/{chainId}/{a,b,...}`` ["tokens"]: bare array of pairs for up
  to 30 tokens of one chain. :meth:`DexScreenerClient.fetch_market`.
- ``GET /latest/dex/tokens/{a,b,...}`` ["tokens"]: ``{schemaVersion, pairs}``,
  ``pairs`` may be null. :meth:`DexScreenerClient.latest_dex_tokens`.
- ``GET /token-pairs/v1/{chainId}/{address}`` ["tokens"]: one token's pairs.
- ``GET /token-profiles/latest/v1`` ["profiles"], ``GET /token-boosts/latest/v1``
  ["boosts"]: the newest paid profiles and boosts (a discovery source).

Parsing lives in :mod:`tokenradar.providers.dexscreener_parse`.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import Facet, MarketData, TokenRef
from tokenradar.errors import MalformedResponse
from tokenradar.providers.batch import check_batch
from tokenradar.providers.client import ProviderClient
from tokenradar.providers.coerce import as_dict
from tokenradar.providers.dexscreener_parse import (
    SOURCE,
    TokenBoost,
    TokenProfile,
    parse_boosts,
    parse_pairs,
    parse_profiles,
)
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.settings import DexScreenerSettings

__all__ = [
    "DexScreenerClient",
    "TokenBoost",
    "TokenProfile",
    "parse_boosts",
    "parse_pairs",
    "parse_profiles",
]


class DexScreenerClient(ProviderClient):
    """Market data from DexScreener; one long-lived session (see :class:`HttpClient`)."""

    source = SOURCE

    def __init__(
        self,
        settings: DexScreenerSettings,
        *,
        gate: Gate = OPEN_GATE,
        clock: Clock = SYSTEM_CLOCK,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.settings = settings
        self._base = settings.base_url.rstrip("/")
        super().__init__(settings, gate=gate, clock=clock, session=session)

    async def fetch_market(self, tokens: Sequence[TokenRef]) -> list[Facet[MarketData]]:
        """One request for ≤ ``max_batch`` tokens of one chain; one facet per token, in order."""
        check_batch(tokens, provider=SOURCE, max_batch=self.max_batch, one_chain=True)
        addresses = ",".join(t.address for t in tokens)
        url = f"{self._base}/tokens/v1/{tokens[0].chain}/{addresses}"
        response = await self.http.get_json(url, endpoint="tokens", expect=list)
        return parse_pairs(response.data, tokens, fetched_at=self._clock.now())

    async def latest_dex_tokens(self, tokens: Sequence[TokenRef]) -> list[Facet[MarketData]]:
        """The older ``/latest/dex/tokens`` endpoint; tokens may span chains."""
        check_batch(tokens, provider=SOURCE, max_batch=self.max_batch)
        addresses = ",".join(t.address for t in tokens)
        url = f"{self._base}/latest/dex/tokens/{addresses}"
        response = await self.http.get_json(url, endpoint="tokens", expect=dict)
        body = as_dict(response.data)
        if "pairs" not in body:
            raise MalformedResponse(SOURCE, "response has no 'pairs' key", body=str(body)[:200])
        return parse_pairs(body["pairs"], tokens, fetched_at=self._clock.now())

    async def token_pairs(self, token: TokenRef) -> Facet[MarketData]:
        """All pairs of one token via ``/token-pairs/v1`` (more than /tokens/v1's top pairs)."""
        url = f"{self._base}/token-pairs/v1/{token.chain}/{token.address}"
        response = await self.http.get_json(url, endpoint="tokens", expect=list)
        return parse_pairs(response.data, [token], fetched_at=self._clock.now())[0]

    async def latest_profiles(self) -> list[TokenProfile]:
        url = f"{self._base}/token-profiles/latest/v1"
        response = await self.http.get_json(url, endpoint="profiles")
        return parse_profiles(response.data)

    async def latest_boosts(self) -> list[TokenBoost]:
        url = f"{self._base}/token-boosts/latest/v1"
        response = await self.http.get_json(url, endpoint="boosts")
        return parse_boosts(response.data)
