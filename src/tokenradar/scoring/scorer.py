"""The vectorised scorer: a batch of tokens' facets in, explained scores out.

::

    scorer = Scorer(settings.scoring)
    scores = scorer.score_batch({token: {FacetKind.MARKET: facet, ...}, ...}, now=clock.time())

:meth:`Scorer.score_arrays` stops before building Python objects (for
ranking large universes and for the benchmark); :meth:`ScoreBatch.to_scores`
builds the :class:`~tokenradar.domain.Score` objects with every check's reason.
:meth:`Scorer.score_token` is the per-token reference implementation
(:func:`tokenradar.scoring.reference.score_token`); a property test keeps the
two equal. The rules themselves are documented in :mod:`tokenradar.scoring.combine`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tokenradar.domain import (
    CheckResult,
    CheckState,
    Decision,
    Facet,
    FacetKind,
    Score,
    Tier,
    TokenRef,
)
from tokenradar.scoring import reference
from tokenradar.scoring.checks import CATALOGUE, Category, Note, Verdict, explain
from tokenradar.scoring.collapse import Collapse
from tokenradar.scoring.features import KINDS, Features, Floats, extract, gc_paused
from tokenradar.scoring.policy import ScoringSettings, UnknownPolicy
from tokenradar.scoring.vector import (
    FAIL,
    PASS,
    UNKNOWN,
    VECTOR_CHECKS,
    CheckArrays,
    allowlist_override,
)

FacetsByToken = Mapping[TokenRef, Mapping[FacetKind, Facet[Any]]]
Bools = npt.NDArray[np.bool_]

_STATES = (CheckState.UNKNOWN, CheckState.PASS, CheckState.FAIL)
_NOTES = {int(note): note for note in Note}
DECISIONS = (Decision.AVOID, Decision.WATCH, Decision.BUY_CANDIDATE)
TIERS = (Tier.COLD, Tier.WARM, Tier.HOT)
_AVOID, _WATCH, _BUY = 0, 1, 2
_COLD, _WARM, _HOT = 0, 1, 2


@dataclass(slots=True)
class ScoreBatch:
    """Scores of a batch as arrays (NaN where the reference says None)."""

    settings: ScoringSettings
    features: Features
    checks: dict[str, CheckArrays]
    points: Floats  # (n_checks, n)
    max_points: Floats
    age: Floats  # (n_checks, n): age of each check's source facet, NaN if none
    score: Floats
    safety: Floats
    momentum: Floats
    confidence: Floats
    decision: npt.NDArray[np.int8]  # index into DECISIONS
    tier: npt.NDArray[np.int8]  # index into TIERS

    def __len__(self) -> int:
        return self.features.n

    def to_scores(self, indices: Iterable[int] | None = None) -> list[Score]:
        """One :class:`Score` per token (or per index of ``indices``), in input order,
        with every check explained. Building them costs far more than the
        vectorised pass: callers showing a top-N build only those."""
        with gc_paused():
            return self._to_scores(indices)

    def _to_scores(self, indices: Iterable[int] | None) -> list[Score]:
        f = self.features
        columns = [_CheckColumns(spec, self, k) for k, spec in enumerate(CATALOGUE)]
        score, safety, momentum = (_opt(a) for a in (self.score, self.safety, self.momentum))
        confidence = self.confidence.tolist()
        decision = self.decision.tolist()
        tier = self.tier.tolist()
        return [
            Score(
                token=f.tokens[i],
                score=score[i],
                safety=safety[i],
                momentum=momentum[i],
                tier=TIERS[tier[i]],
                decision=DECISIONS[decision[i]],
                confidence=confidence[i],
                scored_at=f.now,
                checks=tuple(c.result(i) for c in columns),
            )
            for i in (range(f.n) if indices is None else indices)
        ]


def _opt(a: Floats) -> list[float | None]:
    return [None if math.isnan(x) else x for x in a.tolist()]


class _CheckColumns:
    """One check's arrays as Python lists, to build its CheckResult per token."""

    def __init__(self, spec: Any, batch: ScoreBatch, k: int) -> None:
        arrays = batch.checks[spec.name]
        self.spec = spec
        self.policy = batch.settings.checks.get(spec.name)
        self.state = arrays.state.tolist()
        self.value = arrays.value.tolist()
        self.source = arrays.source.tolist()
        self.note = arrays.note.tolist()
        self.text_cols = arrays.text_cols
        self.text_pick = arrays.text_pick.tolist()
        self.detail_cols = arrays.detail_cols
        self.detail_pick = arrays.detail_pick.tolist()
        self.points = batch.points[k].tolist()
        self.max_points = batch.max_points[k].tolist()
        self.age = _opt(batch.age[k])

    def result(self, i: int) -> CheckResult:
        value: Any
        pick = self.text_pick[i]
        if pick >= 0:
            col = self.text_cols[pick]
            value = col if isinstance(col, str) else col[i]
        else:
            number = self.value[i]
            value = None if math.isnan(number) else self.spec.value_type(number + 0.0)
        detail = ""
        dpick = self.detail_pick[i]
        if dpick >= 0:
            col = self.detail_cols[dpick]
            detail = (col if isinstance(col, str) else col[i]) or ""
        state = _STATES[self.state[i]]
        source = KINDS[self.source[i]]
        verdict = Verdict(state, value, source, _NOTES[self.note[i]], detail)
        return CheckResult(
            name=self.spec.name,
            state=state,
            value=value,
            source=source,
            age_s=self.age[i],
            points=self.points[i],
            max_points=self.max_points[i],
            gate=self.policy.gate,
            reason=explain(self.spec, verdict, self.policy),
        )


