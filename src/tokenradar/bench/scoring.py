"""Benchmark: vectorised scoring of a large synthetic universe.

    tokenradar bench scoring --tokens 100000

Builds ``tokens`` tokens with every facet kind (a realistic mix: some facets
missing, absent or errored, some authorities kept, some pools pulled), then
times, best of ``repeat`` runs:

- ``extract``: facets (Python objects) -> numpy columns
- ``vectorised``: every check, points, sub-scores, confidence, decision and tier
  as array operations (the scoring itself; target < 1 s for 100k tokens)
- ``materialise``: the ``Score`` objects with one explained ``CheckResult`` per
  check (what an API response or a scan result needs, per token)

It is a measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import base58
import numpy as np
import typer

from tokenradar.domain import (
    Facet,
    FacetError,
    FacetKind,
    FacetState,
    HoldersData,
    Link,
    MarketData,
    MintData,
    PriceData,
    RiskData,
    RiskItem,
    TokenProgram,
    TokenRef,
)
from tokenradar.scoring.checks import CATALOGUE
from tokenradar.scoring.features import extract
from tokenradar.scoring.policy import ScoringSettings
from tokenradar.scoring.scorer import Scorer

NOW = 1_750_000_000.0
AUTHORITY = "BCD75RNBHrJJpW4dXVagL5mPjzRLnVZq4YirJdjEYMV7"
Universe = dict[TokenRef, dict[FacetKind, Facet[Any]]]
CHECKS = len(CATALOGUE)


def synthetic_universe(n: int, seed: int = 1, now: float = NOW) -> Universe:
    """``n`` tokens with plausible, seeded facets (not timed)."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    liq = rng.lognormal(11.0, 2.5, n)
    vol = liq * rng.lognormal(0.0, 1.5, n)
    change = rng.normal(0.0, 30.0, (n, 4))
    trades = rng.integers(0, 5_000, (n, 4))
    created = now - rng.exponential(30 * 86_400, n)
    state = rng.choice(4, size=(n, 5), p=[0.05, 0.85, 0.04, 0.06])  # missing/ok/absent/error
    flags = rng.random((n, 6))
    shares = rng.beta(2, 8, (n, 2))
    out: Universe = {}
    for i in range(n):
        token = TokenRef("solana", base58.b58encode(raw[i].tobytes()).decode())
        fetched = now - float(rng.integers(0, 7200))
        datas: dict[FacetKind, Any] = {
            FacetKind.MARKET: MarketData(
                symbol="SYN",
                name=None,
                pair_count=1,
                best_pair_address=None,
                best_dex="raydium",
                quote_symbol="SOL",
                price_usd=float(1.0 + flags[i, 0]),
                price_native=None,
                liquidity_usd=float(liq[i]) if flags[i, 1] > 0.03 else None,
                best_pair_liquidity_usd=None,
                volume_m5=None,
                volume_h1=float(vol[i] / 24 * (0.5 + flags[i, 2])),
                volume_h6=None,
                volume_h24=float(vol[i]),
                buys_m5=None,
                sells_m5=None,
                buys_h1=int(trades[i, 0]),
                sells_h1=int(trades[i, 1]),
                buys_h24=int(trades[i, 2]),
                sells_h24=int(trades[i, 3]),
                price_change_m5=float(change[i, 0] / 5),
                price_change_h1=float(change[i, 1] / 2),
                price_change_h6=float(change[i, 2]),
                price_change_h24=float(change[i, 3]),
                pair_created_at=float(created[i]),
                fdv=None,
                market_cap=None,
                websites=("https://example.org",) if flags[i, 3] > 0.3 else (),
                socials=(Link("twitter", "https://x.com/x"),) if flags[i, 3] > 0.5 else (),
            ),
            FacetKind.MINT: MintData(
                program=TokenProgram.SPL_TOKEN
                if flags[i, 4] > 0.1
                else TokenProgram.SPL_TOKEN_2022,
                mint_authority=AUTHORITY if flags[i, 4] < 0.2 else None,
                freeze_authority=AUTHORITY if flags[i, 5] < 0.1 else None,
                supply=10**15,
                decimals=6,
                is_initialized=True,
                extensions=("transferFeeConfig",) if flags[i, 4] < 0.05 else (),
                transfer_fee_bps=100 if flags[i, 4] < 0.05 else None,
            ),
            FacetKind.HOLDERS: HoldersData(
                supply=10**15,
                decimals=6,
                top=(),
                top1_share=float(shares[i, 0] / 2),
                top10_share=float(min(1.0, shares[i, 0] / 2 + shares[i, 1])),
            ),
            FacetKind.RISK: RiskData(
                score=100,
                score_normalised=None,
                risks=(RiskItem("Copycat token", "danger", 1000, ""),)
                if flags[i, 5] > 0.95
                else (),
                rugged=bool(flags[i, 1] < 0.02),
                mint_authority=AUTHORITY if flags[i, 4] < 0.2 else None,
                freeze_authority=AUTHORITY if flags[i, 5] < 0.1 else None,
                lp_locked_pct=float(100.0 * flags[i, 2]),
                total_holders=None,
                total_market_liquidity=None,
                transfer_fee_pct=0.0,
                token_program="TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
            ),
            FacetKind.PRICE: PriceData(price_usd=float(1.0 + flags[i, 0] * (1 + flags[i, 3] / 20))),
        }
        facets: dict[FacetKind, Facet[Any]] = {}
        for j, (kind, data) in enumerate(datas.items()):
            st = state[i, j]
            if st == 1:
                facets[kind] = Facet(token, kind, FacetState.OK, fetched, "bench", data=data)
            elif st == 2:
                facets[kind] = Facet(token, kind, FacetState.ABSENT, fetched, "bench")
            elif st == 3:
                err = FacetError("timeout", "bench")
                facets[kind] = Facet(token, kind, FacetState.ERROR, fetched, "bench", error=err)
        out[token] = facets
    return out


