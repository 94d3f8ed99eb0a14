"""The generic JSON webhook against a loopback server."""

from __future__ import annotations

from tokenradar.alerts import AlertManager
from tokenradar.clock import FakeClock

from .conftest import NOW, Serve, alerts_settings, buy, event, until
from .services import WebhookService


async def test_an_alert_is_posted_as_json_with_its_bearer_token(
    serve: Serve, clock: FakeClock
) -> None:
    hook = WebhookService()
    base = await serve(hook.app())
    keys = {"url": base + hook.path, "token": "hook-token-123", "min_level": "info"}
    alerts = AlertManager(alerts_settings(webhook=keys), clock=clock)
    async with alerts:
        e = event("token.decision_changed", buy(1))
        alerts.handle(e)
        await until(lambda: alerts.stats().sinks["webhook"].sent == 1)
    [request] = hook.requests
    assert request.headers["Authorization"] == "Bearer hook-token-123"
    assert request.headers["Content-Type"] == "application/json"
    body = request.body
    assert body["kind"] == "alert"
    assert body["rule"] == "buy_candidate"
    assert body["level"] == "warning"
    assert body["dedup_key"].startswith("buy:solana:")
    assert body["topic"] == "token.decision_changed"
    assert body["event_id"] == e.id
    assert body["fired_at"] == NOW
    assert "became a buy candidate" in body["message"]


async def test_without_a_token_no_authorization_is_sent(serve: Serve, clock: FakeClock) -> None:
    hook = WebhookService()
    base = await serve(hook.app())
    alerts = AlertManager(alerts_settings(webhook={"url": base + hook.path}), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: hook.count == 1)
    assert "Authorization" not in hook.requests[0].headers


async def test_messages_share_one_long_lived_connection(serve: Serve, clock: FakeClock) -> None:
    hook = WebhookService()
    base = await serve(hook.app())
    keys = {"url": base + hook.path, "min_level": "info"}
    alerts = AlertManager(alerts_settings(webhook=keys), clock=clock)
    async with alerts:
        for i in range(5):
            alerts.handle(event("token.decision_changed", buy(i)))
        await until(lambda: alerts.stats().sinks["webhook"].sent == 5)
    assert len({r.peer for r in hook.requests}) == 1
