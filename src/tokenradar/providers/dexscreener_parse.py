"""Pure parsers for DexScreener payloads: pairs → MarketData, profiles, boosts.

How a token's pairs become one :class:`~tokenradar.domain.MarketData`:

- A pair belongs to a requested token when its ``chainId`` is the token's chain
  and its ``baseToken.address`` is the token's address (case-insensitive on EVM
  chains). Pairs where the token is only the QUOTE token are ignored: their
  ``priceUsd``, volumes and price changes describe the other token, and most of
  their liquidity is the other side's, so counting them would overstate market
  depth. (The real fixtures show this: USELESS is the quote of 9 of 27 pairs.)
- The best pair is the one with the most ``liquidity.usd``; when no pair reports
  liquidity, DexScreener's own order (relevance) decides. Price, price changes,
  symbol/name, dex and quote come from the best pair; fdv/market cap from the
  most liquid pair that reports them.
- ``liquidity_usd`` sums only the pairs that report it and is None when none
  do: missing liquidity is unknown, not zero. Volumes and txns are summed over
  the pairs that report each window (None when none do).
- ``pair_created_at`` is the oldest pair's ``pairCreatedAt`` (epoch ms → s).
- websites/socials are the union over the token's pairs, best pair first.
- A field of the wrong type (``"priceUsd": "abc"``, a string for liquidity)
  becomes None; only a non-array top level is a :class:`MalformedResponse`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tokenradar.domain import (
    Facet,
    FacetKind,
    Link,
    MarketData,
    TokenRef,
    absent_facet,
    ok_facet,
)
from tokenradar.errors import InvalidAddress, MalformedResponse
from tokenradar.providers.coerce import as_dict, as_float, as_int, as_list, as_str

SOURCE = "dexscreener"


@dataclass(frozen=True, slots=True)
class TokenProfile:
    """One entry of ``/token-profiles/latest/v1``: a token that paid for a profile."""

    token: TokenRef
    url: str | None
    icon: str | None
    description: str | None
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class TokenBoost:
    """One entry of ``/token-boosts/latest/v1``: a token that bought boosts."""

    token: TokenRef
    amount: float | None  # boosts bought in this order
    total_amount: float | None  # boosts active in total
    url: str | None
    description: str | None
    links: tuple[Link, ...] = ()


def _key(chain: str, address: str) -> tuple[str, str]:
    # TokenRef lower-cases EVM addresses; DexScreener echoes checksummed ones
    return (chain, address) if chain == "solana" else (chain, address.lower())


def _liquidity(pair: dict[str, Any]) -> float | None:
    return as_float(as_dict(pair.get("liquidity")).get("usd"))


def _sum_floats(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _sum_ints(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _link(entry: object) -> Link | None:
    item = as_dict(entry)
    url = as_str(item.get("url"))
    if url is None:
        return None
    kind = as_str(item.get("type")) or as_str(item.get("label")) or "website"
    return Link(kind.lower(), url)


def _aggregate(pairs: list[dict[str, Any]]) -> MarketData:
    liquidity = [_liquidity(p) for p in pairs]
    # most liquid first; pairs without liquidity keep API order after them
    ranked = sorted(
        range(len(pairs)), key=lambda i: (liquidity[i] is None, -(liquidity[i] or 0.0), i)
    )
    ordered = [pairs[i] for i in ranked]
    best = ordered[0]
    base = as_dict(best.get("baseToken"))
    changes = as_dict(best.get("priceChange"))

    volumes = [as_dict(p.get("volume")) for p in pairs]
    trades = [as_dict(p.get("txns")) for p in pairs]

    def volume(key: str) -> float | None:
        return _sum_floats(as_float(v.get(key)) for v in volumes)

    def txns(key: str, side: str) -> int | None:
        return _sum_ints(as_int(as_dict(t.get(key)).get(side)) for t in trades)

    def first_of(field: str) -> float | None:
        return next((v for p in ordered if (v := as_float(p.get(field))) is not None), None)

    created = [as_int(p.get("pairCreatedAt")) for p in pairs]
    created_ms = [c for c in created if c is not None and c > 0]
    # dicts as ordered sets: union over pairs, best pair's links first
    websites: dict[str, None] = {}
    socials: dict[Link, None] = {}
    for pair in ordered:
        info = as_dict(pair.get("info"))
        for entry in as_list(info.get("websites")):
            if (link := _link(entry)) is not None:
                websites.setdefault(link.url)
        for entry in as_list(info.get("socials")):
            if (link := _link(entry)) is not None:
                socials.setdefault(link)
    boosts = [as_int(as_dict(p.get("boosts")).get("active")) for p in pairs]
    return MarketData(
        symbol=as_str(base.get("symbol")),
        name=as_str(base.get("name")),
        pair_count=len(pairs),
        best_pair_address=as_str(best.get("pairAddress")),
        best_dex=as_str(best.get("dexId")),
        quote_symbol=as_str(as_dict(best.get("quoteToken")).get("symbol")),
        price_usd=as_float(best.get("priceUsd")),
        price_native=as_float(best.get("priceNative")),
        liquidity_usd=_sum_floats(liquidity),
        best_pair_liquidity_usd=liquidity[ranked[0]],
        volume_m5=volume("m5"),
        volume_h1=volume("h1"),
        volume_h6=volume("h6"),
        volume_h24=volume("h24"),
        buys_m5=txns("m5", "buys"),
        sells_m5=txns("m5", "sells"),
        buys_h1=txns("h1", "buys"),
        sells_h1=txns("h1", "sells"),
        buys_h24=txns("h24", "buys"),
        sells_h24=txns("h24", "sells"),
        price_change_m5=as_float(changes.get("m5")),
        price_change_h1=as_float(changes.get("h1")),
        price_change_h6=as_float(changes.get("h6")),
        price_change_h24=as_float(changes.get("h24")),
        pair_created_at=min(created_ms) / 1000.0 if created_ms else None,
        fdv=first_of("fdv"),
        market_cap=first_of("marketCap"),
        websites=tuple(websites),
        socials=tuple(socials),
        boosts_active=max((b for b in boosts if b is not None and b > 0), default=0),
    )


def parse_pairs(
    pairs_json: object, tokens: Sequence[TokenRef], *, fetched_at: float
) -> list[Facet[MarketData]]:
    """One market facet per token, in order: ok when it has pairs as base token, else absent.

    ``pairs_json`` is the bare array of ``/tokens/v1`` and ``/token-pairs/v1``
    or the ``pairs`` of ``/latest/dex/tokens`` (where ``null`` means none).
    """
    if pairs_json is None:
        pairs_json = []
    if not isinstance(pairs_json, list):
        raise MalformedResponse(
            SOURCE, f"expected an array of pairs, got {type(pairs_json).__name__}"
        )
    by_token: dict[tuple[str, str], list[dict[str, Any]]] = {}
    wanted = {_key(t.chain, t.address) for t in tokens}
    for item in pairs_json:
        pair = as_dict(item)
        chain = as_str(pair.get("chainId"))
        address = as_str(as_dict(pair.get("baseToken")).get("address"))
        if chain is None or address is None:
            continue
        key = _key(chain, address)
        if key in wanted:
            by_token.setdefault(key, []).append(pair)
    facets: list[Facet[MarketData]] = []
    for token in tokens:
        pairs = by_token.get(_key(token.chain, token.address))
        if pairs:
            facets.append(
                ok_facet(
                    token, FacetKind.MARKET, _aggregate(pairs), fetched_at=fetched_at, source=SOURCE
                )
            )
        else:
            facets.append(
                absent_facet(token, FacetKind.MARKET, fetched_at=fetched_at, source=SOURCE)
            )
    return facets


def _feed_entries(data: object, what: str) -> list[dict[str, Any]]:
    # documented as an object, served as an array: accept both
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return [e for e in data if isinstance(e, dict)]
    raise MalformedResponse(SOURCE, f"expected {what} as an array, got {type(data).__name__}")


def _feed_token(entry: dict[str, Any]) -> TokenRef | None:
    chain = as_str(entry.get("chainId"))
    address = as_str(entry.get("tokenAddress"))
    if chain is None or address is None:
        return None
    try:
        return TokenRef(chain, address)
    except InvalidAddress:
        return None  # chains we do not track (sui, ton, ...) or junk: not ours to score


def _links(entry: dict[str, Any]) -> tuple[Link, ...]:
    return tuple(link for e in as_list(entry.get("links")) if (link := _link(e)) is not None)


def parse_profiles(data: object) -> list[TokenProfile]:
    """Entries of ``/token-profiles/latest/v1`` on chains we know; others are skipped."""
    profiles = []
    for entry in _feed_entries(data, "token profiles"):
        token = _feed_token(entry)
        if token is not None:
            profiles.append(
                TokenProfile(
                    token=token,
                    url=as_str(entry.get("url")),
                    icon=as_str(entry.get("icon")),
                    description=as_str(entry.get("description")),
                    links=_links(entry),
                )
            )
    return profiles


def parse_boosts(data: object) -> list[TokenBoost]:
    """Entries of ``/token-boosts/latest/v1`` on chains we know; others are skipped."""
    boosts = []
    for entry in _feed_entries(data, "token boosts"):
        token = _feed_token(entry)
        if token is not None:
            boosts.append(
                TokenBoost(
                    token=token,
                    amount=as_float(entry.get("amount")),
                    total_amount=as_float(entry.get("totalAmount")),
                    url=as_str(entry.get("url")),
                    description=as_str(entry.get("description")),
                    links=_links(entry),
                )
            )
    return boosts
