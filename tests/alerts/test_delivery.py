"""Delivery: the rate cap and its digest, retries, and sinks that never hold anyone up.

Every test counts what a real loopback server received.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from tokenradar.alerts import AlertManager, Notice, SinkState
from tokenradar.alerts.sinks import Sink
from tokenradar.clock import FakeClock
from tokenradar.events import EventBus
from tokenradar.settings.alerts import LogSinkSettings

from .conftest import Serve, alerts_settings, buy, event, settle, tier_change, until
from .services import Reply, SlackService, WebhookService


async def webhook(serve: Serve, **keys: object) -> tuple[WebhookService, dict[str, object]]:
    hook = WebhookService()
    base = await serve(hook.app())
    return hook, {"url": base + hook.path, "min_level": "info", **keys}


# ---------------------------------------------------------------------------
# The cap and the digest
# ---------------------------------------------------------------------------


async def test_a_flood_of_1000_tier_changes_reaches_the_sink_as_its_cap_plus_one_digest(
    serve: Serve, clock: FakeClock
) -> None:
    hook, keys = await webhook(serve, rate="20/1m")
    bus = EventBus(clock=clock)
    async with AlertManager(alerts_settings(webhook=keys), bus=bus, clock=clock) as alerts:
        for i in range(1000):
            bus.publish("token.tier_changed", tier_change(i))
        sink = lambda: alerts.stats().sinks["webhook"]  # noqa: E731
        await until(lambda: hook.count == 20 and sink().folded == 980, what="the cap")
        await settle()
        assert hook.count == 20  # nothing more inside the window
        assert sink().state is SinkState.WAITING
        clock.advance(59)
        await settle()
        assert hook.count == 20
        clock.advance(1)
        await until(lambda: hook.count == 21, what="the digest")
        await settle()
        stats = sink()
    assert hook.count == 21
    assert all(b["kind"] == "alert" for b in hook.bodies[:20])
    digest = hook.bodies[20]
    assert digest["kind"] == "digest"
    assert digest["count"] == 980
    assert digest["by_rule"] == {"tier_changed": 980}
    assert digest["message"] == "+ 980 more alerts in the last 60s: 980 tier changes"
    assert (stats.sent, stats.digests, stats.folded, stats.failed) == (21, 1, 980, 0)
    assert alerts.stats().rules["tier_changed"].fired == 1000


async def test_alerts_beyond_a_full_queue_go_to_the_digest_after_the_queued_ones(
    serve: Serve, clock: FakeClock
) -> None:
    hook, keys = await webhook(serve, rate="20/1m", queue_size=10)
    alerts = AlertManager(alerts_settings(webhook=keys), clock=clock)
    async with alerts:
        for i in range(100):  # all at once: the worker has not run yet
            alerts.handle(event("token.tier_changed", tier_change(i)))
        await until(lambda: alerts.stats().sinks["webhook"].sent == 11)
        await settle()
        stats = alerts.stats().sinks["webhook"]
    # the 10 that fitted the queue went one by one (they came first), then one digest
    assert [b["kind"] for b in hook.bodies] == ["alert"] * 10 + ["digest"]
    assert hook.bodies[10]["count"] == 90
    assert (stats.overflowed, stats.folded, stats.sent) == (90, 90, 11)


async def test_the_digest_goes_before_alerts_that_came_after_it(
    serve: Serve, clock: FakeClock
) -> None:
    hook, keys = await webhook(serve, rate="5/1m")
    bus = EventBus(clock=clock)
    async with AlertManager(alerts_settings(webhook=keys), bus=bus, clock=clock) as alerts:
        for i in range(8):
            bus.publish("token.tier_changed", tier_change(i))
        await until(lambda: alerts.stats().sinks["webhook"].pending_digest == 3)
        clock.advance(60)
        bus.publish("token.decision_changed", buy(100))
        await until(lambda: hook.count == 7)
    kinds = [(b["kind"], b.get("rule")) for b in hook.bodies]
    assert kinds == [("alert", "tier_changed")] * 5 + [
        ("digest", None),
        ("alert", "buy_candidate"),
    ]


async def test_each_sink_has_its_own_cap_and_level(serve: Serve, clock: FakeClock) -> None:
    hook, keys = await webhook(serve, rate="2/1m")
    slack = SlackService()
    base = await serve(slack.app())
    settings = alerts_settings(
        webhook=keys, slack={"url": base + slack.path, "min_level": "warning", "rate": "50/1m"}
    )
    bus = EventBus(clock=clock)
    async with AlertManager(settings, bus=bus, clock=clock) as alerts:
        for i in range(5):
            bus.publish("token.tier_changed", tier_change(i))  # info
            bus.publish("token.decision_changed", buy(i))  # warning
        sinks = alerts.stats
        await until(lambda: slack.count == 5 and sinks().sinks["webhook"].folded == 8)
        await settle()
        stats = alerts.stats().sinks
    assert hook.count == 2
    assert stats["slack"].filtered == 5  # the tier changes are below its level
    assert stats["slack"].folded == 0
    assert stats["webhook"].folded == 8
    assert all("buy candidate" in b["text"] for b in slack.bodies)


# ---------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------


async def test_a_failing_sink_is_retried_with_backoff_a_bounded_number_of_times(
    serve: Serve, clock: FakeClock
) -> None:
    hook, keys = await webhook(serve, retries=2, retry_backoff="1s")
    hook.then(*[Reply(503, {"error": "down"})] * 10)
    alerts = AlertManager(alerts_settings(webhook=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        sink = lambda: alerts.stats().sinks["webhook"]  # noqa: E731
        await until(lambda: hook.count == 1 and sink().state is SinkState.BACKOFF)
        clock.advance(0.99)
        await settle()
        assert hook.count == 1
        clock.advance(0.01)  # the first retry after 1 s
        await until(lambda: hook.count == 2 and sink().state is SinkState.BACKOFF)
        clock.advance(1.99)
        await settle()
        assert hook.count == 2
        clock.advance(0.01)  # the second after 2 s more
        await until(lambda: sink().failed == 1)
        clock.advance(60)
        await settle()
        stats = sink()
    assert hook.count == 3  # 1 + retries, then given up
    assert (stats.sent, stats.failed, stats.retries) == (0, 1, 2)
    assert stats.last_error is not None
    assert "HTTP 503" in stats.last_error


async def test_a_4xx_is_not_retried(serve: Serve, clock: FakeClock) -> None:
    hook, keys = await webhook(serve, retries=3)
    keys["url"] = str(keys["url"]) + "/wrong"  # the service answers 404
    alerts = AlertManager(alerts_settings(webhook=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["webhook"].failed == 1)
        stats = alerts.stats().sinks["webhook"]
    assert hook.count == 1
    assert stats.retries == 0
    assert stats.last_error is not None
    assert "PermanentError" in stats.last_error


async def test_a_429_waits_its_retry_after_then_delivers(serve: Serve, clock: FakeClock) -> None:
    hook, keys = await webhook(serve, retries=1, retry_backoff="1s")
    hook.then(Reply(429, {"error": "slow down"}, headers={"Retry-After": "7"}))
    alerts = AlertManager(alerts_settings(webhook=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: alerts.stats().sinks["webhook"].state is SinkState.BACKOFF)
        clock.advance(6.9)  # not after the 1 s backoff: the server said 7
        await settle()
        assert hook.count == 1
        clock.advance(0.1)
        await until(lambda: alerts.stats().sinks["webhook"].sent == 1)
    assert [r.status for r in hook.requests] == [429, 200]


async def test_a_slow_sink_never_slows_the_publisher_nor_the_other_sinks(
    serve: Serve, clock: FakeClock
) -> None:
    slow, keys = await webhook(serve, timeout="0.2s", retries=0, rate="1000/1m")
    slow.then(*[Reply(200, {}, delay=1.0)] * 300)
    slack = SlackService()
    base = await serve(slack.app())
    settings = alerts_settings(
        top={"close_grace": "0.3s"},  # the slow sink still holds most at the end
        webhook=keys,
        slack={"url": base + slack.path, "min_level": "info", "rate": "1000/1m"},
    )
    bus = EventBus(clock=clock)
    async with AlertManager(settings, bus=bus, clock=clock) as alerts:
        started = time.perf_counter()
        for i in range(200):
            bus.publish("token.tier_changed", tier_change(i))
        publishing = time.perf_counter() - started
        await until(lambda: slack.count == 200, what="the fast sink")
        await until(lambda: alerts.stats().sinks["webhook"].failed >= 1, what="a timeout")
        stats = alerts.stats().sinks["webhook"]
    assert publishing < 0.5  # 200 publishes, each only queues
    assert stats.last_error is not None
    assert "UpstreamTimeout" in stats.last_error


class BrokenSink(Sink):
    """A sink with a bug: raises something no sink should."""

    def __init__(self) -> None:
        super().__init__("broken")
        self.calls = 0

    async def send(self, notice: Notice) -> None:
        self.calls += 1
        raise KeyError("a bug")


async def test_a_sink_that_raises_a_bug_counts_a_failure_and_keeps_delivering(
    clock: FakeClock,
) -> None:
    broken = BrokenSink()
    settings = LogSinkSettings(min_level="info")
    alerts = AlertManager(alerts_settings(), clock=clock, sinks=[(broken, settings)])
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        alerts.handle(event("token.decision_changed", buy(2)))
        await until(lambda: alerts.stats().sinks["broken"].failed == 2)
        assert alerts.stats().sinks["broken"].state is SinkState.IDLE
    assert broken.calls == 2  # not retried: only transient errors are


# ---------------------------------------------------------------------------
# Shutdown
# ---------------------------------------------------------------------------


async def test_what_a_sink_holds_at_shutdown_is_counted_and_logged_not_dropped_silently(
    serve: Serve, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    hook, keys = await webhook(serve, rate="2/1m")
    alerts = AlertManager(alerts_settings(webhook=keys), clock=clock)
    async with alerts:
        for i in range(5):
            alerts.handle(event("token.tier_changed", tier_change(i)))
        await until(lambda: hook.count == 2 and alerts.stats().sinks["webhook"].pending_digest == 3)
        caplog.set_level(logging.WARNING, "tokenradar.alerts")
    stats = alerts.stats().sinks["webhook"]
    assert stats.undelivered == 3
    assert stats.state is SinkState.STOPPED
    assert "3 alerts not delivered at shutdown" in caplog.text
    assert "+ 3 more alerts" in caplog.text


async def test_shutdown_delivers_what_the_window_allows_within_the_grace(
    serve: Serve, clock: FakeClock
) -> None:
    hook, keys = await webhook(serve, rate="100/1m")
    alerts = AlertManager(alerts_settings(webhook=keys), clock=clock)
    async with alerts:
        for i in range(30):
            alerts.handle(event("token.tier_changed", tier_change(i)))
    assert hook.count == 30
    assert alerts.stats().sinks["webhook"].undelivered == 0


async def test_leaving_the_manager_ends_its_tasks(clock: FakeClock) -> None:
    alerts = AlertManager(alerts_settings(log={}), clock=clock)
    async with alerts:
        pass
    names = {t.get_name() for t in asyncio.all_tasks()}
    assert not any(n.startswith("alerts-") for n in names)


async def test_a_message_cut_off_by_the_shutdown_grace_is_counted_undelivered(
    serve: Serve, clock: FakeClock
) -> None:
    hook, keys = await webhook(serve, timeout="10s")
    hook.then(Reply(200, {}, delay=2.0))
    alerts = AlertManager(alerts_settings(top={"close_grace": "0.2s"}, webhook=keys), clock=clock)
    async with alerts:
        alerts.handle(event("token.decision_changed", buy(1)))
        await until(lambda: hook.count == 1)
    stats = alerts.stats().sinks["webhook"]
    assert (stats.sent, stats.failed, stats.undelivered) == (0, 0, 1)
