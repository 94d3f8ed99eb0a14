"""Rules about tokens: a tier change, a new buy candidate, a watched token that rugs."""

from __future__ import annotations

from tokenradar.alerts.model import Finding, dedup_key
from tokenradar.alerts.rules.base import Rule, describe_score
from tokenradar.domain import CheckResult, CheckState, Decision, Score
from tokenradar.events import AnyEvent
from tokenradar.service.topics import DecisionChanged, TierChanged
from tokenradar.settings.alerts import RugRuleSettings, TierRuleSettings


def _watched(watched: bool) -> str:
    return "watched token " if watched else ""


class TierChangedRule(Rule):
    """A token moved into one of the configured tiers (``to``; empty: any tier).

    Key ``tier:<chain>:<address>:<tier>``: flapping between warm and hot alerts
    once per cooldown, and a move into another tier is a different alert.
    """

    name = "tier_changed"
    patterns = ("token.tier_changed",)
    nouns = ("tier change", "tier changes")

    def __init__(self, settings: TierRuleSettings) -> None:
        super().__init__(settings)
        self.to = frozenset(settings.to)
        self.watched_only = settings.watched_only

    def evaluate(self, event: AnyEvent) -> Finding | None:
        p = event.payload_as(TierChanged)
        if p.old == p.new or (self.to and p.new not in self.to):
            return None
        if self.watched_only and not p.watched:
            return None
        was = "unscored" if p.old is None else p.old.value
        message = (
            f"{_watched(p.watched)}{p.token} moved {was} → {p.new.value}: "
            f"{describe_score(p.score)}, decision {p.score.decision.value}"
        )
        return Finding(self.level, message, dedup_key("tier", p.token, p.new.value), str(p.token))


class BuyCandidateRule(Rule):
    """A token's decision became ``buy_candidate`` (its first score counts). Key ``buy:<token>``."""

    name = "buy_candidate"
    patterns = ("token.decision_changed",)
    nouns = ("buy candidate", "buy candidates")

    def evaluate(self, event: AnyEvent) -> Finding | None:
        p = event.payload_as(DecisionChanged)
        if p.new is not Decision.BUY_CANDIDATE or p.old is Decision.BUY_CANDIDATE:
            return None
        score = describe_score(p.score)
        message = f"{_watched(p.watched)}{p.token} became a buy candidate: {score}"
        return Finding(self.level, message, dedup_key("buy", p.token), str(p.token))


def failed_gates(score: Score) -> tuple[CheckResult, ...]:
    """The hard gates that failed (an ``unknown`` gate is no verdict, so it is not here)."""
    return tuple(c for c in score.checks if c.gate and c.state is CheckState.FAIL)


class WatchedRugRule(Rule):
    """A watched token turned ``avoid``; with ``watched_only = false`` also any token
    that turned ``avoid`` because a hard (safety) gate failed.

    Reads decision changes, and tier changes whose score says ``avoid`` (a
    watched token already ``avoid`` that moves tier); both share the key
    ``rug:<token>``, so one scoring that publishes both alerts once.
    """

    name = "watched_rug"
    patterns = ("token.decision_changed", "token.tier_changed")
    nouns = ("rug warning", "rug warnings")

    def __init__(self, settings: RugRuleSettings) -> None:
        super().__init__(settings)
        self.watched_only = settings.watched_only

    def evaluate(self, event: AnyEvent) -> Finding | None:
        payload = event.payload
        if isinstance(payload, TierChanged):
            if payload.score.decision is not Decision.AVOID:
                return None
            was = ""
        else:
            p = event.payload_as(DecisionChanged)
            if p.new is not Decision.AVOID or p.old is Decision.AVOID:
                return None
            payload, was = p, "" if p.old is None else f" (was {p.old.value})"
        gates = failed_gates(payload.score)
        if not payload.watched and (self.watched_only or not gates):
            return None
        if gates:
            why = "failed gates: " + "; ".join(
                f"{c.name} ({c.reason})" if c.reason else c.name for c in gates
            )
        else:
            why = f"no gate failed, {describe_score(payload.score)}"
        token = payload.token
        message = f"{_watched(payload.watched)}{token} is now avoid{was}: {why}"
        return Finding(self.level, message, dedup_key("rug", token), str(token))
