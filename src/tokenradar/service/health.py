"""Health: healthy / degraded / critical, with the reasons, from the parts' own stats.

=========  ===================================================================
critical   the writer has failed (nothing can be kept), or has been retrying one
           batch for over ``WRITER_STALL_S`` (a full disk, a lock held elsewhere);
           a supervised part gave up
degraded   the writer is retrying a batch; a lane's dispatcher died and is
           restarting; a lane's circuit is open
healthy    none of the above
=========  ===================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tokenradar.flow.breaker import BreakerState
from tokenradar.flow.engine import EngineStats
from tokenradar.flow.lane import LaneState
from tokenradar.store.writer import Writer, WriterState
from tokenradar.supervisor import PartState

WRITER_STALL_S = 30.0


class HealthStatus(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Health:
    status: HealthStatus
    reasons: tuple[str, ...]


def assess(engine: EngineStats, writer: Writer, *, now: float) -> Health:
    critical: list[str] = []
    degraded: list[str] = []
    if writer.state is WriterState.FAILED:
        critical.append(f"storage: writer failed ({writer.stats.last_error})")
    elif writer.retrying_for > WRITER_STALL_S:
        critical.append(
            f"storage: nothing committed for {writer.retrying_for:.0f}s ({writer.stats.last_error})"
        )
    elif writer.state is WriterState.RETRYING:
        degraded.append(f"storage: writer retrying ({writer.stats.last_error})")
    for part in engine.parts:
        if part.state is PartState.GAVE_UP:
            critical.append(f"{part.name}: gave up after {part.restarts} restarts")
    for lane in engine.lanes:
        if lane.state is LaneState.FAILED:
            degraded.append(f"{lane.name}: dispatcher died ({lane.last_failure}); restarting")
        if lane.breaker is not BreakerState.CLOSED:
            degraded.append(f"{lane.name}: circuit {lane.breaker.value}")
    if critical:
        return Health(HealthStatus.CRITICAL, tuple(critical + degraded))
    if degraded:
        return Health(HealthStatus.DEGRADED, tuple(degraded))
    return Health(HealthStatus.HEALTHY, ())
