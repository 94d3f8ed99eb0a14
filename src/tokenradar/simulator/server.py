"""The simulated market as one aiohttp server, startable in-process or from the CLI.

::

    async with run_simulator(SimConfig(tokens=200, latency_median_ms=0, latency_p99_ms=0)) as sim:
        sim.dexscreener_url   # http://127.0.0.1:PORT/dex
        sim.rpc_url, sim.ws_url, sim.rugcheck_url, sim.jupiter_url
        sim.world.tokens      # [TokenRef, ...]
        sim.stats()           # == GET /_sim/stats
        sim.inject("dexscreener", "503", duration=20)

Admin endpoints (never rate limited, never faulted): ``GET /_sim/stats``,
``POST /_sim/stats/reset``, ``GET /_sim/truth/{address}``, ``GET /_sim/tokens``,
``POST /_sim/faults`` (``{"provider", "fault", "share", "duration"}``),
``DELETE /_sim/faults``, ``POST /_sim/ws/faults`` (``{"fault": "drop"|"silent"|"burst",
"refuse_for", "count"}``: see :class:`~tokenradar.simulator.faults.WsFault`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import InvalidAddress, InvalidInput
from tokenradar.simulator.config import SimConfig
from tokenradar.simulator.dexscreener import DexScreenerApi
from tokenradar.simulator.faults import FaultPlan, WsFault
from tokenradar.simulator.gateway import Gateway
from tokenradar.simulator.jupiter import JupiterApi
from tokenradar.simulator.launches import LaunchHub
from tokenradar.simulator.ledger import Ledger
from tokenradar.simulator.limits import InFlight, LimitBook
from tokenradar.simulator.rugcheck import RugCheckApi
from tokenradar.simulator.solana_rpc import SolanaRpcApi
from tokenradar.simulator.stats import Stats
from tokenradar.simulator.world import World


def check_loopback(host: str, what: str = "host") -> None:
    """Refuse a ``host`` that is not this machine's loopback.

    The simulator has no authentication and its admin endpoints inject faults
    and reveal the hidden truth of every token: it serves this machine only.
    """
    if host.lower().rstrip(".") == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise InvalidInput(
        f"{what}: {host!r} is not a loopback address; the simulated market serves this "
        "machine only (127.0.0.1, ::1 or localhost)"
    )


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type="application/json")


class SimulatedMarket:
    """The world plus the HTTP/WebSocket front of the four simulated services."""

    def __init__(self, config: SimConfig | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config or SimConfig()
        self.clock = clock
        self.world = World(self.config, clock)
        self._stats = Stats()
        self._limits = LimitBook(self.config.limits(), enforce=self.config.enforces_limits)
        self._inflight = InFlight()
        self._started = clock.monotonic()
        self._faults = FaultPlan(self.config, self._started)
        self._closing = asyncio.Event()
        self.gateway = Gateway(
            config=self.config,
            clock=clock,
            stats=self._stats,
            limits=self._limits,
            inflight=self._inflight,
            faults=self._faults,
            closing=self._closing,
        )
        self.ledger = Ledger()
        self.launches = LaunchHub(
            self.config, self.world, clock, self._stats, self._closing, ledger=self.ledger
        )
        self.app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._launcher: asyncio.Task[None] | None = None
        self.host = "127.0.0.1"
        self.port = 0

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.add_routes(DexScreenerApi(self.world, self.gateway).routes())
        app.add_routes(
            SolanaRpcApi(
                self.world, self.gateway, self.config.rpc_max_concurrent, self.ledger
            ).routes()
        )
        app.add_routes([web.get("/rpc/ws", self.launches.handle)])
        app.add_routes(RugCheckApi(self.world, self.gateway).routes())
        app.add_routes(JupiterApi(self.world, self.gateway).routes())
        app.add_routes(
            [
                web.get("/", self._index),
                web.get("/_sim/stats", self._get_stats),
                web.post("/_sim/stats/reset", self._reset_stats),
                web.get("/_sim/truth/{address}", self._truth),
                web.get("/_sim/tokens", self._tokens),
                web.post("/_sim/faults", self._post_fault),
                web.delete("/_sim/faults", self._clear_faults),
                web.post("/_sim/ws/faults", self._post_ws_fault),
            ]
        )
        return app

    # -- lifecycle ------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 = a free port). ``host`` must be a loopback
        address (InvalidInput otherwise); a port in use is the OSError of the bind."""
        check_loopback(host)
        if self._runner is not None:
            raise RuntimeError("the simulated market is already running")
        runner = web.AppRunner(
            self.app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        server = site._server  # aiohttp exposes the bound port only here
        assert isinstance(server, asyncio.base_events.Server)
        self.host = host
        self.port = server.sockets[0].getsockname()[1]
        self._launcher = asyncio.create_task(self.launches.run(), name="sim-launcher")

    async def stop(self) -> None:
        self._closing.set()
        if self._launcher is not None:
            self._launcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._launcher
            self._launcher = None
        await self.launches.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- URLs -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def dexscreener_url(self) -> str:
        return self.base_url + "/dex"

    @property
    def rpc_url(self) -> str:
        return self.base_url + "/rpc"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/rpc/ws"

    @property
    def rugcheck_url(self) -> str:
        return self.base_url + "/rugcheck"

    @property
    def jupiter_url(self) -> str:
        return self.base_url + "/jupiter"

    # -- control --------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        now = self.clock.monotonic()
        return {
            "profile": self.config.profile,
            "seed": self.config.seed,
            "tokens": len(self.world.tokens),
            "launches": self.world.launches,
            "uptime_s": now - self._started,
            "world_time": self.world.epoch(self.world.tau()),
            "endpoints": self._stats.as_dict(),
            "limits": self._limits.report(now),
            "max_concurrent": self._inflight.report(),
            "websocket": dict(self._stats.ws),
            "faults_active": self._faults.active(now),
        }

    def reset_stats(self) -> None:
        """Zero every counter and rate-limit window, as if the server had just started."""
        self._stats.reset()
        self._limits.reset()
        self._inflight.reset()

    def inject(self, provider: str, fault: str, *, share: float = 1.0, duration: float) -> None:
        """Answer ``share`` of ``provider``'s requests with ``fault`` for ``duration`` seconds."""
        self._faults.inject(
            provider, fault, share=share, duration=duration, now=self.clock.monotonic()
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    async def ws_fault(self, fault: WsFault) -> dict[str, Any]:
        """Apply a WebSocket fault now; says what it affected."""
        if fault.kind == "drop":
            return {"dropped": self.launches.drop(refuse_for=fault.refuse_for)}
        if fault.kind == "silent":
            return {"silenced": self.launches.silence()}
        launched = await self.launches.burst(fault.count)
        return {"launched": [t.ref.address for t in launched]}

    # -- admin handlers -------------------------------------------------------

    async def _index(self, request: web.Request) -> web.Response:
        return _json(
            {
                "simulator": "tokenradar",
                "profile": self.config.profile,
                "dexscreener": self.dexscreener_url,
                "solana_rpc": self.rpc_url,
                "solana_ws": self.ws_url,
                "rugcheck": self.rugcheck_url,
                "jupiter": self.jupiter_url,
                "stats": self.base_url + "/_sim/stats",
                "example": f"{self.dexscreener_url}/tokens/v1/solana/{self.world.tokens[0].address}"
                if self.world.tokens
                else None,
            }
        )

    async def _get_stats(self, request: web.Request) -> web.Response:
        return _json(self.stats())

    async def _reset_stats(self, request: web.Request) -> web.Response:
        self.reset_stats()
        return _json({"ok": True})

    async def _truth(self, request: web.Request) -> web.Response:
        try:
            truth = self.world.truth(request.match_info["address"])
        except InvalidAddress as exc:
            return _json({"error": str(exc)}, status=404)
        return _json(truth.as_dict())

    async def _tokens(self, request: web.Request) -> web.Response:
        return _json(
            [
                {"chain": t.ref.chain, "address": t.ref.address, "symbol": t.symbol}
                for t in self.world.all_tokens()
            ]
        )

    async def _post_fault(self, request: web.Request) -> web.Response:
        try:
            body = await request.json(loads=orjson.loads)
            if not isinstance(body, dict):
                raise TypeError("expected a JSON object")
            self.inject(
                str(body["provider"]),
                str(body["fault"]),
                share=float(body.get("share", 1.0)),
                duration=float(body["duration"]),
            )
        except (KeyError, TypeError, ValueError, orjson.JSONDecodeError) as exc:
            message = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            return _json({"error": message}, status=400)
        return _json({"ok": True, "active": self._faults.active(self.clock.monotonic())})

    async def _post_ws_fault(self, request: web.Request) -> web.Response:
        try:
            fault = WsFault.parse(await request.json(loads=orjson.loads))
        except (ValueError, orjson.JSONDecodeError) as exc:
            return _json({"error": str(exc)}, status=400)
        return _json({"ok": True, **await self.ws_fault(fault)})

    async def _clear_faults(self, request: web.Request) -> web.Response:
        self.clear_faults()
        return _json({"ok": True})


@contextlib.asynccontextmanager
async def run_simulator(
    config: SimConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock = SYSTEM_CLOCK,
) -> AsyncIterator[SimulatedMarket]:
    """Start a simulated market on ``host:port`` (0 = a free port) for the block's duration."""
    sim = SimulatedMarket(config, clock)
    await sim.start(host, port)
    try:
        yield sim
    finally:
        await sim.stop()
