"""The nouns of tokenradar: tokens, facets, checks and scores.

Everything here is a frozen dataclass: cheap to build in bulk, hashable where it
is an identity, and safe to share between tasks. Parsing of upstream payloads
into these types happens in ``providers/``; nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

import base58

from tokenradar.errors import InvalidAddress

# ---------------------------------------------------------------------------
# Token identity
# ---------------------------------------------------------------------------

SOLANA = "solana"

#: DexScreener chain ids of EVM chains we accept (addresses 0x + 40 hex).
EVM_CHAINS = frozenset(
    {
        "ethereum",
        "bsc",
        "base",
        "arbitrum",
        "polygon",
        "avalanche",
        "optimism",
        "blast",
        "linea",
        "zksync",
        "sonic",
        "fantom",
        "cronos",
        "mantle",
        "scroll",
    }
)
CHAINS = frozenset({SOLANA}) | EVM_CHAINS

_BASE58_RE = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")
_EVM_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")


def is_solana_address(text: str) -> bool:
    """True when ``text`` is base58 that decodes to exactly 32 bytes."""
    if not _BASE58_RE.match(text):
        return False
    return len(base58.b58decode(text)) == 32


@dataclass(frozen=True, slots=True, order=True)
class TokenRef:
    """A token's identity: ``(chain, address)``.

    Constructing one validates it: Solana addresses must be base58 decoding to
    32 bytes; EVM addresses 0x + 40 hex, normalised to lower case.
    """

    chain: str
    address: str

    def __post_init__(self) -> None:
        chain = self.chain.strip().lower()
        address = self.address.strip()
        if chain not in CHAINS:
            known = ", ".join(sorted(CHAINS))
            raise InvalidAddress(f"unknown chain {self.chain!r} (known: {known})")
        if chain == SOLANA:
            if not is_solana_address(address):
                raise InvalidAddress(
                    f"{self.address!r} is not a Solana address "
                    "(expected base58 decoding to 32 bytes)"
                )
        else:
            if not _EVM_RE.match(address):
                raise InvalidAddress(
                    f"{self.address!r} is not an EVM address for {chain} "
                    "(expected 0x followed by 40 hex digits)"
                )
            address = address.lower()
        object.__setattr__(self, "chain", chain)
        object.__setattr__(self, "address", address)

    @classmethod
    def parse(cls, text: str, default_chain: str | None = None) -> TokenRef:
        """Parse ``chain:address`` or a bare address.

        A bare base58 address is Solana; a bare 0x address needs
        ``default_chain`` (or is taken as ``ethereum``).
        """
        text = text.strip()
        if not text:
            raise InvalidAddress("empty token address")
        if ":" in text:
            chain, _, address = text.partition(":")
            return cls(chain, address)
        if default_chain is not None:
            return cls(default_chain, text)
        if text.startswith("0x"):
            return cls("ethereum", text)
        return cls(SOLANA, text)

    @property
    def is_evm(self) -> bool:
        return self.chain in EVM_CHAINS

    def __str__(self) -> str:
        return f"{self.chain}:{self.address}"


# ---------------------------------------------------------------------------
# Facets: one kind of data about a token from one provider
# ---------------------------------------------------------------------------


class FacetKind(StrEnum):
    MARKET = "market"  # DexScreener pairs, aggregated
    MINT = "mint"  # Solana mint account (authorities, supply, token-2022 extensions)
    HOLDERS = "holders"  # largest accounts, concentration without pool vaults
    RISK = "risk"  # RugCheck report
    PRICE = "price"  # Jupiter price


class FacetState(StrEnum):
    OK = "ok"  # data fetched and parsed
    ABSENT = "absent"  # the provider answered and does not know this token
    ERROR = "error"  # we could not find out; ``error`` says why (never a verdict)


@dataclass(frozen=True, slots=True)
class FacetError:
    kind: str  # an UpstreamError.kind: transient, timeout, rate_limited, malformed, ...
    message: str


@dataclass(frozen=True, slots=True)
class Link:
    kind: str  # "website", "twitter", "telegram", "discord", ...
    url: str


@dataclass(frozen=True, slots=True)
class MarketData:
    """A token's DexScreener pairs, aggregated. ``None`` means the API did not say."""

    symbol: str | None
    name: str | None
    pair_count: int
    best_pair_address: str | None  # the pair with the most USD liquidity
    best_dex: str | None
    quote_symbol: str | None
    price_usd: float | None  # best pair's price
    price_native: float | None
    liquidity_usd: float | None  # sum over pairs that report liquidity; None if none do
    best_pair_liquidity_usd: float | None
    volume_m5: float | None  # volumes and txns summed over pairs
    volume_h1: float | None
    volume_h6: float | None
    volume_h24: float | None
    buys_m5: int | None
    sells_m5: int | None
    buys_h1: int | None
    sells_h1: int | None
    buys_h24: int | None
    sells_h24: int | None
    price_change_m5: float | None  # percent, best pair
    price_change_h1: float | None
    price_change_h6: float | None
    price_change_h24: float | None
    pair_created_at: float | None  # epoch seconds of the oldest pair
    fdv: float | None
    market_cap: float | None
    websites: tuple[str, ...] = ()
    socials: tuple[Link, ...] = ()
    boosts_active: int = 0


