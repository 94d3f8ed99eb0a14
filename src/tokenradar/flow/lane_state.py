"""A lane's states (an enum with its legal transitions) and its stats snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tokenradar.domain import FacetKind
from tokenradar.flow.breaker import BreakerState
from tokenradar.flow.latency import NO_SAMPLES, Percentiles


class LaneState(StrEnum):
    NEW = "new"  # built, not started
    IDLE = "idle"  # running; nothing is due
    WAITING = "waiting"  # work is due; waiting for budget or a free in-flight slot
    SENDING = "sending"  # dispatching batches
    CIRCUIT_OPEN = "circuit_open"  # the breaker is open: nothing is sent until its wait ends
    FAILED = "failed"  # the dispatcher died; its work was failed; restarting after a backoff
    STOPPED = "stopped"  # shut down for good


_RUNNING = frozenset({LaneState.IDLE, LaneState.WAITING, LaneState.SENDING, LaneState.CIRCUIT_OPEN})
_LEGAL: dict[LaneState, frozenset[LaneState]] = {
    LaneState.NEW: _RUNNING | {LaneState.STOPPED},
    **{s: _RUNNING | {LaneState.FAILED, LaneState.STOPPED} for s in _RUNNING},
    LaneState.FAILED: frozenset({LaneState.IDLE, LaneState.STOPPED}),
    LaneState.STOPPED: frozenset(),
}


class IllegalLaneTransition(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class LaneStats:
    """A snapshot for progress displays, ``/stats`` and metrics."""

    name: str
    kind: FacetKind
    state: LaneState
    breaker: BreakerState
    queued: int
    backing_off: int
    in_flight: int
    requests: int  # HTTP requests sent (a holders batch sends several)
    batches: int
    tokens_sent: int
    delivered: int
    ok: int
    absent: int
    errors: int  # refreshes that ended in an error facet
    retries: int  # tokens put back for another attempt
    rate_limited: int  # 429s this lane received
    failed_batches: int
    requests_per_s: float
    tokens_per_s: float
    mean_batch: float | None
    full_batches: int  # batches that carried max_batch tokens
    restarts: int = 0  # times the dispatcher died and was restarted
    last_failure: str | None = None  # why it last died
    latency: Percentiles = NO_SAMPLES  # batch durations, over the last batches
