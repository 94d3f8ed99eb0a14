"""The ``[tiers]`` settings: how fresh each facet must be, per tier.

::

    [tiers.market]
    hot = "15s"
    warm = "2m"
    cold = "10m"

    [tiers.mint]
    hot = "30m"
    after_launch = "3m"   # authorities are often revoked right after a launch

Durations are seconds (a number) or a string with a unit: ``"500ms"``,
``"15s"``, ``"2m"``, ``"1h"``, ``"1d"``. How the engine turns these targets
into due times is :mod:`tokenradar.flow.tiers`.
"""

from __future__ import annotations

from pydantic import model_validator

from tokenradar.domain import FacetKind, Tier
from tokenradar.settings.values import Duration, Section, merge_with_defaults


class Freshness(Section):
    """How old one facet may get before it is due again, per tier."""

    hot: Duration
    warm: Duration
    cold: Duration
    #: while a token is younger than ``tiers.launch_window``, refresh at least this often
    after_launch: Duration | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Freshness:
        if not self.hot <= self.warm <= self.cold:
            raise ValueError(
                f"expected hot <= warm <= cold, got {self.hot:g}s / {self.warm:g}s / {self.cold:g}s"
            )
        return self

    def target(self, tier: Tier) -> float:
        return {Tier.HOT: self.hot, Tier.WARM: self.warm, Tier.COLD: self.cold}[tier]


class TiersSettings(Section):
    """Freshness targets per facet and tier (``[tiers.<facet>]``)."""

    market: Freshness = Freshness(hot=15, warm=120, cold=600)
    mint: Freshness = Freshness(hot=1800, warm=3600, cold=21600, after_launch=180)
    holders: Freshness = Freshness(hot=600, warm=3600, cold=21600, after_launch=300)
    risk: Freshness = Freshness(hot=600, warm=1800, cold=7200, after_launch=300)
    price: Freshness = Freshness(hot=15, warm=60, cold=600)
    #: a token counts as just launched (``after_launch`` applies) for this long
    launch_window: Duration = 3600
    #: when a refresh gave up after its retries, try again this soon (at most the target)
    error_retry: Duration = 60

    @model_validator(mode="before")
    @classmethod
    def _merge_with_defaults(cls, data: object) -> object:
        return merge_with_defaults(cls, data)

    def freshness(self, kind: FacetKind) -> Freshness:
        return {
            FacetKind.MARKET: self.market,
            FacetKind.MINT: self.mint,
            FacetKind.HOLDERS: self.holders,
            FacetKind.RISK: self.risk,
            FacetKind.PRICE: self.price,
        }[kind]
