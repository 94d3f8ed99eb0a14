"""The rules: which events make an alert, at what level, under which dedup key."""

from __future__ import annotations

import pytest

from tokenradar.alerts import AlertLevel, HealthChanged, HealthStatus, health_topic
from tokenradar.alerts.model import MAX_KEY_CHARS, dedup_key
from tokenradar.alerts.rules import RULE_CLASSES, build_rules
from tokenradar.alerts.rules.service import (
    CircuitOpenedRule,
    HealthCriticalRule,
    HealthDegradedRule,
    PartGaveUpRule,
    PartRestartedRule,
    StorageFailedRule,
)
from tokenradar.alerts.rules.tokens import BuyCandidateRule, TierChangedRule, WatchedRugRule
from tokenradar.domain import CheckState, Decision, Tier
from tokenradar.flow.breaker import BreakerEvent, BreakerState
from tokenradar.service.topics import DecisionChanged, PartEvent, StorageFailure, TierChanged
from tokenradar.settings.alerts import RulesSettings

from .conftest import NOW, event, gate, score, token

RULES = RulesSettings()


def tier_changed(
    old: Tier | None, new: Tier, *, watched: bool = False, decision: Decision = Decision.WATCH
) -> TierChanged:
    ref = token(1)
    return TierChanged(ref, old, new, score(ref, tier=new, decision=decision), watched)


def decision_changed(
    old: Decision | None, new: Decision, *, watched: bool = False, checks: tuple = ()
) -> DecisionChanged:
    ref = token(1)
    return DecisionChanged(ref, old, new, score(ref, decision=new, checks=checks), watched)


# ---------------------------------------------------------------------------
# Tier changes
# ---------------------------------------------------------------------------


def test_a_token_moving_into_hot_alerts_with_its_tier_key() -> None:
    rule = TierChangedRule(RULES.tier_changed)
    found = rule.evaluate(event("token.tier_changed", tier_changed(Tier.WARM, Tier.HOT)))
    assert found is not None
    assert found.dedup_key == f"tier:solana:{token(1).address}:hot"
    assert found.level is AlertLevel.INFO
    assert found.subject == str(token(1))
    assert "warm → hot" in found.message
    assert "score 82 (safety 90, momentum 64), confidence 0.91" in found.message


@pytest.mark.parametrize(("old", "new"), [(Tier.HOT, Tier.WARM), (Tier.WARM, Tier.COLD)])
def test_moves_into_other_tiers_do_not_alert_by_default(old: Tier, new: Tier) -> None:
    rule = TierChangedRule(RULES.tier_changed)
    assert rule.evaluate(event("token.tier_changed", tier_changed(old, new))) is None


def test_an_empty_to_list_alerts_on_every_tier_change_but_not_on_a_non_change() -> None:
    rule = TierChangedRule(RULES.tier_changed.model_copy(update={"to": ()}))
    found = rule.evaluate(event("token.tier_changed", tier_changed(Tier.HOT, Tier.COLD)))
    assert found is not None
    assert found.dedup_key.endswith(":cold")
    assert rule.evaluate(event("token.tier_changed", tier_changed(Tier.HOT, Tier.HOT))) is None


def test_a_first_score_into_hot_counts_as_a_move_from_unscored() -> None:
    rule = TierChangedRule(RULES.tier_changed)
    found = rule.evaluate(event("token.tier_changed", tier_changed(None, Tier.HOT)))
    assert found is not None
    assert "unscored → hot" in found.message


def test_watched_only_skips_tokens_off_the_watchlist() -> None:
    rule = TierChangedRule(RULES.tier_changed.model_copy(update={"watched_only": True}))
    assert rule.evaluate(event("token.tier_changed", tier_changed(Tier.WARM, Tier.HOT))) is None
    found = rule.evaluate(
        event("token.tier_changed", tier_changed(Tier.WARM, Tier.HOT, watched=True))
    )
    assert found is not None
    assert found.message.startswith("watched token ")


def test_an_unknown_score_says_unknown_rather_than_zero() -> None:
    ref = token(1)
    s = score(ref, value=None)
    payload = TierChanged(ref, Tier.WARM, Tier.HOT, s, False)
    found = TierChangedRule(RULES.tier_changed).evaluate(event("token.tier_changed", payload))
    assert found is not None
    assert "score unknown" in found.message


