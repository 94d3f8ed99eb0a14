"""The Discord-compatible webhook against a loopback server that speaks its API."""

from __future__ import annotations

import pytest

from tokenradar.alerts import AlertManager, SinkState
from tokenradar.alerts.sinks import DiscordSink
from tokenradar.clock import FakeClock
from tokenradar.errors import PermanentError, RateLimited
from tokenradar.settings.alerts import DiscordSinkSettings

from .conftest import Serve, alerts_settings, buy, event, make_alert, settle, until
from .services import DiscordService


async def discord(serve: Serve, **keys: object) -> tuple[DiscordService, dict[str, object]]:
    service = DiscordService()
    base = await serve(service.app())
    return service, {"url": base + service.path, "min_level": "info", **keys}


async def test_an_alert_is_posted_as_content_and_mentions_nobody(
    serve: Serve, clock: FakeClock
) -> None:
    service, keys = await discord(serve, username="tokenradar")
    alerts = AlertManager(alerts_settings(discord=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["discord"].sent == 1)
    [body] = service.bodies
    assert body["content"].startswith("[WARNING] solana:")
    assert body["allowed_mentions"] == {"parse": []}
    assert body["username"] == "tokenradar"
    assert service.requests[0].status == 204


async def test_a_429_waits_the_retry_after_of_the_body_not_the_header(
    serve: Serve, clock: FakeClock
) -> None:
    service, keys = await discord(serve, retry_backoff="10s")
    service.then(DiscordService.rate_limited(2.5, header="9"))
    alerts = AlertManager(alerts_settings(discord=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["discord"].state is SinkState.BACKOFF)
        clock.advance(2.4)
        await settle()
        assert service.count == 1
        clock.advance(0.1)
        await until(lambda: alerts.stats().sinks["discord"].sent == 1)
    assert [r.status for r in service.requests] == [429, 204]


async def test_a_long_message_is_cut_to_discords_2000_characters(
    serve: Serve, clock: FakeClock
) -> None:
    service, keys = await discord(serve)
    sink = DiscordSink(DiscordSinkSettings.model_validate({"enabled": True, **keys}), clock=clock)
    await sink.open()
    try:
        await sink.send(make_alert("x" * 5000))
    finally:
        await sink.aclose()
    assert service.requests[0].status == 204  # the server refuses more than 2000
    assert len(service.bodies[0]["content"]) == 2000
    assert service.bodies[0]["content"].endswith("…")


async def test_markdown_is_escaped(serve: Serve, clock: FakeClock) -> None:
    service, keys = await discord(serve)
    sink = DiscordSink(DiscordSinkSettings.model_validate({"enabled": True, **keys}), clock=clock)
    await sink.open()
    try:
        await sink.send(make_alert("lane *dex*: circuit `opened` ~now_"))
    finally:
        await sink.aclose()
    assert "lane \\*dex\\*: circuit \\`opened\\` \\~now\\_" in service.bodies[0]["content"]


async def test_an_unknown_webhook_is_permanent_and_a_429_is_rate_limited(
    serve: Serve, clock: FakeClock
) -> None:
    service, keys = await discord(serve)
    service.then(DiscordService.rate_limited(0.75))
    good = DiscordSinkSettings.model_validate({"enabled": True, **keys})
    wrong = DiscordSinkSettings.model_validate(
        {"enabled": True, **keys, "url": str(keys["url"]).replace("1234567890", "999")}
    )
    sink, lost = DiscordSink(good, clock=clock), DiscordSink(wrong, clock=clock)
    await sink.open()
    await lost.open()
    try:
        with pytest.raises(RateLimited) as limited:
            await sink.send(make_alert())
        with pytest.raises(PermanentError) as unknown:
            await lost.send(make_alert())
    finally:
        await sink.aclose()
        await lost.aclose()
    assert limited.value.retry_after == 0.75
    assert "Unknown Webhook" in str(unknown.value)
    assert "s3cr3t-webhook-token" not in str(unknown.value)
