"""What a simulated market looks like: world size, profile, limits, latency, faults.

Everything has a default, so ``SimConfig()`` is the market a new user meets with
``--demo``: 1,000 tokens, the public limits of the real services, realistic
latency. Tests shrink it (``SimConfig(tokens=50, latency_median_ms=0,
latency_p99_ms=0)``), benchmarks pick ``profile="unlimited"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Profile = Literal["public", "unlimited", "chaos"]
PROFILES: tuple[Profile, ...] = ("public", "unlimited", "chaos")

#: EVM tokens (DexScreener only) per Solana token, unless ``evm_tokens`` says otherwise
EVM_SHARE = 0.02

#: The largest world ``tokenradar simulate --tokens`` builds. Building is about
#: 0.25 ms of CPU a token (mostly base58-encoding addresses and checking them
#: against the ed25519 curve): 10,000 tokens took 2.5 s, 20,000 5.1 s and 140 MB,
#: 200,000 52 s and 0.9 GB on a shared 2-core machine. SimConfig has no bound of
#: its own: a benchmark may build a bigger world on purpose.
MAX_CLI_TOKENS = 20_000

#: The four simulated upstreams; fault injection and stats use these names.
PROVIDERS = ("dexscreener", "solana_rpc", "rugcheck", "jupiter")

#: Kinds of fault the server can inject (``inject(provider, kind, ...)``).
FAULT_KINDS = (
    "429",  # rate-limit storm (provider-style 429, not counted against the limit)
    "500",
    "502",
    "503",
    "504",
    "stall",  # hold the request past any sane client timeout, then answer
    "reset",  # abort the TCP connection without an answer
    "truncated",  # 200 with a JSON body cut short (Content-Length matches the cut body)
    "html403",  # a Cloudflare "Attention Required" HTML page with status 403
    "malformed",  # 200 with valid JSON whose values have the wrong types
)


@dataclass(frozen=True, slots=True)
class LimitSpec:
    """At most ``limit`` units in any sliding ``window`` seconds, per client IP."""

    name: str
    limit: int
    window: float


@dataclass(frozen=True, slots=True)
class ChaosRates:
    """Per-request probabilities of each fault in the ``chaos`` profile (per provider)."""

    server_error: float = 0.02  # 500/502/503/504
    stall: float = 0.005
    reset: float = 0.005
    truncated: float = 0.01
    html403: float = 0.005  # DexScreener only (Cloudflare sits in front of it)
    malformed: float = 0.01
    burst_every_s: float = 90.0  # on average one 429 storm per provider per this many seconds
    burst_length_s: float = 4.0
    outage_at_s: float = 60.0  # wall seconds after start of the one 20 s outage (all 503)
    outage_length_s: float = 20.0
    outage_provider: str = "*"  # "*" = every provider


@dataclass(frozen=True, slots=True)
class SimConfig:
    """A simulated market.

    ``latency_median_ms=0`` and ``latency_p99_ms=0`` remove added latency.
    ``time_scale`` makes world time (prices, rugs, authority revocations) run
    faster than wall time; rate limits and latency always use wall time.
    """

    tokens: int = 1000  # Solana tokens (majors included); EVM ones come on top
    seed: int = 7
    profile: Profile = "public"
    latency_median_ms: float = 60.0
    latency_p99_ms: float = 400.0
    launch_rate: float = 0.2  # new pump.fun pools per wall second (0 = none)
    evm_tokens: int | None = None  # None = 2% of ``tokens`` (at least 1), DexScreener only
    time_scale: float = 1.0
    start_time: float | None = None  # world epoch at start; None = the clock's now()
    trade_noise_rate: float = 0.5  # pump.fun Buy/Sell log notifications per launch (noise)
    # RugCheck publishes no limit; this one is the simulator's and clients must discover it.
    rugcheck_limit: int = 30
    rugcheck_window_s: float = 10.0
    rpc_max_concurrent: int = 40
    stall_s: float = 30.0
    chaos: ChaosRates = field(default_factory=ChaosRates)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            raise ValueError(f"tokens must be >= 0, got {self.tokens}")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        if self.latency_median_ms < 0 or self.latency_p99_ms < 0:
            raise ValueError("latency_median_ms and latency_p99_ms must be >= 0")
        if self.latency_p99_ms and self.latency_p99_ms < self.latency_median_ms:
            raise ValueError(
                f"latency_p99_ms ({self.latency_p99_ms}) must be >= "
                f"latency_median_ms ({self.latency_median_ms})"
            )
        if self.launch_rate < 0:
            raise ValueError(f"launch_rate must be >= 0, got {self.launch_rate}")
        if self.time_scale < 0:
            raise ValueError(f"time_scale must be >= 0, got {self.time_scale}")
        if self.evm_tokens is not None and self.evm_tokens < 0:
            raise ValueError(f"evm_tokens must be >= 0, got {self.evm_tokens}")
        if self.rugcheck_limit < 1 or self.rugcheck_window_s <= 0:
            raise ValueError("rugcheck_limit must be >= 1 and rugcheck_window_s > 0")

    @classmethod
    def of_size(cls, total: int, **fields: Any) -> SimConfig:
        """A world of exactly ``total`` tokens before any launch, the EVM share
        (2 %, at least one from 2 tokens up) among them rather than on top:
        ``scan --demo N`` scans N tokens."""
        if total < 0:
            raise ValueError(f"total must be >= 0, got {total}")
        evm = max(1, round(total * EVM_SHARE)) if total >= 2 else 0
        return cls(tokens=total - evm, evm_tokens=evm, **fields)

    @property
    def evm_token_count(self) -> int:
        if self.evm_tokens is not None:
            return self.evm_tokens
        return max(1, round(self.tokens * EVM_SHARE)) if self.tokens else 0

    @property
    def enforces_limits(self) -> bool:
        return self.profile != "unlimited"

    def limits(self) -> dict[str, LimitSpec]:
        """The per-IP limits of the real public services (tracked in every profile,
        enforced in ``public`` and ``chaos``)."""
        specs = [
            # /tokens/v1, /latest/dex/tokens, /token-pairs/v1 share one budget.
            LimitSpec("dexscreener.pairs", 300, 60.0),
            # /token-profiles/latest/v1 and /token-boosts/latest/v1.
            LimitSpec("dexscreener.feeds", 60, 60.0),
            # Every call in a JSON-RPC batch counts, in all and per method.
            LimitSpec("solana_rpc.all", 100, 10.0),
            LimitSpec("solana_rpc.method", 40, 10.0),
            LimitSpec("jupiter.price", 30, 60.0),
            LimitSpec("rugcheck", self.rugcheck_limit, self.rugcheck_window_s),
        ]
        return {s.name: s for s in specs}
