"""The World: every token of a seeded market, evolving on an injectable clock.

World time runs ``time_scale`` times faster than the clock; ``tau`` is world
seconds since the start. Everything observable (prices, liquidity, holders,
authorities, rugs) is a pure function of (seed, token, tau), evaluated lazily
when a request asks, so two worlds with the same seed agree at the same tau.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

from tokenradar.clock import Clock
from tokenradar.domain import TokenRef
from tokenradar.errors import InvalidAddress
from tokenradar.simulator import addresses as A
from tokenradar.simulator.config import SimConfig
from tokenradar.simulator.genesis import make_token
from tokenradar.simulator.holders import HolderBook, balances, build_book
from tokenradar.simulator.majors import MAJOR_COUNT, make_evm_token, make_majors, sol_market
from tokenradar.simulator.market import Snapshot, price, snapshot
from tokenradar.simulator.model import HolderTruth, PairSpec, Quote, SimToken, TokenTruth

#: Worlds smaller than this have no majors (tests with a handful of tokens).
MAJORS_FROM = 10
SLOT_SECONDS = 0.4
BASE_SLOT = 345_000_000

AccountKind = Literal["mint", "token_account", "quote_vault", "wallet", "program_account"]


@dataclass(frozen=True, slots=True)
class AccountRef:
    """What lives at an address, for the RPC to render."""

    kind: AccountKind
    token: SimToken | None = None
    pair: PairSpec | None = None  # quote vaults
    program: str = A.SYSTEM_PROGRAM  # owner program of program accounts
    space: int = 0
    lamports: int = 0


class World:
    def __init__(self, config: SimConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._m0 = clock.monotonic()
        self.start = config.start_time if config.start_time is not None else clock.now()
        self.sol = sol_market(config.seed)
        self._tokens: list[SimToken] = []
        self._by_address: dict[str, SimToken] = {}
        self._accounts: dict[str, AccountRef] = {}
        self._books: dict[int, HolderBook] = {}
        self._snaps: dict[int, Snapshot] = {}
        self.launches = 0
        #: newest first: tokens announced in DexScreener's profiles feed
        self.profile_feed: deque[SimToken] = deque(maxlen=60)
        n = config.tokens
        if n >= MAJORS_FROM:
            for tok in make_majors(config.seed, now=0.0):
                self._add(tok)
        for i in range(n - (MAJOR_COUNT if n >= MAJORS_FROM else 0)):
            self._add(make_token(config.seed, i, now=0.0, launch=False))
        for i in range(config.evm_token_count):
            self._add(make_evm_token(config.seed, i, now=0.0))
        recent = sorted(
            (t for t in self._tokens if t.socials and not t.is_evm), key=lambda t: t.launched_at
        )
        self.profile_feed.extend(recent[-30:])
        self.profile_feed.reverse()

    # -- time ---------------------------------------------------------------

    def tau(self) -> float:
        return (self.clock.monotonic() - self._m0) * self.config.time_scale

    def epoch(self, tau: float) -> float:
        return self.start + tau

    def slot(self, tau: float | None = None) -> int:
        t = self.tau() if tau is None else tau
        return BASE_SLOT + int(max(0.0, t) / SLOT_SECONDS)

    # -- registry -----------------------------------------------------------

    def _add(self, tok: SimToken) -> None:
        self._tokens.append(tok)
        key = tok.ref.address.lower() if tok.is_evm else tok.ref.address
        self._by_address[key] = tok
        if tok.is_evm:
            return
        self._accounts[tok.ref.address] = AccountRef("mint", tok, space=_mint_space(tok))
        self._accounts.setdefault(tok.creator, AccountRef("wallet", lamports=_lamports(tok.key, 1)))
        for pair in tok.pairs:
            self._accounts[pair.vault_base] = AccountRef("token_account", tok)
            self._accounts[pair.vault_quote] = AccountRef("quote_vault", tok, pair)
            if pair.vault_owner_is_pool:
                size = 49 if pair.market_type == "pump_fun" else 653
                self._accounts[pair.vault_owner] = AccountRef(
                    "program_account", program=pair.program, space=size, lamports=4_000_000
                )
            elif pair.address != pair.vault_owner:
                self._accounts[pair.address] = AccountRef(
                    "program_account", program=pair.program, space=752, lamports=6_124_800
                )

    @property
    def tokens(self) -> list[TokenRef]:
        return [t.ref for t in self._tokens]

    @property
    def initial_tokens(self) -> list[TokenRef]:
        """The tokens the world started with (:attr:`tokens` adds pools launched since)."""
        return [t.ref for t in self._tokens if not t.is_launch]

    def all_tokens(self) -> list[SimToken]:
        return list(self._tokens)

    def token(self, address: str) -> SimToken | None:
        tok = self._by_address.get(address)
        if tok is None and address.startswith("0x"):
            tok = self._by_address.get(address.lower())
        return tok

    def account(self, address: str) -> AccountRef | None:
        return self._accounts.get(address)

    def book(self, tok: SimToken) -> HolderBook:
        book = self._books.get(tok.key)
        if book is None:
            book = build_book(tok)
            self._books[tok.key] = book
            for slot in book.slots:
                if slot.pair is None:
                    self._accounts[slot.address] = AccountRef("token_account", tok)
                    if slot.kind == "wallet":
                        self._accounts.setdefault(
                            slot.owner,
                            AccountRef("wallet", lamports=_lamports(tok.key, len(self._accounts))),
                        )
                else:
                    self._accounts[slot.address] = AccountRef("token_account", tok)
            if book.escrow_owner is not None:
                self._accounts[book.escrow_owner] = AccountRef(
                    "program_account", program=A.STREAMFLOW_PROGRAM, space=1104, lamports=8_574_720
                )
        return book

    # -- market -------------------------------------------------------------

    def exists(self, tok: SimToken, tau: float) -> bool:
        return tau >= tok.launched_at

    def snapshot(self, tok: SimToken, tau: float | None = None) -> Snapshot:
        t = self.tau() if tau is None else tau
        # Quantised to whole world seconds (a cache), but never before the token exists.
        tq = max(float(math.floor(t)), min(t, tok.launched_at))
        snap = self._snaps.get(tok.key)
        if snap is None or snap.tau != tq:
            market = self.sol if tok.ref.address == A.WSOL_MINT else tok.market
            snap = snapshot(market, tq, tok.launched_at)
            if len(self._snaps) > 200_000:
                self._snaps.clear()
            self._snaps[tok.key] = snap
        return snap

    def sol_price(self, tau: float) -> float:
        return price(self.sol, tau, 0.0)

    def quote_price(self, quote: Quote, tau: float) -> float:
        if quote.usd is not None:
            return quote.usd
        if quote.symbol in ("SOL",):
            return self.sol_price(tau)
        if quote.symbol in ("WETH",):
            return 3000.0 * self.sol_price(tau) / 150.0
        if quote.symbol in ("WBNB",):
            return 600.0 * self.sol_price(tau) / 150.0
        return 1.0

    def holders(self, tok: SimToken, tau: float | None = None) -> list[HolderTruth]:
        t = self.tau() if tau is None else tau
        snap = self.snapshot(tok, t)
        return balances(tok, self.book(tok), snap.price, snap.liquidity, t)

    def rugged(self, tok: SimToken, tau: float) -> bool:
        rug_at = tok.rug_time()
        return rug_at is not None and tau >= rug_at

    # -- launches -----------------------------------------------------------

    def launch(self) -> SimToken:
        """Create the next pump.fun launch now (deterministic: the n-th launch of a seed)."""
        tok = make_token(self.config.seed, self.launches, now=self.tau(), launch=True)
        self.launches += 1
        self._add(tok)
        self.profile_feed.appendleft(tok)
        return tok

    # -- truth --------------------------------------------------------------

    def truth(self, ref: TokenRef | str) -> TokenTruth:
        address = ref.address if isinstance(ref, TokenRef) else ref
        tok = self.token(address)
        if tok is None:
            raise InvalidAddress(f"{address!r} is not a token of this simulated world")
        tau = self.tau()
        snap = self.snapshot(tok, tau)
        m = tok.market
        rug_at = tok.rug_time()
        holders = [] if tok.is_evm else self.holders(tok, tau)
        wallet_shares = [h.share for h in holders if h.kind == "wallet"]
        return TokenTruth(
            chain=tok.ref.chain,
            address=tok.ref.address,
            symbol=tok.symbol,
            name=tok.name,
            fate=tok.fate.value,
            major=tok.major,
            is_launch=tok.is_launch,
            launched_at=self.epoch(tok.launched_at),
            via=tok.via,
            rug_at=self.epoch(rug_at) if rug_at is not None else None,
            rugged=self.rugged(tok, tau),
            pump_at=self.epoch(m.pump_at) if m.pump_at is not None else None,
            dump_at=self.epoch(m.pump_at + m.pump_len) if m.pump_at is not None else None,
            as_of=self.epoch(tau),
            token_program=tok.program,
            extensions=[str(e["extension"]) for e in tok.extensions],
            mint_authority=tok.mint_authority.holder_at(tau),
            mint_authority_status=tok.mint_authority.status,
            mint_authority_revoked_at=_epoch_or_none(self, tok.mint_authority.revoked_at),
            freeze_authority=tok.freeze_authority.holder_at(tau),
            freeze_authority_status=tok.freeze_authority.status,
            freeze_authority_revoked_at=_epoch_or_none(self, tok.freeze_authority.revoked_at),
            top_wallet_share=max(wallet_shares, default=tok.top_wallet_share),
            holders=holders[:20],
            lp_locked_pct=tok.lp_locked_pct,
            has_socials=bool(tok.socials),
            wash_trading=m.wash,
            clean_looking=tok.clean_looking,
            pairs=[p.address for p in tok.pairs],
            price_usd=snap.price,
            liquidity_usd=snap.liquidity,
        )


def _epoch_or_none(world: World, tau: float | None) -> float | None:
    return None if tau is None else world.epoch(tau)


def _mint_space(tok: SimToken) -> int:
    if tok.program == A.TOKEN_2022_PROGRAM:
        return 82 + 83 + 64 * len(tok.extensions) + len(tok.name) + len(tok.symbol) + len(tok.uri)
    return 82


def _lamports(key: int, n: int) -> int:
    return 1_000_000 + (key * 2654435761 + n * 40503) % 50_000_000_000
