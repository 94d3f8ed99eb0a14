"""Single-flight: concurrent requests for the same thing share one fetch.

Two scans asking for the holders of the same token while it is already queued
(or on the wire) must not cost two requests: the first caller *leads* (it
causes the fetch), later callers *join* and get the same result. Results are
not cached here; once a flight lands, the next caller starts a new one (the
facet store decides what is fresh enough).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Future[V]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._flights

    def __len__(self) -> int:
        return len(self._flights)

    def snapshot(self) -> list[K]:
        """The keys of the flights up now (a copy: safe to crash them while iterating)."""
        return list(self._flights)

    def join(self, key: K) -> tuple[asyncio.Future[V], bool]:
        """The future of ``key``'s flight, and whether the caller leads (started it)."""
        fut = self._flights.get(key)
        if fut is not None:
            return fut, False
        fut = asyncio.get_running_loop().create_future()
        self._flights[key] = fut
        return fut, True

    def land(self, key: K, value: V) -> bool:
        """Deliver ``value`` to everyone waiting on ``key``; False if nobody was."""
        fut = self._flights.pop(key, None)
        if fut is None or fut.done():
            return False
        fut.set_result(value)
        return True

    def crash(self, key: K, error: BaseException) -> bool:
        """Fail ``key``'s flight with ``error`` (the waiters see it raised)."""
        fut = self._flights.pop(key, None)
        if fut is None or fut.done():
            return False
        fut.set_exception(error)
        fut.exception()  # nobody may be left to read it: do not warn "never retrieved"
        return True

    def abort_all(self, error: BaseException) -> None:
        for key in list(self._flights):
            self.crash(key, error)

    async def do(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """Run ``fetch`` unless a flight for ``key`` is already up; share its result."""
        fut, leader = self.join(key)
        if not leader:
            return await asyncio.shield(fut)
        try:
            value = await fetch()
        except BaseException as exc:
            self.crash(key, exc)
            raise
        self.land(key, value)
        return value
