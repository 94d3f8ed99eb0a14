"""A scan: a set of tokens × facets, every pair accounted for.

:meth:`Engine.start_scan` returns a :class:`ScanJob`. Each ``(token, facet)``
pair ends as exactly one :class:`FacetOutcome`:

* a **facet** (``ok``, ``absent`` or ``error`` after the lane's retries), or
* a **note** saying why there is none: ``not applicable`` (RugCheck knows no
  EVM token), ``provider disabled``, ``interrupted`` (Ctrl-C, shutdown).

A token is ``complete`` when every applicable facet was answered (``ok`` or
``absent``), ``failed`` when none was, and ``partial`` otherwise, with the
missing facets and why in :attr:`TokenResult.missing`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tokenradar.domain import Facet, FacetKind, FacetState, MarketData, TokenRef
from tokenradar.errors import InvalidInput, TokenradarError

AnyFacet = Facet[Any]

NOT_APPLICABLE = "not applicable"
DISABLED = "provider disabled"
INTERRUPTED = "interrupted"


class ResultStatus(StrEnum):
    COMPLETE = "complete"  # every applicable facet answered (ok or absent)
    PARTIAL = "partial"  # some answered, some missing (see ``missing``)
    FAILED = "failed"  # nothing answered


@dataclass(frozen=True, slots=True)
class FacetOutcome:
    kind: FacetKind
    facet: AnyFacet | None = None
    note: str | None = None  # why there is no facet

    @property
    def answered(self) -> bool:
        return self.facet is not None and self.facet.state is not FacetState.ERROR

    @property
    def applicable(self) -> bool:
        return self.note != NOT_APPLICABLE

    @property
    def reason(self) -> str | None:
        """Why this facet is missing (None when it was answered)."""
        if self.answered:
            return None
        if self.facet is not None and self.facet.error is not None:
            return f"{self.facet.error.kind}: {self.facet.error.message}"
        return self.note


@dataclass(frozen=True, slots=True)
class TokenResult:
    token: TokenRef
    outcomes: dict[FacetKind, FacetOutcome] = field(default_factory=dict)

    @property
    def status(self) -> ResultStatus:
        wanted = [o for o in self.outcomes.values() if o.applicable]
        answered = sum(o.answered for o in wanted)
        if wanted and answered == len(wanted):
            return ResultStatus.COMPLETE
        return ResultStatus.PARTIAL if answered else ResultStatus.FAILED

    @property
    def missing(self) -> dict[FacetKind, str]:
        return {
            k: o.reason or "unknown"
            for k, o in self.outcomes.items()
            if o.applicable and not o.answered
        }

    def facet(self, kind: FacetKind) -> AnyFacet | None:
        o = self.outcomes.get(kind)
        return o.facet if o is not None else None

    @property
    def symbol(self) -> str | None:
        market = self.facet(FacetKind.MARKET)
        if market is not None and isinstance(market.data, MarketData):
            return market.data.symbol
        return None


@dataclass(slots=True)
class KindProgress:
    done: int = 0
    total: int = 0


class ScanJob:
    """One scan in progress. The engine fills it; readers poll or await it."""

    def __init__(self, tokens: Sequence[TokenRef], kinds: Sequence[FacetKind]) -> None:
        self.tokens = list(dict.fromkeys(tokens))  # de-duplicated, order kept
        self.kinds = tuple(kinds)
        self._outcomes: dict[tuple[TokenRef, FacetKind], FacetOutcome] = {}
        self._waiting: dict[tuple[TokenRef, FacetKind], asyncio.Future[AnyFacet]] = {}
        self.progress: dict[FacetKind, KindProgress] = {k: KindProgress() for k in self.kinds}
        self._all_done = asyncio.Event()

    # -- filled by the engine -------------------------------------------------------

    def settle(self, token: TokenRef, kind: FacetKind, outcome: FacetOutcome) -> None:
        self._outcomes[(token, kind)] = outcome
        if outcome.applicable:
            p = self.progress[kind]
            p.total += 1
            p.done += 1
        self._check_done()

    def wait_for(self, token: TokenRef, kind: FacetKind, fut: asyncio.Future[AnyFacet]) -> None:
        self._waiting[(token, kind)] = fut
        self.progress[kind].total += 1
        key = (token, kind)
        fut.add_done_callback(lambda f: self._landed(key, f))

    def _landed(self, key: tuple[TokenRef, FacetKind], fut: asyncio.Future[AnyFacet]) -> None:
        if self._waiting.pop(key, None) is None:
            return
        kind = key[1]
        exc = None if fut.cancelled() else fut.exception()
        if fut.cancelled():
            outcome = FacetOutcome(kind, note=INTERRUPTED)
        elif isinstance(exc, TokenradarError) and hasattr(exc, "kind"):
            # e.g. the lane's circuit is open: say so, with when it may be retried
            outcome = FacetOutcome(kind, note=f"{exc.kind}: {exc}")
        elif exc is not None:
            outcome = FacetOutcome(kind, note=INTERRUPTED)
        else:
            outcome = FacetOutcome(kind, facet=fut.result())
        self._outcomes[key] = outcome
        self.progress[kind].done += 1
        self._check_done()

    def _check_done(self) -> None:
        if not self._waiting and len(self._outcomes) == len(self.tokens) * len(self.kinds):
            self._all_done.set()

    # -- for readers ----------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._all_done.is_set()

    async def wait(self) -> None:
        await self._all_done.wait()

    def interrupt(self, reason: str = INTERRUPTED) -> None:
        """Stop waiting: every pair still open ends with ``reason`` (fetches go on)."""
        for key in list(self._waiting):
            self._waiting.pop(key)
            self._outcomes[key] = FacetOutcome(key[1], note=reason)
        self._check_done()
        self._all_done.set()

    def results(self) -> list[TokenResult]:
        """One result per token, in the order given; open pairs show as ``interrupted``."""
        out = []
        for token in self.tokens:
            outcomes = {
                k: self._outcomes.get((token, k)) or FacetOutcome(k, note=INTERRUPTED)
                for k in self.kinds
            }
            out.append(TokenResult(token, outcomes))
        return out


def parse_kinds(text: str | Iterable[str]) -> tuple[FacetKind, ...]:
    """``"market,mint"`` → (MARKET, MINT); an unknown name raises :class:`InvalidInput`."""
    names = text.split(",") if isinstance(text, str) else list(text)
    kinds: list[FacetKind] = []
    for name in (n.strip().lower() for n in names):
        if not name:
            continue
        try:
            kind = FacetKind(name)
        except ValueError:
            known = ", ".join(k.value for k in FacetKind)
            raise InvalidInput(f"unknown facet {name!r} (known: {known})") from None
        if kind not in kinds:
            kinds.append(kind)
    if not kinds:
        raise InvalidInput("no facets given")
    return tuple(kinds)
