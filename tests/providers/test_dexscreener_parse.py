"""parse_pairs against the real captured DexScreener responses, and hostile variants."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tokenradar.domain import FacetState, Link, MarketData, TokenRef
from tokenradar.errors import MalformedResponse
from tokenradar.providers.dexscreener import parse_boosts, parse_pairs, parse_profiles

from .conftest import MINTS, SYMBOLS, load, token

NOW = 1_750_790_600.0


def pairs_of(sym: str) -> list[dict[str, Any]]:
    pairs: list[dict[str, Any]] = load(f"dexscreener_latest_dex_tokens_{sym}.json")["pairs"]
    return pairs


def market(sym: str) -> MarketData:
    (facet,) = parse_pairs(pairs_of(sym), [token(sym)], fetched_at=NOW)
    assert facet.state is FacetState.OK
    assert facet.data is not None
    assert facet.fetched_at == NOW
    assert facet.source == "dexscreener"
    return facet.data


@pytest.mark.parametrize("sym", SYMBOLS)
def test_every_real_fixture_parses_into_an_ok_market_facet(sym: str) -> None:
    data = market(sym)
    assert data.pair_count > 0
    assert data.liquidity_usd is not None
    assert data.best_pair_liquidity_usd is not None
    assert data.liquidity_usd >= data.best_pair_liquidity_usd
    assert data.price_usd is not None
    assert data.pair_created_at is not None


# (pair count as base token, best pair, dex, best-pair liquidity, price, symbol, quote)
HAND_CHECKED = {
    "useless": (
        18, "Q2sPHPdUWFMg7M7wwrQKLrn619cAucfRsmhVJffodSp", "raydium", 2552727.34, 0.1349,
        "USELESS", "SOL",
    ),
    "trump": (
        30, "9d9mb8kooFfaD3SctgZtkxQypkshx6ezhbKio89ixyy2", "meteora", 353970334.31, 9.23,
        "TRUMP", "USDC",
    ),
    "aura": (
        22, "9ViX1VductEoC2wERTSp2TuDxXPwAf69aeET8ENPJpsN", "raydium", 5159472.24, 0.1341,
        "aura", "SOL",
    ),
    "gor": (
        30, "CpaQjgRZuVJ9yv4ewnZXuFhoy2VUwr4pStbTSHvHtK4w", "meteora", 1937538.5, 0.02221,
        "GOR", "SOL",
    ),
    "spx": (
        30, "9t1H1uDJ558iMPNkEPSN1fqkpC4XSPQ6cqSf6uEsTfTR", "raydium", 3702591.95, 1.31,
        "SPX", "SOL",
    ),
    "mumu": (
        22, "FvMZrD1qC66Zw8VPrW15xN1N5owUPqpQgNQ5oH18mR4E", "raydium", 1176509.15, 0.000003474,
        "MUMU", "SOL",
    ),
}  # fmt: skip


@pytest.mark.parametrize("sym", SYMBOLS)
def test_hand_checked_best_pair_and_counts(sym: str) -> None:
    count, best, dex, liquidity, price, symbol, quote = HAND_CHECKED[sym]
    data = market(sym)
    assert data.pair_count == count
    assert data.best_pair_address == best
    assert data.best_dex == dex
    assert data.best_pair_liquidity_usd == pytest.approx(liquidity)
    assert data.price_usd == pytest.approx(price)
    assert data.symbol == symbol
    assert data.quote_symbol == quote


def test_quote_side_pairs_are_not_counted() -> None:
    # USELESS is base of 18 pairs and quote of 9; total liquidity sums the 18 only
    data = market("useless")
    assert data.pair_count == 18
    assert data.liquidity_usd == pytest.approx(6117317.01)


def test_aggregates_hand_checked_for_spx_and_mumu() -> None:
    spx = market("spx")
    assert spx.volume_h24 == pytest.approx(12588279.75)
    assert spx.sells_h1 == 1127
    assert spx.pair_created_at == 1703129888.0  # oldest pair, epoch ms -> s
    assert spx.websites == ("https://www.spx6900.com/",)
    assert set(spx.socials) == {
        Link("telegram", "https://t.me/SPX6900Portal"),
        Link("twitter", "https://twitter.com/spx6900"),
    }
    mumu = market("mumu")
    assert mumu.volume_h24 == pytest.approx(244093.04)
    assert mumu.buys_h24 == 1903
    assert mumu.price_change_h24 == pytest.approx(6.51)
    assert mumu.fdv == 8094842
    assert mumu.market_cap == 8094842
    assert mumu.websites[0] == "https://mumu.ing"  # best pair's links come first
    assert mumu.boosts_active == 0


def test_pair_without_price_or_liquidity_gives_unknown_not_zero() -> None:
    # aura's HDD6... pair (aura/MANIFEST on meteora) has no priceUsd, liquidity, fdv
    pair = next(p for p in pairs_of("aura") if p["pairAddress"].startswith("HDD6XzRj"))
    assert "priceUsd" not in pair
    assert "liquidity" not in pair
    (facet,) = parse_pairs([pair], [token("aura")], fetched_at=NOW)
    data = facet.data
    assert data is not None
    assert data.price_usd is None
    assert data.liquidity_usd is None
    assert data.best_pair_liquidity_usd is None
    assert data.fdv is None
    assert data.price_native == pytest.approx(188.2245)
    assert data.volume_h24 == 0.0  # volume 0 with non-zero txns is what the API said
    assert data.buys_h24 == 29


def test_missing_price_change_windows_are_none() -> None:
    pair = next(p for p in pairs_of("mumu") if p["priceChange"] == {})
    (facet,) = parse_pairs([pair], [token("mumu")], fetched_at=NOW)
    assert facet.data is not None
    assert facet.data.price_change_m5 is None
    assert facet.data.price_change_h24 is None


def test_several_tokens_in_one_response_keep_request_order() -> None:
    pairs = pairs_of("spx") + pairs_of("gor")
    tokens = [token("gor"), token("trump"), token("spx")]
    facets = parse_pairs(pairs, tokens, fetched_at=NOW)
    assert [f.token for f in facets] == tokens
    assert [f.state for f in facets] == [FacetState.OK, FacetState.ABSENT, FacetState.OK]
    assert facets[0].data is not None
    assert facets[0].data.symbol == "GOR"
    assert facets[2].data is not None
    assert facets[2].data.symbol == "SPX"


def test_null_pairs_mean_absent() -> None:
    (facet,) = parse_pairs(None, [token("spx")], fetched_at=NOW)
    assert facet.state is FacetState.ABSENT


@pytest.mark.parametrize("top", [{"pairs": []}, "pairs", 42, True])
def test_non_array_top_level_is_malformed(top: object) -> None:
    with pytest.raises(MalformedResponse, match="dexscreener: expected an array of pairs"):
        parse_pairs(top, [token("spx")], fetched_at=NOW)


def test_wrong_types_inside_a_pair_become_none_not_a_crash() -> None:
    pair = copy.deepcopy(pairs_of("spx")[0])
    pair["priceUsd"] = "abc"
    pair["liquidity"] = "lots"
    pair["volume"] = {"h24": "NaN", "h1": None, "m5": [1], "h6": True}
    pair["txns"] = {"h24": {"buys": "12", "sells": 1.5}, "h1": "x"}
    pair["priceChange"] = None
    pair["pairCreatedAt"] = "yesterday"
    pair["fdv"] = {"usd": 1}
    pair["info"] = {"websites": "https://x", "socials": [None, {"type": "x"}, {"url": 5}]}
    pair["boosts"] = {"active": "many"}
    garbage: list[object] = [None, 7, "pair", [], pair]
    (facet,) = parse_pairs(garbage, [token("spx")], fetched_at=NOW)
    data = facet.data
    assert data is not None
    assert data.pair_count == 1
    assert data.price_usd is None
    assert data.liquidity_usd is None
    assert (data.volume_h24, data.volume_h1, data.volume_m5, data.volume_h6) == (None,) * 4
    assert data.buys_h24 == 12  # digit strings are numbers
    assert data.sells_h24 is None  # 1.5 trades is not a count
    assert data.buys_h1 is None
    assert data.price_change_h24 is None
    assert data.pair_created_at is None
    assert data.fdv is None
    assert data.websites == ()
    assert data.socials == ()
    assert data.boosts_active == 0


def test_evm_addresses_match_case_insensitively_and_chain_must_match() -> None:
    evm = TokenRef("base", "0x" + "Ab" * 20)
    pair = {
        "chainId": "base",
        "pairAddress": "0xpair",
        "baseToken": {"address": "0x" + "aB" * 20, "symbol": "EVM"},
        "liquidity": {"usd": 10.5},
        "boosts": {"active": 3},
    }
    other_chain = dict(pair, chainId="ethereum", liquidity={"usd": 1e9})
    (facet,) = parse_pairs([pair, other_chain], [evm], fetched_at=NOW)
    assert facet.data is not None
    assert facet.data.pair_count == 1
    assert facet.data.liquidity_usd == 10.5
    assert facet.data.boosts_active == 3


def test_best_pair_without_any_liquidity_falls_back_to_api_order() -> None:
    first = {"chainId": "solana", "pairAddress": "A", "baseToken": {"address": MINTS["spx"]}}
    second = dict(first, pairAddress="B")
    (facet,) = parse_pairs([first, second], [token("spx")], fetched_at=NOW)
    assert facet.data is not None
    assert facet.data.best_pair_address == "A"
    assert facet.data.liquidity_usd is None


PROFILES = [
    {
        "url": "https://dexscreener.com/solana/x",
        "chainId": "solana",
        "tokenAddress": MINTS["gor"],
        "icon": "https://cdn/icon.png",
        "description": "trash",
        "links": [
            {"type": "twitter", "url": "https://x.com/g"},
            {"label": "Website", "url": "https://g.xyz"},
            {"label": "broken"},
        ],
    },
    {"chainId": "sui", "tokenAddress": "0x2::sui::SUI"},
    {"chainId": "solana", "tokenAddress": "not-base58!"},
    "junk",
]


def test_profiles_keep_known_chains_and_typed_links() -> None:
    (profile,) = parse_profiles(PROFILES)
    assert profile.token == token("gor")
    assert profile.icon == "https://cdn/icon.png"
    assert profile.links == (Link("twitter", "https://x.com/g"), Link("website", "https://g.xyz"))


def test_boosts_parse_amounts_and_accept_a_single_object() -> None:
    entry = dict(PROFILES[0], amount=10, totalAmount="50")  # type: ignore[arg-type]
    (boost,) = parse_boosts(entry)
    assert boost.token == token("gor")
    assert (boost.amount, boost.total_amount) == (10.0, 50.0)
    with pytest.raises(MalformedResponse):
        parse_boosts("nope")
