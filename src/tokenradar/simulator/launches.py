"""New pools: pump.fun launches announced over ``logsSubscribe`` at ``GET /rpc/ws``.

Protocol (Solana's PubSub JSON-RPC over WebSocket)::

    -> {"jsonrpc":"2.0","id":1,"method":"logsSubscribe",
        "params":[{"mentions":["6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"]},{"commitment":"confirmed"}]}
    <- {"jsonrpc":"2.0","result":<subscription id>,"id":1}
    <- {"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":N},
        "value":{"signature":"...","err":null,"logs":[...]}},"subscription":<id>}}
    -> {"jsonrpc":"2.0","id":2,"method":"logsUnsubscribe","params":[<id>]}   <- result true

Filters: ``"all"``, ``"allWithVotes"`` or ``{"mentions": [one address]}`` (more
than one address is an error, as upstream); a transaction matches when the
address is one of its account keys. A launch's logs carry
``Program log: Instruction: Create`` and ``Program data: <base64 CreateEvent>``
(decode with :mod:`tokenradar.providers.pumpfun`). As on mainnet, the same
subscription also receives pump.fun Buy/Sell transactions (noise, with a
TradeEvent payload) and about 2 % of Create transactions FAIL (``err`` set): their
mint never exists, so a client must skip notifications with a non-null ``err``.

Every announced transaction is recorded in the :class:`~tokenradar.simulator.ledger.Ledger`
first, so ``getSignaturesForAddress`` / ``getTransaction`` find what a client missed.

Launches happen at ``launch_rate`` per wall second (exponential gaps from a
seeded RNG): the n-th launch of a seed is always the same token.

WebSocket faults for tests (also ``POST /_sim/ws/faults``, see
:mod:`tokenradar.simulator.faults`): :meth:`LaunchHub.drop` cuts every open
connection without a close frame (and may refuse new handshakes with 503 for a
while), :meth:`LaunchHub.silence` makes every open connection go silent (no
notifications, no replies, no pongs: a half-dead socket), :meth:`LaunchHub.burst`
launches many pools at once. Pings are answered (pongs) by hand, so a silent
socket can ignore them; the server sends no pings of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from tokenradar.clock import Clock
from tokenradar.domain import is_solana_address
from tokenradar.simulator import addresses as A
from tokenradar.simulator.config import SimConfig
from tokenradar.simulator.ledger import Ledger, SimTransaction
from tokenradar.simulator.model import SimToken
from tokenradar.simulator.pumpfun_tx import Launch, create_transaction, trade_transaction
from tokenradar.simulator.stats import Stats
from tokenradar.simulator.world import World

FAILED_CREATE_SHARE = 0.02


@dataclass(slots=True)
class Subscription:
    ws: web.WebSocketResponse
    mentions: str | None  # None = all


@dataclass(slots=True)
class Socket:
    """One open client connection."""

    transport: asyncio.Transport | None
    silent: bool = False


class LaunchHub:
    """Runs the launch schedule and serves the logsSubscribe WebSocket."""

    def __init__(
        self,
        config: SimConfig,
        world: World,
        clock: Clock,
        stats: Stats,
        closing: asyncio.Event,
        *,
        ledger: Ledger | None = None,
    ) -> None:
        self.config = config
        self.world = world
        self.clock = clock
        self.stats = stats
        self.closing = closing
        self.ledger = ledger if ledger is not None else Ledger()
        self._rng = random.Random(config.seed ^ 0x1A0C)
        self._subs: dict[int, Subscription] = {}
        self._next_id = 0
        self._sockets: dict[web.WebSocketResponse, Socket] = {}
        self._recent: list[SimToken] = []
        self._refuse_until = float("-inf")

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
            failed = Launch(
                name="failed",
                symbol="FAIL",
                uri="https://ipfs.io/ipfs/x",
                mint=A.account(rng),
                curve=A.pda(rng),
                user=A.wallet(rng),
            )
            error = {"InstructionError": [2, {"Custom": 6000}]}
            await self.publish(self._create(failed, error))
            return None
        return await self._launch()

    async def burst(self, count: int) -> list[SimToken]:
        """``count`` successful launches back to back (no gaps, no failed creates)."""
        if count < 1:
            raise ValueError(f"a burst launches at least one pool, got {count}")
        self.stats.ws["bursts"] += 1
        return [await self._launch() for _ in range(count)]

    async def _launch(self) -> SimToken:
        tok = self.world.launch()
        assert tok.bonding_curve is not None
        self.stats.ws["launches"] += 1
        launch = Launch(
            name=tok.name,
            symbol=tok.symbol,
            uri=tok.uri,
            mint=tok.ref.address,
            curve=tok.bonding_curve,
            user=tok.creator,
        )
        await self.publish(self._create(launch, None))
        self._recent = [*self._recent[-19:], tok]
        noise = self.config.trade_noise_rate
        trades = int(noise) + (1 if self._rng.random() < noise - int(noise) else 0)
        for _ in range(trades):
            target = self._rng.choice(self._recent)
            assert target.bonding_curve is not None
            buy = self._rng.random() < 0.6
            signature, slot, block_time, blockhash = self._stamp()
            tx = trade_transaction(
                random.Random(self._rng.getrandbits(64)),
                mint=target.ref.address,
                curve=target.bonding_curve,
                buy=buy,
                signature=signature,
                slot=slot,
                block_time=block_time,
                blockhash=blockhash,
            )
            await self.publish(tx)
        return tok

    def _stamp(self) -> tuple[str, int, int, str]:
        """A fresh signature, the current slot and block time, a blockhash."""
        signature = A.signature(self._rng)
        blockhash = A.account(self._rng)
        tau = self.world.tau()
        return signature, self.world.slot(tau), int(self.world.epoch(tau)), blockhash

    def _create(self, launch: Launch, err: Any) -> SimTransaction:
        signature, slot, block_time, blockhash = self._stamp()
        return create_transaction(
            launch,
            signature=signature,
            slot=slot,
            block_time=block_time,
            err=err,
            blockhash=blockhash,
        )

    async def publish(self, tx: SimTransaction) -> None:
        """Record ``tx`` in the ledger, then notify every matching subscription."""
        self.ledger.record(tx)
        logs = list(tx.logs)
        for sub_id, sub in list(self._subs.items()):
            if sub.mentions is not None and sub.mentions not in tx.mentions:
                continue
            socket = self._sockets.get(sub.ws)
            if socket is None or socket.silent:
                continue
            message = {
                "jsonrpc": "2.0",
                "method": "logsNotification",
                "params": {
                    "result": {
                        "context": {"slot": tx.slot},
                        "value": {"signature": tx.signature, "err": tx.err, "logs": logs},
                    },
                    "subscription": sub_id,
                },
            }
            with contextlib.suppress(ConnectionError, RuntimeError):
                await sub.ws.send_str(orjson.dumps(message).decode())
                self.stats.ws["notifications_sent"] += 1

    # -- faults ---------------------------------------------------------------

    def drop(self, *, refuse_for: float = 0.0) -> int:
        """Cut every open connection (no close frame); refuse handshakes ``refuse_for`` s."""
        if refuse_for < 0:
            raise ValueError(f"refuse_for must be >= 0 seconds, got {refuse_for}")
        self._refuse_until = self.clock.monotonic() + refuse_for
        dropped = 0
        for socket in list(self._sockets.values()):
            if socket.transport is not None and not socket.transport.is_closing():
                socket.transport.abort()
                dropped += 1
        self.stats.ws["dropped"] += dropped
        return dropped

    def silence(self) -> int:
        """Every open connection stops sending and ignores what it receives, pings included."""
        silenced = 0
        for socket in self._sockets.values():
            if not socket.silent:
                socket.silent = True
                silenced += 1
        self.stats.ws["silenced"] += silenced
        return silenced

    # -- the WebSocket --------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.clock.monotonic() < self._refuse_until:
            self.stats.ws["refused"] += 1
            return web.Response(status=503, text="Service Unavailable")
        # pings are answered by hand (autoping off) so that a silent socket can ignore them
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        socket = Socket(request.transport)
        self._sockets[ws] = socket
        self.stats.ws["connections"] += 1
        mine: set[int] = set()
        try:
            async for msg in ws:
                if socket.silent:
                    continue
                if msg.type is WSMsgType.PING:
                    await ws.pong(msg.data)
                    self.stats.ws["pongs"] += 1
                    continue
                if msg.type is WSMsgType.PONG:
                    continue
                if msg.type is not WSMsgType.TEXT and msg.type is not WSMsgType.BINARY:
                    break
                reply = self._rpc(msg.data, ws, mine)
                await ws.send_str(orjson.dumps(reply).decode())
        except ConnectionError:
            pass  # dropped under our feet (drop() aborts the transport)
        finally:
            for sub_id in mine:
                self._subs.pop(sub_id, None)
            self._sockets.pop(ws, None)
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
