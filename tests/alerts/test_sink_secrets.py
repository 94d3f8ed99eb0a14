"""Webhook URLs and bot tokens are secrets: no error, log line or dump shows them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from tokenradar.alerts import AlertManager
from tokenradar.alerts.sinks import DiscordSink, TelegramSink
from tokenradar.clock import FakeClock
from tokenradar.errors import ConfigError, UpstreamUnavailable
from tokenradar.settings import load_settings
from tokenradar.settings.alerts import DiscordSinkSettings, TelegramSinkSettings

from .conftest import alerts_settings, buy, event, make_alert, until

TOKEN = "123456:AAH-secret_bot_token"


@pytest.fixture
async def garbage_server() -> AsyncIterator[str]:
    """Answers every connection with a line that is no HTTP status line."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.close()
    await server.wait_closed()


async def test_a_library_error_quoting_the_url_is_redacted(
    garbage_server: str, clock: FakeClock
) -> None:
    settings = TelegramSinkSettings(
        enabled=True, base_url=garbage_server, bot_token=TOKEN, chat_id="-100123"
    )
    sink = TelegramSink(settings, clock=clock)
    await sink.open()
    try:
        with pytest.raises(UpstreamUnavailable) as info:
            await sink.send(make_alert())
    finally:
        await sink.aclose()
    text = str(info.value)
    assert "***" in text  # aiohttp's message named the URL ...
    assert TOKEN not in text  # ... and the token in it was replaced


async def test_a_webhook_url_never_reaches_the_log_or_the_stats(
    garbage_server: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"{garbage_server}/api/webhooks/1/s3cr3t-webhook-token"
    settings = alerts_settings(discord={"url": url, "retries": 0, "min_level": "info"})
    alerts = AlertManager(settings, clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["discord"].failed == 1)
        stats = alerts.stats().sinks["discord"]
    assert stats.last_error is not None
    assert "s3cr3t" not in stats.last_error
    assert "s3cr3t" not in caplog.text
    assert "s3cr3t" not in repr(settings)
    assert "s3cr3t" not in str(DiscordSink(DiscordSinkSettings(enabled=True, url=url)))


def test_a_bad_webhook_url_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOKENRADAR_ALERTS__SINKS__SLACK__URL", "hooks.slack.com/s3cr3t")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.key == "alerts.sinks.slack.url"
    assert "s3cr3t" not in str(info.value)
