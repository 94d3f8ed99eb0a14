"""The scan-result contract as typed models, built in one place.

Every surface that shows a scan result (the CLI's JSON/CSV/table, the HTTP API,
a worker's report) builds it here, from the engine's :class:`TokenResult` and
the scorer's :class:`Score`, so the field names and rounding are the same
everywhere and the API can publish the schemas. The JSON shape is the contract
in DESIGN.md::

    {chain, address, symbol, status, facets: {kind: {state, age_s, source, error}},
     errors: [{facet, reason}], score, safety, momentum, tier, decision,
     confidence, checks: [{name, state, value, source, age_s, points,
     max_points, gate, reason}]}
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

from tokenradar.domain import CheckResult, CheckValue, Score
from tokenradar.flow.scan import NOT_APPLICABLE, FacetOutcome, TokenResult


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FacetView(_Model):
    """One facet of a result: what state it is in, how old, from whom, or why missing."""

    state: str  # ok | absent | error | missing | n/a
    age_s: float | None
    source: str | None
    error: str | None


class ResultError(_Model):
    facet: str
    reason: str


class CheckView(_Model):
    """One explained line of a score."""

    name: str
    state: str  # pass | fail | unknown
    value: bool | int | float | str | None
    source: str | None
    age_s: float | None
    points: float
    max_points: float
    gate: bool
    reason: str


class ScoreView(_Model):
    """The score part of a result: ``score`` is null when nothing is known."""

    score: float | None
    safety: float | None
    momentum: float | None
    tier: str
    decision: str
    confidence: float
    checks: list[CheckView]


class TokenResultView(_Model):
    """One token of a scan: identity, status, facets, errors and its score."""

    chain: str
    address: str
    symbol: str | None
    status: str  # complete | partial | failed
    facets: dict[str, FacetView]
    errors: list[ResultError]
    score: float | None
    safety: float | None
    momentum: float | None
    tier: str
    decision: str
    confidence: float
    checks: list[CheckView]


class LaneSummary(_Model):
    done: int
    total: int
    requests: int
    rate_limited: int
    batches: int
    mean_batch: float | None
    retries: int
    errors: int
    breaker: str


class EndpointCount(_Model):
    requests: int
    rate_limited: int


class SimulatorSummary(_Model):
    """The simulated server's own counters: what it received and how many it refused."""

    requests: int
    rate_limited: int
    endpoints: dict[str, EndpointCount]


class ScanStats(_Model):
    tokens: int
    complete: int
    partial: int
    failed: int
    interrupted: bool
    elapsed_s: float
    facets: list[str]
    lanes: dict[str, LaneSummary]
    scan_id: str | None = None
    simulator: SimulatorSummary | None = None


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _json_value(value: CheckValue) -> CheckValue:
    # a ratio can be inf when the denominator is tiny; JSON has no inf
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def check_view(c: CheckResult) -> CheckView:
    return CheckView.model_construct(
        name=c.name,
        state=c.state.value,
        value=_json_value(c.value),
        source=c.source.value if c.source is not None else None,
        age_s=_round(c.age_s, 3),
        points=c.points,
        max_points=c.max_points,
        gate=c.gate,
        reason=c.reason,
    )


def score_view(s: Score) -> ScoreView:
    return ScoreView.model_construct(
        score=_round(s.score, 2),
        safety=_round(s.safety, 2),
        momentum=_round(s.momentum, 2),
        tier=s.tier.value,
        decision=s.decision.value,
        confidence=round(s.confidence, 3),
        checks=[check_view(c) for c in s.checks],
    )


def facet_view(o: FacetOutcome, now: float) -> FacetView:
    f = o.facet
    state = f.state.value if f is not None else ("n/a" if not o.applicable else "missing")
    return FacetView.model_construct(
        state=state,
        age_s=round(f.age(now), 3) if f is not None else None,
        source=f.source if f is not None else None,
        error=o.reason if not o.answered and o.applicable else None,
    )


def result_view(result: TokenResult, score: Score, now: float) -> TokenResultView:
    """One token's row of the scan-result contract."""
    missing = result.missing
    if not any(o.applicable for o in result.outcomes.values()):
        missing = dict.fromkeys(result.outcomes, NOT_APPLICABLE)
    s = score_view(score)
    return TokenResultView.model_construct(
        chain=result.token.chain,
        address=result.token.address,
        symbol=result.symbol,
        status=result.status.value,
        facets={k.value: facet_view(o, now) for k, o in result.outcomes.items()},
        errors=[ResultError.model_construct(facet=k.value, reason=r) for k, r in missing.items()],
        score=s.score,
        safety=s.safety,
        momentum=s.momentum,
        tier=s.tier,
        decision=s.decision,
        confidence=s.confidence,
        checks=s.checks,
    )
