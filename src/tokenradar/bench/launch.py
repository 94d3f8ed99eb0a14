"""Benchmark: from a pool's detection to its stored decision, while a universe refreshes.

    tokenradar bench launch [--tokens 10000] [--seconds 60] [--launch-rate 0.5]

A simulated market (``public`` profile and latency) launching a pool every
``1 / launch_rate`` seconds, announced over ``logsSubscribe``; ``serve``'s
:class:`~tokenradar.service.serve.Service` tracks the whole world (``tokens``
tokens refreshing at their tiers) and discovers the launches. For each launch:

* **first decision**: from the ``pool.created`` event (detection) to the commit
  of its first score in the database (a decision a sniper can act on; it says
  which facets it still lacks);
* **all facets**: until every facet of it has landed (market, mint, holders,
  risk, price), the scarcest budgets (holders, RugCheck) decide this one.

Reported as p50/p99 beside the simulator's upstream round trip, with the target
p99(first decision) <= upstream p99 + 250 ms. :func:`run_launch` also returns
the order lanes took tokens in, so a test can check that a new pool is fetched
ahead of every cold token that was due (``tests/service/test_launch_priority.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenradar.domain import Facet, FacetKind, FacetState, TokenRef
from tokenradar.events import Event
from tokenradar.service.serve import Service
from tokenradar.service.topics import PoolCreated
from tokenradar.settings import Settings
from tokenradar.simulator import SimConfig, run_simulator
from tokenradar.simulator.pointing import pointed_at
from tokenradar.store import CommittedBatch


@dataclass(slots=True)
class LaunchRun:
    """What one run saw, on the monotonic clock."""

    detected: dict[TokenRef, float] = field(default_factory=dict)
    first_stored: dict[TokenRef, float] = field(default_factory=dict)
    all_facets: dict[TokenRef, float] = field(default_factory=dict)
    #: (landed at, token, kind) of every facet that landed, in order
    landed: list[tuple[float, TokenRef, FacetKind]] = field(default_factory=list)
    #: (taken at, kind, tokens) of every batch a lane took, in order
    taken: list[tuple[float, FacetKind, tuple[TokenRef, ...]]] = field(default_factory=list)
    upstream_p50_ms: float = 0.0
    upstream_p99_ms: float = 0.0
    universe: int = 0


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_launch(
    tokens: int, seconds: float, launch_rate: float, *, seed: int = 7
) -> LaunchRun:
    run = LaunchRun()
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="tokenradar-launch-") as tmp:
        config = SimConfig(tokens=tokens, seed=seed, launch_rate=launch_rate)
        run.upstream_p50_ms, run.upstream_p99_ms = config.latency_median_ms, config.latency_p99_ms
        async with run_simulator(config) as sim:
            universe = list(sim.world.initial_tokens)
            run.universe = len(universe)
            settings = Settings.model_validate(
                {
                    "storage": {"url": f"sqlite:///{Path(tmp) / 'launch.db'}"},
                    "service": {"watchlist": str(Path(tmp) / "w.txt"), "status_interval": 0},
                    "alerts": {"enabled": False},
                    # the feeds find the same launches later; this measures the logs path
                    "discovery": {"profiles": False, "boosts": False},
                }
            )
            settings = pointed_at(settings, sim)
            service = Service(settings, universe=universe)
            stop = asyncio.Event()
            task = asyncio.create_task(service.run(stop))
            try:
                await service.ready()
                radar = service.radar
                assert radar is not None
                kinds = set(radar.engine.kinds)
                have: dict[TokenRef, set[FacetKind]] = {}

                def pool(event: Event[Any]) -> None:
                    if isinstance(event.payload, PoolCreated):
                        run.detected.setdefault(event.payload.token, loop.time())

                def committed(batch: CommittedBatch) -> None:
                    now = loop.time()
                    for token, _ in batch.history:
                        if token in run.detected:
                            run.first_stored.setdefault(token, now)

                async def sink(facets: Sequence[Facet[Any]]) -> None:
                    now = loop.time()
                    for f in facets:
                        run.landed.append((now, f.token, f.kind))
                        if f.token in run.detected and f.state is not FacetState.ERROR:
                            got = have.setdefault(f.token, set())
                            got.add(f.kind)
                            if got >= kinds:
                                run.all_facets.setdefault(f.token, now)

                for kind, lane in radar.engine.lanes.items():
                    lane.add_batch_listener(_recorder(run, kind, loop))
                radar.bus.listen("pool.created", pool)
                radar.store.writer.add_listener(committed)
                radar.engine.subscribe(sink, name="bench")
                await asyncio.sleep(seconds)
                # let the last launches land before stopping
                await asyncio.sleep(min(10.0, seconds / 4))
            finally:
                stop.set()
                with contextlib.suppress(Exception):
                    await task
    return run


def _recorder(
    run: LaunchRun, kind: FacetKind, loop: asyncio.AbstractEventLoop
) -> Callable[[list[tuple[TokenRef, int]]], None]:
    def record(batch: list[tuple[TokenRef, int]]) -> None:
        run.taken.append((loop.time(), kind, tuple(t for t, _ in batch)))

    return record


@dataclass(frozen=True, slots=True)
class LaunchResult:
    launches: int
    decided: int
    completed: int
    p50_ms: float
    p99_ms: float
    all_facets_p50_s: float
    all_facets_p99_s: float
    upstream_p50_ms: float
    upstream_p99_ms: float
    universe: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "launches": self.launches,
            "decided": self.decided,
            "completed": self.completed,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "all_facets_p50_s": self.all_facets_p50_s,
            "all_facets_p99_s": self.all_facets_p99_s,
            "upstream_p50_ms": self.upstream_p50_ms,
            "upstream_p99_ms": self.upstream_p99_ms,
            "target_p99_ms": self.upstream_p99_ms + 250.0,
            "universe": self.universe,
        }

    def report(self) -> str:
        target = self.upstream_p99_ms + 250.0
        verdict = "meets" if self.p99_ms <= target else "misses"
        return "\n".join(
            [
                f"{self.launches} launches detected while {self.universe} tokens refreshed; "
                f"{self.decided} got a stored decision, {self.completed} all five facets",
                f"detection -> stored decision: p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms "
                f"(upstream round trip p50 {self.upstream_p50_ms:.0f} ms, "
                f"p99 {self.upstream_p99_ms:.0f} ms; target p99 <= {target:.0f} ms: {verdict})",
                f"detection -> all facets: p50 {self.all_facets_p50_s:.1f} s, "
                f"p99 {self.all_facets_p99_s:.1f} s (holders and RugCheck budgets)",
            ]
        )


def summarise(run: LaunchRun) -> LaunchResult:
    first = [
        (run.first_stored[t] - d) * 1000 for t, d in run.detected.items() if t in run.first_stored
    ]
    full = [run.all_facets[t] - d for t, d in run.detected.items() if t in run.all_facets]
    return LaunchResult(
        launches=len(run.detected),
        decided=len(first),
        completed=len(full),
        p50_ms=round(statistics.median(first), 1) if first else float("nan"),
        p99_ms=round(_pct(first, 0.99), 1),
        all_facets_p50_s=round(statistics.median(full), 2) if full else float("nan"),
        all_facets_p99_s=round(_pct(full, 0.99), 2),
        upstream_p50_ms=run.upstream_p50_ms,
        upstream_p99_ms=run.upstream_p99_ms,
        universe=run.universe,
    )


async def run_launch_bench(tokens: int, seconds: float, launch_rate: float) -> LaunchResult:
    return summarise(await run_launch(tokens, seconds, launch_rate))
