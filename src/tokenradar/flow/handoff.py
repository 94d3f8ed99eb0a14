"""A bounded, per-key coalescing hand-off from producers that must never wait.

Lanes land facets at the pace of upstream budgets; the storage writer, the
scorer and the streams consume at their own pace. If a lane awaits its
consumers, one slow consumer throttles the upstream requests (a sink sleeping
0.5 s cut the market lane from ~100 to 8 requests in 2 s). A :class:`Handoff`
decouples them: the producer puts synchronously and goes on; the consumer takes
batches when it is ready, and meanwhile only the latest item per key is kept::

    handoff = facet_handoff(max_keys=50_000, name="store")
    handoff.put_many(facets)                       # in the lane: sync, O(1) each, never waits

    while batch := await handoff.get_batch(500):   # in the consumer's task; [] = closed, drained
        await writer.write(batch)

* **Coalescing.** Items are keyed by ``key(item)`` (facets: ``(token, kind)``).
  A newer item replaces the pending one of its key, which keeps its place in
  line; the replaced one counts as ``coalesced``. "Newer" is by
  ``version(item)`` (facets: ``fetched_at``): an item older than the pending
  one of its key (a late arrival) is the one discarded, also ``coalesced``. On a
  tie, the later put wins. Only *pending* items are coalesced: a delivered key
  is forgotten, so consumers must still be newer-wins (the facet store and the
  store writer are).
* **Order and fairness.** ``get_batch`` returns items in the order their keys
  became pending (first-in of the key), so a token updated constantly is
  delivered once per turn and cannot starve the others.
* **Bounded.** At most ``max_keys`` items are pending, whatever the producer
  does. When an item with a new key arrives and the hand-off is full, the
  *oldest* pending key is dropped (``dropped``; logged at the 1st, 2nd, 4th…
  drop). The oldest because it has waited longest and its token's next refresh
  brings a fresher one, while new keys are often the ones that matter (new
  pools): dropping new arrivals would freeze the pending set into a snapshot of
  the past. Size ``max_keys`` at or above the tracked tokens × facet kinds: then
  coalescing alone bounds it, nothing is ever dropped, and a slow consumer just
  sees the latest of everything.
* **Fan-out.** One hand-off per consumer: each consumer's backlog coalesces and
  drops on its own, so a slow consumer never costs another one anything. Items
  are shared, not copied (facets are frozen).
* **Consuming.** ``get_batch(max_items)`` waits until something is pending and
  returns 1 to ``max_items`` items; it is cancel-safe (items leave only when
  returned), so ``asyncio.wait_for`` around it loses nothing.
  ``take_nowait(max_items)`` is the same without waiting.
* **Closing.** After :meth:`Handoff.close`, ``get_batch`` returns what is left
  in batches and then ``[]``, the only time it returns an empty list, so the
  loop above ends after draining; a consumer waiting at close is woken.
  ``put`` after close never raises (lanes may land facets during shutdown): the
  item is counted as ``rejected``.
* **Accounting.** ``received == pending + delivered + coalesced + dropped +
  rejected`` at all times; ``high_water`` is the most items ever pending.

Not thread-safe: put and get from the event loop's thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tokenradar.domain import Facet, FacetKind, TokenRef
from tokenradar.errors import InvalidInput

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

AnyFacet = Facet[Any]
FacetKey = tuple[TokenRef, FacetKind]


@dataclass(frozen=True, slots=True)
class HandoffStats:
    name: str
    max_keys: int
    pending: int  # items waiting now (one per key)
    received: int  # every item put, including rejected ones
    delivered: int  # items returned to the consumer
    coalesced: int  # items superseded by a newer one of their key before delivery
    dropped: int  # items given up because max_keys were pending (the oldest key)
    rejected: int  # items put after close
    high_water: int  # the most items ever pending at once
    closed: bool


class Handoff(Generic[K, T]):
    """Producers ``put`` without waiting; one consumer takes batches (see the module doc)."""

    def __init__(
        self,
        *,
        key: Callable[[T], K],
        max_keys: int,
        version: Callable[[T], float] | None = None,
        name: str = "handoff",
    ) -> None:
        """``version(item)`` orders items of one key (higher is newer); None: last put wins."""
        if max_keys < 1:
            raise InvalidInput(f"max_keys must be >= 1, not {max_keys}")
        self.name = name
        self._key = key
        self._version = version
        self._max_keys = max_keys
        self._pending: OrderedDict[K, T] = OrderedDict()  # in order of each key's arrival
        self._ready = asyncio.Event()
        self._closed = False
        self._received = self._delivered = self._coalesced = 0
        self._dropped = self._rejected = self._high_water = 0

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, item: T) -> None:
        """Hand ``item`` over; never waits, never raises (after close it is rejected)."""
        self._received += 1
        if self._closed:
            self._rejected += 1
            return
        pending = self._pending
        k = self._key(item)
        if k in pending:
            self._coalesced += 1
            version = self._version
            if version is None or version(item) >= version(pending[k]):
                pending[k] = item  # an existing key keeps its place in line
            return
        if len(pending) >= self._max_keys:
            pending.popitem(last=False)
            self._dropped += 1
            if self._dropped & (self._dropped - 1) == 0:  # the 1st, 2nd, 4th... drop
                log.warning(
                    "%s: %d keys pending, dropped the oldest (%d dropped so far): "
                    "its consumer is behind",
                    self.name,
                    self._max_keys,
                    self._dropped,
                )
        pending[k] = item
        self._high_water = max(self._high_water, len(pending))
        self._ready.set()

    def put_many(self, items: Iterable[T]) -> None:
        """:meth:`put` each of ``items``, in order."""
        for item in items:
            self.put(item)

    def take_nowait(self, max_items: int) -> list[T]:
        """Up to ``max_items`` pending items, oldest key first, without waiting."""
        if max_items < 1:
            raise InvalidInput(f"max_items must be >= 1, not {max_items}")
        pending = self._pending
        batch = [pending.popitem(last=False)[1] for _ in range(min(max_items, len(pending)))]
        self._delivered += len(batch)
        return batch

    async def get_batch(self, max_items: int) -> list[T]:
        """Wait for pending items and return 1 to ``max_items`` of them, oldest key first.

        Returns ``[]`` only once closed and drained.
        """
        if max_items < 1:
            raise InvalidInput(f"max_items must be >= 1, not {max_items}")
        while not self._pending:
            if self._closed:
                return []
            self._ready.clear()
            await self._ready.wait()
        return self.take_nowait(max_items)

    def close(self) -> None:
        """Accept no more items; the consumer drains what is pending, then gets ``[]``."""
        self._closed = True
        self._ready.set()

    def stats(self) -> HandoffStats:
        return HandoffStats(
            name=self.name,
            max_keys=self._max_keys,
            pending=len(self._pending),
            received=self._received,
            delivered=self._delivered,
            coalesced=self._coalesced,
            dropped=self._dropped,
            rejected=self._rejected,
            high_water=self._high_water,
            closed=self._closed,
        )


def facet_key(facet: AnyFacet) -> FacetKey:
    return (facet.token, facet.kind)


def facet_version(facet: AnyFacet) -> float:
    return facet.fetched_at


def facet_handoff(max_keys: int, *, name: str = "facets") -> Handoff[FacetKey, AnyFacet]:
    """A hand-off of landed facets, latest per ``(token, kind)`` by ``fetched_at``."""
    return Handoff(key=facet_key, version=facet_version, max_keys=max_keys, name=name)
