"""The seam between provider clients and the flow engine.

Every HTTP request a provider client sends goes through a :class:`Gate`::

    async with self.gate("getMultipleAccounts", cost=1):
        response = await session.post(...)

The engine's gate waits for budget (rate limits, requests in flight) before the
body runs, and learns from how it ends: a :class:`~tokenradar.errors.RateLimited`
escaping the block makes it back off (honouring ``retry_after``), a clean exit
lets it creep back up. ``endpoint`` names the limit the request counts against
(``"tokens"``, ``"profiles"``, an RPC method name, ``"report"``, ``"price"``);
``cost`` is how many calls the upstream counts (one per call in a JSON-RPC batch).

Clients used on their own (tests, one-off calls) get :data:`OPEN_GATE`, which
lets everything through at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class Gate(Protocol):
    def __call__(self, endpoint: str, cost: int = 1) -> AbstractAsyncContextManager[None]: ...


@asynccontextmanager
async def _open(endpoint: str, cost: int = 1) -> AsyncIterator[None]:
    yield


OPEN_GATE: Gate = _open
