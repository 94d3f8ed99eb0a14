"""What the server demonstrably allows an ``auto`` limit: windows that ran with no 429.

The probe of an unknown limit (:mod:`tokenradar.flow.adaptive`) learns the limit
from 429s, but a 429 may also be a fault (a storm of them from a struggling
server). What the server *took* is a fact either way; this keeps it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(slots=True)
class _Slice:
    epoch: int = -1  # which slice of time this holds; another value = empty
    cost: float = 0.0  # sent in it
    ok: float = 0.0  # of which answered with success
    min_pace: float = math.inf  # the lowest pace a request in it went out at
    limited: bool = False  # a request sent in it got a 429


@dataclass(slots=True)
class _Proof:
    value: float
    at: float  # monotonic seconds

    def decayed(self, now: float, half_life: float) -> float:
        return self.value * math.pow(0.5, max(0.0, now - self.at) / half_life)


class KnownGood:
    """What the server demonstrably allows: windows that ran with no 429.

    Sends are counted in ``slices`` ring slots of ``window / slices`` seconds.
    Each time a slot completes, the window that ended one slot earlier (so the
    answers to its requests are in) is judged. If no request sent in it got a
    429 it proves two things:

    * :meth:`rate`: what was sent in it and answered with success (by the next
      slot), less one request: the server took that much, and one less keeps us
      off the exact edge of its limit. The floor.
    * :meth:`pace`: the lowest pace requests went out at, but no more than what
      was sent (plus one: a pace allowed but not used proves nothing). Running
      at it again is no probe, so a 429 there is no news about the limit.

    Each is the highest proven, decaying with ``half_life`` since it was
    proven. O(1) per request.
    """

    def __init__(self, window: float, *, half_life: float, slices: int = 10) -> None:
        self.window = window
        self.half_life = half_life
        self._width = window / slices
        self._n = slices
        self._ring = [_Slice() for _ in range(slices + 2)]  # the window, the lag, the current
        self._head: int | None = None
        self._first: int | None = None  # the first slice anything was sent in
        self._rate: _Proof | None = None
        self._pace: _Proof | None = None

    def _slot(self, epoch: int) -> _Slice:
        s = self._ring[epoch % len(self._ring)]
        if s.epoch != epoch:
            s.epoch, s.cost, s.ok, s.min_pace, s.limited = epoch, 0.0, 0.0, math.inf, False
        return s

    def _advance(self, now: float) -> int:
        epoch = int(now // self._width)
        if self._head is None or epoch > self._head:
            if self._head is not None:
                self._judge(epoch - 2, now)
            self._head = epoch
        return epoch

    def _judge(self, last: int, now: float) -> None:
        first = last - self._n + 1
        if self._first is None or first < self._first:
            return  # the window reaches back before anything was sent
        sent, ok, pace = 0.0, 0.0, math.inf
        for e in range(first, last + 1):
            s = self._ring[e % len(self._ring)]
            if s.epoch != e:
                continue  # nothing was sent in that slice
            if s.limited:
                return
            sent += s.cost
            ok += s.ok
            pace = min(pace, s.min_pace)
        if ok <= 0:
            return  # nothing answered: no evidence either way
        rate = (ok - 1) / self.window
        if rate > 0 and (self._rate is None or rate >= self.rate(now)):
            self._rate = _Proof(rate, now)
        # a pace the lane could not keep up was not what the server saw
        pace = min(pace, (sent + 1) / self.window)
        if self._pace is None or pace >= self.pace(now):
            self._pace = _Proof(pace, now)

    def on_admit(self, now: float, cost: float, pace: float) -> None:
        epoch = self._advance(now)
        s = self._slot(epoch)
        s.cost += cost
        s.min_pace = min(s.min_pace, pace)
        if self._first is None:
            self._first = epoch

    def on_success(self, now: float, sent_at: float | None, cost: float) -> None:
        self._advance(now)
        if sent_at is None:
            return  # not known when it went out: it proves nothing
        epoch = int(sent_at // self._width)
        s = self._ring[epoch % len(self._ring)]
        if s.epoch == epoch:
            s.ok += cost

    def on_limited(self, now: float, sent_at: float) -> None:
        self._advance(now)
        epoch = int(sent_at // self._width)
        s = self._ring[epoch % len(self._ring)]
        if s.epoch == epoch:
            s.limited = True

    def taken(self, since: float, now: float) -> float:
        """What the server answered with success, of what we sent in ``(since, now]``
        (whole slices only, and only what has answered: never more than it took)."""
        first = math.floor(since / self._width) + 1
        last = int(now // self._width)
        total = 0.0
        for e in range(max(first, last - len(self._ring) + 1), last + 1):
            s = self._ring[e % len(self._ring)]
            if s.epoch == e:
                total += s.ok
        return total

    @property
    def pace_proven_at(self) -> float | None:
        """When :meth:`pace` was last proven (or lowered), monotonic seconds."""
        return self._pace.at if self._pace is not None else None

    def rate(self, now: float) -> float:
        """The highest rate the server took cleanly, decayed (0 before any proof)."""
        return self._rate.decayed(now, self.half_life) if self._rate is not None else 0.0

    def pace(self, now: float) -> float:
        """The highest pace used cleanly through a window, decayed (0 before any)."""
        return self._pace.decayed(now, self.half_life) if self._pace is not None else 0.0

    def lower(self, now: float, factor: float) -> float:
        """The server no longer allows it: scale both by ``factor``; the new rate."""
        if self._rate is not None:
            self._rate = _Proof(self.rate(now) * factor, now)
        if self._pace is not None:
            self._pace = _Proof(self.pace(now) * factor, now)
        return self.rate(now)
