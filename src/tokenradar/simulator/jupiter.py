"""Jupiter Price API v3 under ``/jupiter``: ``GET /price/v3?ids=a,b`` (at most 50 ids).

Answers ``{"<mint>": {"usdPrice", "blockId", "decimals", "priceChange24h",
"createdAt", "liquidity"}}``. Mints Jupiter cannot price are OMITTED (v3; v2
answered ``null``): unknown or malformed mints, EVM tokens, and tokens whose
liquidity is below $100 (which is what a rugged token looks like).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tokenradar.simulator.gateway import Gateway, Reply
from tokenradar.simulator.limits import Charge
from tokenradar.simulator.world import World

MAX_IDS = 50
MIN_LIQUIDITY_USD = 100.0
LIMIT = [Charge("jupiter.price")]


class JupiterApi:
    def __init__(self, world: World, gateway: Gateway) -> None:
        self.world = world
        self.gateway = gateway

    def routes(self, prefix: str = "/jupiter") -> list[web.RouteDef]:
        return [web.get(prefix + "/price/v3", self.price)]

    async def price(self, request: web.Request) -> web.StreamResponse:
        ids = [i.strip() for i in request.query.get("ids", "").split(",") if i.strip()]

        async def handle() -> Reply:
            if not ids:
                return Reply(status=400, payload={"error": "Query parameter ids is required"})
            if len(ids) > MAX_IDS:
                return Reply(
                    status=400, payload={"error": f"Too many ids: at most {MAX_IDS} per request"}
                )
            tau = self.world.tau()
            out: dict[str, Any] = {}
            for mint in ids:
                tok = self.world.token(mint)
                if tok is None or tok.is_evm or tau < tok.launched_at:
                    continue
                snap = self.world.snapshot(tok, tau)
                if snap.liquidity < MIN_LIQUIDITY_USD:
                    continue
                created = datetime.fromtimestamp(self.world.epoch(tok.launched_at), UTC)
                out[mint] = {
                    "usdPrice": snap.price,
                    "blockId": self.world.slot(tau),
                    "decimals": tok.decimals,
                    "priceChange24h": snap.change.get("h24", 0.0),
                    "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                    "liquidity": snap.liquidity,
                }
            return Reply(payload=out)

        return await self.gateway.serve(
            request, "jupiter", "jupiter.price", LIMIT, handle, batch=len(ids)
        )
