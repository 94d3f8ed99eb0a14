"""What an alert is: a rule's finding about one event, with a level and a dedup key.

A rule looks at one event and returns a :class:`Finding` (or nothing); the
manager turns it into an :class:`Alert` by naming the rule, stamping the time
and keeping the event it came from. The ``dedup_key`` says which alerts are
"the same" for cooldowns (``tier:solana:<addr>:hot``, ``circuit:<lane>``):
stored as the ``alerts`` row of the store, so the cooldown survives a restart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from tokenradar.events import AnyEvent
from tokenradar.settings.alerts import AlertLevel

__all__ = ["MAX_KEY_CHARS", "Alert", "AlertLevel", "Finding", "dedup_key"]

#: the store's ``alerts.dedup_key`` column
MAX_KEY_CHARS: Final = 200


def dedup_key(*parts: object) -> str:
    """``parts`` joined with ``:``, at most :data:`MAX_KEY_CHARS` (a long one ends in a hash)."""
    key = ":".join(str(p) for p in parts)
    if len(key) <= MAX_KEY_CHARS:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: MAX_KEY_CHARS - 17]}~{digest}"


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule says about an event: how loud, what, and which alerts it repeats."""

    level: AlertLevel
    message: str  # one line, plain text (sinks escape it for their markup)
    dedup_key: str
    subject: str  # what it is about: a token (``chain:address``), a lane, a part


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert that passed its cooldown and is on its way to the sinks."""

    rule: str
    level: AlertLevel
    message: str
    dedup_key: str
    subject: str
    event: AnyEvent  # the event it came from
    fired_at: float  # the manager's clock.now(), epoch seconds

    @classmethod
    def of(cls, rule: str, finding: Finding, event: AnyEvent, fired_at: float) -> Alert:
        return cls(
            rule,
            finding.level,
            finding.message,
            finding.dedup_key,
            finding.subject,
            event,
            fired_at,
        )
