"""What every provider client shares: settings, one long-lived HTTP session, a lifecycle."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import ClassVar, Self

import aiohttp

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.providers.http import HttpClient
from tokenradar.settings import ProviderSettings


class ProviderClient:
    """Base of the provider clients: opens one :class:`HttpClient`, closes it on exit.

    Subclasses set ``source`` (the provider name carried by facets and errors)
    and add their request methods; ``headers`` are sent with every request.
    """

    source: ClassVar[str]

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        gate: Gate = OPEN_GATE,
        clock: Clock = SYSTEM_CLOCK,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.max_batch = settings.max_batch
        self._clock = clock
        self.http = HttpClient(
            self.source,
            timeout=settings.timeout,
            max_in_flight=settings.max_in_flight,
            gate=gate,
            clock=clock,
            session=session,
            headers=headers,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
