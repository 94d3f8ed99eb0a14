"""One module per upstream: request building and parsing at the boundary.

Open every client at once, with one session each, and close them together::

    async with open_providers(settings, gates={"dexscreener": dex_gate}) as p:
        facets = await p.dexscreener.fetch_market(tokens)
        mints = await p.solana_rpc.fetch_mints(tokens)

``gates`` maps a provider name (:data:`PROVIDER_NAMES`) to the :class:`Gate`
its requests pass through; providers without one get :data:`OPEN_GATE`.
Sessions are created on first use, so opening is free. ``enabled = false`` in
the settings is the engine's business (it simply runs no lane for it); the
client still exists so that one-off calls work.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.providers.dexscreener import DexScreenerClient, TokenBoost, TokenProfile
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.providers.jupiter import JupiterClient
from tokenradar.providers.pool_feed import LogsSubscription, NewPoolEvent
from tokenradar.providers.pumpfun import PUMPFUN_PROGRAM_ID
from tokenradar.providers.registry import PROVIDER_NAMES, build_client
from tokenradar.providers.rugcheck import RugCheckClient
from tokenradar.providers.solana_rpc import SolanaRpcClient
from tokenradar.settings import ProvidersSettings, Settings

__all__ = [
    "OPEN_GATE",
    "PROVIDER_NAMES",
    "DexScreenerClient",
    "Gate",
    "JupiterClient",
    "LogsSubscription",
    "NewPoolEvent",
    "Providers",
    "RugCheckClient",
    "SolanaRpcClient",
    "TokenBoost",
    "TokenProfile",
    "open_providers",
]


@dataclass(frozen=True, slots=True)
class Providers:
    """Every upstream client, opened together."""

    settings: ProvidersSettings
    dexscreener: DexScreenerClient
    solana_rpc: SolanaRpcClient
    rugcheck: RugCheckClient
    jupiter: JupiterClient
    gates: Mapping[str, Gate]
    clock: Clock

    def pool_feed(self, *, program: str = PUMPFUN_PROGRAM_ID) -> LogsSubscription:
        """A new-pool WebSocket feed on the RPC node; the caller closes it (``aclose``)."""
        return LogsSubscription(
            self.settings.solana_rpc,
            program=program,
            gate=self.gates.get("solana_rpc", OPEN_GATE),
            clock=self.clock,
        )

    async def aclose(self) -> None:
        # every session is closed even if closing one fails (the error still surfaces)
        async with contextlib.AsyncExitStack() as stack:
            for client in (self.dexscreener, self.solana_rpc, self.rugcheck, self.jupiter):
                stack.push_async_callback(client.aclose)


@asynccontextmanager
async def open_providers(
    settings: Settings | ProvidersSettings,
    *,
    gates: Mapping[str, Gate] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> AsyncIterator[Providers]:
    """Open one client per provider; close all their sessions on exit."""
    section = settings.providers if isinstance(settings, Settings) else settings
    gates = dict(gates or {})
    unknown = sorted(set(gates) - set(PROVIDER_NAMES))
    if unknown:
        raise ValueError(f"gates for unknown providers {unknown}; known: {list(PROVIDER_NAMES)}")

    clients = {
        name: build_client(name, section, gate=gates.get(name, OPEN_GATE), clock=clock)
        for name in PROVIDER_NAMES
    }
    providers = Providers(
        settings=section,
        dexscreener=cast(DexScreenerClient, clients["dexscreener"]),
        solana_rpc=cast(SolanaRpcClient, clients["solana_rpc"]),
        rugcheck=cast(RugCheckClient, clients["rugcheck"]),
        jupiter=cast(JupiterClient, clients["jupiter"]),
        gates=gates,
        clock=clock,
    )
    try:
        yield providers
    finally:
        await providers.aclose()
