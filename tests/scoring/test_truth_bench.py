"""The truth benchmark counts what it claims to count."""

from __future__ import annotations

from typing import Any

import pytest

from tokenradar.bench.scoring_truth import run_truth_bench, summarise
from tokenradar.domain import Decision, Facet, FacetKind, Score, Tier, TokenRef

from .builders import NOW

TOKENS = [TokenRef("solana", a) for a in (
    "J3NKxxXZcnNiMjKw9hYb2K4LUxgwB6t1FtPtQVsv3KFr",
    "Dz9mQ9NzkBcCsuGPFJ3r1bS4wgqKMHBPiVuniW8Mbonk",
    "6p6xgHyF7AeE6TZkSmFsko444wqoP15icUSqi2jfGiPN",
    "DtR4D9FtVoTX2569gaL837ZgrB6wNjj6tkmnX9Rdk9B2",
)]  # fmt: skip


def _score(token: TokenRef, decision: Decision, value: float) -> Score:
    return Score(token, value, value, value, Tier.WARM, decision, 0.5, NOW)


def test_precision_and_recall_of_avoid_against_rug_fates() -> None:
    fates = ["rug", "rug", "healthy", "honeypot"]
    decisions = [Decision.AVOID, Decision.WATCH, Decision.AVOID, Decision.AVOID]
    scores = [
        _score(t, d, 10.0 * i) for i, (t, d) in enumerate(zip(TOKENS, decisions, strict=True))
    ]
    truths: dict[TokenRef, dict[str, Any]] = {
        t: {"fate": f, "clean_looking": False} for t, f in zip(TOKENS, fates, strict=True)
    }
    facets: dict[TokenRef, dict[FacetKind, Facet[Any]]] = {t: {} for t in TOKENS}
    result = summarise(scores, truths, facets, fetch_s=1.0, score_s=0.1)
    assert (result.rugs, result.avoided, result.rugs_avoided) == (2, 3, 1)
    assert result.precision == pytest.approx(1 / 3)
    assert result.recall == pytest.approx(1 / 2)
    assert result.bad_precision == pytest.approx(2 / 3)
    rug = next(f for f in result.by_fate if f.fate == "rug")
    assert rug.mean_score == pytest.approx(5.0)
    assert result.facet_states["market"] == {"missing": 4}
    assert "precision 0.333" in result.report()


async def test_truth_bench_scores_every_simulated_solana_token() -> None:
    result = await run_truth_bench(tokens=60, seed=5)
    assert result.tokens == sum(f.count for f in result.by_fate)
    assert result.tokens >= 50
    assert result.facet_states["market"].get("ok", 0) >= 50
    assert 0.0 <= result.precision <= 1.0
