"""Score through both paths (vectorised and reference) and require them equal."""

from __future__ import annotations

from typing import Any

from tokenradar.domain import CheckResult, Facet, FacetKind, Score, TokenRef
from tokenradar.scoring import Scorer
from tokenradar.scoring.policy import ScoringSettings

from .builders import NOW, TOKEN


def score(
    facets: dict[FacetKind, Facet[Any]],
    settings: ScoringSettings | None = None,
    token: TokenRef = TOKEN,
    now: float = NOW,
) -> Score:
    scorer = Scorer(settings)
    [vectorised] = scorer.score_batch({token: facets}, now)
    assert vectorised == scorer.score_token(token, facets, now)
    return vectorised


def check(s: Score, name: str) -> CheckResult:
    [found] = [c for c in s.checks if c.name == name]
    return found
