"""Cooldowns: the same dedup key does not fire again within its rule's cooldown.

The manager keeps, per dedup key, when it last fired (wall-clock epoch seconds,
as the store keeps ``alerts.last_fired``, so state loaded after a restart is
comparable). At start it loads the keys fired within the longest cooldown
(:meth:`Cooldowns.load`); each firing is then stored by the manager.

Memory is bounded: keys older than the longest cooldown are forgotten as new
ones arrive, and beyond ``max_keys`` the oldest are forgotten early (counted in
``evicted``; such a key may alert again before its cooldown ends, which is
noisy but never silent).
"""

from __future__ import annotations

from collections.abc import Iterable


class Cooldowns:
    def __init__(self, *, max_keys: int, horizon: float) -> None:
        """``horizon``: the longest cooldown; a key last fired longer ago is forgotten."""
        if max_keys < 1:
            raise ValueError(f"max_keys must be >= 1, not {max_keys}")
        self.max_keys = max_keys
        self.horizon = horizon
        # insertion order is firing order: the oldest key is always first
        self._last: dict[str, float] = {}
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._last)

    def last_fired(self, key: str) -> float | None:
        return self._last.get(key)

    def load(self, fired: Iterable[tuple[str, float]]) -> int:
        """Remember ``(dedup_key, last_fired)`` pairs (e.g. from the store); returns how many."""
        pairs = sorted(fired, key=lambda kv: kv[1])
        for key, at in pairs:
            old = self._last.pop(key, None)
            self._last[key] = at if old is None else max(at, old)
        self._evict_excess()
        return len(pairs)

    def try_fire(self, key: str, cooldown: float, now: float) -> bool:
        """True (and remembered as fired at ``now``) unless ``key`` fired within ``cooldown``."""
        last = self._last.get(key)
        # a clock stepped back counts as "within": a late repeat beats a burst of them
        if last is not None and now - last < cooldown:
            return False
        self._last.pop(key, None)
        self._last[key] = now
        self._forget_older_than(now - self.horizon)
        self._evict_excess()
        return True

    def _forget_older_than(self, cutoff: float) -> None:
        while self._last:
            key = next(iter(self._last))
            if self._last[key] >= cutoff:
                return
            del self._last[key]

    def _evict_excess(self) -> None:
        while len(self._last) > self.max_keys:
            del self._last[next(iter(self._last))]
            self.evicted += 1
