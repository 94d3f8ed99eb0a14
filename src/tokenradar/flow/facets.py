"""The facet store: the latest facet per token and kind, in memory.

It keeps two things per ``(token, kind)``: the *latest* facet (which may be an
error: the last refresh failed) and the *last good* one (``ok`` or ``absent``),
so a failed refresh never erases what we knew; readers see both and their
ages, and decide (scoring marks stale values as such).

Newer wins: a facet older than the one held (a slow response overtaken by a
faster one) is ignored.

Bounded: the facets of *pinned* tokens (the engine pins what it tracks) are
kept as long as they are pinned; everything else (a one-off scan's tokens, a
token untracked) is held in LRU order and evicted beyond ``max_unpinned``
tokens or ``max_age`` seconds since it was last written, so a long run that
scans and churns tokens keeps a flat memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tokenradar.domain import Facet, FacetKind, FacetState, TokenRef

AnyFacet = Facet[Any]


@dataclass(frozen=True, slots=True)
class FacetRecord:
    latest: AnyFacet
    last_good: AnyFacet | None  # the newest ok/absent facet, if any


DEFAULT_MAX_UNPINNED = 50_000
DEFAULT_MAX_AGE = 3600.0


class FacetStore:
    def __init__(
        self,
        *,
        max_unpinned: int = DEFAULT_MAX_UNPINNED,
        max_age: float = DEFAULT_MAX_AGE,
    ) -> None:
        if max_unpinned < 0 or max_age <= 0:
            raise ValueError("max_unpinned must be >= 0 and max_age > 0")
        self._records: dict[tuple[TokenRef, FacetKind], FacetRecord] = {}
        self._kinds: dict[TokenRef, set[FacetKind]] = {}
        self._pinned: set[TokenRef] = set()
        #: unpinned tokens, least recently written first, with when (fetched_at)
        self._lru: OrderedDict[TokenRef, float] = OrderedDict()
        self.max_unpinned = max_unpinned
        self.max_age = max_age
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._records)

    @property
    def tokens(self) -> int:
        return len(self._kinds)

    def holds(self, token: TokenRef) -> bool:
        """Whether any facet of ``token`` is held."""
        return token in self._kinds

    @property
    def unpinned(self) -> int:
        return len(self._lru)

    def pin(self, token: TokenRef) -> None:
        """Keep ``token``'s facets until :meth:`unpin` (it is tracked)."""
        self._pinned.add(token)
        self._lru.pop(token, None)

    def unpin(self, token: TokenRef, now: float | None = None) -> None:
        """``token``'s facets may now be evicted (oldest first, beyond the bounds)."""
        if token not in self._pinned:
            return
        self._pinned.discard(token)
        if token in self._kinds:
            self._lru[token] = now if now is not None else self._newest(token)
            self._lru.move_to_end(token)
            self._evict(now)

    def _newest(self, token: TokenRef) -> float:
        records = (self._records.get((token, k)) for k in self._kinds.get(token, ()))
        return max((r.latest.fetched_at for r in records if r is not None), default=0.0)

    def _evict(self, now: float | None) -> None:
        lru = self._lru
        while len(lru) > self.max_unpinned:
            token, _ = lru.popitem(last=False)
            self._drop(token)
        if now is None:
            return
        edge = now - self.max_age
        while lru:
            token, at = next(iter(lru.items()))
            if at > edge:
                break
            lru.popitem(last=False)
            self._drop(token)

    def _drop(self, token: TokenRef) -> None:
        for kind in self._kinds.pop(token, ()):
            self._records.pop((token, kind), None)
        self.evicted += 1

    def sweep(self, now: float) -> None:
        """Evict unpinned tokens not written for ``max_age`` seconds."""
        self._evict(now)

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
        token = facet.token
        self._kinds.setdefault(token, set()).add(facet.kind)
        if token not in self._pinned:
            self._lru[token] = facet.fetched_at
            self._lru.move_to_end(token)
            if len(self._lru) > self.max_unpinned:
                self._evict(None)
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
        self._pinned.discard(token)
        self._lru.pop(token, None)
        for kind in self._kinds.pop(token, ()):
            self._records.pop((token, kind), None)
