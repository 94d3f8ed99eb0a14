"""A rule: which topics it reads, and the :class:`Finding` it makes of one event.

Rules are pure: no clock, no state, no I/O. The cooldown that keeps a rule from
repeating itself is the manager's (:mod:`tokenradar.alerts.cooldowns`), read
from the rule's ``cooldown``. A payload of the wrong type is a publisher's bug:
``event.payload_as`` raises, and the manager counts it as that rule's error.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from tokenradar.alerts.model import Finding
from tokenradar.domain import Score
from tokenradar.events import AnyEvent
from tokenradar.settings.alerts import AlertLevel, RuleSettings


class Rule(ABC):
    """Subclasses set the class attributes and implement :meth:`evaluate`."""

    #: the ``[alerts.rules.<name>]`` table that configures it
    name: ClassVar[str]
    #: the bus patterns it listens to
    patterns: ClassVar[tuple[str, ...]]
    #: how a digest counts its alerts: ("tier change", "tier changes")
    nouns: ClassVar[tuple[str, str]]

    def __init__(self, settings: RuleSettings) -> None:
        self.settings = settings
        self.level: AlertLevel = settings.level
        self.cooldown: float = settings.cooldown

    @abstractmethod
    def evaluate(self, event: AnyEvent) -> Finding | None:
        """The finding this event makes, or None if it is not worth an alert."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.level} cooldown={self.cooldown:g}s>"


def describe_score(score: Score) -> str:
    """``score 82 (safety 90, momentum 64), confidence 0.91``; unknown parts say so."""

    def num(value: float | None) -> str:
        return "unknown" if value is None else f"{value:.0f}"

    return (
        f"score {num(score.score)} (safety {num(score.safety)}, "
        f"momentum {num(score.momentum)}), confidence {score.confidence:.2f}"
    )
