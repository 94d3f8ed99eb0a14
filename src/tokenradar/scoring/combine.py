"""From check results to score, sub-scores, confidence, decision and tier.

Scalar rules for one token; :mod:`tokenradar.scoring.vector` implements the
same rules as array operations and is tested equal to these.

- ``safety`` / ``momentum`` = 100 x earned / possible points of their checks,
  where a pass earns its weight, a fail earns 0 of its weight, and an unknown
  earns 0 of 0 (fail-open) or 0 of its weight (fail-closed). None when no
  point was possible.
- ``score`` = the weighted mean of the sub-scores that exist (weights
  ``safety_weight`` / ``momentum_weight``), capped at ``gated_score_cap`` when a
  gate failed. None when no check is known.
- ``confidence`` = coverage x agreement. Coverage is the weight of known checks
  (stale facets count ``stale_factor``) over the weight of all checks.
  Agreement multiplies by ``1 - disagreement_penalty`` per disagreeing pair of
  independent sources (chain vs RugCheck mint and freeze authority, DexScreener
  vs Jupiter price), and by ``1 - uncorroborated_penalty`` when no pair could be
  compared.
- ``decision`` = :func:`decide`; a collapse in progress
  (:mod:`tokenradar.scoring.collapse`) caps it whatever the score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tokenradar.domain import CheckResult, CheckState, Decision, Tier
from tokenradar.scoring.checks import SPECS_BY_NAME, Category, counts_as_failed
from tokenradar.scoring.collapse import Collapse, collapse
from tokenradar.scoring.policy import ScoringSettings


@dataclass(frozen=True, slots=True)
class Agreement:
    compared: int  # pairs of independent sources that both answered
    disagreed: int


@dataclass(frozen=True, slots=True)
class Totals:
    score: float | None
    safety: float | None
    momentum: float | None
    gated: bool
    confidence: float
    buy_ready: bool  # every check of ``decision.buy_requires`` passed
    collapse: Collapse  # a collapse in progress caps the decision


def _ratio(earned: list[float], possible: list[float]) -> float | None:
    total = math.fsum(possible)
    return 100.0 * math.fsum(earned) / total if total > 0 else None


def totals(
    results: Iterable[CheckResult], agreement: Agreement, settings: ScoringSettings
) -> Totals:
    """Sub-scores, score, gate, confidence and collapse. Independent of the order
    of ``results``."""
    results = tuple(results)
    earned: dict[Category, list[float]] = {c: [] for c in Category}
    possible: dict[Category, list[float]] = {c: [] for c in Category}
    known: list[float] = []
    weights: list[float] = []
    gated = False
    any_known = False
    required = set(settings.decision.buy_requires)
    buy_ready = True
    conf = settings.confidence
    for r in results:
        policy = settings.checks.get(r.name)
        category = SPECS_BY_NAME[r.name].category
        earned[category].append(r.points)
        possible[category].append(r.max_points)
        weights.append(policy.weight)
        if r.state is not CheckState.UNKNOWN:
            any_known = True
            stale = r.age_s is not None and r.age_s > conf.stale_after_s
            known.append(policy.weight * conf.stale_factor if stale else policy.weight)
        if policy.gate and counts_as_failed(r.state, policy):
            gated = True
        if r.name in required and r.state is not CheckState.PASS:
            buy_ready = False
    safety = _ratio(earned[Category.SAFETY], possible[Category.SAFETY])
    momentum = _ratio(earned[Category.MOMENTUM], possible[Category.MOMENTUM])
    score = _blend(safety, momentum, settings)
    if not any_known:
        score = safety = momentum = None
    if gated and score is not None:
        score = min(score, settings.gated_score_cap)
    total_weight = math.fsum(weights)
    confidence = math.fsum(known) / total_weight if total_weight > 0 else 0.0
    for _ in range(agreement.disagreed):
        confidence *= 1.0 - conf.disagreement_penalty
    if agreement.compared == 0:
        confidence *= 1.0 - conf.uncorroborated_penalty
    return Totals(
        score, safety, momentum, gated, confidence, buy_ready, collapse(results, settings)
    )


def _blend(safety: float | None, momentum: float | None, settings: ScoringSettings) -> float | None:
    num = 0.0
    den = 0.0
    if safety is not None:
        num += settings.safety_weight * safety
        den += settings.safety_weight
    if momentum is not None:
        num += settings.momentum_weight * momentum
        den += settings.momentum_weight
    return num / den if den > 0 else None


def decide(t: Totals, settings: ScoringSettings) -> Decision:
    """``avoid`` on a failed gate, a collapse past the harder thresholds or low
    safety; ``buy_candidate`` when score, safety and confidence all clear their
    bars, the ``buy_requires`` checks passed and no collapse is in progress;
    ``watch`` otherwise (including when nothing is known: missing data is not a
    verdict)."""
    p = settings.decision
    if t.gated or t.collapse is Collapse.AVOID:
        return Decision.AVOID
    if t.safety is not None and t.safety < p.avoid_below_safety:
        return Decision.AVOID
    if (
        t.buy_ready
        and t.collapse is Collapse.NONE
        and t.score is not None
        and t.safety is not None
        and t.score >= p.buy_min_score
        and t.safety >= p.buy_min_safety
        and t.confidence >= p.buy_min_confidence
    ):
        return Decision.BUY_CANDIDATE
    return Decision.WATCH


@dataclass(frozen=True, slots=True)
class TierInputs:
    rugged: bool  # RugCheck says rugged
    pair_age_s: float | None
    move_h1_pct: float | None
    volume_h24: float | None


def tier(
    inputs: TierInputs, score: float | None, decision: Decision, settings: ScoringSettings
) -> Tier:
    """Refresh tier, first rule that matches:

    1. rugged -> cold (final: nothing left to watch)
    2. pair younger than ``new_pair_age_s`` -> hot (authorities are revoked,
       liquidity added and pulled in the first hours; re-check even if avoided)
    3. decision ``avoid`` -> cold
    4. 24 h volume below ``dead_volume_h24_usd`` -> cold (dead)
    5. |1 h move| >= ``hot_move_pct`` or score >= ``hot_min_score`` -> hot
    6. otherwise warm (including tokens about which nothing is known yet)
    """
    p = settings.tier
    if inputs.rugged:
        return Tier.COLD
    if inputs.pair_age_s is not None and inputs.pair_age_s < p.new_pair_age_s:
        return Tier.HOT
    if decision is Decision.AVOID:
        return Tier.COLD
    if inputs.volume_h24 is not None and inputs.volume_h24 < p.dead_volume_h24_usd:
        return Tier.COLD
    if inputs.move_h1_pct is not None and abs(inputs.move_h1_pct) >= p.hot_move_pct:
        return Tier.HOT
    if score is not None and score >= p.hot_min_score:
        return Tier.HOT
    return Tier.WARM
