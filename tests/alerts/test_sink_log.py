"""The log sink: one structured line per notice, at the alert's level."""

from __future__ import annotations

import logging

import pytest

from tokenradar.alerts import AlertManager
from tokenradar.clock import FakeClock

from .conftest import alerts_settings, buy, event, tier_change, until


async def test_an_alert_is_one_structured_line_at_its_level(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "tokenradar.alerts")
    alerts = AlertManager(alerts_settings(log={}), clock=clock)
    async with alerts:
        e = event("token.decision_changed", buy(1))
        alerts.handle(e)
        await until(lambda: alerts.stats().sinks["log"].sent == 1)
    [record] = [r for r in caplog.records if r.getMessage().startswith("alert ")]
    assert record.levelno == logging.WARNING
    line = record.getMessage()
    assert line.startswith("alert level=warning rule=buy_candidate key=buy:solana:")
    assert f"event={e.id} topic=token.decision_changed" in line
    assert 'message="solana:' in line
    assert record.alert["dedup_key"].startswith("buy:solana:")  # type: ignore[attr-defined]


async def test_a_digest_is_one_line_with_its_counts(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "tokenradar.alerts")
    alerts = AlertManager(alerts_settings(log={"rate": "1/1m"}), clock=clock)
    async with alerts:
        for i in range(4):
            alerts.handle(event("token.tier_changed", tier_change(i)))
        await until(lambda: alerts.stats().sinks["log"].pending_digest == 3)
        clock.advance(60)
        await until(lambda: alerts.stats().sinks["log"].digests == 1)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("alert")]
    assert len(lines) == 2
    assert lines[1].startswith("alert-digest level=info count=3 by_rule=tier_changed:3 ")
    assert 'message="+ 3 more alerts in the last 60s: 3 tier changes"' in lines[1]
