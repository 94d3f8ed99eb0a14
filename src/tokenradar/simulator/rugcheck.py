"""RugCheck under ``/rugcheck``: ``GET /v1/tokens/{mint}/report`` and ``/report/summary``.

The report has the real report's keys and types (see tests/data/rugcheck_report_*.json):
top-level ``mintAuthority`` / ``freezeAuthority`` are ``null`` or the authority's
*account* object while ``token.mintAuthority`` is the address string; supplies
and LP amounts are plain JSON integers that may exceed 2^53. Its risks are
computed from the token's facts at the moment of the request, with the real
risk names, so a report is consistent with the RPC and DexScreener at that time:
after a rug, ``rugged`` is true and liquidity risks appear.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tokenradar.domain import is_solana_address
from tokenradar.simulator import addresses as A
from tokenradar.simulator.accounts import RENT_EPOCH, ui_amount_string
from tokenradar.simulator.gateway import Gateway, Reply
from tokenradar.simulator.genesis import LP_TOKEN_MARKETS
from tokenradar.simulator.limits import Charge
from tokenradar.simulator.market import pool_base_tokens
from tokenradar.simulator.model import Fate, SimToken
from tokenradar.simulator.noise import subkey, unit
from tokenradar.simulator.world import World

LIMIT = [Charge("rugcheck")]
_KNOWN_AMM = {
    "raydium": "Raydium Liquidity Pool V4",
    "raydium_cpmm": "Raydium CPMM Pool",
    "raydium_clmm": "Raydium CLMM Pool",
    "orca": "Orca AMM",
    "meteoraDlmm": "Meteora DLMM Pool",
    "meteora": "Meteora Pool",
    "pump_fun_amm": "Pump Fun AMM",
    "pump_fun": "Pump Fun",
}


def _risk(name: str, value: str, description: str, score: int, level: str) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "description": description,
        "score": score,
        "level": level,
    }


def normalise(score: int) -> int:
    """RugCheck's 0-100 scale: a saturating map fitted to the fixtures (1->1 .. 50601->71)."""
    if score <= 1:
        return max(score, 0)
    return max(1, min(100, round(12.0 * math.log(score) - 59.0)))


def _authority_account(address: str | None, key: int) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "lamports": 1_000_000 + key % 5_000_000_000,
        "owner": A.SYSTEM_PROGRAM,
        "data": ["", "base64"],
        "executable": False,
        "rentEpoch": RENT_EPOCH,
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


