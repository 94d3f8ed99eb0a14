"""Benchmark: how fresh ``serve`` keeps each tier under the public limits.

    tokenradar bench freshness [--tokens 10000] [--hot 200] [--warm 2000] [--minutes 10]

A simulated market (``public`` profile, default latency, no launches) of
``tokens`` tokens; ``serve``'s :class:`~tokenradar.service.serve.Service` tracks
them with pinned tiers (``hot`` hot, ``warm`` warm, the rest cold;
``tier_feedback`` off, so the scorer cannot move them) and runs for ``minutes``.
Every 10 s the share of each tier's tokens whose facet is within its tier's
freshness target is sampled; the report is the mean over the second half of the
run (the first half fills the universe from nothing), with the physical limit
beside each: how many refreshes per second a facet's budget allows against how
many the targets ask for (DESIGN.md's upstream facts). Where the budget cannot
cover every tier, the engine serves the hottest first, so hot stays fresh and
cold is what waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenradar.domain import FacetKind, FacetState, Tier
from tokenradar.service import watchlist as wl
from tokenradar.service.serve import Service
from tokenradar.settings import Settings
from tokenradar.simulator import SimConfig, run_simulator
from tokenradar.simulator.pointing import pointed_at

#: tokens/s each facet's public budget allows (DESIGN.md: rate x batch)
PHYSICAL_TOKENS_PER_S = {
    FacetKind.MARKET: 150.0,
    FacetKind.MINT: 400.0,
    FacetKind.HOLDERS: 3.5,
    FacetKind.RISK: 3.0,
    FacetKind.PRICE: 25.0,
}
SAMPLE_EVERY = 10.0


@dataclass(frozen=True, slots=True)
class FreshnessResult:
    minutes: float
    tiers: dict[str, int]  # tokens per tier
    #: mean share within target over the second half: tier -> facet -> share
    within: dict[str, dict[str, float]]
    #: refreshes/s the targets ask for against what the budget allows: facet -> (need, allow)
    demand: dict[str, tuple[float, float]]
    scores: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "minutes": self.minutes,
            "tiers": self.tiers,
            "within": self.within,
            "demand": {k: {"need_per_s": n, "allow_per_s": a} for k, (n, a) in self.demand.items()},
            "scores": self.scores,
            "hot_within_target": min(self.within["hot"][k] for k in ("market", "price")),
        }

    def report(self) -> str:
        kinds = list(next(iter(self.within.values())))
        lines = [f"share of each tier's tokens within its freshness target ({self.minutes:g} min)"]
        lines.append(f"{'tier':<6}{'tokens':>8}" + "".join(f"{k:>10}" for k in kinds))
        for tier, shares in self.within.items():
            lines.append(
                f"{tier:<6}{self.tiers[tier]:>8}" + "".join(f"{shares[k]:>10.3f}" for k in kinds)
            )
        lines.append("refreshes/s the targets ask for vs what the public budget allows:")
        for kind, (need, allow) in self.demand.items():
            verdict = "fits" if need <= allow else f"short by {1 - allow / need:.0%}"
            lines.append(f"  {kind:<8} need {need:8.1f}/s  allow {allow:8.1f}/s  {verdict}")
        lines.append(f"{self.scores} scores made; target: hot market and price >= 0.99")
        return "\n".join(lines)


async def run_freshness_bench(
    tokens: int, hot: int, warm: int, minutes: float, *, seed: int = 7
) -> FreshnessResult:
    if hot + warm > tokens:
        raise ValueError("--hot plus --warm must not exceed --tokens")
    with tempfile.TemporaryDirectory(prefix="tokenradar-freshness-") as tmp:
        async with run_simulator(SimConfig(tokens=tokens, seed=seed, launch_rate=0.0)) as sim:
            universe = [t for t in sim.world.initial_tokens if not t.is_evm][:tokens]
            tiers = dict.fromkeys(universe[:hot], Tier.HOT)
            tiers |= dict.fromkeys(universe[hot : hot + warm], Tier.WARM)
            tiers |= dict.fromkeys(universe[hot + warm :], Tier.COLD)
            watch = Path(tmp) / "watch.txt"
            wl.save(watch, tiers)
            settings = Settings.model_validate(
                {
                    "storage": {"url": f"sqlite:///{Path(tmp) / 'bench.db'}"},
                    "service": {
                        "watchlist": str(watch),
                        "tier_feedback": False,
                        "status_interval": 0,
                    },
                    # a measurement: no launches to find, nobody to alert
                    "alerts": {"enabled": False},
                    "discovery": {"enabled": False},
                }
            )
            settings = pointed_at(settings, sim)
            service = Service(settings)
            stop = asyncio.Event()
            task = asyncio.create_task(service.run(stop))
            samples: list[dict[tuple[Tier, FacetKind], float]] = []
            try:
                await service.ready()
                seconds = minutes * 60.0
                elapsed = 0.0
                while elapsed < seconds:
                    await asyncio.sleep(SAMPLE_EVERY)
                    elapsed += SAMPLE_EVERY
                    samples.append(_sample(service, tiers, settings))
            finally:
                stop.set()
                with contextlib.suppress(Exception):
                    await task
            scores = service.scoring_stats()
    half = samples[len(samples) // 2 :] or samples
    within: dict[str, dict[str, float]] = {}
    for tier in Tier:
        within[tier.value] = {
            k.value: sum(s[(tier, k)] for s in half) / len(half) for k in FacetKind
        }
    counts = {tier.value: sum(1 for t in tiers.values() if t is tier) for tier in Tier}
    demand = {}
    for kind in FacetKind:
        fresh = settings.tiers.freshness(kind)
        need = sum(counts[t.value] / fresh.target(t) for t in Tier)
        demand[kind.value] = (round(need, 2), PHYSICAL_TOKENS_PER_S[kind])
    return FreshnessResult(
        minutes, counts, within, demand, scores.scored if scores is not None else 0
    )


def _sample(
    service: Service, tiers: dict[Any, Tier], settings: Settings
) -> dict[tuple[Tier, FacetKind], float]:
    radar = service.radar
    assert radar is not None
    store, now = radar.engine.store, service.clock.now()
    fresh: dict[tuple[Tier, FacetKind], int] = defaultdict(int)
    total: dict[Tier, int] = defaultdict(int)
    for token, tier in tiers.items():
        total[tier] += 1
        for kind in FacetKind:
            good = store.last_good(token, kind)
            target = settings.tiers.freshness(kind).target(tier)
            if good is not None and good.state is not FacetState.ERROR and good.age(now) <= target:
                fresh[(tier, kind)] += 1
    return {(t, k): fresh[(t, k)] / max(1, total[t]) for t in Tier for k in FacetKind}
