"""The manager: rules on the bus, cooldowns that survive a restart, stats."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenradar.alerts import Alert, AlertLevel, AlertManager, HealthChanged, HealthStatus
from tokenradar.alerts.payloads import health_topic
from tokenradar.clock import FakeClock
from tokenradar.domain import Decision, Tier
from tokenradar.events import EventBus
from tokenradar.flow.breaker import BreakerEvent, BreakerState
from tokenradar.service.topics import StorageFailure, TierChanged
from tokenradar.settings import StorageSettings
from tokenradar.settings.alerts import AlertsSettings
from tokenradar.store import open_store

from .conftest import NOW, alerts_settings, buy, event, score, tier_change, token, until


def opened(lane: str = "dexscreener.pairs") -> BreakerEvent:
    return BreakerEvent(lane, BreakerState.CLOSED, BreakerState.OPEN, NOW, "60% failed", wait=5.0)


def storage(tmp_path: Path) -> StorageSettings:
    return StorageSettings(url=f"sqlite:///{tmp_path / 'radar.db'}")


# ---------------------------------------------------------------------------
# Cooldowns
# ---------------------------------------------------------------------------


async def test_the_same_key_does_not_fire_again_within_its_cooldown(clock: FakeClock) -> None:
    bus = EventBus(clock=clock)
    async with AlertManager(alerts_settings(log={}), bus=bus, clock=clock) as alerts:
        bus.publish("lane.circuit_opened", opened())
        clock.advance(599)  # circuit_opened's default cooldown is 10 minutes
        bus.publish("lane.circuit_opened", opened())
        bus.publish("lane.circuit_opened", opened("rugcheck.report"))  # another lane: its own key
        clock.advance(1)
        bus.publish("lane.circuit_opened", opened())
        stats = alerts.stats().rules["circuit_opened"]
    assert (stats.fired, stats.suppressed) == (3, 1)


async def test_a_cooldown_is_configured_per_rule(clock: FakeClock) -> None:
    settings = alerts_settings(rules={"tier_changed": {"cooldown": "10s"}}, log={})
    async with AlertManager(settings, clock=clock) as alerts:
        alerts.handle(event("token.tier_changed", tier_change(1)))
        clock.advance(9)
        alerts.handle(event("token.tier_changed", tier_change(1)))
        clock.advance(1)
        alerts.handle(event("token.tier_changed", tier_change(1)))
        stats = alerts.stats().rules["tier_changed"]
    assert (stats.fired, stats.suppressed) == (2, 1)


async def test_an_alert_fired_before_a_restart_does_not_fire_again_within_its_cooldown(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = alerts_settings(log={})
    async with open_store(storage(tmp_path), clock=clock) as store:
        bus = EventBus(clock=clock)
        async with AlertManager(settings, store=store, bus=bus, clock=clock) as alerts:
            bus.publish("lane.circuit_opened", opened())
            assert alerts.stats().rules["circuit_opened"].fired == 1
        assert alerts.stats().persist is not None
        assert alerts.stats().persist.stored == 1
    clock.advance(300)  # the process restarts, well within the 10-minute cooldown
    async with open_store(storage(tmp_path), clock=clock) as store:
        bus = EventBus(clock=clock)
        async with AlertManager(settings, store=store, bus=bus, clock=clock) as alerts:
            assert alerts.stats().loaded == 1
            bus.publish("lane.circuit_opened", opened())
            after_restart = alerts.stats().rules["circuit_opened"]
            clock.advance(300)  # the cooldown has run out
            bus.publish("lane.circuit_opened", opened())
            later = alerts.stats().rules["circuit_opened"]
        [row] = await store.recent_alerts(since=NOW - 3600)
    assert (after_restart.fired, after_restart.suppressed) == (0, 1)
    assert later.fired == 1
    assert row.dedup_key == "circuit:dexscreener.pairs"
    assert row.level == "warning"
    assert row.message.startswith("lane dexscreener.pairs: circuit opened")
    assert (row.first_fired, row.last_fired, row.count) == (NOW, NOW + 600, 2)


async def test_firings_older_than_the_longest_cooldown_are_not_loaded(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = alerts_settings(log={})
    async with open_store(storage(tmp_path), clock=clock) as store:
        async with AlertManager(settings, store=store, clock=clock) as alerts:
            alerts.handle(event("lane.circuit_opened", opened()))
        clock.advance(settings.max_cooldown + 1)
        async with AlertManager(settings, store=store, clock=clock) as alerts:
            assert alerts.stats().loaded == 0
            alerts.handle(event("lane.circuit_opened", opened()))
            assert alerts.stats().rules["circuit_opened"].fired == 1


async def test_a_store_that_cannot_be_read_does_not_stop_the_alerts(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with open_store(storage(tmp_path), clock=clock) as store:
        await store.writer.run_job(lambda c: c.exec_driver_sql("DROP TABLE alerts"))
        async with AlertManager(alerts_settings(log={}), store=store, clock=clock) as alerts:
            alerts.handle(event("storage.failed", StorageFailure("disk full")))
            await until(lambda: alerts.stats().sinks["log"].sent == 1)
            stats = alerts.stats()
    assert stats.load_error is not None
    assert "alerts" in stats.load_error
    assert stats.rules["storage_failed"].fired == 1


# ---------------------------------------------------------------------------
# The bus
# ---------------------------------------------------------------------------


async def test_fired_alerts_are_published_as_alert_level(clock: FakeClock) -> None:
    bus = EventBus(clock=clock)
    with bus.subscribe("alert.*") as sub:
        async with AlertManager(alerts_settings(log={}), bus=bus, clock=clock):
            bus.publish("token.decision_changed", buy(1))
            bus.publish("token.tier_changed", tier_change(2))
        [first, second] = sub.take_nowait()
    assert first.topic == "alert.warning"
    assert second.topic == "alert.info"
    alert = first.payload_as(Alert)
    assert alert.rule == "buy_candidate"
    assert alert.event.topic == "token.decision_changed"
    assert alert.level is AlertLevel.WARNING


async def test_publish_false_keeps_alerts_off_the_bus(clock: FakeClock) -> None:
    bus = EventBus(clock=clock)
    settings = alerts_settings(top={"publish": False}, log={})
    with bus.subscribe("alert.*") as sub:
        async with AlertManager(settings, bus=bus, clock=clock):
            bus.publish("token.decision_changed", buy(1))
        assert sub.take_nowait() == []


async def test_health_events_from_the_monitor_alert(clock: FakeClock) -> None:
    bus = EventBus(clock=clock)
    async with AlertManager(alerts_settings(log={}), bus=bus, clock=clock) as alerts:
        for status in HealthStatus:
            bus.publish(health_topic(status), HealthChanged(status, ("rugcheck: circuit open",)))
        rules = alerts.stats().rules
    assert rules["health_degraded"].fired == 1
    assert rules["health_critical"].fired == 1


async def test_a_payload_a_rule_cannot_read_is_counted_for_that_rule_not_the_bus(
    clock: FakeClock,
) -> None:
    bus = EventBus(clock=clock)
    async with AlertManager(alerts_settings(log={}), bus=bus, clock=clock) as alerts:
        bus.publish("lane.circuit_opened", StorageFailure("not a breaker event"))
        bus.publish("lane.circuit_opened", opened())
        rules = alerts.stats().rules
    assert rules["circuit_opened"].errors == 1
    assert rules["circuit_opened"].fired == 1  # the next good event still alerts
    assert all(x.errors == 0 for x in bus.stats().listeners)


async def test_it_listens_once_per_pattern_and_stops_listening_on_exit(clock: FakeClock) -> None:
    bus = EventBus(clock=clock)
    async with AlertManager(alerts_settings(log={}), bus=bus, clock=clock) as alerts:
        names = sorted(x.name for x in bus.stats().listeners)
        bus.publish("token.scored", object())  # no rule reads it
        assert alerts.stats().events == 0
    assert names == sorted({f"alerts:{p}" for r in alerts.rules for p in r.patterns})
    assert "alerts:token.tier_changed" in names
    assert bus.stats().listeners == ()


async def test_a_tier_change_of_a_watched_avoid_token_fires_each_rule_once(
    clock: FakeClock,
) -> None:
    settings = alerts_settings(rules={"tier_changed": {"to": []}}, log={})
    bus = EventBus(clock=clock)
    ref = token(1)
    payload = TierChanged(ref, Tier.WARM, Tier.COLD, score(ref, decision=Decision.AVOID), True)
    async with AlertManager(settings, bus=bus, clock=clock) as alerts:
        bus.publish("token.tier_changed", payload)
        rules = alerts.stats().rules
    assert rules["tier_changed"].fired == 1
    assert rules["watched_rug"].fired == 1


async def test_disabled_alerts_listen_to_nothing_and_run_no_sink(clock: FakeClock) -> None:
    bus = EventBus(clock=clock)
    settings = AlertsSettings(enabled=False)
    async with AlertManager(settings, bus=bus, clock=clock) as alerts:
        assert bus.stats().listeners == ()
        bus.publish("storage.failed", StorageFailure("x"))
        stats = alerts.stats()
    assert stats.sinks == {}
    assert stats.rules == {}


async def test_a_manager_is_entered_once(clock: FakeClock) -> None:
    alerts = AlertManager(alerts_settings(), clock=clock)
    async with alerts:
        pass
    with pytest.raises(RuntimeError, match="once"):
        await alerts.__aenter__()
