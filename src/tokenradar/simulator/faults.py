"""Which fault (if any) a request meets: manual injections and the chaos schedule.

Manual injections (``inject(provider, kind, share=, duration=)``) work in every
profile. The ``chaos`` profile adds, per provider: one 429 storm of
``burst_length_s`` in every ``burst_every_s`` seconds (at a seeded offset), one
outage (every request 503) of ``outage_length_s`` starting ``outage_at_s`` after
start, and per-request faults at the configured rates, drawn from a seeded RNG.

The ``logsSubscribe`` WebSocket has faults of its own (:class:`WsFault`, applied
by the launch hub, ``POST /_sim/ws/faults``): ``drop`` cuts every open
connection without a close frame and refuses new handshakes (503) for
``refuse_for`` seconds; ``silent`` turns every open connection into a
half-dead one that sends nothing and ignores everything, pings included;
``burst`` launches ``count`` pools at once.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from tokenradar.simulator.config import FAULT_KINDS, PROVIDERS, ChaosRates, SimConfig
from tokenradar.simulator.noise import subkey, unit

#: Faults decided before the handler runs (the request never reaches the "backend").
PRE_HANDLER = frozenset({"429", "500", "502", "503", "504", "reset", "html403"})
#: Faults applied to the handler's answer (or that delay it).
POST_HANDLER = frozenset({"truncated", "malformed", "stall"})


#: WebSocket faults (``POST /_sim/ws/faults``)
WS_FAULT_KINDS = ("drop", "silent", "burst")
MAX_BURST = 10_000


@dataclass(frozen=True, slots=True)
class WsFault:
    kind: str
    refuse_for: float = 0.0  # drop: refuse new handshakes this many seconds
    count: int = 1  # burst: how many pools

    def __post_init__(self) -> None:
        if self.kind not in WS_FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r} (known: {', '.join(WS_FAULT_KINDS)})")
        if not 0 <= self.refuse_for <= 3600:
            raise ValueError(f"refuse_for must be in [0, 3600] seconds, got {self.refuse_for}")
        if not 1 <= self.count <= MAX_BURST:
            raise ValueError(f"count must be in [1, {MAX_BURST}], got {self.count}")

    @classmethod
    def parse(cls, body: object) -> WsFault:
        """From ``{"fault": "drop", "refuse_for": 2}``; ValueError says what is wrong."""
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        if "fault" not in body:
            raise ValueError("missing key 'fault'")
        try:
            return cls(
                str(body["fault"]),
                refuse_for=float(body.get("refuse_for", 0.0)),
                count=int(body.get("count", 1)),
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class Injection:
    provider: str  # a provider name or "*"
    kind: str
    share: float  # fraction of matching requests affected
    until: float  # clock.monotonic() deadline


class FaultPlan:
    def __init__(self, config: SimConfig, started: float) -> None:
        self.chaos: ChaosRates | None = config.chaos if config.profile == "chaos" else None
        self.started = started
        self._rng = random.Random(config.seed ^ 0xC4A05)
        self._key = subkey(config.seed, 0xFA17)
        self.injections: list[Injection] = []

    def inject(
        self, provider: str, kind: str, *, share: float, duration: float, now: float
    ) -> None:
        if provider != "*" and provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r} (known: *, {', '.join(PROVIDERS)})")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        if not 0.0 < share <= 1.0:
            raise ValueError(f"share must be in (0, 1], got {share}")
        if duration <= 0:
            raise ValueError(f"duration must be > 0 seconds, got {duration}")
        self.injections.append(Injection(provider, kind, share, now + duration))

    def clear(self) -> None:
        self.injections.clear()

    def pick(self, provider: str, now: float) -> str | None:
        self.injections = [i for i in self.injections if i.until > now]
        for inj in self.injections:
            if inj.provider in ("*", provider) and (
                inj.share >= 1.0 or self._rng.random() < inj.share
            ):
                return inj.kind
        if self.chaos is None:
            return None
        return self._chaos(provider, now - self.started)

    def _chaos(self, provider: str, t: float) -> str | None:
        c = self.chaos
        assert c is not None
        if (
            c.outage_provider in ("*", provider)
            and c.outage_at_s <= t < c.outage_at_s + c.outage_length_s
        ):
            return "503"
        if c.burst_every_s > 0:
            cell = math.floor(t / c.burst_every_s)
            key = subkey(self._key, PROVIDERS.index(provider) if provider in PROVIDERS else 9)
            start = cell * c.burst_every_s + unit(key, cell) * max(
                0.0, c.burst_every_s - c.burst_length_s
            )
            if start <= t < start + c.burst_length_s:
                return "429"
        r = self._rng.random()
        for kind, rate in (
            ("5xx", c.server_error),
            ("stall", c.stall),
            ("reset", c.reset),
            ("truncated", c.truncated),
            ("html403", c.html403 if provider == "dexscreener" else 0.0),
            ("malformed", c.malformed),
        ):
            if r < rate:
                return self._rng.choice(("500", "502", "503", "504")) if kind == "5xx" else kind
            r -= rate
        return None

    def active(self, now: float) -> list[dict[str, object]]:
        return [
            {
                "provider": i.provider,
                "fault": i.kind,
                "share": i.share,
                "remaining_s": i.until - now,
            }
            for i in self.injections
            if i.until > now
        ]
