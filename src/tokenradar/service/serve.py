"""``tokenradar serve``: the Radar kept running over the universe, 24/7.

::

    service = Service(settings, config_path=path)
    await service.run(stop)          # until ``stop`` is set (SIGTERM/SIGINT)

The universe is the watchlist (a file, reloaded when it changes), the tokens
discovery finds (``on_new_pool``: tracked hot at top priority, dropped after
``discovered_ttl`` unless still hot, at most ``max_discovered``) and any tokens
given at start (``universe``: the demo world). Every part runs supervised:

* the **scoring loop** re-scores tokens whose facets changed and feeds tiers back;
* the **watchdog** restarts a lane or the scorer that stops making progress;
* the **reloader** applies a changed config file (scoring, tiers) or watchlist,
  on file change or SIGHUP; an invalid config is rejected with the key named
  (``config.rejected`` event), the old one kept;
* the **pruner** keeps the discovered universe bounded;
* the **health monitor** reports every ``[health] interval`` and publishes
  ``health.changed`` (:mod:`~tokenradar.service.monitor`);
* under systemd, **sd_notify** READY, WATCHDOG and STOPPING.

Shutdown (``stop`` set): the parts stop, what is dirty is scored once more, the
engine hands what landed to the writer and the writer flushes, all within
``shutdown_grace``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenradar.alerts import AlertManager
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.discovery import Discovery
from tokenradar.domain import FacetKind, Tier, TokenRef
from tokenradar.errors import InvalidInput
from tokenradar.flow.limiter import Budget
from tokenradar.flow.plans import LanePlan
from tokenradar.scoring.scorer import Scorer
from tokenradar.service import watchlist as wl
from tokenradar.service.radar import Radar
from tokenradar.service.scoring_loop import ScoringLoop, ScoringStats, hotter
from tokenradar.service.systemd import Notifier
from tokenradar.service.topics import PartEvent, PoolCreated, part_topic
from tokenradar.service.watchdog import Watchdog
from tokenradar.settings import Settings, load_settings
from tokenradar.supervisor import Supervisor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConfigRejected:
    """A changed config or watchlist that could not be applied; the old one is in force."""

    path: str
    message: str


@dataclass(frozen=True, slots=True)
class ConfigReloaded:
    path: str
    applied: tuple[str, ...]  # sections now in force
    needs_restart: tuple[str, ...]  # sections that changed but only apply at the next start


#: sections a running service applies on reload; the others need a restart
LIVE_SECTIONS = ("scoring", "tiers", "service")


@dataclass(frozen=True, slots=True)
class UniverseStats:
    watched: int
    discovered: int
    given: int
    tracked: int


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        config_path: Path | None = None,
        clock: Clock = SYSTEM_CLOCK,
        kinds: Sequence[FacetKind] | None = None,
        plans: Mapping[FacetKind, LanePlan] | None = None,
        budgets: Mapping[str, Budget] | None = None,
        universe: Sequence[TokenRef] = (),
        notifier: Notifier | None = None,
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        self.clock = clock
        self._kinds = kinds
        self._plans = plans
        self._budgets = budgets
        self._given = list(dict.fromkeys(universe))
        self.notifier = notifier or Notifier()
        self._scorer = Scorer(settings.scoring)
        self._watch: dict[TokenRef, Tier] = {}
        self._discovered: OrderedDict[TokenRef, float] = OrderedDict()  # token -> launched at
        self._mtimes: dict[Path, float | None] = {}
        self._reload_now = asyncio.Event()
        self._ready = asyncio.Event()
        self.radar: Radar | None = None
        self.scoring: ScoringLoop | None = None
        self.watchdog: Watchdog | None = None
        self.parts: Supervisor | None = None
        self.alerts: AlertManager | None = None
        self.discovery: Discovery | None = None

    # -- running -------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; then shut down within ``shutdown_grace``."""
        settings = self.settings
        radar = Radar(
            settings, clock=self.clock, kinds=self._kinds, plans=self._plans,
            budgets=self._budgets,
        )  # fmt: skip
        async with radar, contextlib.AsyncExitStack() as parts_stack:
            radar.store.close_grace = settings.service.shutdown_grace
            self.radar = radar
            engine = radar.engine
            scoring = self.scoring = ScoringLoop(
                engine, radar.store, radar.bus, lambda: self._scorer, clock=self.clock,
                max_delay=settings.service.score_delay,
                batch_max=settings.service.score_batch_max,
                floor=self._floor, watched=self._is_watched,
                tier_feedback=settings.service.tier_feedback,
            )  # fmt: skip
            engine.subscribe(scoring.sink, name="scorer")
            parts = self.parts = Supervisor(clock=self.clock, on_event=self._part_event)
            self.watchdog = Watchdog(
                engine, scoring, clock=self.clock, stuck_after=settings.service.stuck_after,
                restart_scorer=lambda reason: parts.restart("scorer", reason),
            )  # fmt: skip
            self._remember_mtimes()
            self._apply_watchlist(self._load_watchlist_or_keep())
            if self._given:
                engine.track(self._given, tier=Tier.WARM)
            # inside the Radar: alerts close (and hand their last firings to the store)
            # and discovery stops before the engine and the store do
            self.alerts = await parts_stack.enter_async_context(
                AlertManager(settings.alerts, store=radar.store, bus=radar.bus, clock=self.clock)
            )
            self.discovery = Discovery(
                settings, on_new=self.on_new_pool, gates=radar.gates(), clock=self.clock,
                on_event=self._part_event,
            )  # fmt: skip
            self.discovery.mark_known([*self._watch, *self._given])
            await parts_stack.enter_async_context(self.discovery)
            parts.spawn("scorer", scoring.run)
            parts.spawn("watchdog", self.watchdog.run)
            parts.spawn("reloader", self._reloader)
            parts.spawn("pruner", self._pruner)
            radar.monitor.watch_parts(parts.stats)
            parts.spawn("health", radar.monitor.run)
            if settings.service.status_interval > 0:
                parts.spawn("status", self._status_loop)
            if self.notifier.watchdog_interval:
                parts.spawn("sd-watchdog", self._sd_watchdog)
            self.notifier.ready(self.status_line())
            self._ready.set()
            log.info("serve: running; %s", self.status_line())
            try:
                await stop.wait()
            finally:
                self.notifier.stopping()
                log.info("serve: stopping (grace %gs)", settings.service.shutdown_grace)
                await parts.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(scoring.score_now(), settings.service.shutdown_grace)
        log.info("serve: stopped")

    async def ready(self) -> None:
        """Return once the service runs (tests, the API's readiness)."""
        await self._ready.wait()

    def request_reload(self) -> None:
        """SIGHUP: check the config and the watchlist now."""
        self._reload_now.set()

    def _part_event(self, event: PartEvent) -> None:
        if self.radar is not None:
            self.radar.bus.publish(part_topic(event), event)

    # -- the universe --------------------------------------------------------

    def _is_watched(self, token: TokenRef) -> bool:
        return token in self._watch  # read at call time: a reload replaces the dict

    def _floor(self, token: TokenRef) -> Tier | None:
        floor = self._watch.get(token)
        launched = self._discovered.get(token)
        if launched is not None and self.clock.now() - launched < self.settings.tiers.launch_window:
            floor = hotter(Tier.HOT, floor)
        return floor

    def on_new_pool(self, event: PoolCreated) -> None:
        """A discovery source found a token: track it hot, ahead of everything."""
        radar = self.radar
        if radar is None:
            return
        token = event.token
        if token in self._discovered or token in self._watch:
            return
        launched = event.created_at or event.detected_at
        self._discovered[token] = launched
        if self.scoring is not None:
            self.scoring.expedite(token)
        radar.engine.track([token], tier=Tier.HOT, launched_at=launched, new_pool=True)
        radar.bus.publish("pool.created", event)
        self._bound_discovered()

    def _bound_discovered(self) -> None:
        limit = self.settings.service.max_discovered
        while len(self._discovered) > limit:
            token, _ = self._discovered.popitem(last=False)
            self._forget(token)

    def _forget(self, token: TokenRef) -> None:
        if self.radar is not None and token not in self._watch and token not in self._given:
            self.radar.engine.untrack([token])

    async def _pruner(self) -> None:
        while True:
            await self.clock.sleep(60.0)
            self.prune()

    def prune(self) -> int:
        """Drop discovered tokens past ``discovered_ttl`` that are not hot now."""
        if self.radar is None:
            return 0
        engine, ttl, now = self.radar.engine, self.settings.service.discovered_ttl, self.clock.now()
        dropped = 0
        for token, launched in list(self._discovered.items()):
            if now - launched < ttl:
                break  # in launch order: the rest are younger
            info = engine.tracked(token)
            if info is not None and info.tier is Tier.HOT:
                continue
            del self._discovered[token]
            self._forget(token)
            dropped += 1
        return dropped

    def _load_watchlist_or_keep(self) -> dict[TokenRef, Tier] | None:
        path = self.settings.service.watchlist
        try:
            return wl.load(path)
        except InvalidInput as exc:
            self._reject(str(path), str(exc))
            return None

    def _apply_watchlist(self, entries: dict[TokenRef, Tier] | None) -> None:
        if entries is None or self.radar is None:
            return
        engine = self.radar.engine
        old = self._watch
        self._watch = entries
        added = [t for t in entries if t not in old]
        for tier in Tier:
            group = [t for t in added if entries[t] is tier]
            if group:
                engine.track(group, tier=tier)
        for token in [t for t in old if t not in entries]:
            if token not in self._discovered and token not in self._given:
                engine.untrack([token])
        for token, tier in entries.items():
            if token in old and old[token] is not tier:
                engine.set_tier(token, tier)
        if added or len(old) != len(entries):
            log.info("watchlist: %d tokens (%d added)", len(entries), len(added))

    def watchlist(self) -> dict[TokenRef, Tier]:
        """The watchlist in force (what the file said when it was last applied)."""
        return dict(self._watch)

    def watch_add(
        self, tokens: Sequence[TokenRef], tier: Tier | None = None
    ) -> dict[TokenRef, Tier]:
        """Add ``tokens`` to the watchlist file and apply it now; returns the file's entries."""
        entries = wl.add(self.settings.service.watchlist, tokens, tier)
        self.request_reload()
        return entries

    def watch_remove(
        self, tokens: Sequence[TokenRef]
    ) -> tuple[dict[TokenRef, Tier], list[TokenRef]]:
        """Remove ``tokens`` from the file and apply it now; also returns those not on it."""
        entries, missing = wl.remove(self.settings.service.watchlist, tokens)
        self.request_reload()
        return entries, missing

    def universe(self) -> UniverseStats:
        tracked = self.radar.engine.stats().tracked if self.radar is not None else 0
        return UniverseStats(len(self._watch), len(self._discovered), len(self._given), tracked)

    # -- reloading -----------------------------------------------------------

    def _watched_files(self) -> list[Path]:
        files = [self.settings.service.watchlist]
        if self.config_path is not None:
            files.append(self.config_path)
        return files

    @staticmethod
    def _mtime(path: Path) -> float | None:
        try:
            return path.stat().st_mtime_ns / 1e9
        except OSError:
            return None

    def _remember_mtimes(self) -> None:
        self._mtimes = {p: self._mtime(p) for p in self._watched_files()}

    async def _reloader(self) -> None:
        interval = self.settings.service.reload_interval
        while True:
            waker = asyncio.ensure_future(self._reload_now.wait())
            sleeper = asyncio.ensure_future(self.clock.sleep(interval))
            try:
                await asyncio.wait({waker, sleeper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waker.cancel()
                sleeper.cancel()
            forced = self._reload_now.is_set()
            self._reload_now.clear()
            self.reload(force=forced)

    def reload(self, *, force: bool = False) -> None:
        """Apply what changed in the config file and the watchlist (all when ``force``)."""
        files = self._watched_files()
        changed = [p for p in files if force or self._mtime(p) != self._mtimes.get(p)]
        self._remember_mtimes()
        if self.config_path is not None and self.config_path in changed:
            self._reload_config(self.config_path)
        if force or self.settings.service.watchlist in changed:
            self._apply_watchlist(self._load_watchlist_or_keep())

    def _reload_config(self, path: Path) -> None:
        try:
            new = load_settings(path)
        except InvalidInput as exc:
            self._reject(str(path), str(exc))
            return
        old = self.settings
        diff = [name for name in type(old).model_fields if getattr(old, name) != getattr(new, name)]
        live = tuple(n for n in diff if n in LIVE_SECTIONS)
        later = tuple(n for n in diff if n not in LIVE_SECTIONS)
        kept = {n: getattr(old, n) for n in later}
        self.settings = new.model_copy(update=kept)
        if "scoring" in live:
            self._scorer = Scorer(self.settings.scoring)
        if self.scoring is not None:
            self.scoring.tier_feedback = self.settings.service.tier_feedback
        if self.radar is not None:
            engine = self.radar.engine
            engine.settings = engine.settings.model_copy(update={"tiers": self.settings.tiers})
            if "scoring" in live and self.scoring is not None:
                self.scoring.mark([*self._watch, *self._discovered])
            self.radar.bus.publish("config.reloaded", ConfigReloaded(str(path), live, later))
        if later:
            log.warning("config: %s changed; applied at the next start", ", ".join(later))
        if live:
            log.info("config: applied %s from %s", ", ".join(live), path)

    def _reject(self, path: str, message: str) -> None:
        log.error("config: %s rejected, the previous one stays in force: %s", path, message)
        if self.radar is not None:
            self.radar.bus.publish("config.rejected", ConfigRejected(path, message))

    # -- status --------------------------------------------------------------

    def status_line(self) -> str:
        if self.radar is None:
            return "starting"
        u = self.universe()
        health = self.radar.health()
        scored = self.scoring.stats().scored if self.scoring is not None else 0
        return (
            f"{u.tracked} tokens tracked ({u.watched} watched, {u.discovered} discovered), "
            f"{scored} scores, health {health.status.value}"
            + (f": {'; '.join(health.reasons)}" if health.reasons else "")
        )

    def scoring_stats(self) -> ScoringStats | None:
        return self.scoring.stats() if self.scoring is not None else None

    async def _status_loop(self) -> None:
        while True:
            await self.clock.sleep(self.settings.service.status_interval)
            line = self.status_line()
            log.info("serve: %s", line)
            self.notifier.status(line)

    async def _sd_watchdog(self) -> None:
        interval = self.notifier.watchdog_interval
        assert interval is not None
        while True:
            self.notifier.watchdog()
            await self.clock.sleep(interval / 2)