class Scorer:
    """Scores batches of tokens under one ``[scoring]`` policy."""

    def __init__(self, settings: ScoringSettings | None = None) -> None:
        self.settings = settings if settings is not None else ScoringSettings()

    def score_batch(self, facets: FacetsByToken, now: float) -> list[Score]:
        """Score every token of ``facets`` (latest facet per kind), in its order."""
        return self.score_arrays(facets, now).to_scores()

    def score_arrays(self, facets: FacetsByToken, now: float) -> ScoreBatch:
        """The vectorised pass alone: arrays, no per-check Python objects."""
        return self.score_features(extract(list(facets.items()), now, self.settings))

    def score_features(self, f: Features) -> ScoreBatch:
        s = self.settings
        checks = {spec.name: VECTOR_CHECKS[spec.name](f, s) for spec in CATALOGUE}
        for spec in CATALOGUE:
            if spec.name in s.allowlist_exempt:
                allowlist_override(checks[spec.name], f, spec.facets[0])
        return _combine(f, checks, s)

    def score_token(
        self, token: TokenRef, facets: Mapping[FacetKind, Facet[Any]], now: float
    ) -> Score:
        """The per-token reference implementation."""
        return reference.score_token(token, facets, now, self.settings)


def score_batch(
    facets: FacetsByToken, now: float, settings: ScoringSettings | None = None
) -> list[Score]:
    """Shorthand for ``Scorer(settings).score_batch(facets, now)``."""
    return Scorer(settings).score_batch(facets, now)


def _combine(f: Features, checks: dict[str, CheckArrays], s: ScoringSettings) -> ScoreBatch:
    """Points, sub-scores, gates, confidence, decision and tier as array ops.

    Sums run check by check in catalogue order, so with the default integral
    weights every figure is bit-identical to the reference's exact sums.
    """
    n = f.n
    k = len(CATALOGUE)
    idx = np.arange(n)
    ages = np.stack([f.age[kind] for kind in KINDS]) if n else np.zeros((len(KINDS), 0))
    points = np.zeros((k, n))
    max_points = np.zeros((k, n))
    age = np.full((k, n), np.nan)
    earned = {c: np.zeros(n) for c in Category}
    possible = {c: np.zeros(n) for c in Category}
    known_weight = np.zeros(n)
    any_known = np.zeros(n, dtype=np.bool_)
    gated = np.zeros(n, dtype=np.bool_)
    buy_ready = np.ones(n, dtype=np.bool_)
    required = set(s.decision.buy_requires)
    total_weight = 0.0
    conf = s.confidence
    for j, spec in enumerate(CATALOGUE):
        policy = s.checks.get(spec.name)
        w = policy.weight
        arr = checks[spec.name]
        known = arr.state != UNKNOWN
        fail_closed = policy.unknown is UnknownPolicy.FAIL
        points[j] = np.where(arr.state == PASS, w, 0.0)
        max_points[j] = np.where(known, w, w if fail_closed else 0.0)
        age[j] = ages[arr.source, idx]
        earned[spec.category] += points[j]
        possible[spec.category] += max_points[j]
        stale = age[j] > conf.stale_after_s  # NaN compares False: no facet, not stale
        known_weight += np.where(known, np.where(stale, w * conf.stale_factor, w), 0.0)
        any_known |= known
        total_weight += w
        if policy.gate:
            gated |= (arr.state == FAIL) | (~known if fail_closed else False)
        if spec.name in required:
            buy_ready &= arr.state == PASS
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        safety = _subscore(earned[Category.SAFETY], possible[Category.SAFETY])
        momentum = _subscore(earned[Category.MOMENTUM], possible[Category.MOMENTUM])
        score = _blend(safety, momentum, s)
    safety[~any_known] = np.nan
    momentum[~any_known] = np.nan
    score[~any_known] = np.nan
    score = np.where(gated & ~np.isnan(score), np.minimum(score, s.gated_score_cap), score)
    confidence = known_weight / total_weight if total_weight > 0 else np.zeros(n)
    compared, disagreed = _agreement(f, s)
    penalty = 1.0 - conf.disagreement_penalty
    for times in (1, 2, 3):
        confidence = np.where(disagreed >= times, confidence * penalty, confidence)
    confidence = np.where(
        compared == 0, confidence * (1.0 - conf.uncorroborated_penalty), confidence
    )
    decision = _decide(
        score,
        safety,
        gated=gated,
        buy_ready=buy_ready,
        confidence=confidence,
        collapse=_collapse(checks, s),
        s=s,
    )
    return ScoreBatch(
        settings=s,
        features=f,
        checks=checks,
        points=points,
        max_points=max_points,
        age=age,
        score=score,
        safety=safety,
        momentum=momentum,
        confidence=confidence,
        decision=decision,
        tier=_tier(f, score, decision, s),
    )