# ---------------------------------------------------------------------------
# Buy candidates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("old", [None, Decision.WATCH, Decision.AVOID])
def test_a_decision_becoming_buy_candidate_alerts(old: Decision | None) -> None:
    rule = BuyCandidateRule(RULES.buy_candidate)
    found = rule.evaluate(
        event("token.decision_changed", decision_changed(old, Decision.BUY_CANDIDATE))
    )
    assert found is not None
    assert found.dedup_key == f"buy:solana:{token(1).address}"
    assert found.level is AlertLevel.WARNING
    assert "became a buy candidate" in found.message


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Decision.BUY_CANDIDATE, Decision.BUY_CANDIDATE),
        (Decision.BUY_CANDIDATE, Decision.WATCH),
        (None, Decision.WATCH),
    ],
)
def test_other_decision_changes_are_no_buy_candidate(old: Decision | None, new: Decision) -> None:
    rule = BuyCandidateRule(RULES.buy_candidate)
    assert rule.evaluate(event("token.decision_changed", decision_changed(old, new))) is None


# ---------------------------------------------------------------------------
# Rugs
# ---------------------------------------------------------------------------


def test_a_watched_token_turning_avoid_on_a_failed_gate_is_critical_and_names_the_gate() -> None:
    checks = (
        gate("mint_authority", CheckState.FAIL, "mint authority not revoked"),
        gate("freeze_authority", CheckState.UNKNOWN),  # unknown is no verdict: not named
    )
    payload = decision_changed(Decision.WATCH, Decision.AVOID, watched=True, checks=checks)
    found = WatchedRugRule(RULES.watched_rug).evaluate(event("token.decision_changed", payload))
    assert found is not None
    assert found.level is AlertLevel.CRITICAL
    assert found.dedup_key == f"rug:solana:{token(1).address}"
    assert "is now avoid (was watch)" in found.message
    assert "mint_authority (mint authority not revoked)" in found.message
    assert "freeze_authority" not in found.message


def test_a_watched_token_turning_avoid_without_a_failed_gate_still_alerts() -> None:
    payload = decision_changed(Decision.WATCH, Decision.AVOID, watched=True)
    found = WatchedRugRule(RULES.watched_rug).evaluate(event("token.decision_changed", payload))
    assert found is not None
    assert "no gate failed" in found.message


def test_an_unwatched_token_is_a_rug_only_without_watched_only_and_on_a_failed_gate() -> None:
    failed = (gate("mint_authority", CheckState.FAIL),)
    unknown = (gate("mint_authority", CheckState.UNKNOWN),)
    strict = WatchedRugRule(RULES.watched_rug)
    loose = WatchedRugRule(RULES.watched_rug.model_copy(update={"watched_only": False}))
    gated = event("token.decision_changed", decision_changed(None, Decision.AVOID, checks=failed))
    not_gated = event(
        "token.decision_changed", decision_changed(None, Decision.AVOID, checks=unknown)
    )
    assert strict.evaluate(gated) is None
    assert loose.evaluate(gated) is not None
    assert loose.evaluate(not_gated) is None  # an unknown gate is not a rug


def test_a_token_staying_avoid_is_no_new_rug() -> None:
    payload = decision_changed(Decision.AVOID, Decision.AVOID, watched=True)
    assert (
        WatchedRugRule(RULES.watched_rug).evaluate(event("token.decision_changed", payload)) is None
    )


def test_a_tier_change_of_a_watched_avoid_token_shares_the_rug_key() -> None:
    rule = WatchedRugRule(RULES.watched_rug)
    avoid = tier_changed(Tier.WARM, Tier.COLD, watched=True, decision=Decision.AVOID)
    found = rule.evaluate(event("token.tier_changed", avoid))
    assert found is not None
    assert found.dedup_key == f"rug:solana:{token(1).address}"
    fine = tier_changed(Tier.WARM, Tier.COLD, watched=True, decision=Decision.WATCH)
    assert rule.evaluate(event("token.tier_changed", fine)) is None


# ---------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------


