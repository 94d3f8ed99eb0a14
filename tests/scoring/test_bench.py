"""The scoring benchmark measures real scoring of its synthetic universe."""

from __future__ import annotations

from tokenradar.bench.scoring import NOW, run_scoring_bench, synthetic_universe
from tokenradar.domain import Decision
from tokenradar.scoring import Scorer


def test_synthetic_universe_scores_equal_the_reference_and_span_every_decision() -> None:
    universe = synthetic_universe(400, seed=3)
    scorer = Scorer()
    scores = scorer.score_batch(universe, NOW)
    for s in scores:
        assert s == scorer.score_token(s.token, universe[s.token], NOW)
    assert {s.decision for s in scores} == set(Decision)


def test_bench_reports_each_phase() -> None:
    result = run_scoring_bench(tokens=300, seed=2, repeat=1)
    assert result.tokens == 300
    assert min(result.extract_s, result.vectorised_s, result.materialise_s) > 0
    assert "300 tokens" in result.report()


def test_batch_scoring_restores_the_cycle_collector() -> None:
    import gc

    universe = synthetic_universe(20, seed=4)
    assert gc.isenabled()
    Scorer().score_batch(universe, NOW)
    assert gc.isenabled()
    gc.disable()
    try:
        Scorer().score_batch(universe, NOW)
        assert not gc.isenabled()  # a caller's choice is kept too
    finally:
        gc.enable()
