"""Rows the store keeps that are not domain objects: scans and alert firings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ScanStatus(StrEnum):
    QUEUED = "queued"  # requested, not started
    RUNNING = "running"  # fetching and scoring; counts move
    DONE = "done"  # every token has a result (some may be partial or failed)
    FAILED = "failed"  # the scan itself broke off; ``errors`` says why
    CANCELLED = "cancelled"  # stopped on request before it finished
    ABANDONED = "abandoned"  # its process died (kill -9, crash) or stopped answering

    @property
    def finished(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({ScanStatus.DONE, ScanStatus.FAILED, ScanStatus.CANCELLED, ScanStatus.ABANDONED})
_NEXT: dict[ScanStatus, frozenset[ScanStatus]] = {
    ScanStatus.QUEUED: frozenset(
        {ScanStatus.RUNNING, ScanStatus.CANCELLED, ScanStatus.FAILED, ScanStatus.ABANDONED}
    ),
    ScanStatus.RUNNING: frozenset(
        {
            ScanStatus.RUNNING,  # a heartbeat, or counts moving
            ScanStatus.DONE,
            ScanStatus.FAILED,
            ScanStatus.CANCELLED,
            ScanStatus.ABANDONED,
        }
    ),
    ScanStatus.DONE: frozenset(),
    ScanStatus.FAILED: frozenset(),
    ScanStatus.CANCELLED: frozenset(),
    ScanStatus.ABANDONED: frozenset(),
}


class IllegalScanTransition(ValueError):
    """A scan cannot move from its status to the one asked for."""


@dataclass(frozen=True, slots=True)
class ScanOwner:
    """The process running a scan, so that another can tell whether it still lives.

    See :mod:`tokenradar.store.owners` for how the fields are read and compared.
    """

    host: str  # the host name, for people reading a listing
    pid: int
    #: where ``pid`` names this process: boot id and PID namespace ("" when unknown)
    space: str = ""
    #: the process's start time in clock ticks since boot ("" when unknown): a
    #: reused pid has another
    started: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "pid": self.pid, "space": self.space, "started": self.started}

    @classmethod
    def from_json(cls, data: Any) -> ScanOwner | None:
        """The owner stored as :meth:`to_json`; None for a row without (or with a bad) one."""
        if not isinstance(data, dict):
            return None
        host, pid = data.get("host"), data.get("pid")
        if not isinstance(host, str) or not isinstance(pid, int):
            return None
        return cls(host, pid, str(data.get("space") or ""), str(data.get("started") or ""))


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """A requested scan: what was asked, where it is, what went wrong.

    Immutable: :meth:`advance` returns the next version. The store keeps the
    version with the latest ``updated_at``.
    """

    id: str
    status: ScanStatus
    requested_at: float
    updated_at: float
    params: dict[str, Any] = field(default_factory=dict)
    total: int = 0
    done: int = 0
    complete: int = 0
    partial: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()
    started_at: float | None = None
    finished_at: float | None = None
    #: the process running it (None: recorded before owners were, or by a tool)
    owner: ScanOwner | None = None

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 64:
            raise ValueError(f"scan id must be 1-64 characters, got {self.id!r}")
        if min(self.total, self.done, self.complete, self.partial, self.failed) < 0:
            raise ValueError(f"scan {self.id}: counts cannot be negative")

    def advance(self, status: ScanStatus, *, at: float, **changes: Any) -> ScanRecord:
        """The next version of this scan, in ``status`` as of ``at``."""
        if status not in _NEXT[self.status]:
            raise IllegalScanTransition(f"scan {self.id}: cannot go from {self.status} to {status}")
        started = self.started_at
        if status is ScanStatus.RUNNING and started is None:
            started = at
        finished = at if status.finished else None
        return dataclasses.replace(
            self,
            status=status,
            updated_at=at,
            started_at=started,
            finished_at=finished,
            **changes,
        )


@dataclass(frozen=True, slots=True)
class AlertFire:
    """One firing of an alert; firings with the same ``dedup_key`` are counted on one row."""

    dedup_key: str
    level: str
    message: str
    fired_at: float

    def __post_init__(self) -> None:
        if not self.dedup_key or len(self.dedup_key) > 200:
            raise ValueError(f"alert dedup_key must be 1-200 characters, got {self.dedup_key!r}")
