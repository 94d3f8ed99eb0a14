"""New pools: pump.fun launches announced over ``logsSubscribe`` at ``GET /rpc/ws``.

Protocol (Solana's PubSub JSON-RPC over WebSocket)::

    -> {"jsonrpc":"2.0","id":1,"method":"logsSubscribe",
        "params":[{"mentions":["6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"]},{"commitment":"confirmed"}]}
    <- {"jsonrpc":"2.0","result":<subscription id>,"id":1}
    <- {"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":N},
        "value":{"signature":"...","err":null,"logs":[...]}},"subscription":<id>}}
    -> {"jsonrpc":"2.0","id":2,"method":"logsUnsubscribe","params":[<id>]}   <- result true

Filters: ``"all"``, ``"allWithVotes"`` or ``{"mentions": [one address]}`` (more
than one address is an error, as upstream). A launch's logs carry
``Program log: Instruction: Create`` and ``Program data: <base64 CreateEvent>``
(decode with :mod:`tokenradar.providers.pumpfun`). As on mainnet, the same
subscription also receives pump.fun Buy/Sell transactions (noise, with a
TradeEvent payload) and about 2 % of Create transactions FAIL (``err`` set): their
mint never exists, so a client must skip notifications with a non-null ``err``.

Launches happen at ``launch_rate`` per wall second (exponential gaps from a
seeded RNG): the n-th launch of a seed is always the same token.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import random
import struct
from dataclasses import dataclass
from typing import Any

import base58
import orjson
from aiohttp import WSMsgType, web

from tokenradar.clock import Clock
from tokenradar.domain import is_solana_address
from tokenradar.providers.pumpfun import encode_create_event, program_data_log
from tokenradar.simulator import addresses as A
from tokenradar.simulator.config import SimConfig
from tokenradar.simulator.model import SimToken
from tokenradar.simulator.stats import Stats
from tokenradar.simulator.world import World

TRADE_EVENT_DISCRIMINATOR = bytes.fromhex("bddb7fd34ee661ee")
FAILED_CREATE_SHARE = 0.02


@dataclass(slots=True)
class Subscription:
    ws: web.WebSocketResponse
    mentions: str | None  # None = all


def create_logs(
    *, name: str, symbol: str, uri: str, mint: str, curve: str, user: str, failed: bool
) -> list[str]:
    event = encode_create_event(
        name, symbol, uri, base58.b58decode(mint), base58.b58decode(curve), base58.b58decode(user)
    )
    logs = [
        f"Program {A.COMPUTE_BUDGET_PROGRAM} invoke [1]",
        f"Program {A.COMPUTE_BUDGET_PROGRAM} success",
        f"Program {A.PUMPFUN_PROGRAM} invoke [1]",
        "Program log: Instruction: Create",
        f"Program {A.TOKEN_PROGRAM} invoke [2]",
        "Program log: Instruction: InitializeMint2",
        f"Program {A.TOKEN_PROGRAM} consumed 2780 of 234142 compute units",
        f"Program {A.TOKEN_PROGRAM} success",
        f"Program {A.METADATA_PROGRAM} invoke [2]",
        "Program log: IX: Create Metadata Accounts v3",
        f"Program {A.METADATA_PROGRAM} consumed 33766 of 208553 compute units",
        f"Program {A.METADATA_PROGRAM} success",
        program_data_log(event),
    ]
    if failed:
        logs += [
            f"Program {A.PUMPFUN_PROGRAM} consumed 98001 of 249850 compute units",
            f"Program {A.PUMPFUN_PROGRAM} failed: custom program error: 0x1770",
        ]
    else:
        logs += [
            f"Program {A.PUMPFUN_PROGRAM} consumed 122839 of 249850 compute units",
            f"Program {A.PUMPFUN_PROGRAM} success",
        ]
    return logs


def trade_logs(rng: random.Random, mint: str, *, buy: bool) -> list[str]:
    payload = (
        TRADE_EVENT_DISCRIMINATOR
        + base58.b58decode(mint)
        + struct.pack("<QQ?", rng.randint(10**6, 10**10), rng.randint(10**9, 10**14), buy)
        + rng.randbytes(32)
        + struct.pack(
            "<qQQ", 1_700_000_000, rng.randint(10**10, 10**11), rng.randint(10**14, 10**15)
        )
    )
    return [
        f"Program {A.COMPUTE_BUDGET_PROGRAM} invoke [1]",
        f"Program {A.COMPUTE_BUDGET_PROGRAM} success",
        f"Program {A.PUMPFUN_PROGRAM} invoke [1]",
        f"Program log: Instruction: {'Buy' if buy else 'Sell'}",
        f"Program {A.TOKEN_PROGRAM} invoke [2]",
        "Program log: Instruction: Transfer",
        f"Program {A.TOKEN_PROGRAM} success",
        "Program data: " + base64.b64encode(payload).decode("ascii"),
        f"Program {A.PUMPFUN_PROGRAM} consumed 40317 of 200000 compute units",
        f"Program {A.PUMPFUN_PROGRAM} success",
    ]


class LaunchHub:
    """Runs the launch schedule and serves the logsSubscribe WebSocket."""

    def __init__(
        self, config: SimConfig, world: World, clock: Clock, stats: Stats, closing: asyncio.Event
    ) -> None:
        self.config = config
        self.world = world
        self.clock = clock
        self.stats = stats
        self.closing = closing
        self._rng = random.Random(config.seed ^ 0x1A0C)
        self._subs: dict[int, Subscription] = {}
        self._next_id = 0
        self._sockets: set[web.WebSocketResponse] = set()
        self._recent: list[SimToken] = []

    # -- schedule -------------------------------------------------------------

    async def run(self) -> None:
        """Launch pools at ``launch_rate`` per second until the server closes."""
        if self.config.launch_rate <= 0:
            return
        while not self.closing.is_set():
            await self.clock.sleep(self._rng.expovariate(self.config.launch_rate))
            if self.closing.is_set():
                return
            await self.launch_once()

    async def launch_once(self) -> SimToken | None:
        """One launch (or, 2 % of the time, a failed create) plus trade noise."""
        if self._rng.random() < FAILED_CREATE_SHARE:
            rng = random.Random(self._rng.getrandbits(64))
            logs = create_logs(
                name="failed",
                symbol="FAIL",
                uri="https://ipfs.io/ipfs/x",
                mint=A.account(rng),
                curve=A.pda(rng),
                user=A.wallet(rng),
                failed=True,
            )
            await self.publish(
                logs, {"InstructionError": [2, {"Custom": 6000}]}, {A.PUMPFUN_PROGRAM}
            )
            return None
        tok = self.world.launch()
        assert tok.bonding_curve is not None
        self.stats.ws["launches"] += 1
        logs = create_logs(
            name=tok.name,
            symbol=tok.symbol,
            uri=tok.uri,
            mint=tok.ref.address,
            curve=tok.bonding_curve,
            user=tok.creator,
            failed=False,
        )
        mentions = {
            *(A.PUMPFUN_PROGRAM, A.TOKEN_PROGRAM, A.SYSTEM_PROGRAM, A.METADATA_PROGRAM),
            *(tok.ref.address, tok.bonding_curve, tok.creator),
        }
        await self.publish(logs, None, mentions)
        self._recent = [*self._recent[-19:], tok]
        noise = self.config.trade_noise_rate
        trades = int(noise) + (1 if self._rng.random() < noise - int(noise) else 0)
        for _ in range(trades):
            target = self._rng.choice(self._recent)
            logs = trade_logs(self._rng, target.ref.address, buy=self._rng.random() < 0.6)
            await self.publish(logs, None, {A.PUMPFUN_PROGRAM, target.ref.address})
        return tok

    async def publish(self, logs: list[str], err: Any, mentions: set[str]) -> None:
        signature = A.signature(self._rng)
        slot = self.world.slot()
        for sub_id, sub in list(self._subs.items()):
            if sub.mentions is not None and sub.mentions not in mentions:
                continue
            message = {
                "jsonrpc": "2.0",
                "method": "logsNotification",
                "params": {
                    "result": {
                        "context": {"slot": slot},
                        "value": {"signature": signature, "err": err, "logs": logs},
                    },
                    "subscription": sub_id,
                },
            }
            with contextlib.suppress(ConnectionError, RuntimeError):
                await sub.ws.send_str(orjson.dumps(message).decode())
                self.stats.ws["notifications_sent"] += 1

    # -- the WebSocket --------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=30.0)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.stats.ws["connections"] += 1
        mine: set[int] = set()
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT and msg.type is not WSMsgType.BINARY:
                    break
                reply = self._rpc(msg.data, ws, mine)
                await ws.send_str(orjson.dumps(reply).decode())
        finally:
            for sub_id in mine:
                self._subs.pop(sub_id, None)
            self._sockets.discard(ws)
        return ws

    def _rpc(self, data: str | bytes, ws: web.WebSocketResponse, mine: set[int]) -> dict[str, Any]:
        try:
            req = orjson.loads(data)
        except orjson.JSONDecodeError:
            return _err(-32700, "Parse error", None)
        if not isinstance(req, dict) or not isinstance(req.get("method"), str):
            return _err(-32600, "Invalid request", None)
        id_ = req.get("id")
        params = req.get("params", [])
        method = req["method"]
        if method == "logsSubscribe":
            mentions, error = _filter(params)
            if error:
                return _err(-32602, error, id_)
            self._next_id += 1
            self._subs[self._next_id] = Subscription(ws, mentions)
            mine.add(self._next_id)
            self.stats.ws["subscriptions"] += 1
            return {"jsonrpc": "2.0", "result": self._next_id, "id": id_}
        if method == "logsUnsubscribe":
            if not isinstance(params, list) or len(params) != 1 or not isinstance(params[0], int):
                return _err(-32602, "Invalid params: expected [subscription id]", id_)
            found = params[0] in mine
            if found:
                self._subs.pop(params[0], None)
                mine.discard(params[0])
            return {"jsonrpc": "2.0", "result": found, "id": id_}
        return _err(-32601, "Method not found", id_)

    async def close(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.close()


def _err(code: int, message: str, id_: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id_}


def _filter(params: Any) -> tuple[str | None, str | None]:
    """(mentioned address or None for all, error message)."""
    if not isinstance(params, list) or not params:
        return None, "Invalid params: expected a filter"
    f = params[0]
    if f in ("all", "allWithVotes"):
        return None, None
    if isinstance(f, dict) and isinstance(f.get("mentions"), list):
        mentions = f["mentions"]
        if len(mentions) != 1:
            return None, "Invalid Request: Only 1 address supported"
        if not isinstance(mentions[0], str) or not is_solana_address(mentions[0]):
            return None, f"Invalid Request: Invalid pubkey provided: {mentions[0]!r}"
        return mentions[0], None
    return None, f"Invalid params: unknown filter {f!r}"
