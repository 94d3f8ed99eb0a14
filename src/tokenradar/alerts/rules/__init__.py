"""The rules that turn events into alerts, one class per ``[alerts.rules.<name>]`` table.

==================  ==========================  ===================================
rule                reads                       dedup key
==================  ==========================  ===================================
``tier_changed``    ``token.tier_changed``      ``tier:<chain>:<address>:<tier>``
``buy_candidate``   ``token.decision_changed``  ``buy:<chain>:<address>``
``watched_rug``     ``token.decision_changed``, ``rug:<chain>:<address>``
                    ``token.tier_changed``
``circuit_opened``  ``lane.circuit_opened``     ``circuit:<lane>``
``health_degraded`` ``health.degraded``         ``health:degraded``
``health_critical`` ``health.critical``         ``health:critical``
``part_restarted``  ``part.restarted``          ``part:<part>:restarted``
``part_gave_up``    ``part.gave_up``            ``part:<part>:gave_up``
``storage_failed``  ``storage.failed``          ``storage:failed``
==================  ==========================  ===================================
"""

from __future__ import annotations

from tokenradar.alerts.rules.base import Rule, describe_score
from tokenradar.alerts.rules.service import (
    CircuitOpenedRule,
    HealthCriticalRule,
    HealthDegradedRule,
    PartGaveUpRule,
    PartRestartedRule,
    StorageFailedRule,
)
from tokenradar.alerts.rules.tokens import (
    BuyCandidateRule,
    TierChangedRule,
    WatchedRugRule,
    failed_gates,
)
from tokenradar.settings.alerts import RulesSettings

__all__ = [
    "RULE_CLASSES",
    "BuyCandidateRule",
    "CircuitOpenedRule",
    "HealthCriticalRule",
    "HealthDegradedRule",
    "PartGaveUpRule",
    "PartRestartedRule",
    "Rule",
    "StorageFailedRule",
    "TierChangedRule",
    "WatchedRugRule",
    "build_rules",
    "describe_score",
    "failed_gates",
]

RULE_CLASSES: dict[str, type[Rule]] = {
    cls.name: cls
    for cls in (
        TierChangedRule,
        BuyCandidateRule,
        WatchedRugRule,
        CircuitOpenedRule,
        HealthDegradedRule,
        HealthCriticalRule,
        PartRestartedRule,
        PartGaveUpRule,
        StorageFailedRule,
    )
}


def build_rules(settings: RulesSettings) -> list[Rule]:
    """The enabled rules, in the order of the settings."""
    rules: list[Rule] = []
    for name, rule_settings in settings.by_name().items():
        if rule_settings.enabled:
            # each class gets its own settings subclass (TierRuleSettings, ...)
            rules.append(RULE_CLASSES[name](rule_settings))
    return rules
