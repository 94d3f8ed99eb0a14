"""In-memory lane plans and budgets: the engine without HTTP, on any clock.

The engine takes its lanes as plans (:mod:`tokenradar.flow.plans`), so tests of
its own behaviour (supervision, hand-offs, bounds, a soak) plug in a fetcher
that answers from memory instead of patching anything.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import base58

from tokenradar.clock import Clock
from tokenradar.domain import Facet, FacetKind, TokenRef, absent_facet
from tokenradar.flow.lane import LaneSpec
from tokenradar.flow.limiter import Limiter, LimitNode
from tokenradar.flow.plans import Closable, LanePlan
from tokenradar.providers.gate import Gate
from tokenradar.settings import ProviderSettings, Rate


def solana_tokens(n: int, seed: int = 0) -> list[TokenRef]:
    """``n`` distinct, valid Solana token refs (deterministic for a seed)."""
    rng = random.Random(seed)
    return [TokenRef("solana", base58.b58encode(rng.randbytes(32)).decode()) for _ in range(n)]


Fetch = Callable[[Sequence[TokenRef]], Awaitable[Sequence[Facet[Any]]]]


@dataclass
class MemoryClient:
    """Answers every token with an ``absent`` facet stamped by ``clock``; counts calls."""

    kind: FacetKind
    clock: Clock
    gate: Gate
    endpoint: str = "fetch"
    cost_per_token: bool = False
    calls: list[int] = field(default_factory=list)  # batch sizes, in order
    closed: bool = False
    fail_close: bool = False
    answer: Fetch | None = None

    async def fetch(self, tokens: Sequence[TokenRef]) -> Sequence[Facet[Any]]:
        cost = len(tokens) if self.cost_per_token else 1
        async with self.gate(self.endpoint, cost):
            self.calls.append(len(tokens))
            if self.answer is not None:
                return await self.answer(tokens)
            now = self.clock.now()
            return [absent_facet(t, self.kind, fetched_at=now, source="mem") for t in tokens]

    async def aclose(self) -> None:
        self.closed = True
        if self.fail_close:
            raise OSError("close failed")


@dataclass
class MemoryPlans:
    """Plans for ``kinds``, each served by a :class:`MemoryClient` (kept in ``clients``)."""

    clock: Clock
    clients: dict[FacetKind, MemoryClient] = field(default_factory=dict)

    def plan(
        self,
        kind: FacetKind,
        *,
        max_batch: int = 30,
        max_in_flight: int = 2,
        cost_per_token: bool = False,
        fill_horizon: float | None = None,
        fail_close: bool = False,
        answer: Fetch | None = None,
    ) -> LanePlan:
        spec = LaneSpec(
            f"mem.{kind.value}", kind, "mem", "fetch", max_batch, max_in_flight,
            cost_per_token=cost_per_token, fill_horizon=fill_horizon,
        )  # fmt: skip

        def make(gate: Gate) -> tuple[Closable, Any]:
            client = MemoryClient(
                kind, self.clock, gate, cost_per_token=cost_per_token, fail_close=fail_close,
                answer=answer,
            )  # fmt: skip
            self.clients[kind] = client
            return client, client.fetch

        return LanePlan(spec, ProviderSettings(max_batch=max_batch), make)


def memory_budget(clock: Clock, rate: Rate | None = None, *, max_in_flight: int = 8) -> Limiter:
    """One budget named ``mem``: ``rate`` (default 1000/1s) and an in-flight cap."""
    return Limiter(
        "mem",
        root=LimitNode("mem.all", rate or Rate(1000, 1), max_in_flight=max_in_flight),
        clock=clock,
    )