class TokenProgram(StrEnum):
    SPL_TOKEN = "spl-token"
    SPL_TOKEN_2022 = "spl-token-2022"


@dataclass(frozen=True, slots=True)
class MintData:
    """The on-chain mint account (getMultipleAccounts, jsonParsed)."""

    program: TokenProgram
    mint_authority: str | None  # None = revoked
    freeze_authority: str | None
    supply: int  # raw units (may exceed 2**53)
    decimals: int
    is_initialized: bool
    #: token-2022 extension names as jsonParsed reports them, e.g.
    #: "transferFeeConfig", "permanentDelegate", "transferHook", "nonTransferable"
    extensions: tuple[str, ...] = ()
    transfer_fee_bps: int | None = None


class HolderKind(StrEnum):
    WALLET = "wallet"  # owned by the system program: a person (or a bot)
    POOL_VAULT = "pool_vault"  # owned by an AMM / bonding curve: liquidity, not a holder
    PROGRAM = "program"  # owned by some other program (lockers, bridges, ...)
    UNKNOWN = "unknown"  # owner could not be classified


@dataclass(frozen=True, slots=True)
class Holder:
    token_account: str
    owner: str | None
    amount: int  # raw units
    share: float  # of supply, 0..1
    kind: HolderKind


@dataclass(frozen=True, slots=True)
class HoldersData:
    supply: int
    decimals: int
    top: tuple[Holder, ...]  # largest accounts, biggest first (up to 20)
    top1_share: float | None  # biggest WALLET/UNKNOWN holder, pool vaults and programs excluded
    top10_share: float | None  # ten biggest WALLET/UNKNOWN holders


@dataclass(frozen=True, slots=True)
class RiskItem:
    name: str
    level: str  # "danger", "warn", "info", ... as RugCheck says
    score: int
    description: str
    value: str = ""


class RiskField(StrEnum):
    """Parts of a RugCheck report whose absence cannot be told from a verdict by value.

    RugCheck answers brand-new tokens with partial reports. ``None`` already
    means "not reported" for most :class:`RiskData` fields, but for these an
    empty or null value is itself a fact (``risks == ()`` is "no risks",
    ``mint_authority is None`` is "revoked", no holder risk listed is "holders
    are fine"), so a report that does not carry them says so in
    :attr:`RiskData.missing`.
    """

    RISKS = "risks"  # the ``risks`` list
    MINT_AUTHORITY = "mint_authority"
    FREEZE_AUTHORITY = "freeze_authority"
    TOP_HOLDERS = "top_holders"  # ``topHolders``: what RugCheck's holder risks are computed from


#: ``RiskData.mint_authority`` / ``freeze_authority`` when the report shows that an
#: authority is set (its account object) without naming its address
AUTHORITY_UNNAMED = "address not reported"


