"""The simulated world's nouns: tokens, their pairs, fates and hidden truth.

Times called ``tau`` are world seconds relative to the world's start (negative =
before the simulator started); the :class:`~tokenradar.simulator.world.World`
turns them into epoch seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

from tokenradar.domain import TokenRef


class Fate(StrEnum):
    """What will happen (or has happened) to a token: the ground truth to predict."""

    HEALTHY = "healthy"  # trades on, random walk without drift
    RUG = "rug"  # liquidity pulled at ``rug_at``: liquidity ~0, price collapses
    PUMP_AND_DUMP = "pump_and_dump"  # price pumped, then insiders dump it (-85..-98%)
    SLOW_BLEED = "slow_bleed"  # volume dries up, price bleeds out: a dead token
    HONEYPOT = "honeypot"  # buys go through, sells do not (frozen accounts / transfer hook)


AuthorityStatus = Literal["kept", "revoked", "never"]


@dataclass(frozen=True, slots=True)
class AuthorityPlan:
    """A mint or freeze authority over time."""

    status: AuthorityStatus  # kept forever / revoked at ``revoked_at`` / never set
    address: str | None  # the authority while set
    revoked_at: float | None = None  # tau of revocation when ``status == "revoked"``

    def holder_at(self, tau: float) -> str | None:
        if self.status == "never":
            return None
        if self.status == "revoked" and self.revoked_at is not None and tau >= self.revoked_at:
            return None
        return self.address


@dataclass(frozen=True, slots=True)
class Quote:
    address: str
    name: str
    symbol: str
    decimals: int
    usd: float | None = None  # fixed USD price of an odd quote token; None = priced by the world


@dataclass(frozen=True, slots=True)
class PairSpec:
    """One pool of a token on one dex."""

    address: str
    chain: str
    dex_id: str  # DexScreener's dexId
    labels: tuple[str, ...] | None  # None = the key is absent (as on Raydium v4 pairs)
    market_type: str  # RugCheck's marketType
    quote: Quote
    weight: float  # share of the token's liquidity and volume
    created_at: float  # tau
    skew: float  # tiny per-pool price deviation (arbitrage is not perfect)
    missing: frozenset[str]  # DexScreener keys this pair lacks (odd/new pairs)
    program: str  # the AMM program id
    vault_base: str  # token account holding the token's side of the pool
    vault_quote: str
    vault_owner: str  # owner of both vaults (an authority PDA or the pool account)
    vault_owner_is_pool: bool  # True: the owner is the pool account (exists, program-owned)
    lp_mint: str
    lp_locked_pct: float


@dataclass(frozen=True, slots=True)
class MarketParams:
    """Parameters of a token's price/liquidity/volume path (see market.py)."""

    key: int
    p0: float  # USD price at tau 0 (or at creation, for later launches)
    sigma: float  # daily log-volatility
    drift: float  # log drift per day
    liquidity0: float  # USD liquidity at tau 0 / creation
    volume0: float  # USD volume per day at tau 0 / creation
    avg_trade: float  # USD per trade
    wash: bool  # wash trading: many equal, balanced trades
    rug_at: float | None = None
    rug_price_floor: float = 1.0
    rug_liquidity_floor: float = 1.0
    pump_at: float | None = None
    pump_len: float = 0.0
    pump_gain: float = 1.0
    dump_len: float = 0.0
    dump_factor: float = 1.0
    bleed_from: float | None = None
    bleed_rate: float = 0.0  # log price per day while bleeding
    sell_ratio: float = 1.0  # honeypots: sells barely happen
    p0_fdv: float = 0.0  # fully diluted value at tau 0 / creation (USD)


@dataclass(slots=True)
class SimToken:
    index: int
    ref: TokenRef
    key: int
    name: str
    symbol: str
    decimals: int
    supply_raw: int
    circulating: float  # share of supply counted in marketCap
    program: str  # token program id ("" for EVM tokens)
    extensions: tuple[dict[str, Any], ...]
    fate: Fate
    major: bool
    launched_at: float  # tau
    via: str  # how it launched: "pumpfun", "raydium", "meteora", "major", "evm"
    mint_authority: AuthorityPlan
    freeze_authority: AuthorityPlan
    top_wallet_share: float  # share of supply in the largest non-pool wallet
    concentration: float  # how steeply the next holders' shares fall (0..1)
    total_holders: int
    lp_locked_pct: float
    socials: tuple[tuple[str, str], ...]  # (type, url)
    website: str | None
    image: str
    uri: str
    mutable_metadata: bool
    update_authority: str
    creator: str
    clean_looking: bool  # a bad fate drawn with healthy-looking traits
    is_launch: bool  # launched while the simulator runs
    boost: int  # DexScreener boost amount (0 = none)
    market: MarketParams
    pairs: list[PairSpec] = field(default_factory=list)
    bonding_curve: str | None = None
    description: str = ""

    @property
    def is_evm(self) -> bool:
        return self.ref.is_evm

    def rug_time(self) -> float | None:
        return self.market.rug_at if self.fate is Fate.RUG else None


@dataclass(frozen=True, slots=True)
class HolderTruth:
    address: str  # the token account
    owner: str  # its owner
    kind: Literal["wallet", "pool_vault", "bonding_curve", "program"]
    share: float  # of total supply
    amount: int  # raw units


@dataclass(frozen=True, slots=True)
class TokenTruth:
    """The hidden facts about a token at one instant (``GET /_sim/truth/{address}``)."""

    chain: str
    address: str
    symbol: str
    name: str
    fate: str
    major: bool
    is_launch: bool
    launched_at: float  # epoch seconds
    via: str
    rug_at: float | None  # epoch seconds (rug fate only)
    rugged: bool  # the rug has happened by ``as_of``
    pump_at: float | None
    dump_at: float | None
    as_of: float  # epoch seconds of this snapshot
    token_program: str
    extensions: list[str]
    mint_authority: str | None  # at ``as_of``
    mint_authority_status: str
    mint_authority_revoked_at: float | None
    freeze_authority: str | None
    freeze_authority_status: str
    freeze_authority_revoked_at: float | None
    top_wallet_share: float
    holders: list[HolderTruth]
    lp_locked_pct: float
    has_socials: bool
    wash_trading: bool
    clean_looking: bool
    pairs: list[str]
    price_usd: float
    liquidity_usd: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
