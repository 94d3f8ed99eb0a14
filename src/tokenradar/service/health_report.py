"""The health report: what the monitor measured, and the verdict drawn from it.

This is the contract ``/health`` serves as JSON (``report.model_dump(mode="json")``)
and what ``health.changed`` alerts are drawn from. Every measurement that could
not be taken is ``null``: it is unknown, and an unknown is never judged (neither
healthy nor unhealthy). Durations are seconds, shares are 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from tokenradar.domain import FacetKind, Tier
from tokenradar.flow.breaker import BreakerState
from tokenradar.flow.lane import LaneState
from tokenradar.store.writer import WriterState
from tokenradar.supervisor import PartState


class HealthStatus(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Health:
    """The verdict alone: a status and one reason per problem (none when healthy)."""

    status: HealthStatus
    reasons: tuple[str, ...]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Latency(_Model):
    """Over the last ``samples`` batches (or loop probes)."""

    samples: int
    p50_s: float | None
    p95_s: float | None
    p99_s: float | None
    max_s: float | None


class BudgetUse(_Model):
    """One limit on the lane's request path."""

    node: str  # "solana_rpc.all", "solana_rpc.getMultipleAccounts"
    ceiling: str  # "100/10s", "auto", "none"
    #: the share of the ceiling in use: slots held in its window / its count; for
    #: ``auto``, requests/s over the window against the discovered limit; None: no
    #: fixed limit to compare against (an in-flight cap only, or a limit not found yet)
    share: float | None
    paused_for_s: float  # left of a Retry-After pause


class LaneHealth(_Model):
    name: str
    kind: FacetKind
    state: LaneState
    breaker: BreakerState
    window_s: float  # the span the request counts below cover
    requests: int  # in the window
    rate_limited: int  # 429s in the window
    rate_limited_share: float | None  # 429s per request; None: no request in the window
    latency: Latency  # per batch
    budget: list[BudgetUse]
    budget_use: float | None  # the fullest limit on its path
    queued: int
    in_flight: int
    restarts: int
    last_failure: str | None


class FreshnessShare(_Model):
    """Of the tracked tokens of one tier this facet applies to (the sample, if sampled)."""

    target_s: float  # the tier's target (tightened after a launch for young tokens)
    tokens: int
    fresh: int  # whose last good facet is at most target + grace old
    missing: int  # nothing known yet (counted as not fresh)
    share: float | None  # fresh / tokens; None: no such tokens


class FreshnessScope(_Model):
    tracked: int  # tokens tracked
    measured: int  # tokens looked at
    sampled: bool  # measured an even sample, not every token
    age_s: float  # how long ago it was measured
    judged: bool  # False during the warm-up: reported, not held against health


class WriterHealth(_Model):
    state: WriterState
    pending: int  # rows accepted, not yet committed
    oldest_wait_s: float  # how long the oldest of them has waited
    retrying_for_s: float  # how long the current batch has failed transiently
    rows_committed: int
    last_error: str | None


class LoopHealth(_Model):
    probing: bool  # the lag probe runs (it does under ``tokenradar serve``)
    window_s: float
    lag: Latency  # how late the probe's 100 ms sleeps woke


class ProcessHealth(_Model):
    rss_mb: float | None
    cpu_percent: float | None  # of one core, since the previous report
    open_files: int | None  # file descriptors: files, sockets, pipes
    threads: int | None


class PartHealth(_Model):
    name: str
    state: PartState
    restarts: int
    last_error: str | None


class HealthReport(_Model):
    status: HealthStatus
    reasons: list[str]
    checked_at: float  # epoch s
    lanes: list[LaneHealth]
    freshness: dict[Tier, dict[FacetKind, FreshnessShare]]
    freshness_scope: FreshnessScope
    writer: WriterHealth
    loop: LoopHealth
    process: ProcessHealth
    parts: list[PartHealth]

    def health(self) -> Health:
        return Health(self.status, tuple(self.reasons))
