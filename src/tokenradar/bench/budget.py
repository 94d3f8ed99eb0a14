"""Benchmark: market-facet tokens/s under DexScreener's public limit.

    tokenradar bench budget [--tokens 10000] [--seconds 60] [--json]

One simulated market (``public`` profile, default latency), two runs of
``seconds`` each, one after the other, with the server's counters and windows
reset in between:

1. **tokenradar**: the engine's market lane scans ``tokens`` tokens, 30 per
   request, under the budget of 300 requests per 60 s;
2. **naive**: the original design (:mod:`tokenradar.bench.naive`): one request
   per token under a semaphore and an error-rate AIMD limiter.

Reported: tokens answered per second over the run, the ratio to the physical
limit (requests/s allowed × tokens per request = 150 tokens/s), requests and
429s *as the server counted them*, and the speed-up. Runs shorter than the
limit's 60 s window flatter the naive design (it spends the window's whole
allowance at once, then gets nothing but 429s until the window frees), so the
default is one full window.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tokenradar.bench.naive import NaiveRun, naive_scan
from tokenradar.domain import Facet, FacetKind, FacetState
from tokenradar.errors import InvalidInput
from tokenradar.flow.engine import Engine
from tokenradar.settings import Settings
from tokenradar.simulator import SimConfig, SimulatedMarket, run_simulator

MARKET_ENDPOINT = "dexscreener.tokens"


@dataclass(frozen=True, slots=True)
class RunResult:
    name: str
    seconds: float
    tokens: int  # tokens answered (ok or absent) within the run
    tokens_per_s: float
    requests: int  # as the server counted them
    rate_limited: int  # 429s the server sent
    mean_batch: float | None  # tokens per request the server saw


@dataclass(frozen=True, slots=True)
class BudgetResult:
    physical_limit: float  # tokens/s the public limit allows
    engine: RunResult
    naive: RunResult

    @property
    def of_limit(self) -> float:
        return self.engine.tokens_per_s / self.physical_limit

    @property
    def speedup(self) -> float:
        return self.engine.tokens_per_s / max(self.naive.tokens_per_s, 1e-9)

    def as_dict(self) -> dict[str, Any]:
        return {
            "physical_limit_tokens_per_s": self.physical_limit,
            "engine": asdict(self.engine),
            "naive": asdict(self.naive),
            "engine_of_limit": round(self.of_limit, 4),
            "speedup": round(self.speedup, 2),
        }

    def report(self) -> str:
        rows = [
            f"{'run':<12} {'tokens/s':>9} {'of limit':>9} {'tokens':>7} "
            f"{'requests':>9} {'429s':>6} {'mean batch':>11}"
        ]
        for r in (self.engine, self.naive):
            batch = f"{r.mean_batch:.1f}" if r.mean_batch else "-"
            rows.append(
                f"{r.name:<12} {r.tokens_per_s:>9.1f} {r.tokens_per_s / self.physical_limit:>9.3f} "
                f"{r.tokens:>7} {r.requests:>9} {r.rate_limited:>6} {batch:>11}"
            )
        rows.append(
            f"physical limit {self.physical_limit:.0f} tokens/s; "
            f"engine at {self.of_limit:.3f} of it (target >= 0.95); "
            f"{self.speedup:.1f}x the naive design (target >= 25x); "
            f"{self.engine.seconds:.0f} s per run"
        )
        return "\n".join(rows)


def _server(sim: SimulatedMarket) -> tuple[int, int, float | None]:
    e = sim.stats()["endpoints"].get(MARKET_ENDPOINT, {})
    return e.get("received", 0), e.get("rate_limited", 0), e.get("mean_batch")


async def _engine_run(sim: SimulatedMarket, settings: Settings, seconds: float) -> RunResult:
    answered = 0

    async def count(facets: Sequence[Facet[Any]]) -> None:
        nonlocal answered
        answered += sum(f.state is not FacetState.ERROR for f in facets)

    tokens = [t for t in sim.world.tokens if t.chain == "solana"]
    async with Engine(settings, kinds=[FacetKind.MARKET]) as engine:
        engine.subscribe(count)
        engine.start_scan(tokens)
        await asyncio.sleep(seconds)
        done = answered
    requests, limited, batch = _server(sim)
    return RunResult("tokenradar", seconds, done, done / seconds, requests, limited, batch)


async def _naive_run(sim: SimulatedMarket, seconds: float) -> RunResult:
    tokens = [t for t in sim.world.tokens if t.chain == "solana"]
    run = NaiveRun()
    task = asyncio.create_task(naive_scan(sim.dexscreener_url, tokens, run=run))
    await asyncio.sleep(seconds)
    done = run.fetched
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    requests, limited, batch = _server(sim)
    return RunResult("naive", seconds, done, done / seconds, requests, limited, batch)


async def run_budget_bench(tokens: int, seconds: float) -> BudgetResult:
    """Both runs against one simulated market; ``tokens`` must outlast ``seconds`` at the limit."""
    config = SimConfig(tokens=tokens, profile="public", launch_rate=0.0, evm_tokens=0)
    async with run_simulator(config) as sim:
        settings = Settings.model_validate(
            {"providers": {"dexscreener": {"base_url": sim.dexscreener_url}}}
        )
        dex = settings.providers.dexscreener
        assert dex.rate is not None
        limit = dex.rate.per_second * dex.max_batch
        if tokens < limit * seconds * 1.05:
            raise InvalidInput(
                f"--tokens {tokens} runs out before {seconds:g} s at {limit:g} tokens/s: "
                f"give at least {int(limit * seconds * 1.05) + 1}"
            )
        sim.reset_stats()
        engine = await _engine_run(sim, settings, seconds)
        sim.reset_stats()  # a fresh window for the baseline, as if on another day
        naive = await _naive_run(sim, seconds)
    return BudgetResult(limit, engine, naive)
