"""Honest server-side counters: what each endpoint received and how it answered.

Endpoint names: ``dexscreener.tokens`` (/tokens/v1), ``dexscreener.latest_tokens``
(/latest/dex/tokens), ``dexscreener.token_pairs``, ``dexscreener.token_profiles``,
``dexscreener.token_boosts``, ``solana_rpc`` (HTTP requests; batch size = calls
per request), ``solana_rpc.<method>`` (calls; batch size = keys per
getMultipleAccounts), ``rugcheck.report``, ``rugcheck.summary``, ``jupiter.price``.

Every request received ends as exactly one of: ``ok`` (a normal answer, 2xx),
``client_errors`` (4xx or a JSON-RPC error object the client caused),
``rate_limited`` (a 429 for exceeding a limit) or a fault in ``faults`` (by kind).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class EndpointStats:
    received: int = 0
    ok: int = 0
    client_errors: int = 0
    rate_limited: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    batch_sizes: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        sizes = self.batch_sizes
        total = sum(sizes.values())
        return {
            "received": self.received,
            "ok": self.ok,
            "client_errors": self.client_errors,
            "rate_limited": self.rate_limited,
            "faults": dict(sorted(self.faults.items())),
            "faults_total": sum(self.faults.values()),
            # {"30": 95, "12": 5}: how many requests carried that many addresses/keys/calls
            "batch_sizes": {str(k): v for k, v in sorted(sizes.items())},
            "mean_batch": (sum(k * v for k, v in sizes.items()) / total) if total else None,
        }


class Stats:
    def __init__(self) -> None:
        self.endpoints: dict[str, EndpointStats] = {}
        self.ws: Counter[str] = Counter()

    def ep(self, name: str) -> EndpointStats:
        e = self.endpoints.get(name)
        if e is None:
            e = self.endpoints[name] = EndpointStats()
        return e

    def received(self, name: str, batch: int | None = None) -> None:
        e = self.ep(name)
        e.received += 1
        if batch is not None:
            e.batch_sizes[batch] += 1

    def outcome(self, name: str, status: int) -> None:
        e = self.ep(name)
        if status == 429:
            e.rate_limited += 1
        elif status >= 400:
            e.client_errors += 1
        else:
            e.ok += 1

    def fault(self, name: str, kind: str) -> None:
        self.ep(name).faults[kind] += 1

    def reset(self) -> None:
        self.endpoints.clear()
        self.ws.clear()

    def as_dict(self) -> dict[str, Any]:
        return {name: e.as_dict() for name, e in sorted(self.endpoints.items())}
