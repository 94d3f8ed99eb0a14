"""The checks catalogue: pure functions over one token's facets.

Each check returns ``pass`` / ``fail`` / ``unknown`` with the value it judged,
the facet it came from and that facet's age; :func:`evaluate` applies each
check's policy to give points. This per-token path is the reference the
vectorised scorer (:mod:`tokenradar.scoring.vector`) is tested against, and the
place to read what a check means.
"""

from __future__ import annotations

from tokenradar.domain import CheckResult, CheckState, TokenRef
from tokenradar.scoring.allowlist import effective_allowlist
from tokenradar.scoring.checks import authority, holders, market, momentum, rugcheck
from tokenradar.scoring.checks.base import (
    Category,
    CheckSpec,
    Context,
    FacetMap,
    Note,
    Verdict,
    counts_as_failed,
    explain,
    make_result,
)
from tokenradar.scoring.policy import CHECK_NAMES, ScoringSettings

CATALOGUE: tuple[CheckSpec, ...] = (
    *authority.SPECS,
    *holders.SPECS,
    *rugcheck.SPECS,
    *market.SPECS,
    *momentum.SPECS,
)
if tuple(spec.name for spec in CATALOGUE) != CHECK_NAMES:  # pragma: no cover - import-time guard
    raise RuntimeError("the checks catalogue and [scoring.checks] must list the same checks")

SPECS_BY_NAME = {spec.name: spec for spec in CATALOGUE}


def make_context(
    token: TokenRef, facets: FacetMap, now: float, settings: ScoringSettings
) -> Context:
    label = effective_allowlist(settings).get(str(token))
    return Context(token, facets, now, settings, label)


def evaluate(ctx: Context) -> tuple[CheckResult, ...]:
    """Every check of the catalogue over one token, in catalogue order."""
    results = []
    exempt = ctx.settings.allowlist_exempt
    for spec in CATALOGUE:
        if ctx.allowlisted is not None and spec.name in exempt:
            # an allowlisted major passes by design; its source facet and age still show
            verdict = Verdict(
                CheckState.PASS, None, spec.facets[0], Note.ALLOWLISTED, ctx.allowlisted
            )
        else:
            verdict = spec.evaluate(ctx, ctx.settings.checks.get(spec.name))
        results.append(make_result(spec, verdict, ctx))
    return tuple(results)


__all__ = [
    "CATALOGUE",
    "SPECS_BY_NAME",
    "Category",
    "CheckSpec",
    "Context",
    "FacetMap",
    "Note",
    "Verdict",
    "counts_as_failed",
    "evaluate",
    "explain",
    "make_context",
    "make_result",
]