@dataclass(frozen=True, slots=True)
class RiskData:
    """A RugCheck report, reduced to what scoring reads.

    A field listed in ``missing`` is unknown: the report did not carry it, and
    its value here (``()`` / ``None``) means nothing. Rows stored before
    ``missing`` existed decode with it empty.
    """

    score: int | None
    score_normalised: float | None
    risks: tuple[RiskItem, ...]
    rugged: bool | None
    mint_authority: str | None  # None = revoked (unless missing); see AUTHORITY_UNNAMED
    freeze_authority: str | None
    lp_locked_pct: float | None  # best market's LP locked/burned percent, 0..100
    total_holders: int | None
    total_market_liquidity: float | None
    transfer_fee_pct: float | None
    token_program: str | None
    missing: frozenset[RiskField] = frozenset()

    def __post_init__(self) -> None:
        # an unreported part carries no value, so no reader can mistake one for a fact
        if RiskField.RISKS in self.missing and self.risks:
            raise ValueError("RiskData: risks listed although the report carried none")
        for name in (RiskField.MINT_AUTHORITY, RiskField.FREEZE_AUTHORITY):
            if name in self.missing and getattr(self, name.value) is not None:
                raise ValueError(f"RiskData: {name} set although the report did not carry it")

    def reports(self, part: RiskField) -> bool:
        """Whether the report carried ``part`` (so its value here is a fact)."""
        return part not in self.missing

    @property
    def danger_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.risks if r.level == "danger")


@dataclass(frozen=True, slots=True)
class PriceData:
    """Jupiter's price for a token."""

    price_usd: float
    price_change_24h: float | None = None
    block_id: int | None = None


FacetData = MarketData | MintData | HoldersData | RiskData | PriceData
D = TypeVar("D", MarketData, MintData, HoldersData, RiskData, PriceData)


@dataclass(frozen=True, slots=True)
class Facet(Generic[D]):
    """What one provider said (or failed to say) about one token, and when."""

    token: TokenRef
    kind: FacetKind
    state: FacetState
    fetched_at: float  # epoch seconds
    source: str  # provider name, e.g. "dexscreener"
    data: D | None = None
    error: FacetError | None = None

    def __post_init__(self) -> None:
        if (self.state is FacetState.OK) != (self.data is not None):
            raise ValueError(f"{self.kind} facet in state {self.state} must carry data iff ok")
        if (self.state is FacetState.ERROR) != (self.error is not None):
            raise ValueError(f"{self.kind} facet in state {self.state} must carry error iff error")

    def age(self, now: float) -> float:
        return max(0.0, now - self.fetched_at)


def ok_facet(
    token: TokenRef, kind: FacetKind, data: D, *, fetched_at: float, source: str
) -> Facet[D]:
    return Facet(token, kind, FacetState.OK, fetched_at, source, data=data)


def absent_facet(token: TokenRef, kind: FacetKind, *, fetched_at: float, source: str) -> Facet[D]:
    return Facet(token, kind, FacetState.ABSENT, fetched_at, source)


def error_facet(
    token: TokenRef,
    kind: FacetKind,
    *,
    fetched_at: float,
    source: str,
    error_kind: str,
    message: str,
) -> Facet[D]:
    return Facet(
        token, kind, FacetState.ERROR, fetched_at, source, error=FacetError(error_kind, message)
    )


# ---------------------------------------------------------------------------
# Checks and scores
# ---------------------------------------------------------------------------


class CheckState(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"  # the facet is missing, absent or errored: no verdict


class Tier(StrEnum):
    HOT = "hot"  # refreshed often: new pools, high scores, big moves
    WARM = "warm"
    COLD = "cold"  # refreshed rarely


class Decision(StrEnum):
    BUY_CANDIDATE = "buy_candidate"
    WATCH = "watch"
    AVOID = "avoid"


CheckValue = str | float | int | bool | None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One explained line of a score."""

    name: str
    state: CheckState
    value: CheckValue
    source: FacetKind | None  # the facet the value came from
    age_s: float | None  # age of that facet when scored
    points: float  # what this check contributed
    max_points: float  # what it could have contributed
    gate: bool = False  # a failed hard gate forces ``avoid``
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    token: TokenRef
    score: float | None  # 0..100; None when nothing is known
    safety: float | None  # 0..100
    momentum: float | None  # 0..100
    tier: Tier
    decision: Decision
    confidence: float  # 0..1
    scored_at: float  # epoch seconds
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
