"""The facet store: the latest facet per token and kind, in memory.

It keeps two things per ``(token, kind)``: the *latest* facet (which may be an
error: the last refresh failed) and the *last good* one (``ok`` or ``absent``),
so a failed refresh never erases what we knew; readers see both and their
ages, and decide (scoring marks stale values as such).

Newer wins: a facet older than the one held (a slow response overtaken by a
faster one) is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tokenradar.domain import Facet, FacetKind, FacetState, TokenRef

AnyFacet = Facet[Any]


@dataclass(frozen=True, slots=True)
class FacetRecord:
    latest: AnyFacet
    last_good: AnyFacet | None  # the newest ok/absent facet, if any


class FacetStore:
    def __init__(self) -> None:
        self._records: dict[tuple[TokenRef, FacetKind], FacetRecord] = {}

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[FacetRecord]:
        return iter(list(self._records.values()))

    def put(self, facet: AnyFacet) -> bool:
        """Keep ``facet`` if it is newer than what is held; True if it was kept."""
        key = (facet.token, facet.kind)
        old = self._records.get(key)
        if old is not None and facet.fetched_at < old.latest.fetched_at:
            return False
        good = facet if facet.state is not FacetState.ERROR else None
        if good is None and old is not None:
            good = old.last_good
        self._records[key] = FacetRecord(facet, good)
        return True

    def put_many(self, facets: Iterable[AnyFacet]) -> list[AnyFacet]:
        """Keep each newer facet; returns the ones kept."""
        return [f for f in facets if self.put(f)]

    def record(self, token: TokenRef, kind: FacetKind) -> FacetRecord | None:
        return self._records.get((token, kind))

    def latest(self, token: TokenRef, kind: FacetKind) -> AnyFacet | None:
        rec = self._records.get((token, kind))
        return rec.latest if rec is not None else None

    def last_good(self, token: TokenRef, kind: FacetKind) -> AnyFacet | None:
        rec = self._records.get((token, kind))
        return rec.last_good if rec is not None else None

    def forget(self, token: TokenRef) -> None:
        for kind in FacetKind:
            self._records.pop((token, kind), None)
