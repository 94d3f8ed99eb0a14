"""Scoring: explainable checks over facets, a bounded score, tier, decision, confidence.

- :mod:`~tokenradar.scoring.checks` — the checks catalogue (pure functions over facets)
- :mod:`~tokenradar.scoring.policy` — the ``[scoring]`` settings
- :mod:`~tokenradar.scoring.scorer` — :class:`Scorer`, vectorised over batches
- :mod:`~tokenradar.scoring.reference` — the per-token reference implementation

``Scorer`` and ``score_batch`` are imported lazily so that loading settings
(which embed :class:`ScoringSettings`) does not import numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokenradar.scoring.policy import ScoringSettings
    from tokenradar.scoring.scorer import ScoreBatch, Scorer, score_batch

__all__ = ["ScoreBatch", "Scorer", "ScoringSettings", "score_batch"]


def __getattr__(name: str) -> Any:
    if name in {"Scorer", "ScoreBatch", "score_batch"}:
        from tokenradar.scoring import scorer  # noqa: PLC0415 - lazy on purpose

        return getattr(scorer, name)
    if name == "ScoringSettings":
        from tokenradar.scoring.policy import ScoringSettings  # noqa: PLC0415

        return ScoringSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
