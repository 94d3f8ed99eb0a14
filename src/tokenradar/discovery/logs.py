"""One program's new pools: live over ``logsSubscribe``, recovered after every drop.

A connection's life::

    handshake (through the RPC gate, endpoint "logsSubscribe")
      -> logsSubscribe {"mentions": [program]} confirmed
      -> three tasks race:  reader     every frame; notifications decoded
                            keepalive  a ping every ping_interval; nothing received
                                       (not even a pong) for silence_timeout = dead
                            sync       anchor (first connection) or backfill (later ones)
      -> the first failure ends the connection -> doubling backoff -> again

**Watermark.** The listener keeps the newest signature up to which everything
is accounted for. Before its first subscription it asks the node for the
program's newest signature (the *anchor*); after every later one the sync task
backfills (:mod:`tokenradar.discovery.backfill`) everything newer than the
watermark, and only then do notifications move it on. Subscribing *before*
backfilling makes the two overlap instead of leaving a hole (the overlap is
dropped by signature, a bounded LRU, and across sources by mint), and a
connection lost before its backfill finished leaves the watermark where it
was, so the next backfill covers both gaps. Without an anchor (the node could
not list signatures at the start) the first connection does not backfill; a
later one with no watermark reads the newest signatures within its bounds.

**Resolving.** pump.fun's CreateEvent is decoded from the notification. What
the logs cannot name (another program's creation, a missed transaction) goes
to the :class:`~tokenradar.discovery.resolver.Resolver` (``getTransaction``).
Backfilled tokens carry ``source="backfill:<program id>"`` and the chain's
``blockTime`` as ``created_at``.

Errors: transient ones (drops, 5xx or 429 handshakes, silence, RPC failures)
are counted in the source's stats and retried; a :class:`PermanentError` of
the subscription (method not found, handshake refused with 4xx) ends
:meth:`LogsListener.run`, and its supervisor restarts it with a longer backoff
and reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import aiohttp
import orjson

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.discovery.backfill import ChainReader, missed_signatures
from tokenradar.discovery.programs import PoolProgram
from tokenradar.discovery.recent import RecentSet
from tokenradar.discovery.resolver import Candidate, Resolver
from tokenradar.discovery.stats import SourceStats
from tokenradar.discovery.tasks import forever, race
from tokenradar.domain import TokenRef
from tokenradar.errors import (
    InvalidAddress,
    MalformedResponse,
    PermanentError,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tokenradar.providers.coerce import as_dict, as_int, as_list, as_str
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.providers.pool_feed import handshake_error
from tokenradar.providers.pumpfun import create_event_from_logs
from tokenradar.providers.solana_parse import SOURCE, rpc_error
from tokenradar.service.topics import PoolCreated
from tokenradar.settings import DiscoverySettings

log = logging.getLogger(__name__)

_DATA: Final = frozenset({aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY})

Emit = Callable[[PoolCreated], bool]


@dataclass(slots=True)
class _Connection:
    ws: aiohttp.ClientWebSocketResponse
    subscription: int
    last_frame: float  # clock.monotonic() of the last frame received, of any kind
    newest: str | None = None  # the newest signature notified on this connection
    synced: bool = False  # the backfill is done: notifications move the watermark


class LogsListener:
    """New tokens created by one program, from its logs and, after drops, its history."""

    def __init__(
        self,
        program: PoolProgram,
        *,
        ws_url: str,
        settings: DiscoverySettings,
        reader: ChainReader,
        session: aiohttp.ClientSession,
        emit: Emit,
        stats: SourceStats,
        gate: Gate = OPEN_GATE,
        clock: Clock = SYSTEM_CLOCK,
        timeout: float = 10.0,
    ) -> None:
        """``emit`` hands a token on and says whether it was new; ``timeout`` bounds
        the handshake and the subscription's confirmation."""
        self.program = program
        self.source = f"logs:{program.program_id}"
        self.stats = stats
        self._url = ws_url
        self._settings = settings
        self._reader = reader
        self._session = session
        self._emit = emit
        self._gate = gate
        self._clock = clock
        self._timeout = timeout
        self._seen: RecentSet[str] = RecentSet(settings.dedup_size)
        self._resolver = Resolver(
            program,
            reader=reader,
            settings=settings,
            seen=self._seen,
            offer=self._offer,
            stats=stats,
            clock=clock,
        )
        self._watermark: str | None = None
        self._anchored = False  # the watermark came from the node before the first subscription
        self._synced_once = False  # a connection has synced: later ones always backfill
        self._ids = 0

    @property
    def watermark(self) -> str | None:
        """The newest signature up to which every transaction is accounted for."""
        return self._watermark

    async def run(self) -> None:
        """Listen forever; raises only a PermanentError of the subscription (or a bug)."""
        await race(self._connect_forever(), self._resolver.run())

    # -- connections ----------------------------------------------------------

    async def _connect_forever(self) -> None:
        settings = self._settings
        if settings.backfill and not self._anchored and not self._synced_once:
            await self._anchor()
        attempt = 0
        while True:
            started = self._clock.monotonic()
            confirmed = self.stats.polls
            retry_after: float | None = None
            try:
                await self._one_connection()
            except PermanentError as exc:
                self.stats.failed(exc, self._clock.now())
                raise
            except UpstreamError as exc:
                self.stats.failed(exc, self._clock.now())
                if isinstance(exc, RateLimited):
                    retry_after = exc.retry_after
                log.info("%s: connection lost (%s); reconnecting", self.source, exc)
            lived = self._clock.monotonic() - started
            if self.stats.polls > confirmed and lived >= settings.silence_timeout:
                attempt = 0  # it was subscribed for a while: start the backoff over
            self.stats.reconnects += 1
            delay = min(settings.reconnect_max, settings.reconnect_initial * 2**attempt)
            attempt += 1
            await self._clock.sleep(max(delay, retry_after or 0.0))

    async def _one_connection(self) -> None:
        ws, subscription = await self._open()
        self.stats.polls += 1
        self.stats.connected = self.stats.backfilling = True
        conn = _Connection(ws, subscription, last_frame=self._clock.monotonic())
        try:
            await race(self._read(conn), self._keepalive(conn), self._sync(conn))
        finally:
            self.stats.connected = self.stats.backfilling = False
            with contextlib.suppress(Exception):
                await ws.close()  # quick: a cancelled receive() makes close() skip the handshake
        raise UpstreamUnavailable(SOURCE, f"{self.source}: connection ended")  # pragma: no cover

    async def _open(self) -> tuple[aiohttp.ClientWebSocketResponse, int]:
        try:
            async with self._gate("logsSubscribe", 1), asyncio.timeout(self._timeout):
                ws = await self._session.ws_connect(
                    self._url,
                    autoping=False,  # pongs count as life: the keepalive must see them
                    max_msg_size=self._settings.max_message_size,
                    timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=self._timeout),
                )
                try:
                    return ws, await self._subscribe(ws)
                except BaseException:
                    with contextlib.suppress(Exception):
                        await ws.close()
                    raise
        except UpstreamError:
            raise
        except aiohttp.WSServerHandshakeError as exc:
            raise handshake_error(exc, now=self._clock.now(), what=self.source) from exc
        except TimeoutError as exc:
            raise UpstreamTimeout(
                SOURCE, f"{self.source}: not subscribed within {self._timeout:g}s"
            ) from exc
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise UpstreamUnavailable(
                SOURCE, f"{self.source}: {type(exc).__name__}: {exc}"
            ) from exc

    async def _subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> int:
        self._ids += 1
        request_id = self._ids
        request = {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "logsSubscribe",
            "params": [{"mentions": [self.program.program_id]}, {"commitment": "confirmed"}],
        }
        await ws.send_str(orjson.dumps(request).decode())  # JSON-RPC nodes expect TEXT frames
        while True:
            message = await ws.receive()
            if message.type is aiohttp.WSMsgType.PING:
                await ws.pong(message.data)
                continue
            if message.type is aiohttp.WSMsgType.PONG:
                continue
            if message.type not in _DATA:
                raise UpstreamUnavailable(
                    SOURCE, f"{self.source}: {message.type.name} before the subscription"
                )
            reply = self._json(message.data)
            if reply.get("id") != request_id:
                continue
            if reply.get("error") is not None:
                raise rpc_error(reply["error"], method="logsSubscribe")
            subscription = as_int(reply.get("result"))
            if subscription is None:
                raise MalformedResponse(
                    SOURCE, "logsSubscribe: no subscription id", body=str(reply)[:200]
                )
            return subscription

    async def _read(self, conn: _Connection) -> None:
        ws = conn.ws
        try:
            while True:
                message = await ws.receive()
                conn.last_frame = self._clock.monotonic()
                kind = message.type
                if kind is aiohttp.WSMsgType.PING:
                    await ws.pong(message.data)
                elif kind in _DATA:
                    self._on_message(conn, message.data)
                elif kind is aiohttp.WSMsgType.ERROR:
                    # the error (a frame over max_msg_size, a protocol error) is the data
                    error = message.data if isinstance(message.data, Exception) else ws.exception()
                    raise UpstreamUnavailable(SOURCE, f"{self.source}: {error}")
                elif kind is not aiohttp.WSMsgType.PONG:
                    raise UpstreamUnavailable(
                        SOURCE, f"{self.source}: closed by the node ({kind.name})"
                    )
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise UpstreamUnavailable(SOURCE, f"{self.source}: {type(exc).__name__}") from exc

    async def _keepalive(self, conn: _Connection) -> None:
        ping_every, silence = self._settings.ping_interval, self._settings.silence_timeout
        next_ping = self._clock.monotonic() + ping_every
        while True:
            now = self._clock.monotonic()
            if now - conn.last_frame >= silence:
                raise UpstreamTimeout(
                    SOURCE, f"{self.source}: nothing received for {now - conn.last_frame:.1f}s"
                )
            if now >= next_ping:
                try:
                    # bounded: a dead peer's full send buffer would block the ping forever
                    async with asyncio.timeout(self._timeout):
                        await conn.ws.ping()
                except TimeoutError as exc:
                    raise UpstreamTimeout(SOURCE, f"{self.source}: ping not sent") from exc
                except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
                    raise UpstreamUnavailable(SOURCE, f"{self.source}: ping failed: {exc}") from exc
                next_ping = now + ping_every
            await self._clock.sleep(max(0.0, min(next_ping, conn.last_frame + silence) - now))

    # -- notifications --------------------------------------------------------

    def _json(self, data: str | bytes) -> dict[str, object]:
        try:
            return as_dict(orjson.loads(data))
        except orjson.JSONDecodeError:
            self.stats.malformed += 1
            return {}

    def _on_message(self, conn: _Connection, data: str | bytes) -> None:
        message = self._json(data)
        if message.get("method") != "logsNotification":
            return
        params = as_dict(message.get("params"))
        if as_int(params.get("subscription")) != conn.subscription:
            return
        value = as_dict(as_dict(params.get("result")).get("value"))
        signature = as_str(value.get("signature"))
        if signature is None:
            self.stats.malformed += 1
            return
        conn.newest = signature
        if conn.synced:
            self._watermark = signature
        if not self._seen.add(signature) or value.get("err") is not None:
            return  # delivered before, or failed: a failed create created nothing
        logs = [line for line in as_list(value.get("logs")) if isinstance(line, str)]
        event = create_event_from_logs(logs) if self.program.decodes else None
        if event is not None:
            try:
                token = TokenRef("solana", event.mint)
            except InvalidAddress:
                self.stats.malformed += 1
                return
            self._offer(
                PoolCreated(
                    token=token,
                    source=self.source,
                    detected_at=self._clock.now(),
                    created_at=None,  # a notification carries no block time
                    signature=signature,
                    symbol=event.symbol,
                    name=event.name,
                ),
                False,
            )
        elif self.program.is_creation(logs):
            self._resolver.offer_live(Candidate(signature, None, backfilled=False))

    def _offer(self, event: PoolCreated, backfilled: bool) -> None:
        if self._emit(event) and backfilled:
            self.stats.backfilled += 1

    # -- sync: anchor and backfill ---------------------------------------------

    async def _anchor(self) -> None:
        """Before the first subscription: the newest signature now bounds the first backfill."""
        try:
            newest = await self._reader.signatures(self.program.program_id, limit=1)
        except UpstreamError as exc:
            self.stats.failed(exc, self._clock.now())
            log.warning(
                "%s: no anchor (%s); the first connection is not backfilled", self.source, exc
            )
            return
        self._watermark = newest[0].signature if newest else None
        self._anchored = True

    async def _sync(self, conn: _Connection) -> None:
        delay = self._settings.reconnect_initial
        while not conn.synced:
            try:
                if self._settings.backfill and (self._anchored or self._synced_once):
                    await self._backfill()
                conn.synced = True
            except PermanentError as exc:
                # the node cannot list signatures: retrying cannot help, the gap is lost
                self.stats.failed(exc, self._clock.now())
                self.stats.truncated += 1
                conn.synced = True
            except UpstreamError as exc:
                self.stats.failed(exc, self._clock.now())
                await self._clock.sleep(delay)
                delay = min(self._settings.reconnect_max, delay * 2)
        self._synced_once = True
        self.stats.backfilling = False
        if conn.newest is not None:
            self._watermark = conn.newest
        await forever()  # stay in the race: only a failure may end the connection

    async def _backfill(self) -> None:
        s = self._settings
        missed = await missed_signatures(
            self._reader,
            self.program.program_id,
            until=self._watermark,
            seen=self._seen.__contains__,
            page_size=s.backfill_page_size,
            max_pages=s.backfill_max_pages,
            max_signatures=s.backfill_max_signatures,
        )
        if missed.truncated:
            self.stats.truncated += 1
            log.warning(
                "%s: backfill stopped at its bounds (%d pages, %d signatures); older missed "
                "transactions are not read",
                self.source,
                missed.pages,
                len(missed.signatures),
            )
        for info in reversed(missed.signatures):  # oldest first: events in creation order
            await self._resolver.put(Candidate(info.signature, info.block_time, backfilled=True))
        if missed.newest is not None:
            self._watermark = missed.newest  # conn.newest, if any, overrides it once synced
