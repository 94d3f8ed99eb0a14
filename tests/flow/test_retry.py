from __future__ import annotations

import random

import pytest

from tokenradar.errors import (
    MalformedResponse,
    PermanentError,
    RateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tokenradar.flow.retry import RetryBudget, RetryPolicy, RetryVerdict


def test_transient_errors_get_three_attempts_per_refresh() -> None:
    policy = RetryPolicy()
    err = UpstreamUnavailable("dexscreener", "HTTP 503")
    assert policy.verdict(err, 1) is RetryVerdict.RETRY
    assert policy.verdict(err, 2) is RetryVerdict.RETRY
    assert policy.verdict(err, 3) is RetryVerdict.GIVE_UP
    assert policy.verdict(UpstreamTimeout("x", "t"), 2) is RetryVerdict.RETRY
    assert policy.verdict(RateLimited("x"), 1) is RetryVerdict.RETRY


def test_malformed_answers_are_retried_at_most_once() -> None:
    policy = RetryPolicy()
    err = MalformedResponse("dexscreener", "HTML page instead of JSON")
    assert policy.verdict(err, 1) is RetryVerdict.RETRY
    assert policy.verdict(err, 2) is RetryVerdict.GIVE_UP


def test_permanent_errors_and_bugs_are_never_retried() -> None:
    policy = RetryPolicy()
    assert policy.verdict(PermanentError("x", "HTTP 400"), 1) is RetryVerdict.NEVER
    assert policy.verdict(KeyError("pairs"), 1) is RetryVerdict.NEVER
    assert policy.verdict(Exception("boom"), 1) is RetryVerdict.NEVER


def test_backoff_is_full_jitter_under_an_exponential_cap_and_seedable() -> None:
    a = RetryPolicy(base=1.0, cap=8.0, rng=random.Random(7))
    b = RetryPolicy(base=1.0, cap=8.0, rng=random.Random(7))
    waits = [a.backoff(n) for n in (1, 2, 3, 4, 5, 6) for _ in range(50)]
    assert waits == [b.backoff(n) for n in (1, 2, 3, 4, 5, 6) for _ in range(50)]
    assert all(0 <= w <= 8.0 for w in waits)
    assert max(waits[:50]) <= 1.0
    assert max(waits[-50:]) > 4.0  # capped at 8, and spread across it
    assert min(waits[-50:]) < 2.0


def test_budget_caps_retries_at_the_ratio_of_requests_in_the_window() -> None:
    budget = RetryBudget(ratio=0.2, window=60, floor=0)
    for t in range(100):
        budget.on_request(float(t) * 0.1)
    granted = sum(budget.try_retry(10.0) for _ in range(50))
    assert granted == 20
    assert budget.denied == 30


def test_budget_floor_allows_a_lone_retry_and_the_window_slides() -> None:
    budget = RetryBudget(ratio=0.2, window=10, floor=1)
    budget.on_request(0.0)
    assert budget.try_retry(0.0)
    assert not budget.try_retry(0.0)
    assert budget.try_retry(11.0)


def test_budget_forgets_requests_older_than_the_window_without_any_retry() -> None:
    budget = RetryBudget(ratio=0.2, window=10, floor=0)
    for t in range(10_000):  # a lane whose requests never fail: try_retry is never called
        budget.on_request(float(t))
    assert len(budget._requests) <= 10


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(max_attempts=0)


def test_per_token_error_kinds_map_back_to_their_verdicts() -> None:
    policy = RetryPolicy()
    assert policy.verdict_for_kind("timeout", 1) is RetryVerdict.RETRY
    assert policy.verdict_for_kind("malformed", 2) is RetryVerdict.GIVE_UP
    assert policy.verdict_for_kind("permanent", 1) is RetryVerdict.NEVER
    assert policy.verdict_for_kind("internal", 1) is RetryVerdict.NEVER
