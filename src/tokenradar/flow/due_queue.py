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
NORMAL = 2  # routine refresh at the freshness target of the token's tier


class DueQueue(Generic[K]):
    def __init__(self, on_schedule: Callable[[], None] | None = None) -> None:
        # heap of (priority, due, seq, key); ``seq`` is unique, so tuple
        # comparison never reaches ``key`` (which need not be orderable).
        self._heap: list[tuple[int, float, int, K]] = []
        # key -> its live entry; a heap entry whose seq differs is dead
        self._live: dict[K, tuple[int, float, int]] = {}
        self._seq = itertools.count()
        #: called after every :meth:`schedule`, e.g. to wake the lane that drains this queue
        self.on_schedule = on_schedule

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
        seq = next(self._seq)
        self._live[key] = (priority, due, seq)
        heapq.heappush(self._heap, (priority, due, seq, key))
        self._maybe_compact()
        if self.on_schedule is not None:
            self.on_schedule()

    def reschedule(self, key: K, due: float, priority: int = NORMAL) -> None:
        """Put ``key`` at exactly this place, more or less urgent than before."""
        self.remove(key)
        self.schedule(key, due, priority)

    def remove(self, key: K) -> bool:
        if self._live.pop(key, None) is None:
            return False
        self._maybe_compact()
        return True

    def _maybe_compact(self) -> None:
        # Dead entries are dropped lazily at the head; sweep them all when they
        # outnumber the live ones, so memory stays O(live).
        if len(self._heap) > 2048 and len(self._heap) > 2 * len(self._live):
            self._heap = [e for e in self._heap if self._alive(e)]
            heapq.heapify(self._heap)

    def _alive(self, e: tuple[int, float, int, K]) -> bool:
        live = self._live.get(e[3])
        return live is not None and live[2] == e[2]

    def _head(self) -> tuple[int, float, int, K] | None:
        heap = self._heap
        while heap and not self._alive(heap[0]):
            heapq.heappop(heap)
        return heap[0] if heap else None

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
        """Like :meth:`take`, with the priority each token was queued at."""
        out: list[tuple[K, int]] = []
        limit = math.inf if horizon is None else now + horizon
        while len(out) < n:
            head = self._head()
            if head is None or (head[0] >= NORMAL and head[1] > limit):
                break
            heapq.heappop(self._heap)
            del self._live[head[3]]
            out.append((head[3], head[0]))
        return out

    def overdue(self, now: float) -> int:
        """How many tokens are due by ``now`` (O(n); for stats, not for the hot path)."""
        return sum(1 for p, due, _ in self._live.values() if p < NORMAL or due <= now)

    def takeable(self, n: int, now: float, horizon: float | None = None) -> int:
        """How many tokens :meth:`take` would return now (without taking them).

        O(min(n, live) log live) through the heap's smallest entries; for lanes that
        pay per token, which must wait for the budget of what they will send.
        """
        if horizon is None:
            return min(n, len(self._live))
        limit = now + horizon
        count = 0
        # the heap may hold dead entries: look at enough of its head to find n live ones
        look = n
        while True:
            head = heapq.nsmallest(look, self._heap)
            count = 0
            for e in head:
                if not self._alive(e):
                    continue
                if e[0] >= NORMAL and e[1] > limit:
                    return count
                count += 1
                if count == n:
                    return count
            if len(head) < look:
                return count
            look *= 2


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