@dataclass(frozen=True, slots=True)
class ScoringBench:
    tokens: int
    extract_s: float
    vectorised_s: float
    materialise_s: float

    @property
    def arrays_s(self) -> float:
        """Facets in, score arrays out: what re-ranking a universe costs."""
        return self.extract_s + self.vectorised_s

    def report(self) -> str:
        n = self.tokens
        return "\n".join(
            [
                f"scoring bench: {n:,} tokens, {CHECKS} checks each (best of runs)",
                f"  extract      {self.extract_s:7.3f} s  facets -> numpy columns",
                f"  vectorised   {self.vectorised_s:7.3f} s  checks, points, scores, "
                "confidence, decision, tier",
                f"  = arrays     {self.arrays_s:7.3f} s  ({n / self.arrays_s:,.0f} tokens/s)",
                f"  materialise  {self.materialise_s:7.3f} s  Score + {CHECKS * n:,} explained "
                "CheckResults",
            ]
        )


def run_scoring_bench(tokens: int = 100_000, seed: int = 1, repeat: int = 3) -> ScoringBench:
    universe = synthetic_universe(tokens, seed)
    settings = ScoringSettings()
    scorer = Scorer(settings)
    items = list(universe.items())
    best = [float("inf")] * 3
    for _ in range(repeat):
        t0 = time.perf_counter()
        features = extract(items, NOW, settings)
        t1 = time.perf_counter()
        batch = scorer.score_features(features)
        t2 = time.perf_counter()
        scores = batch.to_scores()
        t3 = time.perf_counter()
        assert len(scores) == tokens
        for k, dt in enumerate((t1 - t0, t2 - t1, t3 - t2)):
            best[k] = min(best[k], dt)
    return ScoringBench(tokens, *best)


def scoring_command(
    tokens: Annotated[int, typer.Option(help="universe size", min=1)] = 100_000,
    seed: Annotated[int, typer.Option(help="seed of the synthetic universe")] = 1,
    repeat: Annotated[int, typer.Option(help="runs; the best is reported", min=1)] = 3,
) -> None:
    """Time vectorised scoring of a synthetic universe."""
    typer.echo(run_scoring_bench(tokens, seed, repeat).report())


if __name__ == "__main__":
    typer.run(scoring_command)
