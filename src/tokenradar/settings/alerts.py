"""The ``[alerts]`` settings: which events alert, how loudly, how often, and where to.

::

    [alerts.rules.tier_changed]
    to = ["hot"]              # tiers that alert; [] = every tier change
    cooldown = "30m"          # the same token into the same tier alerts at most this often

    [alerts.rules.part_restarted]
    enabled = false

    [alerts.sinks.slack]
    enabled = true
    url = "https://hooks.slack.com/services/T0/B0/XXXX"   # a secret: never printed
    min_level = "warning"
    rate = "20/1m"            # more than this in any minute are folded into one digest

A rule table given in the file changes only the keys it names; the others keep
the rule's defaults (its level and cooldown differ per rule). Secrets (webhook
URLs, which carry their token, and the Telegram bot token) are ``SecretStr``:
printed as ``**********`` and never echoed in an error. What the manager does
with these is :mod:`tokenradar.alerts`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    SecretStr,
    model_validator,
)

from tokenradar.domain import Tier
from tokenradar.settings.providers import UnsatisfiableSetting
from tokenradar.settings.values import Duration, Flag, HttpUrl, Rate, Section, merge_with_defaults


class AlertLevel(StrEnum):
    """How loud an alert is; each sink delivers those at or above its ``min_level``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: AlertLevel) -> bool:
        return self.rank >= other.rank


_RANKS = {AlertLevel.INFO: 0, AlertLevel.WARNING: 1, AlertLevel.ERROR: 2, AlertLevel.CRITICAL: 3}


def _level(value: object) -> object:
    # "WARNING" and "Warning" are the same level; anything else is refused by the enum
    return value.strip().lower() if isinstance(value, str) else value


Level = Annotated[AlertLevel, BeforeValidator(_level)]


def _rate(value: object) -> object:
    return Rate.parse(value) if isinstance(value, str) else value


#: ``"20/1m"``: at most 20 messages in any minute (no ``auto`` here: a sink's cap is ours)
SinkRate = Annotated[Rate, BeforeValidator(_rate), PlainSerializer(str, return_type=str)]

_URL_RE = re.compile(r"^https?://[^\s/]+(/\S*)?$")


def _secret_url(value: SecretStr) -> SecretStr:
    # the URL is the credential: the message must not echo it
    text = value.get_secret_value().strip()
    if not _URL_RE.match(text):
        raise ValueError("expected an http(s) URL like 'https://hooks.example.com/…' (not shown)")
    return SecretStr(text)


#: a webhook URL, which carries its token: validated as a URL, kept secret
SecretUrl = Annotated[SecretStr, AfterValidator(_secret_url)]


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


class RuleSettings(Section):
    """Keys every rule takes."""

    enabled: Flag = True
    level: Level
    #: the same dedup key does not alert again within this long (kept across restarts)
    cooldown: Duration


class TierRuleSettings(RuleSettings):
    #: the tiers whose arrival alerts; empty: every tier change
    to: tuple[Tier, ...] = (Tier.HOT,)
    #: only tokens on the watchlist
    watched_only: Flag = False


class RugRuleSettings(RuleSettings):
    #: true: a watched token whose decision becomes ``avoid``; false: also any other
    #: token whose decision becomes ``avoid`` because a hard (safety) gate failed
    watched_only: Flag = True


class RulesSettings(Section):
    """One table per rule (``[alerts.rules.<rule>]``)."""

    tier_changed: TierRuleSettings = TierRuleSettings(level=AlertLevel.INFO, cooldown=1800)
    buy_candidate: RuleSettings = RuleSettings(level=AlertLevel.WARNING, cooldown=3600)
    watched_rug: RugRuleSettings = RugRuleSettings(level=AlertLevel.CRITICAL, cooldown=21600)
    circuit_opened: RuleSettings = RuleSettings(level=AlertLevel.WARNING, cooldown=600)
    health_degraded: RuleSettings = RuleSettings(level=AlertLevel.WARNING, cooldown=900)
    health_critical: RuleSettings = RuleSettings(level=AlertLevel.CRITICAL, cooldown=900)
    part_restarted: RuleSettings = RuleSettings(level=AlertLevel.WARNING, cooldown=600)
    part_gave_up: RuleSettings = RuleSettings(level=AlertLevel.CRITICAL, cooldown=3600)
    storage_failed: RuleSettings = RuleSettings(level=AlertLevel.CRITICAL, cooldown=600)

    @model_validator(mode="before")
    @classmethod
    def _merge_with_defaults(cls, data: object) -> object:
        return merge_with_defaults(cls, data)

    def by_name(self) -> dict[str, RuleSettings]:
        return {name: getattr(self, name) for name in type(self).model_fields}


