"""Fixtures for the alert tests: events, a fake clock, loopback servers.

``serve(app)`` starts an aiohttp app on 127.0.0.1 and returns its base URL;
:mod:`tests.alerts.services` has apps that speak the webhook, Slack, Discord
and Telegram APIs and record what they received. ``until(cond)`` waits (real
time, bounded) for something the sink tasks do over real sockets; the fake
clock moves only when a test advances it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import base58
import pytest
from aiohttp import web

from tokenradar.alerts import Alert, AlertLevel
from tokenradar.clock import FakeClock
from tokenradar.domain import CheckResult, CheckState, Decision, FacetKind, Score, Tier, TokenRef
from tokenradar.events import AnyEvent, Event
from tokenradar.service.topics import DecisionChanged, TierChanged
from tokenradar.settings.alerts import AlertsSettings

Serve = Callable[[web.Application], Awaitable[str]]
NOW = 1_800_000_000.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=NOW)


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def _serve(app: web.Application) -> str:
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    yield _serve
    for runner in reversed(runners):
        await runner.cleanup()


async def until(cond: Callable[[], bool], *, within: float = 5.0, what: str = "") -> None:
    """Wait, in real time, until ``cond()`` holds (sockets need real time to answer)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await asyncio.sleep(0.002)


async def settle(seconds: float = 0.05) -> None:
    """Give the tasks real time to do something they should not do."""
    await asyncio.sleep(seconds)


def token(i: int) -> TokenRef:
    """A valid, distinct Solana token for each ``i``."""
    raw = (i + 1).to_bytes(8, "big") + b"\x07" * 24
    return TokenRef("solana", base58.b58encode(raw).decode())


def gate(name: str, state: CheckState, reason: str = "") -> CheckResult:
    return CheckResult(
        name=name,
        state=state,
        value=None,
        source=FacetKind.MINT,
        age_s=1.0,
        points=0.0,
        max_points=10.0,
        gate=True,
        reason=reason,
    )


def score(
    ref: TokenRef,
    *,
    value: float | None = 82.0,
    tier: Tier = Tier.HOT,
    decision: Decision = Decision.WATCH,
    checks: tuple[CheckResult, ...] = (),
) -> Score:
    return Score(
        token=ref,
        score=value,
        safety=90.0,
        momentum=64.0,
        tier=tier,
        decision=decision,
        confidence=0.91,
        scored_at=NOW,
        checks=checks,
    )


_ids = iter(range(1, 10**9))


def event(topic: str, payload: Any) -> AnyEvent:
    return Event(next(_ids), topic, payload, NOW)


def tier_change(i: int, old: Tier | None = Tier.WARM, new: Tier = Tier.HOT) -> TierChanged:
    ref = token(i)
    return TierChanged(ref, old, new, score(ref, tier=new), False)


def buy(i: int) -> DecisionChanged:
    ref = token(i)
    s = score(ref, decision=Decision.BUY_CANDIDATE)
    return DecisionChanged(ref, Decision.WATCH, Decision.BUY_CANDIDATE, s, False)


def alerts_settings(
    rules: dict[str, Any] | None = None, top: dict[str, Any] | None = None, **sinks: dict[str, Any]
) -> AlertsSettings:
    """Only the sinks named (the log sink only if named), the rules at their defaults;
    ``top`` holds the other ``[alerts]`` keys."""
    tables: dict[str, Any] = {"log": {"enabled": False}}
    for name, keys in sinks.items():
        tables[name] = {"enabled": True, **keys}
    return AlertsSettings.model_validate({"sinks": tables, "rules": rules or {}, **(top or {})})


def make_alert(
    message: str = "solana:x became a buy candidate",
    *,
    rule: str = "buy_candidate",
    level: AlertLevel = AlertLevel.WARNING,
    key: str = "buy:solana:x",
) -> Alert:
    return Alert(rule, level, message, key, "solana:x", event("token.decision_changed", None), NOW)
