"""Properties of the scorer over random facets (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokenradar.domain import CheckResult, CheckState, Facet, FacetKind, TokenRef
from tokenradar.scoring import Scorer
from tokenradar.scoring.checks import SPECS_BY_NAME
from tokenradar.scoring.combine import Agreement, totals
from tokenradar.scoring.policy import CHECK_NAMES, ScoringSettings, UnknownPolicy
from tokenradar.scoring.reference import score_token

from .strategies import NOW, batches
from .strategies import settings as scoring_settings

Batch = dict[TokenRef, dict[FacetKind, Facet[Any]]]
SLOW_OK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW_OK
@given(batch=batches(), policy=scoring_settings() | st.just(ScoringSettings()))
def test_vectorised_scores_equal_the_reference(batch: Batch, policy: ScoringSettings) -> None:
    vectorised = Scorer(policy).score_batch(batch, NOW)
    assert [s.token for s in vectorised] == list(batch)
    for got in vectorised:
        want = score_token(got.token, batch[got.token], NOW, policy)
        assert got == want


@SLOW_OK
@given(batch=batches(), policy=scoring_settings() | st.just(ScoringSettings()))
def test_score_and_subscores_stay_within_0_and_100(batch: Batch, policy: ScoringSettings) -> None:
    for s in Scorer(policy).score_batch(batch, NOW):
        for x in (s.score, s.safety, s.momentum):
            assert x is None or 0.0 <= x <= 100.0
        assert 0.0 <= s.confidence <= 1.0
        for c in s.checks:
            assert 0.0 <= c.points <= c.max_points


@SLOW_OK
@given(batch=batches(max_size=4))
def test_unknown_never_costs_points_under_fail_open_policy(batch: Batch) -> None:
    for s in Scorer().score_batch(batch, NOW):
        for c in s.checks:
            if c.state is CheckState.UNKNOWN:
                assert (c.points, c.max_points) == (0.0, 0.0)


# --- the aggregation alone: random check results -----------------------------------


@st.composite
def results(draw: st.DrawFn) -> tuple[list[CheckResult], ScoringSettings]:
    policy = draw(scoring_settings())
    out = []
    for name in CHECK_NAMES:
        state = draw(st.sampled_from(list(CheckState)))
        out.append(_result(name, state, policy, draw(st.floats(0, 20_000))))
    return out, policy


def _result(name: str, state: CheckState, policy: ScoringSettings, age: float) -> CheckResult:
    p = policy.checks.get(name)
    w = p.weight
    if state is CheckState.PASS:
        points, max_points = w, w
    elif state is CheckState.FAIL:
        points, max_points = 0.0, w
    else:
        points, max_points = 0.0, (w if p.unknown is UnknownPolicy.FAIL else 0.0)
    spec = SPECS_BY_NAME[name]
    return CheckResult(name, state, None, spec.facets[0], age, points, max_points, p.gate)


AGREE = Agreement(compared=1, disagreed=0)


@settings(max_examples=150, deadline=None)
@given(data=results(), seed=st.integers(0, 2**32))
def test_score_is_independent_of_check_order(
    data: tuple[list[CheckResult], ScoringSettings], seed: int
) -> None:
    checks, policy = data
    shuffled = list(checks)
    random.Random(seed).shuffle(shuffled)
    assert totals(shuffled, AGREE, policy) == totals(checks, AGREE, policy)


@settings(max_examples=150, deadline=None)
@given(data=results(), which=st.sampled_from(CHECK_NAMES))
def test_score_is_monotone_in_each_checks_points(
    data: tuple[list[CheckResult], ScoringSettings], which: str
) -> None:
    """Turning any one check into a pass never lowers the score; into a fail never raises it."""
    checks, policy = data
    before = totals(checks, AGREE, policy).score
    i = CHECK_NAMES.index(which)
    for state, direction in ((CheckState.PASS, 1), (CheckState.FAIL, -1)):
        changed = list(checks)
        changed[i] = _result(which, state, policy, checks[i].age_s or 0.0)
        after = totals(changed, AGREE, policy).score
        if before is None or after is None:
            continue
        assert (after - before) * direction >= -1e-9


def test_more_points_on_one_check_raise_the_subscore() -> None:
    """Monotone in the points themselves, not only in pass/fail."""
    policy = ScoringSettings()
    checks = [_result(n, CheckState.FAIL, policy, 0.0) for n in CHECK_NAMES]
    scores: list[float] = []
    for earned in (0.0, 5.0, 10.0, 15.0):
        changed = list(checks)
        changed[0] = replace(checks[0], points=earned)
        safety = totals(changed, AGREE, policy).safety
        assert safety is not None
        scores.append(safety)
    assert scores == sorted(scores)
    assert scores[0] < scores[-1]
