"""``Discovery``: every configured source of new tokens, supervised, behind one callback.

::

    async with Discovery(settings, on_new=handle, gates=gates, on_event=report) as discovery:
        ...                                   # handle(PoolCreated) is called as tokens appear
        discovery.stats()                     # {"logs:6EF8…": SourceStats(...), ...}

Sources (each a part of a :class:`~tokenradar.supervisor.Supervisor`, named as
its stats are): ``logs:<program id>`` per configured program
(:class:`~tokenradar.discovery.logs.LogsListener`, when ``discovery.logs`` and
the ``solana_rpc`` provider are enabled), ``dexscreener.profiles`` and
``dexscreener.boosts`` (:class:`~tokenradar.discovery.feeds.FeedPoller`, when
their flags and the ``dexscreener`` provider are enabled). Nothing runs when
``discovery.enabled`` is false.

A token is handed to ``on_new`` once, by the first source that reports it
(a bounded LRU of ``dedup_size`` tokens); later reports count as that source's
``duplicates``. ``on_new`` runs synchronously in the source's task: it must
not block (put the event on a bus or a bounded queue). If it raises, the
error is logged and counted (``callback_errors``) and the source goes on.

Requests go through ``gates`` (``"solana_rpc"``: getSignaturesForAddress,
getTransaction and the logsSubscribe handshake; ``"dexscreener"``: the
"profiles" and "boosts" endpoints), normally the engine's budgets, so
discovery and the scoring lanes share one budget per provider.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType

import aiohttp

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.discovery.backfill import ChainReader
from tokenradar.discovery.feeds import FeedPoller
from tokenradar.discovery.logs import LogsListener
from tokenradar.discovery.programs import PoolProgram, resolve_programs
from tokenradar.discovery.recent import RecentSet
from tokenradar.discovery.stats import SourceStats
from tokenradar.domain import TokenRef
from tokenradar.providers.dexscreener import DexScreenerClient
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.providers.http import USER_AGENT
from tokenradar.providers.solana_rpc import SolanaRpcClient
from tokenradar.service.topics import PoolCreated
from tokenradar.settings import Settings
from tokenradar.supervisor import PartEvent, PartStats, Supervisor

log = logging.getLogger(__name__)

PROFILES = "dexscreener.profiles"
BOOSTS = "dexscreener.boosts"


class DiscoveryNotOpen(RuntimeError):
    """A Discovery was used outside ``async with``."""


class Discovery:
    def __init__(
        self,
        settings: Settings,
        *,
        on_new: Callable[[PoolCreated], None],
        gates: Mapping[str, Gate] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        on_event: Callable[[PartEvent], None] | None = None,
        programs: Mapping[str, PoolProgram] | None = None,
    ) -> None:
        """``gates`` by provider name (missing ones are open); ``on_event`` hears of
        sources that died and are restarted (``part.restarted``) or given up;
        ``programs`` adds or overrides :data:`~tokenradar.discovery.programs.KNOWN_PROGRAMS`.

        Raises :class:`~tokenradar.errors.ConfigError` for a program id with no
        known creation pattern.
        """
        self.settings = settings
        self.clock = clock
        self._on_new = on_new
        self._gates = dict(gates or {})
        self._on_event = on_event
        section = settings.discovery
        self._programs = resolve_programs(section.programs, programs) if section.logs else []
        self._known: RecentSet[TokenRef] = RecentSet(section.dedup_size)
        self._stats: dict[str, SourceStats] = {
            name: SourceStats(name) for name in self._planned_sources()
        }
        self._supervisor: Supervisor | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    def _planned_sources(self) -> list[str]:
        section, providers = self.settings.discovery, self.settings.providers
        if not section.enabled:
            return []
        names: list[str] = []
        if section.logs and providers.solana_rpc.enabled:
            names += [f"logs:{p.program_id}" for p in self._programs]
        if providers.dexscreener.enabled:
            names += [PROFILES] if section.profiles else []
            names += [BOOSTS] if section.boosts else []
        return names

    @property
    def sources(self) -> list[str]:
        """The sources this configuration runs, in start order."""
        return list(self._stats)

    # -- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> Discovery:
        if self._stack is not None:
            raise RuntimeError("this Discovery is already open")
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            supervisor = Supervisor(clock=self.clock, on_event=self._on_event)
            stack.push_async_callback(supervisor.stop)  # runs before the clients close
            self._start_logs(stack, supervisor)
            self._start_feeds(stack, supervisor)
        except BaseException:
            await stack.aclose()
            raise
        self._supervisor = supervisor
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop every source and close the sessions; never raises for what a source died of."""
        stack, self._stack, self._supervisor = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    def _start_logs(self, stack: contextlib.AsyncExitStack, supervisor: Supervisor) -> None:
        names = [n for n in self._stats if n.startswith("logs:")]
        if not names:
            return
        rpc_settings = self.settings.providers.solana_rpc
        gate = self._gates.get("solana_rpc", OPEN_GATE)
        client = SolanaRpcClient(rpc_settings, gate=gate, clock=self.clock)
        stack.push_async_callback(client.aclose)
        # no total timeout: the sockets live for hours; handshakes are bounded by the listener
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(
                total=None, connect=rpc_settings.timeout, sock_connect=rpc_settings.timeout
            ),
            headers={"User-Agent": USER_AGENT},
        )
        stack.push_async_callback(session.close)
        reader = ChainReader(client)
        for program in self._programs:
            stats = self._stats[f"logs:{program.program_id}"]
            listener = LogsListener(
                program,
                ws_url=rpc_settings.websocket_url,
                settings=self.settings.discovery,
                reader=reader,
                session=session,
                emit=self._emitter(stats),
                stats=stats,
                gate=gate,
                clock=self.clock,
                timeout=rpc_settings.timeout,
            )
            supervisor.spawn(stats.source, listener.run)

    def _start_feeds(self, stack: contextlib.AsyncExitStack, supervisor: Supervisor) -> None:
        feeds = [n for n in (PROFILES, BOOSTS) if n in self._stats]
        if not feeds:
            return
        section = self.settings.discovery
        client = DexScreenerClient(
            self.settings.providers.dexscreener,
            gate=self._gates.get("dexscreener", OPEN_GATE),
            clock=self.clock,
        )
        stack.push_async_callback(client.aclose)

        async def profiles() -> list[TokenRef]:
            return [p.token for p in await client.latest_profiles()]

        async def boosts() -> list[TokenRef]:
            return [b.token for b in await client.latest_boosts()]

        fetchers = {PROFILES: (profiles, section.profiles_interval)}
        fetchers[BOOSTS] = (boosts, section.boosts_interval)
        for name in feeds:
            fetch, interval = fetchers[name]
            poller = FeedPoller(
                name,
                fetch,
                interval=interval,
                emit=self._emitter(self._stats[name]),
                stats=self._stats[name],
                dedup_size=section.dedup_size,
                clock=self.clock,
            )
            supervisor.spawn(name, poller.run)

    # -- tokens ----------------------------------------------------------------

    def _emitter(self, stats: SourceStats) -> Callable[[PoolCreated], bool]:
        def emit(event: PoolCreated) -> bool:
            return self._offer(stats, event)

        return emit

    def _offer(self, stats: SourceStats, event: PoolCreated) -> bool:
        stats.seen += 1
        if not self._known.add(event.token):
            stats.duplicates += 1
            return False
        stats.new += 1
        try:
            self._on_new(event)
        except Exception:  # the callback's bug must not stop discovery
            stats.callback_errors += 1
            log.exception("discovery: on_new failed on %s from %s", event.token, event.source)
        return True

    def mark_known(self, tokens: Iterable[TokenRef]) -> None:
        """Tokens already tracked elsewhere: reporting them later is a duplicate, not new."""
        for token in tokens:
            self._known.add(token)

    # -- observing -------------------------------------------------------------

    def stats(self) -> dict[str, SourceStats]:
        """A copy of every source's counters, by source name."""
        return {name: dataclasses.replace(s) for name, s in self._stats.items()}

    def parts(self) -> list[PartStats]:
        """The supervised sources: running, backing off after a crash, or given up."""
        if self._supervisor is None:
            raise DiscoveryNotOpen("Discovery.parts() needs `async with Discovery(...)`")
        return self._supervisor.stats()
