"""The ``[providers.<name>]`` settings, and what one request of each may cost.

A budget charges a request its *cost* (calls the server counts: a JSON-RPC
batch counts each call) against every limit on its path, and a sliding window
of ``count`` can never admit a request that costs more than ``count``. Such a
setting would wedge its lane forever, so each section states its largest
request cost per limit and is refused at load when a limit cannot fit it:

- ``dexscreener``: ``rate`` and ``feed_rate``, 1 (one HTTP request carries up to
  ``max_batch`` tokens);
- ``solana_rpc``: ``rate`` and ``method_rate``, ``min(max_batch, 20)``: a holders
  batch is one ``getTokenLargestAccounts`` call per token. Its
  ``getMultipleAccounts`` follow-ups cost ``ceil(21 × tokens / 100)``, never
  more, and a mint batch is one call;
- ``rugcheck``, ``jupiter``: ``rate``, 1.

A limit below one request per window cannot occur: :class:`Rate` scales a
fractional count up to a whole one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pydantic import Field, SecretStr, model_validator

from tokenradar.settings.values import Duration, Flag, HttpUrl, Rate, RateSetting, Section, WsUrl

#: tokens per holders batch: ``getTokenLargestAccounts`` takes one mint per call
#: and answers its 20 largest accounts, so a batch of 20 tokens already makes
#: 420 keys of follow-up ``getMultipleAccounts``
HOLDERS_MAX_BATCH: Final = 20


class UnsatisfiableSetting(ValueError):
    """A value that is valid alone but can never be met; ``key`` is the field it names."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class RequestCost:
    """The most one request can cost, what it is, and how else to make it fit."""

    calls: int
    what: str
    #: besides raising the limit ("or lower max_batch to 10"); "" when there is none
    alternative: str = ""


class ProviderSettings(Section):
    """Keys every provider takes."""

    enabled: Flag = True
    rate: RateSetting = None
    max_batch: int = Field(default=1, ge=1)
    max_in_flight: int = Field(default=4, ge=1, le=1000)
    timeout: float = Field(default=10.0, gt=0, le=300)
    api_key: SecretStr | None = None
    #: a batch that costs the same however full is filled with tokens due within this
    #: long (lanes that pay per token, holders, only ever send what is due)
    fill_horizon: Duration = 120.0

    def largest_requests(self) -> dict[str, RequestCost]:
        """Per limit field, the costliest request that passes through it."""
        return {"rate": RequestCost(1, "one request")}

    @model_validator(mode="after")
    def _largest_request_fits(self) -> ProviderSettings:
        for key, cost in self.largest_requests().items():
            limit = getattr(self, key)
            if not isinstance(limit, Rate) or cost.calls <= limit.count:
                continue  # "auto" has no window to overflow
            need = Rate(cost.calls, limit.period)
            alternative = f" or {cost.alternative}" if cost.alternative else ""
            raise UnsatisfiableSetting(
                key,
                f"{limit} cannot fit {cost.what} of {cost.calls} calls; "
                f"use at least {need}{alternative}",
            )
        return self


class DexScreenerSettings(ProviderSettings):
    base_url: HttpUrl = "https://api.dexscreener.com"
    rate: RateSetting = Rate(300, 60)
    #: profiles/boosts feeds have their own, lower limit
    feed_rate: RateSetting = Rate(60, 60)
    max_batch: int = Field(default=30, ge=1, le=30)
    max_in_flight: int = Field(default=8, ge=1, le=1000)

    def largest_requests(self) -> dict[str, RequestCost]:
        one = RequestCost(1, "one request")
        return {"rate": one, "feed_rate": one}


class SolanaRpcSettings(ProviderSettings):
    url: HttpUrl = "https://api.mainnet-beta.solana.com"
    #: logsSubscribe endpoint; derived from ``url`` (http→ws) when not set
    ws_url: WsUrl = None
    rate: RateSetting = Rate(100, 10)
    method_rate: RateSetting = Rate(40, 10)
    max_batch: int = Field(default=100, ge=1, le=100)
    max_in_flight: int = Field(default=40, ge=1, le=1000)

    @property
    def websocket_url(self) -> str:
        if self.ws_url:
            return self.ws_url
        return "ws" + self.url.removeprefix("http")

    @property
    def holders_batch(self) -> int:
        """Tokens per holders batch, hence calls per ``getTokenLargestAccounts`` request."""
        return min(self.max_batch, HOLDERS_MAX_BATCH)

    def largest_requests(self) -> dict[str, RequestCost]:
        # every call counts against the host (rate) and against its method's limit
        batch = self.holders_batch
        limits = [r.count for r in (self.rate, self.method_rate) if r is not None]
        fits = min([batch, *limits])
        holders = RequestCost(
            batch,
            "one holders batch",
            f"lower max_batch to {fits}" if fits < batch else "",
        )
        return {"rate": holders, "method_rate": holders}


class RugCheckSettings(ProviderSettings):
    base_url: HttpUrl = "https://api.rugcheck.xyz"
    rate: RateSetting = None
    max_batch: int = Field(default=1, ge=1, le=1)
    max_in_flight: int = Field(default=4, ge=1, le=1000)


class JupiterSettings(ProviderSettings):
    base_url: HttpUrl = "https://api.jup.ag"
    rate: RateSetting = Rate(30, 60)
    max_batch: int = Field(default=50, ge=1, le=50)
    max_in_flight: int = Field(default=2, ge=1, le=1000)


class ProvidersSettings(Section):
    dexscreener: DexScreenerSettings = DexScreenerSettings()
    solana_rpc: SolanaRpcSettings = SolanaRpcSettings()
    rugcheck: RugCheckSettings = RugCheckSettings()
    jupiter: JupiterSettings = JupiterSettings()
