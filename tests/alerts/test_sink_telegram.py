"""The Telegram Bot API sink against a loopback server that speaks its API."""

from __future__ import annotations

import logging

import pytest

from tokenradar.alerts import AlertManager, SinkState
from tokenradar.alerts.sinks import TelegramSink
from tokenradar.alerts.sinks.telegram import TEXT_LIMIT, telegram_text
from tokenradar.clock import FakeClock
from tokenradar.errors import MalformedResponse, PermanentError
from tokenradar.settings.alerts import TelegramSinkSettings

from .conftest import Serve, alerts_settings, buy, event, make_alert, settle, until
from .services import Reply, TelegramService

TOKEN = "123456:AAH-secret_bot_token"
CHAT = "-1001234567890"


async def telegram(serve: Serve, **keys: object) -> tuple[TelegramService, dict[str, object]]:
    service = TelegramService(TOKEN, chats=(CHAT,))
    base = await serve(service.app())
    return service, {
        "base_url": base,
        "bot_token": TOKEN,
        "chat_id": CHAT,
        "min_level": "info",
        **keys,
    }


async def send_one(keys: dict[str, object], clock: FakeClock, message: str) -> None:
    settings = TelegramSinkSettings.model_validate({"enabled": True, **keys})
    sink = TelegramSink(settings, clock=clock)
    await sink.open()
    try:
        await sink.send(make_alert(message))
    finally:
        await sink.aclose()


async def test_an_alert_is_sent_to_the_chat_through_the_bots_path(
    serve: Serve, clock: FakeClock
) -> None:
    service, keys = await telegram(serve)
    alerts = AlertManager(alerts_settings(telegram=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["telegram"].sent == 1)
    [request] = service.requests
    assert request.path == f"/bot{TOKEN}/sendMessage"
    assert request.status == 200
    assert request.body["chat_id"] == CHAT
    assert request.body["parse_mode"] == "HTML"
    assert request.body["text"].startswith("[WARNING] solana:")


@pytest.mark.parametrize("mode", ["HTML", "MarkdownV2", "none"])
async def test_text_telegram_would_parse_as_markup_is_escaped(
    serve: Serve, clock: FakeClock, mode: str
) -> None:
    service, keys = await telegram(serve, parse_mode=mode)
    await send_one(keys, clock, "lane <dex> & co. (score 1.5) failed: x_y*z [!]")
    assert service.requests[0].status == 200  # the server refuses what does not parse
    assert ("parse_mode" in service.bodies[0]) == (mode != "none")


@pytest.mark.parametrize("mode", ["HTML", "MarkdownV2"])
def test_a_cut_never_ends_inside_an_escape(mode: str) -> None:
    for pad in range(8):
        text = telegram_text("a" * (TEXT_LIMIT - 6 + pad) + "&&&&&&....", mode)
        assert len(text) <= TEXT_LIMIT
        assert text.endswith("…")
        body = text[:-1]
        if mode == "HTML":
            assert body.count("&") == body.count("&amp;")
        else:
            trailing = len(body) - len(body.rstrip("\\"))
            assert trailing % 2 == 0


async def test_a_429_waits_telegrams_parameters_retry_after(serve: Serve, clock: FakeClock) -> None:
    service, keys = await telegram(serve, retry_backoff="1s")
    service.then(TelegramService.rate_limited(5))
    alerts = AlertManager(alerts_settings(telegram=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["telegram"].state is SinkState.BACKOFF)
        clock.advance(4.9)
        await settle()
        assert service.count == 1
        clock.advance(0.1)
        await until(lambda: alerts.stats().sinks["telegram"].sent == 1)
    assert [r.status for r in service.requests] == [429, 200]


async def test_a_wrong_token_or_chat_is_permanent_and_the_token_is_never_shown(
    serve: Serve, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, keys = await telegram(serve)
    with pytest.raises(PermanentError, match="401 Unauthorized") as unauthorized:
        await send_one({**keys, "bot_token": "999:wrong-token"}, clock, "x")
    with pytest.raises(PermanentError, match="chat not found"):
        await send_one({**keys, "chat_id": "-100999"}, clock, "x")
    assert "wrong-token" not in str(unauthorized.value)
    alerts = AlertManager(alerts_settings(telegram={**keys, "chat_id": "-100999"}), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["telegram"].failed == 1)
        stats = alerts.stats().sinks["telegram"]
    assert stats.retries == 0
    assert stats.last_error is not None
    assert "chat not found" in stats.last_error
    assert TOKEN not in stats.last_error
    ours = [r for r in caplog.records if r.name != "aiohttp.access"]  # the server's own log
    assert ours
    assert not [r for r in ours if TOKEN in r.getMessage()]


async def test_an_answer_that_is_not_bot_api_json_is_malformed_and_retried(
    serve: Serve, clock: FakeClock
) -> None:
    service, keys = await telegram(serve, retries=1, retry_backoff="1s")
    service.then(Reply(200, "<html>proxy</html>", content_type="text/html"))
    with pytest.raises(MalformedResponse, match="not Bot API JSON"):
        await send_one(keys, clock, "x")
    service.then(Reply(200, "<html>proxy</html>", content_type="text/html"))
    alerts = AlertManager(alerts_settings(telegram=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["telegram"].state is SinkState.BACKOFF)
        clock.advance(1)
        await until(lambda: alerts.stats().sinks["telegram"].sent == 1)
    assert alerts.stats().sinks["telegram"].retries == 1
