"""The digest: alerts beyond a sink's cap are folded into one message, never dropped.

When a sink's window is full (or its queue overflows), each further alert is
added to that sink's :class:`DigestBuilder`: counted per rule, the loudest few
kept. When the window has room again, the sink sends ONE message for all of
them, before any newer alert::

    + 980 more alerts in the last 61s: 950 tier changes, 30 buy candidates
    (highest level: critical)
      critical: watched token solana:… is now avoid: failed gates: …

Memory is bounded: counts per rule and at most :data:`NOTABLE` alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from tokenradar.alerts.model import Alert
from tokenradar.settings.alerts import AlertLevel

#: the loudest alerts a digest quotes (those at ``error`` or above)
NOTABLE: Final = 3
_QUOTED = AlertLevel.ERROR


def format_span(seconds: float) -> str:
    """``45s``, ``3m``, ``2.5h``: how long a digest covers."""
    if seconds < 90:
        return f"{max(1, round(seconds))}s"
    if seconds < 5400:
        return f"{round(seconds / 60)}m"
    return f"{seconds / 3600:.1f}h"


@dataclass(frozen=True, slots=True)
class Digest:
    """One message standing for ``count`` alerts a sink did not send one by one."""

    count: int
    by_rule: tuple[tuple[str, int], ...]  # (rule, alerts), most first
    nouns: Mapping[str, tuple[str, str]]  # rule -> (singular, plural)
    level: AlertLevel  # the loudest folded alert's
    first_at: float  # epoch s: when the first folded alert fired
    until: float  # epoch s: when the digest was made
    notable: tuple[Alert, ...]  # up to NOTABLE of the loudest, at error or above

    @property
    def summary(self) -> str:
        parts = []
        for rule, n in self.by_rule:
            one, many = self.nouns.get(rule, (rule, rule))
            parts.append(f"{n} {one if n == 1 else many}")
        noun = "alert" if self.count == 1 else "alerts"
        span = format_span(self.until - self.first_at)
        return f"+ {self.count} more {noun} in the last {span}: {', '.join(parts)}"

    @property
    def lines(self) -> tuple[str, ...]:
        """The summary, the highest level, and the quoted loud alerts."""
        lines = [self.summary, f"(highest level: {self.level.value})"]
        lines += [f"  {a.level.value}: {a.message}" for a in self.notable]
        return tuple(lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class DigestBuilder:
    """What one sink has folded since its last digest."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._counts: dict[str, int] = {}
        self._nouns: dict[str, tuple[str, str]] = {}
        self._notable: list[Alert] = []
        self._level = AlertLevel.INFO
        self._first_at: float | None = None
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, alert: Alert, nouns: tuple[str, str]) -> None:
        self.count += 1
        self._counts[alert.rule] = self._counts.get(alert.rule, 0) + 1
        self._nouns.setdefault(alert.rule, nouns)
        if alert.level.rank > self._level.rank:
            self._level = alert.level
        if self._first_at is None or alert.fired_at < self._first_at:
            self._first_at = alert.fired_at
        if alert.level.at_least(_QUOTED):
            self._notable.append(alert)
            # keep the loudest, the earliest first among equals
            self._notable.sort(key=lambda a: (-a.level.rank, a.fired_at))
            del self._notable[NOTABLE:]

    def take(self, now: float) -> Digest | None:
        """The digest of everything folded so far (and start over), or None if nothing was."""
        if not self.count:
            return None
        by_rule = tuple(sorted(self._counts.items(), key=lambda kv: (-kv[1], kv[0])))
        first = now if self._first_at is None else self._first_at
        digest = Digest(
            self.count,
            by_rule,
            dict(self._nouns),
            self._level,
            first,
            now,
            tuple(self._notable),
        )
        self._reset()
        return digest