def _subscore(earned: Floats, possible: Floats) -> Floats:
    return np.where(possible > 0, 100.0 * earned / possible, np.nan)


def _blend(safety: Floats, momentum: Floats, s: ScoringSettings) -> Floats:
    has_s, has_m = ~np.isnan(safety), ~np.isnan(momentum)
    num = np.where(has_s, s.safety_weight * safety, 0.0)
    num = num + np.where(has_m, s.momentum_weight * momentum, 0.0)
    den = np.where(has_s, s.safety_weight, 0.0) + np.where(has_m, s.momentum_weight, 0.0)
    return np.where(den > 0, num / den, np.nan)


def _agreement(f: Features, s: ScoringSettings) -> tuple[Floats, Floats]:
    compared = np.zeros(f.n)
    disagreed = np.zeros(f.n)
    for col in ("mint_auth", "freeze_auth"):
        # only an authority the report carries (not NaN) is a second opinion
        both = f.ok(FacetKind.MINT) & f.ok(FacetKind.RISK) & ~np.isnan(f.num[f"r_{col}"])
        compared += both
        disagreed += both & (f.num[col] != f.num[f"r_{col}"])
    dex, jup = f.num["dex_price"], f.num["jup_price"]
    priced = f.ok(FacetKind.MARKET) & f.ok(FacetKind.PRICE) & (dex > 0) & (jup > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        deviation = np.abs(dex - jup) / np.maximum(dex, jup)
    compared += priced
    disagreed += priced & (deviation > s.checks.price_agreement.max_deviation)
    return compared, disagreed


def _collapse(checks: dict[str, CheckArrays], s: ScoringSettings) -> npt.NDArray[np.int8]:
    """:func:`tokenradar.scoring.collapse.collapse` for every token: a ``Collapse`` code each."""
    p, b = s.checks.price_extremes, s.checks.buy_sell_balance
    price, flow = checks["price_extremes"], checks["buy_sell_balance"]
    price_failed, flow_failed = price.state == FAIL, flow.state == FAIL
    level = np.full(price.state.shape, Collapse.NONE, dtype=np.int8)
    # NaN values compare False: no number, no collapse; the worst level is set last
    level[price_failed & (price.value <= -p.max_drop_pct)] = Collapse.WATCH
    level[flow_failed & (flow.value < b.min_buy_ratio)] = Collapse.WATCH
    level[price_failed & (price.value <= -p.avoid_drop_pct)] = Collapse.AVOID
    level[flow_failed & (flow.value < b.avoid_buy_ratio)] = Collapse.AVOID
    return level


def _decide(
    score: Floats,
    safety: Floats,
    *,
    gated: Bools,
    buy_ready: Bools,
    confidence: Floats,
    collapse: npt.NDArray[np.int8],
    s: ScoringSettings,
) -> npt.NDArray[np.int8]:
    p = s.decision
    # NaN comparisons are False: unknown score or safety never buys, never avoids
    avoid = gated | (collapse == Collapse.AVOID) | (safety < p.avoid_below_safety)
    buy = (
        buy_ready
        & (collapse == Collapse.NONE)
        & (score >= p.buy_min_score)
        & (safety >= p.buy_min_safety)
        & (confidence >= p.buy_min_confidence)
    )
    return np.where(avoid, _AVOID, np.where(buy, _BUY, _WATCH)).astype(np.int8)


def _tier(
    f: Features, score: Floats, decision: npt.NDArray[np.int8], s: ScoringSettings
) -> npt.NDArray[np.int8]:
    p = s.tier
    market_ok = f.ok(FacetKind.MARKET)
    rugged = f.ok(FacetKind.RISK) & (f.num["rugged"] == 1.0)
    age = np.where(market_ok, np.maximum(0.0, f.now - f.num["created"]), np.nan)
    move = np.where(market_ok, np.abs(f.num["pc_h1"]), np.nan)
    volume = np.where(market_ok, f.num["vol_h24"], np.nan)
    # first matching rule wins: evaluate from the last rule to the first
    tier = np.full(f.n, _WARM, dtype=np.int8)
    tier[(move >= p.hot_move_pct) | (score >= p.hot_min_score)] = _HOT
    tier[volume < p.dead_volume_h24_usd] = _COLD
    tier[decision == _AVOID] = _COLD
    tier[age < p.new_pair_age_s] = _HOT
    tier[rugged] = _COLD
    return tier
