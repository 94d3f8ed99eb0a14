"""Rules about the service itself: circuits, health, supervised parts, storage."""

from __future__ import annotations

from typing import ClassVar

from tokenradar.alerts.model import Finding, dedup_key
from tokenradar.alerts.payloads import HealthChanged, HealthStatus
from tokenradar.alerts.rules.base import Rule
from tokenradar.events import AnyEvent
from tokenradar.service.topics import BreakerEvent, PartEvent, StorageFailure


class CircuitOpenedRule(Rule):
    """A lane's circuit breaker opened. Key ``circuit:<lane>``."""

    name = "circuit_opened"
    patterns = ("lane.circuit_opened",)
    nouns = ("circuit opened", "circuits opened")

    def evaluate(self, event: AnyEvent) -> Finding | None:
        p = event.payload_as(BreakerEvent)
        probe = "" if p.wait is None else f"; next probe in {p.wait:g}s"
        message = f"lane {p.breaker}: circuit opened ({p.reason}){probe}"
        return Finding(self.level, message, dedup_key("circuit", p.breaker), p.breaker)


class _HealthRule(Rule):
    status: ClassVar[HealthStatus]

    def evaluate(self, event: AnyEvent) -> Finding | None:
        p = event.payload_as(HealthChanged)
        if p.status is not self.status:
            return None
        reasons = "; ".join(p.reasons) or "no reason given"
        message = f"health {p.status.value}: {reasons}"
        return Finding(self.level, message, dedup_key("health", p.status.value), "health")


class HealthDegradedRule(_HealthRule):
    """The health monitor says degraded (stale facets, an open circuit, a retrying writer).

    Key ``health:degraded``.
    """

    name = "health_degraded"
    patterns = ("health.changed",)
    nouns = ("health warning", "health warnings")
    status = HealthStatus.DEGRADED


class HealthCriticalRule(_HealthRule):
    """The health monitor says critical. Key ``health:critical``."""

    name = "health_critical"
    patterns = ("health.changed",)
    nouns = ("health alarm", "health alarms")
    status = HealthStatus.CRITICAL


class PartRestartedRule(Rule):
    """A supervised part (a lane, a task) died and is restarting. Key ``part:<name>:restarted``."""

    name = "part_restarted"
    patterns = ("part.restarted",)
    nouns = ("restart", "restarts")

    def evaluate(self, event: AnyEvent) -> Finding | None:
        p = event.payload_as(PartEvent)
        message = f"{p.part} died ({p.error}); restarting (restart {p.restarts})"
        return Finding(self.level, message, dedup_key("part", p.part, "restarted"), p.part)


class PartGaveUpRule(Rule):
    """A supervised part kept dying and is not restarted. Key ``part:<name>:gave_up``."""

    name = "part_gave_up"
    patterns = ("part.gave_up",)
    nouns = ("part given up", "parts given up")

    def evaluate(self, event: AnyEvent) -> Finding | None:
        p = event.payload_as(PartEvent)
        message = f"{p.part} gave up after {p.restarts} restarts ({p.error}); not restarted"
        return Finding(self.level, message, dedup_key("part", p.part, "gave_up"), p.part)


class StorageFailedRule(Rule):
    """The store's writer died: nothing more is saved. Key ``storage:failed``."""

    name = "storage_failed"
    patterns = ("storage.failed",)
    nouns = ("storage failure", "storage failures")

    def evaluate(self, event: AnyEvent) -> Finding | None:
        p = event.payload_as(StorageFailure)
        message = f"storage failed, nothing more is saved: {p.reason}"
        return Finding(self.level, message, dedup_key("storage", "failed"), "storage")
