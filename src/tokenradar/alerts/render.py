"""How a notice (an alert or a digest) reads: plain text, a log line, JSON.

Sinks start from these and escape for their own markup (Slack's ``&<>``,
Telegram's HTML, Discord's markdown); the message itself is always plain text.
"""

from __future__ import annotations

import orjson

from tokenradar.alerts.digest import Digest
from tokenradar.alerts.model import Alert

__all__ = ["Notice", "log_line", "notice_json", "plain_text", "truncate"]

#: what a sink sends: one alert, or the digest of those beyond its cap
Notice = Alert | Digest


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in ``…`` when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(notice: Notice) -> str:
    """``[WARNING] solana:… became a buy candidate: …``, or the digest's lines."""
    if isinstance(notice, Digest):
        return notice.text
    return f"[{notice.level.value.upper()}] {notice.message}"


def alert_json(alert: Alert) -> dict[str, object]:
    return {
        "kind": "alert",
        "rule": alert.rule,
        "level": alert.level.value,
        "message": alert.message,
        "dedup_key": alert.dedup_key,
        "subject": alert.subject,
        "topic": alert.event.topic,
        "event_id": alert.event.id,
        "fired_at": alert.fired_at,
    }


def notice_json(notice: Notice) -> dict[str, object]:
    """The body of the generic webhook: ``kind`` is ``alert`` or ``digest``."""
    if isinstance(notice, Alert):
        return alert_json(notice)
    return {
        "kind": "digest",
        "level": notice.level.value,
        "message": notice.summary,
        "count": notice.count,
        "by_rule": dict(notice.by_rule),
        "first_at": notice.first_at,
        "until": notice.until,
        "notable": [alert_json(a) for a in notice.notable],
    }


def _quoted(text: str) -> str:
    return orjson.dumps(text).decode()


def log_line(notice: Notice) -> str:
    """One structured line, ``key=value`` with the message JSON-quoted."""
    if isinstance(notice, Alert):
        return (
            f"alert level={notice.level.value} rule={notice.rule} key={notice.dedup_key} "
            f"event={notice.event.id} topic={notice.event.topic} "
            f"message={_quoted(notice.message)}"
        )
    by_rule = ",".join(f"{rule}:{n}" for rule, n in notice.by_rule)
    return (
        f"alert-digest level={notice.level.value} count={notice.count} by_rule={by_rule} "
        f"message={_quoted(notice.summary)}"
    )
