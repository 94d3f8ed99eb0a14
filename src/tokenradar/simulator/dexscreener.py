"""DexScreener under ``/dex``: the real paths, JSON shapes and quirks.

- ``GET /tokens/v1/{chainId}/{a,b,...}`` -> bare list of pairs (at most 30
  addresses are looked at; extra ones are ignored, as upstream).
- ``GET /latest/dex/tokens/{a,b,...}`` -> ``{"schemaVersion": "1.0.0", "pairs": [...]}``
  with ``pairs: null`` when nothing is found; at most 30 pairs.
- ``GET /latest/dex/pairs/{chainId}/{p,q,...}``, ``GET /token-pairs/v1/{chainId}/{addr}``.
- ``GET /token-profiles/latest/v1``, ``GET /token-boosts/latest/v1``: feeds.

Quirks kept from the real fixtures: prices are strings with 4 significant digits,
volumes floats, txns ints; ``priceChange`` only has the windows that saw trades
(sometimes ``{}``); pairs quoted in another memecoin lack ``priceUsd``,
``liquidity``, ``fdv`` and ``marketCap`` and show USD volume 0 with trades;
``labels`` is absent on Raydium v4 / PumpSwap / pump.fun pairs; ``info`` only for
tokens with a profile; ``pairCreatedAt`` missing on a few; ``boosts`` on boosted.
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from tokenradar.simulator.gateway import Gateway, Reply
from tokenradar.simulator.genesis import hash_str
from tokenradar.simulator.limits import Charge
from tokenradar.simulator.market import WINDOWS, Snapshot, pool_base_tokens
from tokenradar.simulator.model import PairSpec, SimToken
from tokenradar.simulator.noise import subkey, unit
from tokenradar.simulator.world import World

MAX_ADDRESSES = 30
MAX_PAIRS = 30
MAX_USD = 1e17  # keeps integers inside JSON's safe 64-bit range whatever a path does
PAIRS_LIMIT = [Charge("dexscreener.pairs")]
FEEDS_LIMIT = [Charge("dexscreener.feeds")]


def fmt_price(x: float, *, decimals_above_one: int) -> str:
    """DexScreener's price strings: 4 significant digits below 1 (keeping zeros)."""
    if x <= 0 or not math.isfinite(x):
        return "0"
    if x >= 1:
        return f"{x:.{decimals_above_one}f}"
    digits = -math.floor(math.log10(x)) + 3
    return f"{x:.{digits}f}"


def _split(x: float, key: int, k: int) -> int:
    whole = math.floor(x)
    return int(whole) + (1 if unit(key, k) < x - whole else 0)


def _info(tok: SimToken) -> dict[str, Any]:
    base = f"https://dd.dexscreener.com/ds-data/tokens/{tok.ref.chain}/{tok.ref.address}"
    return {
        "imageUrl": f"{base}.png?key={tok.key % 0xFFFFFF:06x}",
        "header": f"{base}/header.png?key={tok.key % 0xFFFFFF:06x}",
        "openGraph": f"https://cdn.dexscreener.com/token-images/og/{tok.ref.chain}/{tok.ref.address}",
        "websites": [{"label": "Website", "url": tok.website}] if tok.website else [],
        "socials": [{"type": kind, "url": url} for kind, url in tok.socials],
    }


def has_profile(tok: SimToken) -> bool:
    return bool(tok.socials or tok.website)


