"""New pools as they launch: a ``logsSubscribe`` WebSocket client.

:class:`LogsSubscription` subscribes to the logs of transactions that mention
a launch program (pump.fun by default)::

    {"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe",
     "params": [{"mentions": ["6EF8rr..."]}, {"commitment": "confirmed"}]}

and yields a :class:`NewPoolEvent` for every successful transaction whose logs
carry a pump.fun ``CreateEvent`` (see :mod:`tokenradar.providers.pumpfun`).
Failed transactions, other instructions and undecodable messages are skipped
(and counted in :attr:`LogsSubscription.stats`).

It runs until the consumer stops iterating. When the connection drops, the
handshake fails or the node says slow down, it reconnects after an exponential
backoff (``backoff_initial`` doubling up to ``backoff_max``; a server's
``Retry-After`` wins when longer), reset once a subscription is confirmed. Each
failure is translated into the error hierarchy and kept in ``last_error``;
only a :class:`PermanentError` (method not found, invalid params, handshake
refused with 4xx) ends the iteration, because retrying cannot fix it. Pools
launched while disconnected are not replayed: the profiles feed and scans are
the backstop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Final

import aiohttp
import orjson

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import TokenRef
from tokenradar.errors import (
    InvalidAddress,
    MalformedResponse,
    PermanentError,
    RateLimited,
    TransientError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tokenradar.providers.coerce import as_dict, as_int, as_list, as_str
from tokenradar.providers.gate import OPEN_GATE, Gate
from tokenradar.providers.http import USER_AGENT, parse_retry_after
from tokenradar.providers.pumpfun import PUMPFUN_PROGRAM_ID, create_event_from_logs
from tokenradar.providers.solana_parse import SOURCE, rpc_error
from tokenradar.settings import SolanaRpcSettings

_SUBSCRIBE_ID: Final = 1
_DATA: Final = frozenset({aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY})


def handshake_error(
    exc: aiohttp.WSServerHandshakeError, *, now: float, what: str = "logsSubscribe"
) -> UpstreamError:
    """A refused WebSocket handshake in the error hierarchy: 429 and 5xx are transient."""
    status = exc.status
    text = f"{what}: handshake refused with HTTP {status}"
    if status == 429:
        header = exc.headers.get("Retry-After") if exc.headers else None
        return RateLimited(SOURCE, text, retry_after=parse_retry_after(header, now=now))
    if status >= 500:
        return UpstreamUnavailable(SOURCE, text)
    return PermanentError(SOURCE, text)


@dataclass(frozen=True, slots=True)
class NewPoolEvent:
    """A token launched on-chain, as its CreateEvent announced it."""

    signature: str
    slot: int
    token: TokenRef  # the new mint
    name: str
    symbol: str
    uri: str
    creator: str  # the wallet that created it (CreateEvent.user)
    bonding_curve: str
    program: str


@dataclass(slots=True)
class FeedStats:
    connects: int = 0  # subscriptions confirmed
    disconnects: int = 0  # connections lost or refused, each followed by a backoff
    events: int = 0  # NewPoolEvents yielded
    skipped: int = 0  # notifications that were not a successful create
    malformed: int = 0  # messages we could not decode
    #: the most recent waits, in seconds (bounded: the feed is meant to run forever)
    backoffs: deque[float] = field(default_factory=lambda: deque(maxlen=100))


class LogsSubscription:
    """An endless, self-healing stream of :class:`NewPoolEvent`."""

    def __init__(
        self,
        settings: SolanaRpcSettings,
        *,
        program: str = PUMPFUN_PROGRAM_ID,
        gate: Gate = OPEN_GATE,
        clock: Clock = SYSTEM_CLOCK,
        session: aiohttp.ClientSession | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        heartbeat: float = 20.0,
    ) -> None:
        if not 0 < backoff_initial <= backoff_max:
            raise ValueError("need 0 < backoff_initial <= backoff_max")
        self.url = settings.websocket_url
        self.program = program
        self.stats = FeedStats()
        self.last_error: UpstreamError | None = None
        self._timeout = settings.timeout
        self._gate = gate
        self._clock = clock
        self._session = session
        self._owns_session = session is None
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._heartbeat = heartbeat

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # no total timeout: the socket lives for hours; the handshake is bounded below
            timeout = aiohttp.ClientTimeout(
                total=None, connect=self._timeout, sock_connect=self._timeout
            )
            self._session = aiohttp.ClientSession(
                timeout=timeout, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def __aiter__(self) -> AsyncIterator[NewPoolEvent]:
        return self.events()

    async def events(self) -> AsyncIterator[NewPoolEvent]:
        """Yield new pools forever, reconnecting as needed; raises only PermanentError."""
        attempt = 0
        while True:
            connects_before = self.stats.connects
            retry_after: float | None = None
            try:
                async for event in self._one_connection():
                    yield event
                self.last_error = UpstreamUnavailable(SOURCE, "logsSubscribe: connection closed")
            except PermanentError as exc:
                self.last_error = exc
                raise
            except (TransientError, MalformedResponse) as exc:
                self.last_error = exc
                if isinstance(exc, RateLimited):
                    retry_after = exc.retry_after
            if self.stats.connects > connects_before:
                attempt = 0  # it worked for a while: start the backoff over
            self.stats.disconnects += 1
            delay = min(self._backoff_max, self._backoff_initial * 2**attempt)
            delay = max(delay, retry_after or 0.0)
            attempt += 1
            self.stats.backoffs.append(delay)
            await self._clock.sleep(delay)

    async def _one_connection(self) -> AsyncIterator[NewPoolEvent]:
        session = self._ensure_session()
        try:
            async with self._gate("logsSubscribe", 1):
                ws = await session.ws_connect(self.url, heartbeat=self._heartbeat)
                try:
                    subscription = await self._subscribe(ws)
                except BaseException:
                    await ws.close()
                    raise
        except UpstreamError:
            raise
        except aiohttp.WSServerHandshakeError as exc:
            raise handshake_error(exc, now=self._clock.now()) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(
                SOURCE, f"logsSubscribe: no handshake within {self._timeout:g}s"
            ) from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(
                SOURCE, f"logsSubscribe: {type(exc).__name__}: {exc}"
            ) from exc
        self.stats.connects += 1
        try:
            async for message in ws:
                if message.type not in _DATA:
                    if message.type is aiohttp.WSMsgType.ERROR:
                        raise UpstreamUnavailable(SOURCE, f"logsSubscribe: {ws.exception()}")
                    continue
                event = self._decode(message.data, subscription)
                if event is not None:
                    self.stats.events += 1
                    yield event
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(SOURCE, f"logsSubscribe: {type(exc).__name__}") from exc
        finally:
            await ws.close()

    async def _subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> int:
        request = {
            "jsonrpc": "2.0",
            "id": _SUBSCRIBE_ID,
            "method": "logsSubscribe",
            "params": [{"mentions": [self.program]}, {"commitment": "confirmed"}],
        }
        await ws.send_str(orjson.dumps(request).decode())  # JSON-RPC nodes expect TEXT frames
        try:
            async with asyncio.timeout(self._timeout):
                while True:
                    message = await ws.receive()
                    if message.type not in _DATA:
                        raise UpstreamUnavailable(
                            SOURCE, f"logsSubscribe: {message.type.name} before confirmation"
                        )
                    reply = self._json(message.data)
                    if reply.get("id") != _SUBSCRIBE_ID:
                        continue  # a notification of an earlier life; not ours yet
                    if reply.get("error") is not None:
                        raise rpc_error(reply["error"], method="logsSubscribe")
                    subscription = as_int(reply.get("result"))
                    if subscription is None:
                        raise MalformedResponse(
                            SOURCE, "logsSubscribe: no subscription id", body=str(reply)
                        )
                    return subscription
        except TimeoutError as exc:
            raise UpstreamTimeout(
                SOURCE, f"logsSubscribe: not confirmed within {self._timeout:g}s"
            ) from exc

    def _json(self, data: str | bytes) -> dict[str, object]:
        try:
            return as_dict(orjson.loads(data))
        except orjson.JSONDecodeError:
            self.stats.malformed += 1
            return {}

    def _decode(self, data: str | bytes, subscription: int) -> NewPoolEvent | None:
        message = self._json(data)
        if message.get("method") != "logsNotification":
            return None
        params = as_dict(message.get("params"))
        if as_int(params.get("subscription")) != subscription:
            return None
        result = as_dict(params.get("result"))
        value = as_dict(result.get("value"))
        signature = as_str(value.get("signature"))
        logs = [line for line in as_list(value.get("logs")) if isinstance(line, str)]
        if value.get("err") is not None or signature is None:
            self.stats.skipped += 1  # failed transactions create nothing
            return None
        event = create_event_from_logs(logs)
        if event is None:
            self.stats.skipped += 1
            return None
        try:
            token = TokenRef("solana", event.mint)
        except InvalidAddress:
            self.stats.malformed += 1
            return None
        return NewPoolEvent(
            signature=signature,
            slot=as_int(as_dict(result.get("context")).get("slot")) or 0,
            token=token,
            name=event.name,
            symbol=event.symbol,
            uri=event.uri,
            creator=event.user,
            bonding_curve=event.bonding_curve,
            program=self.program,
        )
