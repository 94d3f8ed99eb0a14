"""The Slack-compatible incoming webhook against a loopback server that speaks its API."""

from __future__ import annotations

import pytest

from tokenradar.alerts import AlertManager, SinkState
from tokenradar.alerts.sinks import SlackSink
from tokenradar.clock import FakeClock
from tokenradar.errors import PermanentError, UpstreamUnavailable
from tokenradar.flow.breaker import BreakerEvent, BreakerState
from tokenradar.settings.alerts import SlackSinkSettings

from .conftest import NOW, Serve, alerts_settings, buy, event, make_alert, settle, until
from .services import Reply, SlackService


async def slack(serve: Serve, **keys: object) -> tuple[SlackService, dict[str, object]]:
    service = SlackService()
    base = await serve(service.app())
    return service, {"url": base + service.path, "min_level": "info", **keys}


async def test_an_alert_is_posted_as_text_and_slack_answers_ok(
    serve: Serve, clock: FakeClock
) -> None:
    service, keys = await slack(serve)
    alerts = AlertManager(alerts_settings(slack=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["slack"].sent == 1)
    [body] = service.bodies
    assert set(body) == {"text"}
    assert body["text"].startswith("[WARNING] solana:")
    assert service.requests[0].status == 200


async def test_markup_in_a_message_is_escaped_so_it_pings_nobody(
    serve: Serve, clock: FakeClock
) -> None:
    service, keys = await slack(serve)
    alerts = AlertManager(alerts_settings(slack=keys), clock=clock)
    opened = BreakerEvent("<!channel>", BreakerState.CLOSED, BreakerState.OPEN, NOW, "a & b")
    async with alerts:
        alerts.handle(event("lane.circuit_opened", opened))
        await until(lambda: service.count == 1)
    text = service.bodies[0]["text"]
    assert "&lt;!channel&gt;" in text
    assert "a &amp; b" in text
    assert "<!channel>" not in text


async def test_blocks_carry_the_text_and_a_context_line(serve: Serve, clock: FakeClock) -> None:
    service, keys = await slack(serve, blocks=True)
    alerts = AlertManager(alerts_settings(slack=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: service.count == 1)
    body = service.bodies[0]
    section, context = body["blocks"]
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": body["text"]}}
    assert context["type"] == "context"
    assert context["elements"][0]["text"].startswith("warning · buy_candidate · buy:solana:")


async def test_a_429_is_retried_after_slacks_retry_after(serve: Serve, clock: FakeClock) -> None:
    service, keys = await slack(serve, retry_backoff="1s")
    service.then(SlackService.rate_limited(30))
    alerts = AlertManager(alerts_settings(slack=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["slack"].state is SinkState.BACKOFF)
        clock.advance(29)
        await settle()
        assert service.count == 1
        clock.advance(1)
        await until(lambda: alerts.stats().sinks["slack"].sent == 1)
    assert [r.status for r in service.requests] == [429, 200]


@pytest.mark.parametrize(
    ("reply", "error", "word"),
    [
        (Reply(404, "channel_not_found"), PermanentError, "channel_not_found"),
        (Reply(410, "channel_is_archived"), PermanentError, "channel_is_archived"),
        (Reply(403, "action_prohibited"), PermanentError, "action_prohibited"),
        (Reply(500, "rollup_error"), UpstreamUnavailable, "rollup_error"),
    ],
)
async def test_slacks_errors_become_typed_errors_with_its_word(
    serve: Serve, clock: FakeClock, reply: Reply, error: type[Exception], word: str
) -> None:
    service, keys = await slack(serve)
    service.then(reply)
    sink = SlackSink(SlackSinkSettings.model_validate({"enabled": True, **keys}), clock=clock)
    await sink.open()
    try:
        with pytest.raises(error) as info:
            await sink.send(make_alert())
    finally:
        await sink.aclose()
    assert word in str(info.value)
    assert service.path not in str(info.value)  # the URL is the secret
