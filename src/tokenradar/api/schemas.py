"""The API's request and response models (the OpenAPI is generated from these).

Score and check shapes are the scan-result contract's
(:mod:`tokenradar.service.results`); the health shapes are the health report's
(:mod:`tokenradar.service.health_report`). Times are epoch seconds, ages and
durations seconds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tokenradar.alerts.stats import SinkStats
from tokenradar.domain import Decision, FacetKind, Tier
from tokenradar.service.health_report import (
    BudgetUse,
    FreshnessScope,
    FreshnessShare,
    HealthStatus,
    Latency,
    WriterHealth,
)
from tokenradar.service.results import CheckView, ResultError, ScoreView
from tokenradar.service.scoring_loop import ScoringStats
from tokenradar.service.serve import UniverseStats

#: tokens in one POST /api/v1/scans
MAX_SCAN_TOKENS = 1_000
#: rows in one page of GET /api/v1/tokens
MAX_PAGE = 500


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- tokens -------------------------------------------------------------------


class FacetAgeView(_Model):
    kind: FacetKind
    state: str  # ok | absent | error
    source: str
    age_s: float
    error: str | None


class RankedToken(_Model):
    chain: str
    address: str
    symbol: str | None
    score: float | None  # null: nothing known
    safety: float | None
    momentum: float | None
    tier: Tier
    decision: Decision
    confidence: float
    scored_at: float
    score_age_s: float
    price_usd: float | None  # at the time of scoring
    liquidity_usd: float | None
    watched: bool
    facets: list[FacetAgeView]  # held in memory now, with their ages


class TokenPage(_Model):
    items: list[RankedToken]
    #: pass as ``cursor`` for the next page; null: this is the last page
    next_cursor: str | None
    limit: int


class TokenDetail(_Model):
    chain: str
    address: str
    tracked: bool  # kept fresh by the service now
    tracked_tier: Tier | None
    watched: bool
    scored_at: float | None
    score: ScoreView | None  # the latest stored score with its check-by-check breakdown
    facets: list[FacetAgeView]


class Transition(_Model):
    old: str
    new: str


class HistoryChange(_Model):
    """What moved since the previous (older) entry."""

    score: float | None  # points; null when either score is unknown
    safety: float | None
    momentum: float | None
    confidence: float
    tier: Transition | None  # null: unchanged
    decision: Transition | None
    #: checks are not kept in the score history, so which checks flipped is not known
    #: here; the latest breakdown is at GET /api/v1/tokens/{chain}/{address}
    checks: list[CheckView] | None = None


class HistoryEntry(_Model):
    scored_at: float
    score: float | None
    safety: float | None
    momentum: float | None
    tier: Tier
    decision: Decision
    confidence: float
    price_usd: float | None
    liquidity_usd: float | None
    change: HistoryChange | None  # null: the oldest entry returned


class TokenHistory(_Model):
    chain: str
    address: str
    entries: list[HistoryEntry]  # newest first
    checks_in_history: bool = False


# -- scans --------------------------------------------------------------------


class ScanRequest(_Model):
    tokens: list[str] = Field(
        min_length=1,
        max_length=MAX_SCAN_TOKENS,
        description="chain:address (a bare base58 address is Solana, a bare 0x… is Ethereum)",
    )
    facets: list[FacetKind] | None = Field(
        default=None, min_length=1, description="facets to fetch; default: all the service has"
    )
    max_time: float | None = Field(default=None, gt=0, le=3600, description="seconds")
    max_age: float = Field(
        default=0.0, ge=0, le=86_400, description="reuse facets at most this old, seconds"
    )


class ScanLinks(_Model):
    self: str
    events: str


class ScanAccepted(_Model):
    id: str
    status: str
    tokens: int
    facets: list[FacetKind]
    links: ScanLinks


class FailedToken(_Model):
    token: str
    status: str  # partial | failed
    errors: list[ResultError]


class ScanTimings(_Model):
    started_at: float
    finished_at: float | None
    elapsed_s: float


class ScanView(_Model):
    id: str
    status: str  # running | finished | failed
    facets: list[FacetKind]
    tokens: int
    pairs_done: int  # (token, facet) pairs settled
    pairs_total: int
    complete: int
    partial: int
    failed: int
    success_rate: float | None  # complete / tokens, once finished
    errors_by_kind: dict[str, int]  # facet kind -> tokens whose facet is missing
    failed_tokens: list[FailedToken]
    timings: ScanTimings
    storage_error: str | None
    failure: str | None  # why the scan task itself failed, if it did


# -- watchlist ----------------------------------------------------------------


class WatchEntry(_Model):
    token: str
    tier: Tier


class Watchlist(_Model):
    entries: list[WatchEntry]
    not_found: list[str] = []  # DELETE: tokens that were not on it


class WatchEdit(_Model):
    tokens: list[str] = Field(min_length=1, max_length=10_000)
    tier: Tier | None = Field(default=None, description="POST: the floor tier (default warm)")


# -- stats and health ---------------------------------------------------------


class LaneView(_Model):
    name: str
    kind: FacetKind
    state: str
    breaker: str
    requests: int
    rate_limited: int
    requests_per_s: float
    tokens_per_s: float
    batches: int
    mean_batch: float | None
    errors: int
    retries: int
    queued: int
    in_flight: int
    window_s: float
    window_requests: int
    window_rate_limited: int
    budget_use: float | None
    budget: list[BudgetUse]
    latency: Latency


class ApiCounters(_Model):
    stream_clients: int
    stream_dropped_slow: int  # SSE clients disconnected for falling behind
    rate_limited: int  # requests refused by our own per-key limit
    bodies_refused: int
    scans_running: int
    scans_kept: int


class StatsView(_Model):
    status: HealthStatus
    lanes: list[LaneView]
    writer: WriterHealth
    writer_lag_s: float
    loop_lag: Latency
    scoring: ScoringStats | None
    sinks: dict[str, SinkStats]
    freshness: dict[Tier, dict[FacetKind, FreshnessShare]]
    freshness_scope: FreshnessScope
    universe: UniverseStats | None
    api: ApiCounters


class Liveness(_Model):
    status: str


class Readiness(_Model):
    ready: bool
    status: HealthStatus | None
    reasons: list[str]
