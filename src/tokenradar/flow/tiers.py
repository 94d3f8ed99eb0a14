"""When a facet is due again: its tier's freshness target, tightened after launch.

Tiers are set by scoring (hot: new pools, high scores, big moves; cold: the
long tail); this module only turns a tier into a due time, so that the scarce
budgets (holders at ~4 tokens/s on public RPC) go where freshness matters.
"""

from __future__ import annotations

from typing import Any

from tokenradar.domain import Facet, FacetKind, FacetState, Tier
from tokenradar.flow.config import TiersSettings


def freshness_target(
    tiers: TiersSettings,
    kind: FacetKind,
    tier: Tier,
    *,
    launched_at: float | None = None,
    now: float,
) -> float:
    """Seconds a facet of ``kind`` may age for a token of ``tier``.

    A token launched less than ``launch_window`` ago is refreshed at least every
    ``after_launch`` (mint authorities are often revoked minutes after launch).
    """
    fresh = tiers.freshness(kind)
    target = fresh.target(tier)
    young = launched_at is not None and now - launched_at < tiers.launch_window
    if young and fresh.after_launch is not None:
        target = min(target, fresh.after_launch)
    return target


def next_due(
    tiers: TiersSettings,
    facet: Facet[Any],
    tier: Tier,
    *,
    launched_at: float | None = None,
    lead: float = 0.0,
) -> float:
    """Epoch seconds at which ``facet`` should be fetched again.

    An error facet (retries for this refresh spent) comes back after
    ``error_retry`` rather than a full target, so an outage does not leave a
    cold token unknown for hours. ``lead`` (seconds, at most a fifth of the
    target) makes it due that much early: the time a lane takes to get to it
    (its budget's spacing plus a round trip), so the new value lands *within*
    the target instead of just after it.
    """
    target = freshness_target(
        tiers, facet.kind, tier, launched_at=launched_at, now=facet.fetched_at
    )
    if facet.state is FacetState.ERROR:
        target = min(target, tiers.error_retry)
    return facet.fetched_at + target - min(lead, target / 5)
