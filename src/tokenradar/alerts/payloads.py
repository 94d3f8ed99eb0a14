"""The event the health monitor publishes for the alerting: :class:`HealthChanged`.

==================  ======================  =======================================
topic               payload                 when
==================  ======================  =======================================
``health.healthy``  :class:`HealthChanged`  health recovered (no rule alerts on it)
``health.degraded`` :class:`HealthChanged`  it became (or stays, with new reasons) degraded
``health.critical`` :class:`HealthChanged`  it became critical
==================  ======================  =======================================

Publish with ``bus.publish(health_topic(status), HealthChanged(status, reasons))``
where ``reasons`` are the one-line reasons of
:class:`~tokenradar.service.health.Health` (``"dexscreener.pairs: circuit open"``,
``"freshness: market of hot tokens 95 s old (target 15 s)"``). The alert's
dedup key is ``health:<status>``: a change of reasons within the rule's
cooldown does not alert again; a move from degraded to critical does.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenradar.service.health import HealthStatus

__all__ = ["HealthChanged", "HealthStatus", "health_topic"]


@dataclass(frozen=True, slots=True)
class HealthChanged:
    status: HealthStatus
    reasons: tuple[str, ...]  # one line per problem; empty when healthy


def health_topic(status: HealthStatus) -> str:
    """``health.healthy`` / ``health.degraded`` / ``health.critical``."""
    return f"health.{status.value}"
