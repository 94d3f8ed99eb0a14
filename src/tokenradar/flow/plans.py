"""Lane plans: which provider endpoint serves each facet, and the lane's shape.

The engine builds one lane per :class:`LanePlan` it is given; the default plans
come from :func:`default_plans`, one row of :data:`FACET_LANES` per facet. A new
provider (GoPlus), an in-memory fetcher for a soak test or a worker's remote
fetch is plugged in by passing other plans, without editing the engine.

Batch filling: a lane whose request costs the same however many tokens it
carries (DexScreener, ``getMultipleAccounts``, Jupiter) fills a batch with tokens
due within the provider's ``fill_horizon`` (default 2 min), which costs nothing;
a lane that pays per token (holders: one ``getTokenLargestAccounts`` call each)
sends only what is due, because filling would spend the scarcest budget on
tokens not yet due.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import Facet, FacetKind, TokenRef
from tokenradar.flow.lane import FetchBatch, LaneSpec
from tokenradar.providers.gate import Gate
from tokenradar.providers.registry import build_client, provider_settings
from tokenradar.settings import HOLDERS_MAX_BATCH, ProviderSettings, Settings


class Closable(Protocol):
    async def aclose(self) -> None: ...


#: build the lane's client behind the lane's gate: (what to close, the batch fetch)
ClientMaker = Callable[[Gate], tuple[Closable, FetchBatch]]


@dataclass(frozen=True, slots=True)
class LanePlan:
    spec: LaneSpec
    settings: ProviderSettings  # enabled, timeout (the breaker's "slow")
    make_client: ClientMaker
    #: HTTP requests one batch call makes (holders: 3 in a row), for the breaker's "slow"
    requests_per_call: int = 1


@dataclass(frozen=True, slots=True)
class FacetLane:
    """One row of the catalogue: facet → provider, endpoint, client method."""

    provider: str
    endpoint: str
    method: str  # the client's batch method
    cost_per_token: bool = False
    max_batch_cap: int | None = None
    requests_per_call: int = 1


FACET_LANES: dict[FacetKind, FacetLane] = {
    FacetKind.MARKET: FacetLane("dexscreener", "tokens", "fetch_market"),
    FacetKind.MINT: FacetLane("solana_rpc", "getMultipleAccounts", "fetch_mints"),
    FacetKind.HOLDERS: FacetLane(
        "solana_rpc",
        "getTokenLargestAccounts",
        "fetch_holders",
        cost_per_token=True,
        max_batch_cap=HOLDERS_MAX_BATCH,
        requests_per_call=3,
    ),
    FacetKind.RISK: FacetLane("rugcheck", "report", "fetch_risk"),
    FacetKind.PRICE: FacetLane("jupiter", "price", "fetch_prices"),
}


def default_plan(kind: FacetKind, settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> LanePlan:
    row = FACET_LANES[kind]
    section = provider_settings(settings.providers, row.provider)
    max_batch = section.max_batch
    if row.max_batch_cap is not None:
        max_batch = min(max_batch, row.max_batch_cap)
    horizon = 0.0 if row.cost_per_token else section.fill_horizon
    spec = LaneSpec(
        f"{row.provider}.{kind.value}",
        kind,
        row.provider,
        row.endpoint,
        max_batch,
        section.max_in_flight,
        cost_per_token=row.cost_per_token,
        fill_horizon=horizon,
    )

    def make(gate: Gate) -> tuple[Closable, FetchBatch]:
        client = build_client(row.provider, settings.providers, gate=gate, clock=clock)
        fetch: Callable[[Sequence[TokenRef]], Awaitable[Sequence[Facet[Any]]]] = getattr(
            client, row.method
        )
        return client, fetch

    return LanePlan(spec, section, make, requests_per_call=row.requests_per_call)


def default_plans(
    settings: Settings,
    kinds: Sequence[FacetKind] | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> dict[FacetKind, LanePlan]:
    """The plans of the enabled providers for ``kinds`` (default: every facet)."""
    plans = {}
    for kind in kinds if kinds is not None else tuple(FacetKind):
        plan = default_plan(kind, settings, clock=clock)
        if plan.settings.enabled:
            plans[kind] = plan
    return plans
