"""The alert manager: rules on the bus, cooldowns kept in the store, one worker per sink.

::

    async with AlertManager(settings.alerts, store=store, bus=bus, clock=clock) as alerts:
        ...                       # events on the bus become alerts
        alerts.stats()            # per sink, per rule, persistence

Entering loads the dedup keys fired within the longest cooldown from the store
(so a restart does not repeat them), opens the sinks' sessions, starts one
worker per sink and the persistence task, and listens on the bus with one
listener per distinct rule pattern. :meth:`AlertManager.handle` (what those
listeners call) is synchronous and never waits: per event it runs the rules
for its topic, applies the cooldowns, records the firing for the store, offers
the alert to each sink's bounded queue and (with ``publish``) publishes it as
``alert.<level>``. Nothing it does can fail the publisher: a rule that cannot
read an event counts an error for that rule.

Leaving stops listening, gives the sinks ``close_grace`` seconds to deliver
what they hold (what is left is logged, never silently dropped), hands the
last firings to the store, and closes the sessions. The store and the bus
belong to the caller, who closes them afterwards.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from types import TracebackType

from tokenradar.alerts.cooldowns import Cooldowns
from tokenradar.alerts.delivery import SinkWorker
from tokenradar.alerts.model import Alert
from tokenradar.alerts.persist import Persister
from tokenradar.alerts.rules import Rule, build_rules
from tokenradar.alerts.sinks import Sink, build_sinks
from tokenradar.alerts.stats import AlertStats, RuleStats
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import TokenradarError
from tokenradar.events import AnyEvent, EventBus, Listener, topic_matches
from tokenradar.events.subscription import log_now
from tokenradar.settings.alerts import AlertsSettings, SinkSettings
from tokenradar.store import AlertFire, Store

log = logging.getLogger("tokenradar.alerts")


class _RuleCounts:
    __slots__ = ("errors", "fired", "suppressed")

    def __init__(self) -> None:
        self.fired = self.suppressed = self.errors = 0


class AlertManager:
    """Turns bus events into alerts on the configured sinks; see the module docstring."""

    def __init__(
        self,
        settings: AlertsSettings,
        *,
        store: Store | None = None,
        bus: EventBus | None = None,
        clock: Clock = SYSTEM_CLOCK,
        sinks: Sequence[tuple[Sink, SinkSettings]] | None = None,
    ) -> None:
        """``sinks`` replaces the sinks built from ``settings.sinks`` (for an embedding
        that brings its own); by default every enabled ``[alerts.sinks.*]`` is built."""
        self.settings = settings
        self.store = store
        self.bus = bus
        self.clock = clock
        rules = build_rules(settings.rules) if settings.enabled else []
        self.rules: tuple[Rule, ...] = tuple(rules)
        nouns = {rule.name: rule.nouns for rule in self.rules}
        if sinks is None:
            sinks = build_sinks(settings.sinks, clock=clock) if settings.enabled else []
        self.workers: tuple[SinkWorker, ...] = tuple(
            SinkWorker(sink, s, nouns=nouns, clock=clock) for sink, s in sinks
        )
        names = [w.name for w in self.workers]
        if len(set(names)) != len(names):
            raise ValueError(f"alert sinks need distinct names, got {names}")
        horizon = max((rule.cooldown for rule in self.rules), default=0.0)
        self.cooldowns = Cooldowns(max_keys=settings.max_keys, horizon=horizon)
        self.persister = (
            None if store is None else Persister(store.writer, maxsize=settings.persist_queue)
        )
        self._counts = {rule.name: _RuleCounts() for rule in self.rules}
        self._by_topic: dict[tuple[str, str], tuple[Rule, ...]] = {}
        self._listeners: list[Listener] = []
        self._events = 0
        self._loaded = 0
        self._load_error: str | None = None
        self._entered = False

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> AlertManager:
        if self._entered:
            raise RuntimeError("an AlertManager is entered once")
        self._entered = True
        await self._load_cooldowns()
        opened: list[SinkWorker] = []
        try:
            for worker in self.workers:
                await worker.sink.open()
                opened.append(worker)
        except BaseException:
            for worker in opened:
                await worker.sink.aclose()
            raise
        for worker in self.workers:
            worker.start()
        if self.persister is not None:
            self.persister.start()
        if self.bus is not None:
            patterns = dict.fromkeys(p for rule in self.rules for p in rule.patterns)
            for pattern in patterns:
                callback = functools.partial(self._on_event, pattern)
                self._listeners.append(self.bus.listen(pattern, callback, name=f"alerts:{pattern}"))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop listening, let the sinks deliver within ``close_grace``, store the last firings."""
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()
        grace = self.settings.close_grace
        await asyncio.gather(*(w.stop(grace) for w in self.workers))
        if self.persister is not None:
            await self.persister.stop(grace)
        for worker in self.workers:
            try:
                await worker.sink.aclose()
            except Exception:
                log.exception("alert sink %s: closing it failed", worker.name)

    async def _load_cooldowns(self) -> None:
        horizon = self.cooldowns.horizon
        if self.store is None or horizon <= 0:
            return
        since = self.clock.now() - horizon
        try:
            states = await self.store.recent_alerts(since=since, limit=self.settings.max_keys)
        except TokenradarError as exc:
            # alerting matters more than dedup: start, say that repeats may follow
            self._load_error = str(exc)
            log.error("alerts: cooldowns not loaded, recent alerts may repeat once: %s", exc)
            return
        self._loaded = self.cooldowns.load((s.dedup_key, s.last_fired) for s in states)
        log.info("alerts: %d cooldowns loaded from the store", self._loaded)

    # -- events ------------------------------------------------------------------

    def handle(self, event: AnyEvent) -> None:
        """Run every rule that reads ``event.topic`` on it (synchronous, never raises)."""
        self._evaluate(
            tuple(r for r in self.rules if any(topic_matches(p, event.topic) for p in r.patterns)),
            event,
        )

    def _on_event(self, pattern: str, event: AnyEvent) -> None:
        # one listener per distinct pattern; a rule runs under the first of its
        # patterns that matches, so overlapping patterns cannot fire it twice
        key = (pattern, event.topic)
        rules = self._by_topic.get(key)
        if rules is None:
            rules = tuple(r for r in self.rules if _first_match(r.patterns, event.topic) == pattern)
            self._by_topic[key] = rules
        self._evaluate(rules, event)

    def _evaluate(self, rules: tuple[Rule, ...], event: AnyEvent) -> None:
        if not rules:
            return
        self._events += 1
        for rule in rules:
            counts = self._counts[rule.name]
            try:
                finding = rule.evaluate(event)
            except Exception as exc:
                counts.errors += 1
                if log_now(counts.errors):
                    log.error(
                        "alert rule %s cannot read event %d (%s): %s (%d errors so far)",
                        rule.name,
                        event.id,
                        event.topic,
                        exc,
                        counts.errors,
                        exc_info=not isinstance(exc, TypeError),  # TypeError: a wrong payload
                    )
                continue
            if finding is None:
                continue
            now = self.clock.now()
            if not self.cooldowns.try_fire(finding.dedup_key, rule.cooldown, now):
                counts.suppressed += 1
                continue
            counts.fired += 1
            self._fire(Alert.of(rule.name, finding, event, now))

    def _fire(self, alert: Alert) -> None:
        if self.persister is not None:
            self.persister.offer(
                AlertFire(alert.dedup_key, alert.level.value, alert.message, alert.fired_at)
            )
        for worker in self.workers:
            worker.offer(alert)
        if self.settings.publish and self.bus is not None:
            self.bus.publish(f"alert.{alert.level.value}", alert)

    # -- stats -------------------------------------------------------------------

    def stats(self) -> AlertStats:
        return AlertStats(
            events=self._events,
            rules={
                name: RuleStats(name, c.fired, c.suppressed, c.errors)
                for name, c in self._counts.items()
            },
            sinks={w.name: w.stats() for w in self.workers},
            persist=None if self.persister is None else self.persister.stats(),
            keys=len(self.cooldowns),
            evicted=self.cooldowns.evicted,
            loaded=self._loaded,
            load_error=self._load_error,
        )


def _first_match(patterns: tuple[str, ...], topic: str) -> str | None:
    return next((p for p in patterns if topic_matches(p, topic)), None)
