"""Settings whose providers all talk to a running simulated market.

The one place that knows which simulator URL each provider section takes, for
``--demo`` (``scan``, ``serve``) and the benchmarks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenradar.settings import Settings

if TYPE_CHECKING:
    from tokenradar.simulator.server import SimulatedMarket


def pointed_at(settings: Settings, sim: SimulatedMarket) -> Settings:
    """``settings`` with every provider pointed at ``sim`` (the rest unchanged)."""
    p = settings.providers
    providers = p.model_copy(
        update={
            "dexscreener": p.dexscreener.model_copy(update={"base_url": sim.dexscreener_url}),
            "solana_rpc": p.solana_rpc.model_copy(
                update={"url": sim.rpc_url, "ws_url": sim.ws_url}
            ),
            "rugcheck": p.rugcheck.model_copy(update={"base_url": sim.rugcheck_url}),
            "jupiter": p.jupiter.model_copy(update={"base_url": sim.jupiter_url}),
        }
    )
    return settings.model_copy(update={"providers": providers})