def render_pair(
    world: World, tok: SimToken, pair: PairSpec, snap: Snapshot
) -> dict[str, Any] | None:
    tau = snap.tau
    if tau < pair.created_at:
        return None
    odd = "priceUsd" in pair.missing
    p_usd = snap.price * (1.0 + pair.skew)
    quote_usd = world.quote_price(pair.quote, tau)
    w = pair.weight
    rkey = subkey(tok.key, hash_str(pair.address))
    step = math.floor(tau)
    txns: dict[str, dict[str, int]] = {}
    volume: dict[str, float] = {}
    change: dict[str, float] = {}
    for i, (name, _, _) in enumerate(WINDOWS):
        buys = _split(snap.buys[name] * w, rkey, step * 8 + 2 * i)
        sells = _split(snap.sells[name] * w, rkey, step * 8 + 2 * i + 1)
        txns[name] = {"buys": buys, "sells": sells}
        if buys + sells and name in snap.change and abs(snap.change[name]) >= 0.005:
            change[name] = round(snap.change[name], 2)
    for name in ("h24", "h6", "h1", "m5"):
        volume[name] = 0 if odd else round(snap.volume[name] * w, 2)
    out: dict[str, Any] = {
        "chainId": pair.chain,
        "dexId": pair.dex_id,
        "url": f"https://dexscreener.com/{pair.chain}/{pair.address.lower()}",
        "pairAddress": pair.address,
    }
    if pair.labels is not None:
        out["labels"] = list(pair.labels)
    out["baseToken"] = {"address": tok.ref.address, "name": tok.name, "symbol": tok.symbol}
    out["quoteToken"] = {
        "address": pair.quote.address,
        "name": pair.quote.name,
        "symbol": pair.quote.symbol,
    }
    out["priceNative"] = fmt_price(p_usd / quote_usd, decimals_above_one=4)
    if "priceUsd" not in pair.missing:
        out["priceUsd"] = fmt_price(p_usd, decimals_above_one=2)
    out["txns"] = txns
    out["volume"] = volume
    out["priceChange"] = {k: change[k] for k in ("m5", "h1", "h6", "h24") if k in change}
    if "liquidity" not in pair.missing:
        liq = snap.liquidity * w
        base = pool_base_tokens(liq / 2.0, p_usd, tok.supply_raw / 10**tok.decimals)
        out["liquidity"] = {
            "usd": round(liq, 2),
            "base": round(min(base, MAX_USD)) if base >= 1000 else round(base, 4),
            "quote": round(liq / 2.0 / quote_usd, 4),
        }
    supply_ui = tok.supply_raw / 10**tok.decimals
    if "fdv" not in pair.missing:
        out["fdv"] = round(min(p_usd * supply_ui, MAX_USD))
    if "marketCap" not in pair.missing:
        out["marketCap"] = round(min(p_usd * supply_ui * tok.circulating, MAX_USD))
    if "pairCreatedAt" not in pair.missing:
        out["pairCreatedAt"] = int(world.epoch(pair.created_at) * 1000)
    if has_profile(tok):
        out["info"] = _info(tok)
    if tok.boost:
        out["boosts"] = {"active": tok.boost}
    return out


def token_pairs(world: World, tok: SimToken, tau: float) -> list[dict[str, Any]]:
    if tau < tok.launched_at:
        return []
    snap = world.snapshot(tok, tau)
    rendered = [render_pair(world, tok, p, snap) for p in tok.pairs]
    pairs = [p for p in rendered if p is not None]
    pairs.sort(key=lambda p: p.get("liquidity", {}).get("usd", -1.0), reverse=True)
    return pairs


def _addresses(text: str) -> list[str]:
    return [a.strip() for a in text.split(",") if a.strip()]


