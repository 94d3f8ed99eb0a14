"""``Service``: the Radar kept running (scoring loop, watchlist, reload, watchdog)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from flow.memory import MemoryPlans, memory_budget, solana_tokens
from tokenradar.clock import SYSTEM_CLOCK
from tokenradar.domain import FacetKind, Tier
from tokenradar.flow.lane import LaneState
from tokenradar.flow.limiter import Limiter
from tokenradar.service import watchlist as wl
from tokenradar.service.serve import ConfigRejected, Service
from tokenradar.service.systemd import Notifier
from tokenradar.service.topics import TierChanged, TokenScored
from tokenradar.settings import Settings

MARKET, MINT = FacetKind.MARKET, FacetKind.MINT


def settings_in(tmp_path: Path, **service: Any) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 's.db'}"},
            "discovery": {"enabled": False},  # no real RPC node behind the memory lanes
            "service": {
                "watchlist": str(tmp_path / "watch.txt"),
                "reload_interval": 0.05,
                "score_delay": 0.05,
                "status_interval": 0,
                **service,
            },
        }
    )


@contextlib.asynccontextmanager
async def running(service: Service) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        await asyncio.wait_for(service.ready(), 10)
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def memory_service(settings: Settings, **kw: Any) -> tuple[Service, MemoryPlans]:
    plans = MemoryPlans(SYSTEM_CLOCK)
    service = Service(
        settings,
        kinds=[MARKET, MINT],
        plans={MARKET: plans.plan(MARKET), MINT: plans.plan(MINT, max_batch=100)},
        budgets={"mem": kw.pop("budget", None) or memory_budget(SYSTEM_CLOCK)},
        **kw,
    )
    return service, plans


async def until(predicate: Any, within: float = 10.0) -> None:
    """Poll ``predicate`` (a state of the service, not an event one can await)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"not true within {within}s")
        await asyncio.sleep(0.02)


async def test_tracked_tokens_are_scored_persisted_published_and_their_tier_fed_back(
    tmp_path: Path,
) -> None:
    tokens = solana_tokens(30)
    service, _ = memory_service(settings_in(tmp_path), universe=tokens)
    async with running(service):
        radar = service.radar
        assert radar is not None
        events = radar.subscribe("token.*", maxsize=10_000)
        await until(lambda: service.scoring is not None and service.scoring.stats().scored >= 30)
        await radar.store.writer.flush()
        stored = await radar.store.scores_for(tokens)
        assert set(stored) == set(tokens)
        got = events.take_nowait(10_000)
        scored = [e.payload for e in got if isinstance(e.payload, TokenScored)]
        assert {s.score.token for s in scored} <= set(tokens)
        # absent facets everywhere: the scorer's tier (with no market) becomes the engine's
        first = stored[tokens[0]]
        assert radar.engine.tracked(tokens[0]).tier is first.tier  # type: ignore[union-attr]
        assert any(isinstance(e.payload, TierChanged) for e in got)


async def test_the_watchlist_is_reloaded_on_change_and_a_broken_edit_is_rejected(
    tmp_path: Path,
) -> None:
    settings = settings_in(tmp_path)
    a, b = solana_tokens(2)
    wl.save(settings.service.watchlist, {a: Tier.HOT})
    service, _ = memory_service(settings)
    async with running(service):
        radar = service.radar
        assert radar is not None
        engine = radar.engine
        assert engine.tracked(a) is not None
        rejected = radar.subscribe("config.*")
        wl.add(settings.service.watchlist, [b], Tier.COLD)
        await until(lambda: engine.tracked(b) is not None)
        settings.service.watchlist.write_text(f"{a}\nnot-an-address\n")
        event = await asyncio.wait_for(anext(rejected), 5)
        assert isinstance(event.payload, ConfigRejected)
        assert "watch.txt:2" in event.payload.message
        assert engine.tracked(a) is not None  # the old watchlist is kept
        assert engine.tracked(b) is not None
        settings.service.watchlist.write_text(f"{a}\n")
        await until(lambda: engine.tracked(b) is None)


async def test_a_broken_config_edit_is_rejected_naming_the_key_and_a_good_one_applied(
    tmp_path: Path,
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "s.db"}"\n'
        f'[service]\nwatchlist = "{tmp_path / "w.txt"}"\nreload_interval = "50ms"\n'
        "[discovery]\nenabled = false\n"
    )
    from tokenradar.settings import load_settings

    service, _ = memory_service(load_settings(config), config_path=config)
    async with running(service):
        radar = service.radar
        assert radar is not None
        events = radar.subscribe("config.*")
        old = service.settings
        await asyncio.sleep(0.1)
        config.write_text(config.read_text() + '[tiers.market]\nhot = "fast"\n')
        event = await asyncio.wait_for(anext(events), 5)
        assert isinstance(event.payload, ConfigRejected)
        assert "tiers.market.hot" in event.payload.message
        assert service.settings is old
        await asyncio.sleep(0.1)
        config.write_text(config.read_text().replace('hot = "fast"', 'hot = "5s"'))
        event = await asyncio.wait_for(anext(events), 5)
        assert event.topic == "config.reloaded"
        assert radar.engine.settings.tiers.market.hot == 5.0


