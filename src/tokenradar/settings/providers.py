"""The ``[providers.<name>]`` settings: the keys every provider takes, and each one's own."""

from __future__ import annotations

from pydantic import Field, SecretStr

from tokenradar.settings.values import HttpUrl, Rate, RateSetting, Section, WsUrl


class ProviderSettings(Section):
    """Keys every provider takes."""

    enabled: bool = True
    rate: RateSetting = None
    max_batch: int = Field(default=1, ge=1)
    max_in_flight: int = Field(default=4, ge=1, le=1000)
    timeout: float = Field(default=10.0, gt=0, le=300)
    api_key: SecretStr | None = None


class DexScreenerSettings(ProviderSettings):
    base_url: HttpUrl = "https://api.dexscreener.com"
    rate: RateSetting = Rate(300, 60)
    #: profiles/boosts feeds have their own, lower limit
    feed_rate: RateSetting = Rate(60, 60)
    max_batch: int = Field(default=30, ge=1, le=30)
    max_in_flight: int = Field(default=8, ge=1, le=1000)


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
