"""What every check shares: the verdict it returns, the note explaining it, and
turning a verdict into an explained, policy-weighted :class:`CheckResult`.

A check is a pure function ``(Context, policy) -> Verdict``. It reads only
facets in state ``ok``; anything else makes it ``unknown`` with a note saying
why (missing / absent / errored facet, or a field the provider did not
report). Points are never decided by the check itself: :func:`make_result`
applies the policy (weight, gate, fail-open or fail-closed), so the vectorised
scorer and this reference path share one rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from typing import Any, TypeVar

from tokenradar.domain import (
    CheckResult,
    CheckState,
    CheckValue,
    Facet,
    FacetKind,
    FacetState,
    TokenRef,
)
from tokenradar.scoring.policy import CheckPolicy, ScoringSettings, UnknownPolicy

FacetMap = Mapping[FacetKind, Facet[Any]]
T = TypeVar("T")


class Category(StrEnum):
    SAFETY = "safety"  # can this token hurt me: authorities, holders, liquidity, rug flags
    MOMENTUM = "momentum"  # is anything happening: volume, buying, trend


class Note(IntEnum):
    """Why a check came out as it did. Integer codes, so the vectorised scorer
    carries them in arrays and both paths render the same reason."""

    NONE = 0
    ALLOWLISTED = 1  # an allowlisted major passes this check by design
    SOURCES_AGREE = 2  # chain and RugCheck say the same
    SOURCES_DISAGREE = 3  # chain and RugCheck differ: the chain wins
    RISK_FALLBACK = 4  # judged from the RugCheck report (no chain facet)
    FEW_TRADES = 5  # too few trades to judge a ratio
    NO_LIQUIDITY = 6  # nothing pooled to compare volume against
    NO_TRADES = 7  # zero trades in the window
    FIELD_MISSING = 8  # the facet is ok but the provider did not report this field
    FACET_MISSING = 9  # never fetched (or not applicable to this chain)
    FACET_ABSENT = 10  # the provider does not know this token
    FACET_ERROR = 11  # the fetch failed: no verdict
    H24_FALLBACK = 12  # h1 had too few trades, h24 used


@dataclass(frozen=True, slots=True)
class Verdict:
    state: CheckState
    value: CheckValue = None
    source: FacetKind | None = None
    note: Note = Note.NONE
    #: extra text for the reason (risk names, the allowlist label, the other source's value)
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Context:
    """One token's facets at scoring time."""

    token: TokenRef
    facets: FacetMap
    now: float
    settings: ScoringSettings
    allowlisted: str | None  # the allowlist label, or None

    def ok(self, kind: FacetKind, typ: type[T]) -> T | None:
        """The facet's data when the facet is ``ok`` (else None)."""
        facet = self.facets.get(kind)
        if facet is None or facet.state is not FacetState.OK:
            return None
        data = facet.data
        if not isinstance(data, typ):
            raise TypeError(f"{kind} facet of {self.token} carries {type(data).__name__}")
        return data

    def unknown(self, *kinds: FacetKind) -> Verdict:
        """``unknown`` because none of ``kinds`` is ok: names the first one we have."""
        for kind in kinds:
            facet = self.facets.get(kind)
            if facet is not None:
                return Verdict(CheckState.UNKNOWN, None, kind, _STATE_NOTE[facet.state])
        return Verdict(CheckState.UNKNOWN, None, kinds[0], Note.FACET_MISSING)

    def missing_field(self, kind: FacetKind) -> Verdict:
        return Verdict(CheckState.UNKNOWN, None, kind, Note.FIELD_MISSING)


_STATE_NOTE = {
    FacetState.OK: Note.FIELD_MISSING,
    FacetState.ABSENT: Note.FACET_ABSENT,
    FacetState.ERROR: Note.FACET_ERROR,
}


def passed(
    value: CheckValue, source: FacetKind, note: Note = Note.NONE, detail: str = ""
) -> Verdict:
    return Verdict(CheckState.PASS, value, source, note, detail)


def failed(
    value: CheckValue, source: FacetKind, note: Note = Note.NONE, detail: str = ""
) -> Verdict:
    return Verdict(CheckState.FAIL, value, source, note, detail)


def verdict_if(
    ok: bool, value: CheckValue, source: FacetKind, note: Note = Note.NONE, detail: str = ""
) -> Verdict:
    return Verdict(CheckState.PASS if ok else CheckState.FAIL, value, source, note, detail)


Evaluate = Callable[[Context, Any], Verdict]
Describe = Callable[[Verdict, Any], str]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    name: str
    category: Category
    #: facets read, preferred first
    facets: tuple[FacetKind, ...]
    #: Python type of ``CheckResult.value`` (the vectorised path casts to it)
    value_type: type
    evaluate: Evaluate
    #: the reason of a pass or fail, from the verdict and the check's policy
    describe: Describe


_UNKNOWN_TEXT = {
    Note.FIELD_MISSING: "the provider did not report it",
    Note.FACET_MISSING: "not fetched",
    Note.FACET_ABSENT: "the provider does not know this token",
    Note.FACET_ERROR: "the fetch failed",
    Note.FEW_TRADES: "too few trades to judge",
    Note.NO_LIQUIDITY: "no pooled liquidity to compare against",
}


def explain(spec: CheckSpec, verdict: Verdict, policy: CheckPolicy) -> str:
    """The human reason for a verdict (shared by both scorer paths)."""
    if verdict.state is CheckState.UNKNOWN:
        where = f"{verdict.source}: " if verdict.source is not None else ""
        text = f"unknown: {where}{_UNKNOWN_TEXT.get(verdict.note, 'no data')}"
        if policy.unknown is UnknownPolicy.FAIL:
            text += " (fail-closed: counted as failed)"
        return text
    if verdict.note is Note.ALLOWLISTED:
        return f"allowlisted major ({verdict.detail}): passes by design"
    return spec.describe(verdict, policy)


def counts_as_failed(state: CheckState, policy: CheckPolicy) -> bool:
    return state is CheckState.FAIL or (
        state is CheckState.UNKNOWN and policy.unknown is UnknownPolicy.FAIL
    )


def make_result(spec: CheckSpec, verdict: Verdict, ctx: Context) -> CheckResult:
    """Apply the check's policy: points, max points, gate flag, age, reason."""
    policy = ctx.settings.checks.get(spec.name)
    weight = policy.weight
    if verdict.state is CheckState.PASS:
        points, max_points = weight, weight
    elif verdict.state is CheckState.FAIL:
        points, max_points = 0.0, weight
    else:
        points = 0.0
        max_points = weight if policy.unknown is UnknownPolicy.FAIL else 0.0
    facet = ctx.facets.get(verdict.source) if verdict.source is not None else None
    age = facet.age(ctx.now) if facet is not None else None
    value = verdict.value
    if value is not None and type(value) is not spec.value_type:
        value = spec.value_type(value)
    if isinstance(value, float):
        value += 0.0  # -0.0 -> 0.0: which zero min() keeps is order-dependent
    if value is not verdict.value:
        verdict = replace(verdict, value=value)
    return CheckResult(
        name=spec.name,
        state=verdict.state,
        value=value,
        source=verdict.source,
        age_s=age,
        points=points,
        max_points=max_points,
        gate=policy.gate,
        reason=explain(spec, verdict, policy),
    )