class RugCheckApi:
    def __init__(self, world: World, gateway: Gateway) -> None:
        self.world = world
        self.gateway = gateway

    def routes(self, prefix: str = "/rugcheck") -> list[web.RouteDef]:
        return [
            web.get(prefix + "/v1/tokens/{mint}/report", self.report),
            web.get(prefix + "/v1/tokens/{mint}/report/summary", self.summary),
        ]

    def _find(self, mint: str, tau: float) -> SimToken | Reply:
        if not is_solana_address(mint):
            return Reply(status=400, payload={"error": "invalid token mint"})
        tok = self.world.token(mint)
        if tok is None or tok.is_evm or tau < tok.launched_at:
            return Reply(status=404, payload={"error": "not found"})
        return tok

    async def report(self, request: web.Request) -> web.StreamResponse:
        mint = request.match_info["mint"]

        async def handle() -> Reply:
            tau = self.world.tau()
            found = self._find(mint, tau)
            return found if isinstance(found, Reply) else Reply(payload=self.build(found, tau))

        return await self.gateway.serve(request, "rugcheck", "rugcheck.report", LIMIT, handle)

    async def summary(self, request: web.Request) -> web.StreamResponse:
        mint = request.match_info["mint"]

        async def handle() -> Reply:
            tau = self.world.tau()
            found = self._find(mint, tau)
            if isinstance(found, Reply):
                return found
            full = self.build(found, tau)
            locked = max((m["lp"]["lpLockedPct"] for m in full["markets"]), default=0)
            return Reply(
                payload={
                    "tokenProgram": full["tokenProgram"],
                    "tokenType": full["tokenType"],
                    "risks": full["risks"],
                    "score": full["score"],
                    "score_normalised": full["score_normalised"],
                    "lpLockedPct": locked,
                }
            )

        return await self.gateway.serve(request, "rugcheck", "rugcheck.summary", LIMIT, handle)

    # -- the report -----------------------------------------------------------

    def build(self, tok: SimToken, tau: float) -> dict[str, Any]:
        world = self.world
        snap = world.snapshot(tok, tau)
        holders = world.holders(tok, tau)
        mint_auth = tok.mint_authority.holder_at(tau)
        freeze_auth = tok.freeze_authority.holder_at(tau)
        rugged = world.rugged(tok, tau)
        bundled = [h for h in holders if h.kind == "wallet"][1:6]
        insiders = (
            tok.fate in (Fate.RUG, Fate.PUMP_AND_DUMP)
            and not tok.clean_looking
            and (unit(subkey(tok.key, 91), 0) < 0.5)
        )
        insider_set = {h.address for h in bundled} if insiders else set()
        top_holders = [
            {
                "address": h.address,
                "amount": h.amount,
                "decimals": tok.decimals,
                "pct": h.share * 100.0,
                "uiAmount": h.amount / 10**tok.decimals,
                "uiAmountString": ui_amount_string(h.amount, tok.decimals),
                "owner": h.owner,
                "insider": h.address in insider_set,
            }
            for h in holders[:20]
        ]
        markets, known, lockers = self._markets(tok, tau, snap.price, snap.liquidity)
        total_liq = float(sum(m["lp"]["baseUSD"] + m["lp"]["quoteUSD"] for m in markets))
        non_pool = [h.share for h in holders if h.kind in ("wallet",)]
        top10 = sum(sorted(non_pool, reverse=True)[:10]) * 100.0
        top1 = max(non_pool, default=0.0) * 100.0
        risks: list[dict[str, Any]] = []
        if mint_auth is not None:
            risks.append(
                _risk(
                    "Mint Authority still enabled",
                    "",
                    "More tokens can be minted by the owner",
                    50000,
                    "danger",
                )
            )
        if freeze_auth is not None:
            risks.append(
                _risk(
                    "Freeze Authority still enabled",
                    "",
                    "Tokens can be frozen and prevented from trading",
                    7500,
                    "danger",
                )
            )
        if top10 > 70:
            risks.append(
                _risk(
                    "Top 10 holders high ownership",
                    "",
                    "The top 10 users hold more than 70% token supply",
                    round(top10 * 100),
                    "danger",
                )
            )
        elif top10 > 50:
            risks.append(
                _risk(
                    "High holder concentration",
                    "",
                    "The top 10 users hold more than 50% token supply",
                    round(top10 * 10),
                    "warn",
                )
            )
        if top1 >= 10:
            level = "danger" if top1 >= 20 else "warn"
            risks.append(
                _risk(
                    "Single holder ownership",
                    f"{top1:.2f}%",
                    "One user holds a large amount of the token supply",
                    round(top1 * 100),
                    level,
                )
            )
        if sum(non_pool) > 0.8:
            risks.append(
                _risk(
                    "High ownership",
                    "",
                    "The top users hold more than 80% token supply",
                    round(sum(non_pool) * 1700),
                    "danger",
                )
            )
        lp_markets = [m for m in markets if m["marketType"] in LP_TOKEN_MARKETS]
        if lp_markets:
            main = max(lp_markets, key=lambda m: m["lp"]["baseUSD"])
            unlocked = 100.0 - main["lp"]["lpLockedPct"]
            if unlocked > 50:
                risks.append(
                    _risk(
                        "Large Amount of LP Unlocked",
                        f"{unlocked:.2f}%",
                        "A large amount of LP tokens are unlocked, allowing the owner to "
                        "remove liquidity at any point.",
                        11000,
                        "danger",
                    )
                )
            if tok.total_holders < 500 and unlocked > 50:
                risks.append(
                    _risk(
                        "Low amount of LP Providers",
                        "",
                        "Only a few users are providing liquidity",
                        500,
                        "warn",
                    )
                )
        if total_liq < 5000:
            risks.append(
                _risk(
                    "Low Liquidity",
                    f"${total_liq:.2f}",
                    "Low amount of liquidity in the token pool",
                    1000,
                    "danger",
                )
            )
        file_meta = unit(subkey(tok.key, 92), 0) >= 0.05 or tok.major
        if not file_meta:
            risks.append(
                _risk(
                    "Missing file metadata",
                    "",
                    "No file metadata found associated to this token",
                    500,
                    "warn",
                )
            )
        if tok.mutable_metadata:
            risks.append(
                _risk(
                    "Mutable metadata",
                    "",
                    "Token metadata can be changed by the owner",
                    100,
                    "warn",
                )
            )
        if tok.fate is Fate.RUG and not tok.clean_looking and unit(subkey(tok.key, 93), 0) < 0.3:
            risks.append(
                _risk(
                    "Creator history of rugged tokens",
                    "",
                    "Creator has a history of rugging tokens.",
                    20000,
                    "danger",
                )
            )
        score = 1 + sum(int(r["score"]) for r in risks)
        fee_ext = next((e for e in tok.extensions if e["extension"] == "transferFeeConfig"), None)
        creator_balance = next((h.amount for h in holders if h.owner == tok.creator), 0)
        networks = None
        if insider_set:
            networks = [
                {
                    "id": f"{tok.symbol.lower()}-{tok.key % 10**6}",
                    "size": len(insider_set),
                    "type": "transfer",
                    "tokenAmount": sum(h.amount for h in bundled),
                    "activeAccounts": len(insider_set),
                }
            ]
        return {
            "mint": tok.ref.address,
            "tokenProgram": tok.program,
            "creator": None if tok.major else tok.creator,
            "creatorBalance": creator_balance,
            "creatorTokens": None,
            "token": {
                "mintAuthority": mint_auth,
                "supply": tok.supply_raw,
                "decimals": tok.decimals,
                "isInitialized": True,
                "freezeAuthority": freeze_auth,
            },
            "token_extensions": None,
            "tokenMeta": {
                "name": tok.name,
                "symbol": tok.symbol,
                "uri": tok.uri,
                "mutable": tok.mutable_metadata,
                "updateAuthority": tok.update_authority,
            },
            "topHolders": top_holders,
            "freezeAuthority": _authority_account(freeze_auth, tok.key),
            "mintAuthority": _authority_account(mint_auth, tok.key),
            "risks": risks,
            "score": score,
            "score_normalised": normalise(score),
            "fileMeta": {
                "description": tok.description,
                "name": tok.name,
                "symbol": tok.symbol,
                "image": tok.image,
            }
            if file_meta
            else None,
            "lockerOwners": {},
            "lockers": lockers,
            "markets": markets,
            "totalMarketLiquidity": total_liq,
            "totalLPProviders": int(1 + tok.total_holders**0.3) if not tok.major else 400,
            "totalHolders": tok.total_holders,
            "price": float(snap.price),
            "rugged": rugged,
            "tokenType": "",
            "transferFee": {
                "pct": _fee_pct(int(fee_ext["bps"])) if fee_ext else 0,
                "maxAmount": tok.supply_raw // 100 if fee_ext else 0,
                "authority": str(fee_ext["authority"]) if fee_ext else A.SYSTEM_PROGRAM,
            },
            "knownAccounts": known,
            "events": [],
            "verification": {
                "mint": tok.ref.address,
                "payer": "",
                "name": tok.name,
                "symbol": tok.symbol.lower(),
                "description": "",
                "jup_verified": tok.major
                or (tok.fate is Fate.HEALTHY and tok.total_holders > 5000),
                "jup_strict": tok.major,
                "links": [],
            },
            "graphInsidersDetected": len(insider_set) * 3,
            "insiderNetworks": networks,
            "detectedAt": _iso(world.epoch(tok.launched_at)),
        }

    def _markets(
        self, tok: SimToken, tau: float, price: float, liquidity: float
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]], dict[str, dict[str, Any]]]:
        world = self.world
        markets: list[dict[str, Any]] = []
        known: dict[str, dict[str, str]] = {}
        lockers: dict[str, dict[str, Any]] = {}
        supply_ui = tok.supply_raw / 10**tok.decimals
        if not tok.major:
            known[tok.creator] = {"name": "Creator", "type": "CREATOR"}
        for pair in tok.pairs:
            if tau < pair.created_at:
                continue
            q_price = world.quote_price(pair.quote, tau)
            side_usd = liquidity * pair.weight / 2.0
            base_ui = pool_base_tokens(side_usd, price, supply_ui)
            quote_ui = side_usd / q_price
            base_raw = int(base_ui * 10**tok.decimals)
            quote_raw = int(quote_ui * 10**pair.quote.decimals)
            lp_supply = int(math.sqrt(max(base_raw, 1) * max(quote_raw, 1)))
            # Concentrated-liquidity pools (DLMM, CLMM, Whirlpool) have no fungible LP
            # token: mainnet RugCheck reports their LP mint as the default address
            # (System Program id) next to lpLockedPct 0, as in every fixture report.
            lp_mint = pair.lp_mint if _has_lp_token(pair.market_type) else A.SYSTEM_PROGRAM
            locked = int(lp_supply * pair.lp_locked_pct / 100.0)
            name = _KNOWN_AMM.get(pair.market_type, "AMM")
            known[pair.vault_owner] = {"name": name, "type": "AMM"}
            known[pair.address] = {"name": name, "type": "AMM"}
            mint_account = {
                "mintAuthority": tok.mint_authority.holder_at(tau),
                "supply": tok.supply_raw,
                "decimals": tok.decimals,
                "isInitialized": True,
                "freezeAuthority": tok.freeze_authority.holder_at(tau),
            }
            quote_account = {"mintAuthority": None, "supply": 0, "decimals": pair.quote.decimals,
                              "isInitialized": True, "freezeAuthority": None}  # fmt: skip
            lp_holders = None
            if pair.market_type in LP_TOKEN_MARKETS and pair.lp_locked_pct < 50:
                lp_holders = [
                    {
                        "address": pair.lp_mint[:20] + tok.creator[20:],
                        "amount": lp_supply - locked,
                        "decimals": 9,
                        "pct": 100.0 - pair.lp_locked_pct,
                        "uiAmount": (lp_supply - locked) / 1e9,
                        "uiAmountString": ui_amount_string(lp_supply - locked, 9),
                        "owner": tok.creator,
                        "insider": False,
                    }
                ]
            if pair.market_type in LP_TOKEN_MARKETS and pair.lp_locked_pct >= 50:
                lockers[pair.address] = {
                    "programID": pair.program,
                    "tokenAccount": A.SYSTEM_PROGRAM,
                    "owner": pair.program,
                    "uri": f"https://raydium.io/liquidity/increase/?mode=add&pool_id={pair.address}",
                    "unlockDate": 0,
                    "usdcLocked": float(side_usd * 2 * pair.lp_locked_pct / 100.0),
                    "type": "raydium_locker",
                }
            markets.append(
                {
                    "pubkey": pair.address,
                    "marketType": pair.market_type,
                    "mintA": tok.ref.address,
                    "mintB": pair.quote.address,
                    "mintLP": lp_mint,
                    "liquidityA": pair.vault_base,
                    "liquidityB": pair.vault_quote,
                    "mintAAccount": mint_account,
                    "mintBAccount": quote_account,
                    "mintLPAccount": {
                        "mintAuthority": pair.vault_owner,
                        "supply": lp_supply,
                        "decimals": 9,
                        "isInitialized": True,
                        "freezeAuthority": None,
                    },
                    "liquidityAAccount": {
                        "mint": tok.ref.address,
                        "owner": pair.vault_owner,
                        "amount": base_raw,
                        "delegate": None,
                        "state": 1,
                        "delegatedAmount": 0,
                        "closeAuthority": None,
                    },
                    "liquidityBAccount": {
                        "mint": pair.quote.address,
                        "owner": pair.vault_owner,
                        "amount": quote_raw,
                        "delegate": None,
                        "state": 1,
                        "delegatedAmount": 0,
                        "closeAuthority": None,
                    },
                    "lp": {
                        "baseMint": tok.ref.address,
                        "quoteMint": pair.quote.address,
                        "lpMint": lp_mint,
                        "quotePrice": float(q_price),
                        "basePrice": float(price),
                        "base": float(base_ui),
                        "quote": float(quote_ui),
                        "reserveSupply": lp_supply,
                        "currentSupply": lp_supply - locked,
                        "quoteUSD": float(side_usd),
                        "baseUSD": float(side_usd),
                        "pctReserve": float(100.0 * base_ui / supply_ui) if supply_ui else 0.0,
                        "pctSupply": float(100.0 * base_ui / supply_ui) if supply_ui else 0.0,
                        "holders": lp_holders,
                        "totalTokensUnlocked": lp_supply - locked,
                        "tokenSupply": lp_supply,
                        "lpLocked": locked,
                        "lpUnlocked": lp_supply - locked,
                        "lpLockedPct": float(pair.lp_locked_pct),
                        "lpLockedUSD": float(side_usd * 2 * pair.lp_locked_pct / 100.0),
                        "lpMaxSupply": 0,
                        "lpCurrentSupply": 0,
                        "lpTotalSupply": lp_supply,
                    },
                }
            )
        return markets, known, lockers


def _has_lp_token(market_type: str) -> bool:
    """Whether a pool of this RugCheck ``marketType`` mints a fungible LP token
    (a pump.fun bonding curve is reported with its own mint as in the model)."""
    return market_type in LP_TOKEN_MARKETS or market_type == "pump_fun"


def _fee_pct(bps: int) -> int | float:
    """A transfer fee in percent, as RugCheck's JSON writes a number: 0.5 stays 0.5
    (truncating it to 0 told clients a 50 bps fee was none), a whole 12 is ``12``."""
    pct = bps / 100.0
    return int(pct) if pct.is_integer() else pct