class DexScreenerApi:
    def __init__(self, world: World, gateway: Gateway) -> None:
        self.world = world
        self.gateway = gateway

    def routes(self, prefix: str = "/dex") -> list[web.RouteDef]:
        return [
            web.get(prefix + "/tokens/v1/{chain}/{addresses}", self.tokens_v1),
            web.get(prefix + "/latest/dex/tokens/{addresses}", self.latest_tokens),
            web.get(prefix + "/latest/dex/pairs/{chain}/{pairs}", self.latest_pairs),
            web.get(prefix + "/token-pairs/v1/{chain}/{address}", self.token_pairs_v1),
            web.get(prefix + "/token-profiles/latest/v1", self.profiles),
            web.get(prefix + "/token-boosts/latest/v1", self.boosts),
            web.get(prefix + "/token-boosts/top/v1", self.boosts_top),
        ]

    def _lookup(self, addresses: list[str], chain: str | None) -> list[SimToken]:
        out = []
        for a in addresses[:MAX_ADDRESSES]:
            tok = self.world.token(a)
            if tok is not None and (chain is None or tok.ref.chain == chain):
                out.append(tok)
        return out

    async def tokens_v1(self, request: web.Request) -> web.StreamResponse:
        chain = request.match_info["chain"]
        addresses = _addresses(request.match_info["addresses"])

        async def handle() -> Reply:
            tau = self.world.tau()
            pairs: list[dict[str, Any]] = []
            for tok in self._lookup(addresses, chain):
                pairs.extend(token_pairs(self.world, tok, tau))
            return Reply(payload=pairs)

        return await self.gateway.serve(
            request, "dexscreener", "dexscreener.tokens", PAIRS_LIMIT, handle, batch=len(addresses)
        )

    async def latest_tokens(self, request: web.Request) -> web.StreamResponse:
        addresses = _addresses(request.match_info["addresses"])

        async def handle() -> Reply:
            tau = self.world.tau()
            pairs: list[dict[str, Any]] = []
            for tok in self._lookup(addresses, None):
                pairs.extend(token_pairs(self.world, tok, tau))
            return Reply(payload={"schemaVersion": "1.0.0", "pairs": pairs[:MAX_PAIRS] or None})

        return await self.gateway.serve(
            request,
            "dexscreener",
            "dexscreener.latest_tokens",
            PAIRS_LIMIT,
            handle,
            batch=len(addresses),
        )

    async def latest_pairs(self, request: web.Request) -> web.StreamResponse:
        chain = request.match_info["chain"]
        wanted = set(_addresses(request.match_info["pairs"])[:MAX_ADDRESSES])

        async def handle() -> Reply:
            tau = self.world.tau()
            found: list[dict[str, Any]] = []
            for tok in self.world.all_tokens():
                if tok.ref.chain != chain or not any(p.address in wanted for p in tok.pairs):
                    continue
                found.extend(
                    p for p in token_pairs(self.world, tok, tau) if p["pairAddress"] in wanted
                )
            return Reply(payload={"schemaVersion": "1.0.0", "pairs": found or None})

        return await self.gateway.serve(
            request,
            "dexscreener",
            "dexscreener.latest_pairs",
            PAIRS_LIMIT,
            handle,
            batch=len(wanted),
        )

    async def token_pairs_v1(self, request: web.Request) -> web.StreamResponse:
        chain = request.match_info["chain"]
        address = request.match_info["address"]

        async def handle() -> Reply:
            toks = self._lookup([address], chain)
            pairs = token_pairs(self.world, toks[0], self.world.tau()) if toks else []
            return Reply(payload=pairs)

        return await self.gateway.serve(
            request, "dexscreener", "dexscreener.token_pairs", PAIRS_LIMIT, handle, batch=1
        )

    def _feed_entry(self, tok: SimToken) -> dict[str, Any]:
        base = f"https://dd.dexscreener.com/ds-data/tokens/{tok.ref.chain}/{tok.ref.address}"
        entry: dict[str, Any] = {
            "url": f"https://dexscreener.com/{tok.ref.chain}/{tok.ref.address}",
            "chainId": tok.ref.chain,
            "tokenAddress": tok.ref.address,
            "icon": f"{base}.png",
        }
        if tok.socials:
            entry["header"] = f"{base}/header.png"
            entry["openGraph"] = (
                f"https://cdn.dexscreener.com/token-images/og/{tok.ref.chain}/{tok.ref.address}"
            )
        if tok.description:
            entry["description"] = tok.description
        links: list[dict[str, str]] = []
        if tok.website:
            links.append({"label": "Website", "url": tok.website})
        links.extend({"type": kind, "url": url} for kind, url in tok.socials)
        if links:
            entry["links"] = links
        return entry

    async def profiles(self, request: web.Request) -> web.StreamResponse:
        async def handle() -> Reply:
            tau = self.world.tau()
            feed = [t for t in self.world.profile_feed if t.launched_at <= tau][:30]
            return Reply(payload=[self._feed_entry(t) for t in feed])

        return await self.gateway.serve(
            request, "dexscreener", "dexscreener.token_profiles", FEEDS_LIMIT, handle
        )

    async def _boosts(self, request: web.Request, endpoint: str, top: bool) -> web.StreamResponse:
        async def handle() -> Reply:
            boosted = [t for t in self.world.all_tokens() if t.boost]
            boosted.sort(key=lambda t: t.boost if top else t.launched_at, reverse=True)
            out = []
            for t in boosted[:30]:
                entry = self._feed_entry(t)
                entry["amount"] = t.boost
                entry["totalAmount"] = t.boost * (1 + t.key % 3)
                out.append(entry)
            return Reply(payload=out)

        return await self.gateway.serve(request, "dexscreener", endpoint, FEEDS_LIMIT, handle)

    async def boosts(self, request: web.Request) -> web.StreamResponse:
        return await self._boosts(request, "dexscreener.token_boosts", top=False)

    async def boosts_top(self, request: web.Request) -> web.StreamResponse:
        return await self._boosts(request, "dexscreener.token_boosts_top", top=True)
