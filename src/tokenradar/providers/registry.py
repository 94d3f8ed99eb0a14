"""Which client serves which provider: the one way to build provider clients.

Both the engine (one client per lane, each behind its lane's gate) and
:func:`~tokenradar.providers.open_providers` (one-off calls) build clients
through :func:`build_client`, so a new provider (GoPlus) is added here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.providers.client import ProviderClient
from tokenradar.providers.dexscreener import DexScreenerClient
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.providers.jupiter import JupiterClient
from tokenradar.providers.rugcheck import RugCheckClient
from tokenradar.providers.solana_rpc import SolanaRpcClient
from tokenradar.settings import ProviderSettings, ProvidersSettings

ClientFactory = Callable[..., ProviderClient]

#: provider name (as in settings and facets) → its client class
CLIENTS: dict[str, type[ProviderClient]] = {
    "dexscreener": DexScreenerClient,
    "solana_rpc": SolanaRpcClient,
    "rugcheck": RugCheckClient,
    "jupiter": JupiterClient,
}

PROVIDER_NAMES: tuple[str, ...] = tuple(CLIENTS)


def provider_settings(providers: ProvidersSettings, name: str) -> ProviderSettings:
    """The ``[providers.<name>]`` section."""
    if name not in CLIENTS:
        raise ValueError(f"unknown provider {name!r}; known: {', '.join(CLIENTS)}")
    section: ProviderSettings = getattr(providers, name)
    return section


def build_client(
    name: str,
    providers: ProvidersSettings,
    *,
    gate: Gate = OPEN_GATE,
    clock: Clock = SYSTEM_CLOCK,
) -> ProviderClient:
    """A client for provider ``name``, its requests through ``gate``."""
    cls: Any = CLIENTS[name]
    client: ProviderClient = cls(provider_settings(providers, name), gate=gate, clock=clock)
    return client
