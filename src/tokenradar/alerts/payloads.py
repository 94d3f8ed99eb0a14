"""The event the health monitor publishes for the alerting: :class:`HealthChanged`.

The monitor (:mod:`tokenradar.service.monitor`) publishes ``health.changed``
with a :class:`~tokenradar.service.topics.HealthChanged` once per change of the
overall status; the health rules alert on the ones that became degraded or
critical. Publish with ``bus.publish(health_topic(status), HealthChanged(status, reasons))``
where ``reasons`` are the one-line reasons of
:class:`~tokenradar.service.health.Health` (``"dexscreener.pairs: circuit open"``,
``"freshness: market of hot tokens 95 s old (target 15 s)"``). The alert's
dedup key is ``health:<status>``: a change of reasons within the rule's
cooldown does not alert again; a move from degraded to critical does.
"""

from __future__ import annotations

from tokenradar.service.health import HealthStatus
from tokenradar.service.topics import HealthChanged

__all__ = ["HealthChanged", "HealthStatus", "health_topic"]


def health_topic(status: HealthStatus) -> str:
    """The topic a status change is published on: ``health.changed`` whatever the status
    (the rules read the status from the payload)."""
    return "health.changed"
