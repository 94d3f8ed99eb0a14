"""Benchmark: does ``avoid`` find the tokens the simulator fated to rug?

    tokenradar bench scoring-truth --tokens 5000

Starts the simulated market (``unlimited`` profile, no added latency, no
launches), fetches every facet of its Solana tokens with the provider clients
directly, in full batches (no engine), scores them once with the default
``[scoring]`` policy, then reads each token's hidden fate from
``GET /_sim/truth/{address}`` and reports:

- precision and recall of ``decision == avoid`` for tokens fated to ``rug``
  (precision counts every avoided non-rug as a false alarm, including
  honeypots and pump-and-dumps: a stricter measure than "avoided a bad token"),
- the same for any bad fate (rug, honeypot, pump-and-dump),
- per fate: count, mean score, share avoided,
- the checks that failed most often on the rugs that were *not* avoided.

The scorer's thresholds are set for real tokens; this measures whether checks
read facets correctly and how far that carries on the simulator's world. It
is not a place to tune either one to the other.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import aiohttp
import orjson
import typer

from tokenradar.clock import SYSTEM_CLOCK
from tokenradar.domain import (
    CheckState,
    Decision,
    Facet,
    FacetKind,
    Score,
    TokenRef,
    error_facet,
)
from tokenradar.errors import UpstreamError
from tokenradar.providers import Providers, open_providers
from tokenradar.scoring.scorer import Scorer
from tokenradar.settings import Settings
from tokenradar.simulator import SimConfig, SimulatedMarket, run_simulator

T = TypeVar("T")
BAD_FATES = frozenset({"rug", "honeypot", "pump_and_dump"})


@dataclass(frozen=True, slots=True)
class FateStats:
    fate: str
    count: int
    scored: int  # tokens with a score (something was known)
    avoided: int
    buy: int  # decision buy_candidate
    mean_score: float | None
    mean_safety: float | None


@dataclass(frozen=True, slots=True)
class TruthBench:
    tokens: int
    rugs: int
    avoided: int
    rugs_avoided: int
    bad: int
    bad_avoided: int
    by_fate: tuple[FateStats, ...]
    missed_rug_fails: tuple[tuple[str, int], ...]  # most failed checks on rugs not avoided
    missed_rugs_clean_looking: int
    facet_states: dict[str, dict[str, int]]
    fetch_s: float
    score_s: float
    #: rugs already executed when scored vs still to come: (count, avoided)
    executed_rugs: tuple[int, int] = (0, 0)
    pending_rugs: tuple[int, int] = (0, 0)

    @property
    def precision(self) -> float:
        return self.rugs_avoided / self.avoided if self.avoided else 0.0

    @property
    def recall(self) -> float:
        return self.rugs_avoided / self.rugs if self.rugs else 0.0

    @property
    def bad_precision(self) -> float:
        return self.bad_avoided / self.avoided if self.avoided else 0.0

    @property
    def bad_recall(self) -> float:
        return self.bad_avoided / self.bad if self.bad else 0.0

    def report(self) -> str:
        lines = [
            f"scoring vs simulator truth: {self.tokens:,} Solana tokens "
            f"(fetch {self.fetch_s:.1f} s, score {self.score_s:.3f} s)",
            f"  avoid vs fate=rug : precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"({self.rugs_avoided} of {self.rugs} rugs avoided; {self.avoided} avoided in all)",
            f"  avoid vs bad fate : precision {self.bad_precision:.3f}  "
            f"recall {self.bad_recall:.3f}  (rug, honeypot, pump_and_dump: {self.bad})",
            "  fate            count  scored  avoided  buy_cand  mean score  mean safety",
        ]
        for f in self.by_fate:
            score = f"{f.mean_score:10.1f}" if f.mean_score is not None else "         -"
            safety = f"{f.mean_safety:11.1f}" if f.mean_safety is not None else "          -"
            share = f.avoided / f.count if f.count else 0.0
            buy = f.buy / f.count if f.count else 0.0
            lines.append(
                f"  {f.fate:<14} {f.count:6d}  {f.scored:6d}  {share:7.1%}  {buy:8.1%}"
                f"  {score}  {safety}"
            )
        (ex, ex_av), (pe, pe_av) = self.executed_rugs, self.pending_rugs
        lines.append(
            f"  rugs already executed when scored: {ex_av}/{ex} avoided; "
            f"still to come: {pe_av}/{pe} avoided"
        )
        missed = self.rugs - self.rugs_avoided
        if missed:
            fails = ", ".join(f"{name} {n}" for name, n in self.missed_rug_fails) or "none"
            lines.append(
                f"  rugs not avoided: {missed} ({self.missed_rugs_clean_looking} built to look "
                f"clean); checks failing on them: {fails}"
            )
        states = "; ".join(
            f"{kind} " + ", ".join(f"{s} {n}" for s, n in sorted(counts.items()))
            for kind, counts in self.facet_states.items()
        )
        lines.append(f"  facets: {states}")
        return "\n".join(lines)


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def settings_for(sim: SimulatedMarket) -> Settings:
    return Settings(
        providers={
            "dexscreener": {"base_url": sim.dexscreener_url},
            "solana_rpc": {"url": sim.rpc_url, "ws_url": sim.ws_url},
            "rugcheck": {"base_url": sim.rugcheck_url},
            "jupiter": {"base_url": sim.jupiter_url},
        }
    )


def _error(token: TokenRef, kind: FacetKind, now: float, exc: UpstreamError) -> Facet[Any]:
    return error_facet(
        token, kind, fetched_at=now, source=exc.provider, error_kind=exc.kind, message=str(exc)
    )


async def fetch_all(
    p: Providers, tokens: Sequence[TokenRef], concurrency: int = 16
) -> dict[TokenRef, dict[FacetKind, Facet[Any]]]:
    """Every facet of every token, in full batches; a failed batch becomes error facets."""
    sem = asyncio.Semaphore(concurrency)
    out: dict[TokenRef, dict[FacetKind, Facet[Any]]] = {t: {} for t in tokens}

    async def run(
        kind: FacetKind,
        fetch: Callable[[Sequence[TokenRef]], Awaitable[Sequence[Facet[Any]]]],
        batch: Sequence[TokenRef],
    ) -> None:
        async with sem:
            try:
                facets = await fetch(batch)
            except UpstreamError as exc:
                now = SYSTEM_CLOCK.now()
                facets = [_error(t, kind, now, exc) for t in batch]
        for facet in facets:
            out[facet.token][kind] = facet

    lanes: list[tuple[FacetKind, Callable[..., Any], int]] = [
        (FacetKind.MARKET, p.dexscreener.fetch_market, p.dexscreener.max_batch),
        (FacetKind.MINT, p.solana_rpc.fetch_mints, p.solana_rpc.max_batch),
        (FacetKind.HOLDERS, p.solana_rpc.fetch_holders, p.solana_rpc.holders_max_batch),
        (FacetKind.RISK, p.rugcheck.fetch_risk, p.rugcheck.max_batch),
        (FacetKind.PRICE, p.jupiter.fetch_prices, p.jupiter.max_batch),
    ]
    await asyncio.gather(
        *(run(kind, fetch, batch) for kind, fetch, size in lanes for batch in _chunks(tokens, size))
    )
    return out


async def fetch_truths(base_url: str, tokens: Sequence[TokenRef]) -> dict[TokenRef, dict[str, Any]]:
    """Each token's hidden truth from ``GET /_sim/truth/{address}``."""
    sem = asyncio.Semaphore(32)
    async with aiohttp.ClientSession() as session:

        async def one(token: TokenRef) -> tuple[TokenRef, dict[str, Any]]:
            async with sem, session.get(f"{base_url}/_sim/truth/{token.address}") as r:
                r.raise_for_status()
                truth: dict[str, Any] = orjson.loads(await r.read())
                return token, truth

        return dict(await asyncio.gather(*(one(t) for t in tokens)))


