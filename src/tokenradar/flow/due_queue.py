"""Which tokens a lane fetches next: a priority queue of due times.

One queue per facet (per chain where the provider needs one chain per request).
Each token is in it at most once, ordered by ``(priority, due, arrival)``:

* ``priority`` below :data:`NORMAL` jumps the queue: new pools
  (:data:`NEW_POOL`) and requested scans (:data:`REQUESTED`) are taken before
  any routine refresh, whatever their due time;
* among equals, the most overdue first, then the soonest due, so
  ``take(n, now)`` returns the overdue tokens and fills a batch with the
  tokens that fall due next (a request costs the same with 30 tokens as with 1).

A binary heap with lazy deletion: rescheduling or removing a token marks its
old heap entry dead instead of searching for it, so every operation is
O(log n); dead entries are swept out when they outnumber the live ones.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

NEW_POOL = 0  # a pool created seconds ago: its first data matters most
REQUESTED = 1  # someone is waiting for this token right now (a scan, an API call)
NORMAL = 2  # routine refresh at the freshness target of the token's tier (hot)
WARM = 3  # routine refresh of a warm token
COLD = 4  # routine refresh of a cold token

#: the routine bands, hottest first: an overdue token of a hotter band is taken before
#: any of a colder one, so when a budget cannot cover every tier, hot stays fresh and
#: cold is what waits (earliest-deadline-first alone would let every tier slip alike)
BANDS = (NORMAL, WARM, COLD)

Entry = tuple[int, float, int, K]


class DueQueue(Generic[K]):
    def __init__(self, on_schedule: Callable[[], None] | None = None) -> None:
        # one heap for the prioritised (priority < NORMAL) and one per routine band, of
        # (priority, due, seq, key); ``seq`` is unique, so tuple comparison never
        # reaches ``key`` (which need not be orderable).
        self._heaps: dict[int, list[Entry[K]]] = {b: [] for b in (REQUESTED, *BANDS)}
        # key -> its live entry; a heap entry whose seq differs is dead
        self._live: dict[K, tuple[int, float, int]] = {}
        self._band_live: dict[int, int] = dict.fromkeys(self._heaps, 0)
        self._seq = itertools.count()
        #: called after every :meth:`schedule`, e.g. to wake the lane that drains this queue
        self.on_schedule = on_schedule

    @staticmethod
    def _band(priority: int) -> int:
        if priority < NORMAL:
            return REQUESTED
        return priority if priority in BANDS else COLD

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: object) -> bool:
        return key in self._live

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._live))

    def due_at(self, key: K) -> float | None:
        entry = self._live.get(key)
        return entry[1] if entry is not None else None

    def priority_of(self, key: K) -> int | None:
        entry = self._live.get(key)
        return entry[0] if entry is not None else None

    def schedule(self, key: K, due: float, priority: int = NORMAL) -> None:
        """Put ``key`` in the queue, or move it if already there.

        A token already queued keeps the more urgent of its old and new place:
        a routine reschedule never demotes a pending scan request.
        """
        if math.isnan(due):
            raise ValueError(f"due time of {key!r} is NaN")
        old = self._live.get(key)
        if old is not None and (old[0], old[1]) <= (priority, due):
            return
        if old is not None:
            self._band_live[self._band(old[0])] -= 1
        seq = next(self._seq)
        self._live[key] = (priority, due, seq)
        band = self._band(priority)
        self._band_live[band] += 1
        heapq.heappush(self._heaps[band], (priority, due, seq, key))
        self._maybe_compact(band)
        if self.on_schedule is not None:
            self.on_schedule()

    def reschedule(self, key: K, due: float, priority: int = NORMAL) -> None:
        """Put ``key`` at exactly this place, more or less urgent than before."""
        self.remove(key)
        self.schedule(key, due, priority)

    def remove(self, key: K) -> bool:
        entry = self._live.pop(key, None)
        if entry is None:
            return False
        band = self._band(entry[0])
        self._band_live[band] -= 1
        self._maybe_compact(band)
        return True

    def _maybe_compact(self, band: int) -> None:
        # Dead entries are dropped lazily at the head; sweep a heap when it holds far
        # more entries than its band has live keys, so memory stays O(live).
        heap = self._heaps[band]
        if len(heap) > 2048 and len(heap) > 2 * self._band_live[band]:
            heap[:] = [e for e in heap if self._alive(e)]
            heapq.heapify(heap)

    def _alive(self, e: Entry[K]) -> bool:
        live = self._live.get(e[3])
        return live is not None and live[2] == e[2]

    def _head_of(self, heap: list[Entry[K]]) -> Entry[K] | None:
        while heap and not self._alive(heap[0]):
            heapq.heappop(heap)
        return heap[0] if heap else None

    def _head(self, now: float | None = None) -> Entry[K] | None:
        """The entry :meth:`take` would return first.

        Prioritised entries first; then the hottest band whose head is due by ``now``;
        then (nothing overdue) the soonest due of any band. With ``now`` None, the
        soonest due of all (for when to wake up).
        """
        urgent = self._head_of(self._heaps[REQUESTED])
        if urgent is not None:
            return urgent
        heads = [h for b in BANDS if (h := self._head_of(self._heaps[b])) is not None]
        if not heads:
            return None
        if now is not None:
            for h in heads:  # in band order: hottest first
                if h[1] <= now:
                    return h
        return min(heads, key=lambda h: h[1])

    def peek(self) -> tuple[int, float] | None:
        """``(priority, due)`` of the token that would be taken first."""
        head = self._head()
        return (head[0], head[1]) if head is not None else None

    def next_due(self) -> float | None:
        """When the first token falls due: ``-inf`` for a prioritised one, None if empty."""
        head = self._head()
        if head is None:
            return None
        return -math.inf if head[0] < NORMAL else head[1]

    def take(self, n: int, now: float, horizon: float | None = None) -> list[K]:
        """Remove and return up to ``n`` tokens: prioritised, then overdue, then soonest due.

        ``horizon`` (seconds) limits the fill to tokens due by ``now + horizon``.
        """
        return [key for key, _ in self.take_with_priority(n, now, horizon)]

    def take_with_priority(
        self, n: int, now: float, horizon: float | None = None
    ) -> list[tuple[K, int]]:
        """Like :meth:`take`, with the priority each token was queued at.

        Order: prioritised tokens; then overdue tokens, hottest band first (most
        overdue first within a band); then the fill, tokens due by ``now + horizon``,
        soonest first.
        """
        out: list[tuple[K, int]] = []
        limit = math.inf if horizon is None else now + horizon
        while len(out) < n:
            head = self._head(now)
            if head is None or (head[0] >= NORMAL and head[1] > limit):
                break
            band = self._band(head[0])
            heapq.heappop(self._heaps[band])
            self._band_live[band] -= 1
            del self._live[head[3]]
            out.append((head[3], head[0]))
        return out

    def takeable(self, n: int, now: float, horizon: float | None = None) -> int:
        """How many tokens :meth:`take` would return now (without taking them).

        O(n log live): the smallest entries of each heap; for lanes that pay per
        token, which must wait for the budget of what they will send.
        """
        limit = math.inf if horizon is None else now + horizon
        count = 0
        for band, heap in self._heaps.items():
            look = n
            while True:
                head = heapq.nsmallest(look, heap)
                found = 0
                for e in head:
                    if not self._alive(e):
                        continue
                    if band != REQUESTED and e[1] > limit:
                        break
                    found += 1
                    if count + found >= n:
                        return n
                else:
                    if len(head) == look and look < len(heap):
                        look *= 2
                        continue
                count += found
                break
        return min(count, n)

    def overdue(self, now: float) -> int:
        """How many tokens are due by ``now`` (O(n); for stats, not for the hot path)."""
        return sum(1 for p, due, _ in self._live.values() if p < NORMAL or due <= now)


class GroupedDueQueue(Generic[K]):
    """One :class:`DueQueue` per group (a chain), taken one group at a time.

    A DexScreener request carries tokens of one chain, so a batch is taken
    from the group whose head is most urgent.
    """

    def __init__(self, group_of: Callable[[K], str], on_schedule: Callable[[], None] | None = None):
        self._group_of = group_of
        self._groups: dict[str, DueQueue[K]] = {}
        self.on_schedule = on_schedule

    def _queue(self, key: K) -> DueQueue[K]:
        group = self._group_of(key)
        q = self._groups.get(group)
        if q is None:
            q = self._groups[group] = DueQueue(self._scheduled)
        return q

    def _scheduled(self) -> None:
        if self.on_schedule is not None:
            self.on_schedule()

    def __len__(self) -> int:
        return sum(len(q) for q in self._groups.values())

    def __contains__(self, key: object) -> bool:
        return any(key in q for q in self._groups.values())

    def schedule(self, key: K, due: float, priority: int = NORMAL) -> None:
        self._queue(key).schedule(key, due, priority)

    def reschedule(self, key: K, due: float, priority: int = NORMAL) -> None:
        self._queue(key).reschedule(key, due, priority)

    def remove(self, key: K) -> bool:
        return self._queue(key).remove(key)

    def due_at(self, key: K) -> float | None:
        return self._queue(key).due_at(key)

    def priority_of(self, key: K) -> int | None:
        return self._queue(key).priority_of(key)

    def _first(self) -> DueQueue[K] | None:
        heads = [(head, q) for q in self._groups.values() if (head := q.peek()) is not None]
        return min(heads, key=lambda hq: hq[0])[1] if heads else None

    def peek(self) -> tuple[int, float] | None:
        q = self._first()
        return q.peek() if q is not None else None

    def next_due(self) -> float | None:
        q = self._first()
        return q.next_due() if q is not None else None

    def take(self, n: int, now: float, horizon: float | None = None) -> list[K]:
        """Up to ``n`` tokens, all of the group whose head is most urgent."""
        q = self._first()
        return q.take(n, now, horizon) if q is not None else []

    def take_with_priority(
        self, n: int, now: float, horizon: float | None = None
    ) -> list[tuple[K, int]]:
        q = self._first()
        return q.take_with_priority(n, now, horizon) if q is not None else []

    def overdue(self, now: float) -> int:
        return sum(q.overdue(now) for q in self._groups.values())

    def takeable(self, n: int, now: float, horizon: float | None = None) -> int:
        """How many tokens :meth:`take` would return now (from the most urgent group)."""
        q = self._first()
        return q.takeable(n, now, horizon) if q is not None else 0

    def __iter__(self) -> Iterator[K]:
        return iter([k for q in self._groups.values() for k in q])
