"""What the Radar publishes on its event bus: topics and their payloads.

==========================  ============================  ==============================
topic                       payload                       when
==========================  ============================  ==============================
``lane.circuit_opened``     :class:`BreakerEvent`         a lane's breaker opened
``lane.circuit_half_open``  :class:`BreakerEvent`         it lets probes through
``lane.circuit_closed``     :class:`BreakerEvent`         it closed again
``part.restarted``          :class:`PartEvent`            a lane or task died; restarting
``part.gave_up``            :class:`PartEvent`            it kept dying; not restarted
``storage.failed``          :class:`StorageFailure`       the writer died
``scan.progress``           :class:`ScanProgress`         a scan's counts moved (≤ 4/s)
``scan.finished``           :class:`ScanFinished`         a scan ended (any reason)
``token.scored``            :class:`TokenScored`          a token got a new score
``token.tier_changed``      :class:`TierChanged`          its tier moved
``token.decision_changed``  :class:`DecisionChanged`      its decision moved
``pool.created``            :class:`PoolCreated`          a new pool/token was discovered
``health.changed``          :class:`HealthChanged`        the overall health status moved
==========================  ============================  ==============================

Subscribe with patterns (``lane.*``, ``scan.*``, ``*``) through
:meth:`Radar.subscribe <tokenradar.service.Radar.subscribe>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenradar.domain import Decision, Score, Tier, TokenRef
from tokenradar.flow.breaker import BreakerEvent, BreakerState
from tokenradar.service.health_report import HealthStatus
from tokenradar.service.results import ScanStats
from tokenradar.supervisor import PartEvent

__all__ = [
    "BreakerEvent",
    "DecisionChanged",
    "HealthChanged",
    "PartEvent",
    "PoolCreated",
    "ScanFinished",
    "ScanProgress",
    "StorageFailure",
    "TierChanged",
    "TokenScored",
    "breaker_topic",
    "part_topic",
]

CIRCUIT_TOPICS = {
    BreakerState.OPEN: "lane.circuit_opened",
    BreakerState.HALF_OPEN: "lane.circuit_half_open",
    BreakerState.CLOSED: "lane.circuit_closed",
}


def breaker_topic(event: BreakerEvent) -> str:
    return CIRCUIT_TOPICS[event.to_state]


def part_topic(event: PartEvent) -> str:
    return "part.gave_up" if event.gave_up else "part.restarted"


@dataclass(frozen=True, slots=True)
class StorageFailure:
    reason: str


@dataclass(frozen=True, slots=True)
class ScanProgress:
    scan_id: str
    done: int  # (token, facet) pairs settled
    total: int


@dataclass(frozen=True, slots=True)
class ScanFinished:
    scan_id: str
    stats: ScanStats
    storage_error: str | None


@dataclass(frozen=True, slots=True)
class TokenScored:
    score: Score
    watched: bool  # on the user's watchlist


@dataclass(frozen=True, slots=True)
class TierChanged:
    token: TokenRef
    old: Tier | None  # None: its first score
    new: Tier
    score: Score
    watched: bool


@dataclass(frozen=True, slots=True)
class DecisionChanged:
    token: TokenRef
    old: Decision | None  # None: its first score
    new: Decision
    score: Score
    watched: bool


@dataclass(frozen=True, slots=True)
class PoolCreated:
    """A token seen for the first time by a discovery source."""

    token: TokenRef
    source: str  # "logs:<program id>", "dexscreener.profiles", "dexscreener.boosts", ...
    detected_at: float  # epoch s, when we learnt of it
    created_at: float | None  # epoch s, when the chain says it was created, if known
    signature: str | None = None  # the creating transaction, if known
    symbol: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class HealthChanged:
    """Published once per change of the overall status (not on every check)."""

    status: HealthStatus
    reasons: tuple[str, ...]  # one line per problem; empty when healthy
    previous: HealthStatus | None = None  # None: the first report
