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
==========================  ============================  ==============================

Subscribe with patterns (``lane.*``, ``scan.*``, ``*``) through
:meth:`Radar.subscribe <tokenradar.service.Radar.subscribe>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenradar.flow.breaker import BreakerEvent, BreakerState
from tokenradar.service.results import ScanStats
from tokenradar.supervisor import PartEvent

__all__ = [
    "BreakerEvent",
    "PartEvent",
    "ScanFinished",
    "ScanProgress",
    "StorageFailure",
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
