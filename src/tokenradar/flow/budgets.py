"""Each provider's request budget, built from its settings.

============  =====================================================  ==========================
provider      nodes (every request must fit each node on its path)   endpoints
============  =====================================================  ==========================
dexscreener   ``pairs`` (``rate``) | ``feeds`` (``feed_rate``)         tokens → pairs;
                                                                     profiles, boosts → feeds
solana_rpc    ``all`` (``rate``, ``max_in_flight``) → one            every RPC method
              ``method_rate`` node per method
rugcheck      ``all`` (``rate``, usually ``auto``, ``max_in_flight``)  report, summary
jupiter       ``all`` (``rate``, ``max_in_flight``)                    price
============  =====================================================  ==========================

DexScreener's two limits are separate (neither contains the other), so its
root only caps requests in flight. The RPC nodes pace with a burst allowance
(20 calls for the host, 5 per method; their windows still keep them exact): a
holders batch costs 20 calls at once, and without it a cheap
``getMultipleAccounts`` of the mint lane (100 tokens for one call) would queue
behind the holders' bill for seconds. These budgets are per process; a budget
shared by several workers (not built yet) would build the same tree over shared
counters. Until then, two processes on one machine do not both spend one
upstream's quota in full: see :mod:`tokenradar.flow.quota_lock`.
"""

from __future__ import annotations

from dataclasses import replace

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.flow.adaptive import AdaptivePolicy
from tokenradar.flow.limiter import Limiter, LimitNode
from tokenradar.settings import ProvidersSettings

RPC_HOST_BURST = 20.0  # one holders batch of getTokenLargestAccounts
RPC_METHOD_BURST = 5.0


def provider_budgets(
    providers: ProvidersSettings,
    *,
    clock: Clock = SYSTEM_CLOCK,
    policy: AdaptivePolicy | None = None,
) -> dict[str, Limiter]:
    """One :class:`Limiter` per provider, keyed by provider name."""
    dex, rpc, rug, jup = (
        providers.dexscreener,
        providers.solana_rpc,
        providers.rugcheck,
        providers.jupiter,
    )
    pairs = LimitNode("dexscreener.pairs", dex.rate, policy=policy)
    feeds = LimitNode("dexscreener.feeds", dex.feed_rate, policy=policy)
    method_rate = rpc.method_rate
    base = policy or AdaptivePolicy()
    host_policy = replace(base, burst=max(base.burst, RPC_HOST_BURST))
    method_policy = replace(base, burst=max(base.burst, RPC_METHOD_BURST))

    def rpc_method(method: str) -> LimitNode:
        return LimitNode(f"solana_rpc.{method}", method_rate, policy=method_policy)

    return {
        "dexscreener": Limiter(
            "dexscreener",
            root=LimitNode(
                "dexscreener.in_flight", None, max_in_flight=dex.max_in_flight, paced=False
            ),
            routes={"tokens": pairs, "profiles": feeds, "boosts": feeds},
            default=lambda _endpoint: pairs,
            clock=clock,
        ),
        "solana_rpc": Limiter(
            "solana_rpc",
            root=LimitNode(
                "solana_rpc.all", rpc.rate, max_in_flight=rpc.max_in_flight, policy=host_policy
            ),
            default=rpc_method,
            clock=clock,
        ),
        "rugcheck": Limiter(
            "rugcheck",
            root=LimitNode(
                "rugcheck.all", rug.rate, max_in_flight=rug.max_in_flight, policy=policy
            ),
            clock=clock,
        ),
        "jupiter": Limiter(
            "jupiter",
            root=LimitNode("jupiter.all", jup.rate, max_in_flight=jup.max_in_flight, policy=policy),
            clock=clock,
        ),
    }
