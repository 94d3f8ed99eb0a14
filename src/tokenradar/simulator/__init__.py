"""The simulated market: DexScreener, Solana RPC (+ logsSubscribe), RugCheck and
Jupiter on one loopback server over a seeded, evolving world.

See docs/simulator.md. Entry points::

    from tokenradar.simulator import SimConfig, SimulatedMarket, run_simulator
"""

from tokenradar.simulator.config import ChaosRates, LimitSpec, SimConfig
from tokenradar.simulator.model import Fate, TokenTruth
from tokenradar.simulator.server import SimulatedMarket, run_simulator
from tokenradar.simulator.world import World

__all__ = [
    "ChaosRates",
    "Fate",
    "LimitSpec",
    "SimConfig",
    "SimulatedMarket",
    "TokenTruth",
    "World",
    "run_simulator",
]
