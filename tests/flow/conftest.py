"""Helpers for running the engine against the simulated market on loopback."""

from __future__ import annotations

from typing import Any

from tokenradar.settings import Settings
from tokenradar.simulator.config import SimConfig
from tokenradar.simulator.server import SimulatedMarket

#: a quiet, instant market: no added latency, no launches
FAST = {"latency_median_ms": 0.0, "latency_p99_ms": 0.0, "launch_rate": 0.0}


def sim_config(**overrides: Any) -> SimConfig:
    return SimConfig(**{**FAST, **overrides})


def settings_for(sim: SimulatedMarket, **sections: Any) -> Settings:
    """Settings pointing every provider at ``sim``; ``sections`` merge on top."""
    providers: dict[str, dict[str, Any]] = {
        "dexscreener": {"base_url": sim.dexscreener_url},
        "solana_rpc": {"url": sim.rpc_url, "ws_url": sim.ws_url},
        "rugcheck": {"base_url": sim.rugcheck_url},
        "jupiter": {"base_url": sim.jupiter_url},
    }
    for name, values in sections.pop("providers", {}).items():
        providers[name] = {**providers[name], **values}
    return Settings.model_validate({"providers": providers, **sections})


def endpoint(sim: SimulatedMarket, name: str) -> dict[str, Any]:
    stats: dict[str, Any] = sim.stats()["endpoints"].get(name, {})
    return stats