def summarise(
    scores: Sequence[Score],
    truths: dict[TokenRef, dict[str, Any]],
    facets: dict[TokenRef, dict[FacetKind, Facet[Any]]],
    fetch_s: float,
    score_s: float,
) -> TruthBench:
    by_fate: dict[str, list[Score]] = {}
    for s in scores:
        by_fate.setdefault(str(truths[s.token]["fate"]), []).append(s)
    fates = []
    for fate, group in sorted(by_fate.items()):
        known = [s for s in group if s.score is not None]
        fates.append(
            FateStats(
                fate=fate,
                count=len(group),
                scored=len(known),
                avoided=sum(s.decision is Decision.AVOID for s in group),
                buy=sum(s.decision is Decision.BUY_CANDIDATE for s in group),
                mean_score=sum(s.score or 0.0 for s in known) / len(known) if known else None,
                mean_safety=(sum(s.safety or 0.0 for s in known) / len(known) if known else None),
            )
        )
    avoided = [s for s in scores if s.decision is Decision.AVOID]
    is_rug = [truths[s.token]["fate"] == "rug" for s in scores]
    is_bad = [truths[s.token]["fate"] in BAD_FATES for s in scores]
    missed = [
        s for s, rug in zip(scores, is_rug, strict=True) if rug and s.decision is not Decision.AVOID
    ]
    fails = Counter(c.name for s in missed for c in s.checks if c.state is CheckState.FAIL)
    rugs = [s for s, rug in zip(scores, is_rug, strict=True) if rug]
    executed = [s for s in rugs if truths[s.token].get("rugged")]
    pending = [s for s in rugs if not truths[s.token].get("rugged")]

    states: dict[str, dict[str, int]] = {}
    for per_token in facets.values():
        for kind in FacetKind:
            facet = per_token.get(kind)
            state = facet.state.value if facet is not None else "missing"
            states.setdefault(kind.value, {}).setdefault(state, 0)
            states[kind.value][state] += 1
    return TruthBench(
        tokens=len(scores),
        rugs=sum(is_rug),
        avoided=len(avoided),
        rugs_avoided=sum(truths[s.token]["fate"] == "rug" for s in avoided),
        bad=sum(is_bad),
        bad_avoided=sum(truths[s.token]["fate"] in BAD_FATES for s in avoided),
        by_fate=tuple(fates),
        missed_rug_fails=tuple(fails.most_common(6)),
        missed_rugs_clean_looking=sum(bool(truths[s.token].get("clean_looking")) for s in missed),
        facet_states=states,
        fetch_s=fetch_s,
        score_s=score_s,
        executed_rugs=(len(executed), sum(s.decision is Decision.AVOID for s in executed)),
        pending_rugs=(len(pending), sum(s.decision is Decision.AVOID for s in pending)),
    )