def test_a_circuit_opening_alerts_per_lane() -> None:
    payload = BreakerEvent(
        "dexscreener.pairs", BreakerState.CLOSED, BreakerState.OPEN, NOW, "60% failed", wait=5.0
    )
    found = CircuitOpenedRule(RULES.circuit_opened).evaluate(event("lane.circuit_opened", payload))
    assert found is not None
    assert found.dedup_key == "circuit:dexscreener.pairs"
    assert found.level is AlertLevel.WARNING
    assert found.message == "lane dexscreener.pairs: circuit opened (60% failed); next probe in 5s"


@pytest.mark.parametrize(
    ("status", "rule_cls", "level"),
    [
        (HealthStatus.DEGRADED, HealthDegradedRule, AlertLevel.WARNING),
        (HealthStatus.CRITICAL, HealthCriticalRule, AlertLevel.CRITICAL),
    ],
)
def test_health_alerts_carry_their_reasons_under_one_key_per_status(
    status: HealthStatus, rule_cls: type, level: AlertLevel
) -> None:
    reasons = ("freshness: market of hot tokens 95s old (target 15s)", "rugcheck: circuit open")
    payload = HealthChanged(status, reasons)
    rule = rule_cls(getattr(RULES, rule_cls.name))
    found = rule.evaluate(event(health_topic(status), payload))
    assert found is not None
    assert found.dedup_key == f"health:{status.value}"
    assert found.level is level
    assert all(r in found.message for r in reasons)
    assert rule.patterns == (health_topic(status),)


def test_a_health_payload_of_another_status_does_not_alert() -> None:
    rule = HealthDegradedRule(RULES.health_degraded)
    assert rule.evaluate(event("health.degraded", HealthChanged(HealthStatus.HEALTHY, ()))) is None


def test_part_restarts_and_give_ups_have_their_own_keys() -> None:
    died = PartEvent("lane:rugcheck.report", 3, "RuntimeError: boom", gave_up=False)
    gone = PartEvent("lane:rugcheck.report", 10, "RuntimeError: boom", gave_up=True)
    restarted = PartRestartedRule(RULES.part_restarted).evaluate(event("part.restarted", died))
    gave_up = PartGaveUpRule(RULES.part_gave_up).evaluate(event("part.gave_up", gone))
    assert restarted is not None
    assert gave_up is not None
    assert restarted.dedup_key == "part:lane:rugcheck.report:restarted"
    assert gave_up.dedup_key == "part:lane:rugcheck.report:gave_up"
    assert gave_up.level is AlertLevel.CRITICAL
    assert "gave up after 10 restarts" in gave_up.message


def test_a_storage_failure_is_critical() -> None:
    found = StorageFailedRule(RULES.storage_failed).evaluate(
        event("storage.failed", StorageFailure("OperationalError: disk I/O error"))
    )
    assert found is not None
    assert found.dedup_key == "storage:failed"
    assert found.level is AlertLevel.CRITICAL
    assert "disk I/O error" in found.message


def test_a_payload_of_the_wrong_type_is_a_type_error_not_a_silent_skip() -> None:
    with pytest.raises(TypeError, match="StorageFailure"):
        CircuitOpenedRule(RULES.circuit_opened).evaluate(
            event("lane.circuit_opened", StorageFailure("x"))
        )


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


def test_every_rule_table_has_a_rule_and_every_rule_a_table() -> None:
    assert set(RULE_CLASSES) == set(RulesSettings.model_fields)


def test_disabled_rules_are_not_built_and_levels_come_from_the_settings() -> None:
    settings = RulesSettings.model_validate(
        {"part_restarted": {"enabled": False}, "tier_changed": {"level": "warning"}}
    )
    rules = {r.name: r for r in build_rules(settings)}
    assert "part_restarted" not in rules
    assert rules["tier_changed"].level is AlertLevel.WARNING
    assert rules["tier_changed"].cooldown == 1800  # the rule's own default is kept


def test_a_long_dedup_key_is_cut_to_the_column_and_stays_distinct() -> None:
    a = dedup_key("part", "x" * 300, "restarted")
    b = dedup_key("part", "x" * 299 + "y", "restarted")
    assert len(a) == MAX_KEY_CHARS
    assert len(b) == MAX_KEY_CHARS
    assert a != b
    assert dedup_key("circuit", "lane") == "circuit:lane"
