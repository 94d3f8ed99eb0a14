"""The ``[health]`` settings: how often health is checked and where its thresholds lie.

::

    [health]
    interval = "5s"              # how often the monitor checks (and may publish health.changed)
    writer_stall = "30s"         # critical: the writer committed nothing for this long
    loop_lag_degraded = "250ms"  # the event loop ran this late (worst of the last minute)
    loop_lag_critical = "2s"
    rate_limited_share = 0.05    # degraded: a lane's 429s per request above this ...
    hot_freshness = 0.9          # ... or hot tokens' facets within target below this share
    rss_limit_mb = 2048          # degraded above this resident memory (unset: no limit)

What each threshold means, and the report they judge, is in
``docs/operations.md`` (Health and self-healing).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, model_validator

from tokenradar.settings.values import Duration, Section, format_duration, parse_duration

_ZERO = re.compile(r"^\s*0+(\.0+)?\s*(ms|s|min|m|h|d)?\s*$")


def _duration_or_zero(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return 0.0
    if isinstance(value, str) and _ZERO.match(value):
        return 0.0
    return parse_duration(value)


#: a duration that may be zero (``0``, ``"0s"``): "none at all" is a meaningful choice here
DurationOrZero = Annotated[
    float,
    BeforeValidator(_duration_or_zero),
    PlainSerializer(lambda s: format_duration(s) if s > 0 else "0s", return_type=str),
]


class HealthSettings(Section):
    #: how often the monitor takes a report (and publishes ``health.changed`` on a change)
    interval: Duration = 5.0
    #: the recent window 429 shares are measured over
    window: Duration = 60.0
    #: critical: the writer has retried one batch, or a row has waited, this long
    writer_stall: Duration = 30.0
    #: the event loop ran this late (the worst sample over ``loop_lag_window``): degraded ...
    loop_lag_degraded: Duration = 0.25
    #: ... and critical
    loop_lag_critical: Duration = 2.0
    #: the loop-lag samples judged (one every 100 ms or so)
    loop_lag_window: Duration = 60.0
    #: degraded: a lane's 429s per request over ``window`` above this share ...
    rate_limited_share: float = Field(default=0.05, ge=0.0, le=1.0)
    #: ... once it sent at least this many requests in the window (3 of 10 is noise)
    rate_limited_min_requests: int = Field(default=20, ge=1)
    #: degraded: the share of hot tokens whose facet is within its target below this
    hot_freshness: float = Field(default=0.9, ge=0.0, le=1.0)
    #: a facet is within its target while its age is at most target + this (a round trip)
    freshness_grace: DurationOrZero = 2.0
    #: freshness is judged only once the monitor has run this long (the first fetches)
    warmup: DurationOrZero = 120.0
    #: above this many tracked tokens, freshness is measured on an even sample of this many
    freshness_sample: int = Field(default=50_000, ge=1)
    #: degraded above this resident memory, MiB (unset: no limit)
    rss_limit_mb: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> HealthSettings:
        if self.loop_lag_degraded > self.loop_lag_critical:
            raise ValueError(
                "expected loop_lag_degraded <= loop_lag_critical, got "
                f"{self.loop_lag_degraded:g}s / {self.loop_lag_critical:g}s"
            )
        return self