# ---------------------------------------------------------------------------
# Sinks
# ---------------------------------------------------------------------------


class SinkSettings(Section):
    """Keys every sink takes."""

    enabled: Flag = False
    #: alerts below this level are not sent here
    min_level: Level = AlertLevel.WARNING
    #: at most this many messages in any window; the rest are folded into one digest
    rate: SinkRate = Rate(20, 60.0)
    #: alerts waiting for this sink, at most; more are folded into the digest
    queue_size: int = Field(default=1000, ge=1, le=100_000)


class HttpSinkSettings(SinkSettings):
    """Keys every HTTP sink takes."""

    #: per request (connect, send, read the answer)
    timeout: Duration = 10.0
    #: attempts after the first before a message counts as failed
    retries: int = Field(default=3, ge=0, le=10)
    #: the first retry waits this long, each next one twice as long (at most 30 s)
    retry_backoff: Duration = 1.0
    #: a 429's ``retry_after`` is honoured up to this long
    max_retry_after: Duration = 60.0

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> HttpSinkSettings:
        if self.enabled:
            for key in self.required_when_enabled():
                if getattr(self, key) is None:
                    raise UnsatisfiableSetting(key, "the sink is enabled, so this must be set")
        return self

    def required_when_enabled(self) -> tuple[str, ...]:
        return ()


class LogSinkSettings(SinkSettings):
    enabled: Flag = True
    min_level: Level = AlertLevel.INFO
    rate: SinkRate = Rate(120, 60.0)


class WebhookSinkSettings(HttpSinkSettings):
    """A generic JSON webhook: ``POST url`` with the alert as JSON."""

    url: SecretUrl | None = None
    #: sent as ``Authorization: Bearer <token>`` when set
    token: SecretStr | None = None
    rate: SinkRate = Rate(60, 60.0)

    def required_when_enabled(self) -> tuple[str, ...]:
        return ("url",)


class SlackSinkSettings(HttpSinkSettings):
    """A Slack incoming webhook (``{"text": …}``)."""

    url: SecretUrl | None = None
    #: also send Block Kit blocks (a section and a context line); ``text`` stays the fallback
    blocks: Flag = False

    def required_when_enabled(self) -> tuple[str, ...]:
        return ("url",)


class DiscordSinkSettings(HttpSinkSettings):
    """A Discord webhook (``{"content": …}``)."""

    url: SecretUrl | None = None
    #: overrides the webhook's display name
    username: str | None = Field(default=None, min_length=1, max_length=80)

    def required_when_enabled(self) -> tuple[str, ...]:
        return ("url",)


class TelegramSinkSettings(HttpSinkSettings):
    """The Telegram Bot API (``POST {base_url}/bot<token>/sendMessage``)."""

    base_url: HttpUrl = "https://api.telegram.org"
    bot_token: SecretStr | None = None
    #: a chat id (``-1001234567890``) or a channel's ``@name``
    chat_id: str | None = Field(default=None, pattern=r"^(-?\d+|@\w{4,})$")
    parse_mode: Literal["HTML", "MarkdownV2", "none"] = "HTML"

    def required_when_enabled(self) -> tuple[str, ...]:
        return ("bot_token", "chat_id")


class SinksSettings(Section):
    """One table per sink (``[alerts.sinks.<sink>]``)."""

    log: LogSinkSettings = LogSinkSettings()
    webhook: WebhookSinkSettings = WebhookSinkSettings()
    slack: SlackSinkSettings = SlackSinkSettings()
    discord: DiscordSinkSettings = DiscordSinkSettings()
    telegram: TelegramSinkSettings = TelegramSinkSettings()

    def by_name(self) -> dict[str, SinkSettings]:
        return {name: getattr(self, name) for name in type(self).model_fields}


# ---------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------


class AlertsSettings(Section):
    """``[alerts]``: rules, sinks, and the bounds of the manager's memory."""

    #: false: no rule listens and no sink runs
    enabled: Flag = True
    rules: RulesSettings = RulesSettings()
    sinks: SinksSettings = SinksSettings()
    #: dedup keys whose cooldown is remembered, at most (the oldest are forgotten first)
    max_keys: int = Field(default=100_000, ge=100, le=10_000_000)
    #: firings waiting to be stored, at most (more are counted and not stored)
    persist_queue: int = Field(default=10_000, ge=1, le=1_000_000)
    #: on shutdown, how long the sinks get to deliver what they hold
    close_grace: Duration = 5.0
    #: publish every fired alert on the event bus as ``alert.<level>``
    publish: Flag = True

    @property
    def max_cooldown(self) -> float:
        """The longest cooldown of an enabled rule (0 when none is enabled)."""
        return max((r.cooldown for r in self.rules.by_name().values() if r.enabled), default=0.0)
