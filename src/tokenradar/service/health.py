"""Health: healthy / degraded / critical, with the reasons, from what the monitor measured.

This is the one place a status is decided (the monitor measures, :func:`assess`
judges). Thresholds are ``[health]`` (:class:`~tokenradar.settings.HealthSettings`):

=========  ===================================================================
critical   the writer has failed (nothing can be kept), or has retried one
           batch or left a row waiting for over ``writer_stall`` (a full disk,
           a lock held elsewhere, a hung connection); a supervised part gave
           up; the event loop ran ``loop_lag_critical`` late
degraded   the writer is retrying a batch; a lane's dispatcher died and is
           restarting; a lane's circuit is open or half-open; a lane's 429s per
           request over ``window`` exceed ``rate_limited_share``; the share of
           hot tokens whose facet is within its target is below
           ``hot_freshness`` (after ``warmup``); the loop ran
           ``loop_lag_degraded`` late; RSS above ``rss_limit_mb``
healthy    none of the above
=========  ===================================================================

A measurement that is unknown (``None``: no request in the window, no sample
yet, a process figure the OS would not give) is never held against health.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tokenradar.domain import FacetKind, Tier
from tokenradar.flow.breaker import BreakerState
from tokenradar.flow.lane import LaneState
from tokenradar.service.health_report import (
    FreshnessShare,
    Health,
    HealthStatus,
    LaneHealth,
    LoopHealth,
    PartHealth,
    ProcessHealth,
    WriterHealth,
)
from tokenradar.settings import HealthSettings
from tokenradar.store.writer import WriterState
from tokenradar.supervisor import PartState

__all__ = ["Health", "HealthStatus", "assess"]


def assess(
    settings: HealthSettings,
    *,
    lanes: Sequence[LaneHealth],
    freshness: Mapping[Tier, Mapping[FacetKind, FreshnessShare]],
    freshness_judged: bool,
    writer: WriterHealth,
    loop: LoopHealth,
    process: ProcessHealth,
    parts: Sequence[PartHealth],
) -> Health:
    critical: list[str] = []
    degraded: list[str] = []
    _writer(settings, writer, critical, degraded)
    for part in parts:
        if part.state is PartState.GAVE_UP:
            critical.append(f"{part.name}: gave up after {part.restarts} restarts")
    for lane in lanes:
        _lane(settings, lane, degraded)
    worst = loop.lag.max_s
    if worst is not None:
        late = f"event loop: ran {worst * 1000:.0f} ms late in the last {loop.window_s:g}s"
        if worst > settings.loop_lag_critical:
            critical.append(f"{late} (> {settings.loop_lag_critical:g}s)")
        elif worst > settings.loop_lag_degraded:
            degraded.append(f"{late} (> {settings.loop_lag_degraded * 1000:.0f} ms)")
    if freshness_judged:
        for kind, cell in freshness.get(Tier.HOT, {}).items():
            if cell.share is not None and cell.share < settings.hot_freshness:
                degraded.append(
                    f"freshness: hot {kind.value} {cell.share:.2f} < {settings.hot_freshness:g} "
                    f"({cell.fresh} of {cell.tokens} within {cell.target_s:g}s"
                    + (f", {cell.missing} not fetched yet)" if cell.missing else ")")
                )
    limit = settings.rss_limit_mb
    if limit is not None and process.rss_mb is not None and process.rss_mb > limit:
        degraded.append(f"process: RSS {process.rss_mb:.0f} MiB > {limit:g} MiB")
    if critical:
        return Health(HealthStatus.CRITICAL, tuple(critical + degraded))
    if degraded:
        return Health(HealthStatus.DEGRADED, tuple(degraded))
    return Health(HealthStatus.HEALTHY, ())


def _writer(
    settings: HealthSettings, writer: WriterHealth, critical: list[str], degraded: list[str]
) -> None:
    why = f" ({writer.last_error})" if writer.last_error else ""
    stalled = max(writer.retrying_for_s, writer.oldest_wait_s)
    if writer.state is WriterState.FAILED:
        critical.append(f"storage: writer failed{why}")
    elif stalled > settings.writer_stall:
        # last_error outlives a recovery: name it only while it is what is being retried
        why = why if writer.retrying_for_s > 0 else ""
        critical.append(
            f"storage: nothing committed for {stalled:.0f}s, {writer.pending} rows waiting{why}"
        )
    elif writer.state is WriterState.RETRYING:
        degraded.append(f"storage: writer retrying{why}")


def _lane(settings: HealthSettings, lane: LaneHealth, degraded: list[str]) -> None:
    if lane.state is LaneState.FAILED:
        degraded.append(f"{lane.name}: dispatcher died ({lane.last_failure}); restarting")
    if lane.breaker is not BreakerState.CLOSED:
        degraded.append(f"{lane.name}: circuit {lane.breaker.value}")
    share = lane.rate_limited_share
    if (
        share is not None
        and share > settings.rate_limited_share
        and lane.requests >= settings.rate_limited_min_requests
    ):
        degraded.append(
            f"{lane.name}: {share:.0%} of requests rate-limited (429) in the last "
            f"{lane.window_s:.0f}s ({lane.rate_limited} of {lane.requests})"
        )