async def run_truth_bench(tokens: int = 5000, seed: int = 7) -> TruthBench:
    config = SimConfig(
        tokens=tokens,
        seed=seed,
        profile="unlimited",
        latency_median_ms=0,
        latency_p99_ms=0,
        launch_rate=0,
    )
    async with run_simulator(config) as sim:
        universe = [t.ref for t in sim.world.all_tokens() if t.ref.chain == "solana"]
        async with open_providers(settings_for(sim)) as p:
            t0 = time.perf_counter()
            facets = await fetch_all(p, universe)
            fetch_s = time.perf_counter() - t0
        now = SYSTEM_CLOCK.now()
        t1 = time.perf_counter()
        scores = Scorer().score_batch(facets, now)
        score_s = time.perf_counter() - t1
        truths = await fetch_truths(sim.base_url, universe)
    return summarise(scores, truths, facets, fetch_s, score_s)


def scoring_truth_command(
    tokens: Annotated[int, typer.Option(help="simulated universe size", min=1)] = 5000,
    seed: Annotated[int, typer.Option(help="simulator seed")] = 7,
) -> None:
    """Precision/recall of ``avoid`` against the simulator's fates."""
    typer.echo(asyncio.run(run_truth_bench(tokens, seed)).report())


if __name__ == "__main__":
    typer.run(scoring_truth_command)
