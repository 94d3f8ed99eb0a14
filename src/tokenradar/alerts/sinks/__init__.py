"""Where alerts go: a log, a JSON webhook, Slack, Discord, Telegram.

One sink per ``[alerts.sinks.<name>]`` table that is enabled; each makes one
attempt per :meth:`Sink.send`, and its worker (:mod:`tokenradar.alerts.delivery`)
does the queueing, the rate cap, the digest and the retries.
"""

from __future__ import annotations

from tokenradar.alerts.sinks.base import Sink
from tokenradar.alerts.sinks.discord import DiscordSink
from tokenradar.alerts.sinks.http import Answer, HttpSink
from tokenradar.alerts.sinks.log import LogSink
from tokenradar.alerts.sinks.slack import SlackSink
from tokenradar.alerts.sinks.telegram import TelegramSink
from tokenradar.alerts.sinks.webhook import WebhookSink
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.settings.alerts import (
    DiscordSinkSettings,
    SinkSettings,
    SinksSettings,
    SlackSinkSettings,
    TelegramSinkSettings,
    WebhookSinkSettings,
)

__all__ = [
    "Answer",
    "DiscordSink",
    "HttpSink",
    "LogSink",
    "Sink",
    "SlackSink",
    "TelegramSink",
    "WebhookSink",
    "build_sink",
    "build_sinks",
]


def build_sink(name: str, settings: SinkSettings, *, clock: Clock = SYSTEM_CLOCK) -> Sink:
    """The sink of the ``[alerts.sinks.<name>]`` table ``settings``."""
    if isinstance(settings, WebhookSinkSettings):
        return WebhookSink(settings, name=name, clock=clock)
    if isinstance(settings, SlackSinkSettings):
        return SlackSink(settings, name=name, clock=clock)
    if isinstance(settings, DiscordSinkSettings):
        return DiscordSink(settings, name=name, clock=clock)
    if isinstance(settings, TelegramSinkSettings):
        return TelegramSink(settings, name=name, clock=clock)
    return LogSink(name)


def build_sinks(
    settings: SinksSettings, *, clock: Clock = SYSTEM_CLOCK
) -> list[tuple[Sink, SinkSettings]]:
    """The enabled sinks with their settings, in the order of the settings."""
    return [
        (build_sink(name, s, clock=clock), s) for name, s in settings.by_name().items() if s.enabled
    ]