class HangsOnce(Limiter):
    """A budget whose first wait never returns (a bug in a budget, say)."""

    hung = False

    async def wait_ready(self, endpoint: str, cost: float = 1) -> None:
        if not self.hung:
            self.hung = True
            await asyncio.Event().wait()
        await super().wait_ready(endpoint, cost)


async def test_a_hung_lane_is_restarted_by_the_watchdog_and_fetching_goes_on(
    tmp_path: Path,
) -> None:
    from tokenradar.flow.limiter import LimitNode
    from tokenradar.settings import Rate

    budget = HangsOnce("mem", root=LimitNode("mem.all", Rate(1000, 1), max_in_flight=8))
    tokens = solana_tokens(10)
    service, plans = memory_service(
        settings_in(tmp_path, stuck_after=0.3), universe=tokens, budget=budget
    )
    async with running(service):
        radar = service.radar
        assert radar is not None
        restarted = radar.subscribe("part.*")
        event = await asyncio.wait_for(anext(restarted), 10)
        assert "lane mem." in event.payload.part
        await until(lambda: sum(len(c.calls) for c in plans.clients.values()) >= 2)
        assert all(lane.state is not LaneState.FAILED for lane in radar.engine.lanes.values())
        assert service.watchdog is not None
        assert service.watchdog.restarts >= 1


async def test_under_systemd_ready_and_stopping_are_notified(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.setblocking(False)
        notifier = Notifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "200000"})
        service, _ = memory_service(settings_in(tmp_path), notifier=notifier)
        async with running(service):
            await asyncio.sleep(0.3)
        got = []
        with contextlib.suppress(BlockingIOError):
            while True:
                got.append(sock.recv(4096).decode())
    assert got[0].startswith("READY=1")
    assert "WATCHDOG=1" in got
    assert got[-1] == "STOPPING=1"


async def test_discovered_tokens_are_tracked_hot_and_dropped_after_their_ttl(
    tmp_path: Path,
) -> None:
    from tokenradar.service.topics import PoolCreated

    service, _ = memory_service(settings_in(tmp_path, discovered_ttl=0.2, max_discovered=3))
    async with running(service):
        radar = service.radar
        assert radar is not None
        pools = radar.subscribe("pool.created")
        new = solana_tokens(5, seed=3)
        for t in new:
            service.on_new_pool(PoolCreated(t, "test", SYSTEM_CLOCK.now(), None))
        assert (await asyncio.wait_for(anext(pools), 5)).payload.token == new[0]
        assert [t for t in new if radar.engine.tracked(t)] == new[2:]  # at most 3, oldest go
        assert radar.engine.tracked(new[4]).tier is Tier.HOT  # type: ignore[union-attr]
        await asyncio.sleep(0.3)
        for t in new[2:]:
            radar.engine.set_tier(t, Tier.COLD)
        assert service.prune() == 3
        assert service.universe().discovered == 0


def test_sigterm_stops_serve_and_its_api_gracefully_with_everything_flushed(
    tmp_path: Path,
) -> None:
    import json
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokenradar.cli", "serve", "--demo", "--demo-tokens", "60",
         "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "TOKENRADAR_SERVICE__STATUS_INTERVAL": "0"},
    )  # fmt: skip
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        if "serve: running" in line:
            break
        assert time.monotonic() < deadline, "serve did not start"
    time.sleep(5.0)  # some scores land
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{base}/health/live", timeout=5) as resp:
        assert json.load(resp) == {"status": "up"}
    with urllib.request.urlopen(f"{base}/api/v1/tokens?limit=5", timeout=5) as resp:
        assert len(json.load(resp)["items"]) == 5  # the API serves the running service's scores
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert time.monotonic() - started < 30  # within [service] shutdown_grace
    assert "serve: stopped" in rest
    assert "Traceback" not in rest
    with sqlite3.connect(tmp_path / "tokenradar.db") as db:
        (history,) = db.execute("SELECT count(*) FROM score_history").fetchone()
        (latest,) = db.execute("SELECT count(*) FROM latest_scores").fetchone()
    assert history > 0
    assert latest > 0
