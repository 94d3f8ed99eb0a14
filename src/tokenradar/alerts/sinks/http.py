"""The HTTP boundary of the webhook and chat sinks: one session, one POST, typed errors.

=================================================  ============================
what happened                                      raised
=================================================  ============================
no answer within ``timeout``                       ``UpstreamTimeout``
refused / reset / DNS / other I/O                  ``UpstreamUnavailable``
HTTP 429                                           ``RateLimited(retry_after)``
HTTP 5xx                                           ``UpstreamUnavailable``
other non-2xx                                      ``PermanentError``
=================================================  ============================

Each sink reads its service's own error bodies (Discord's ``retry_after`` in
the JSON, Telegram's ``parameters.retry_after``) before falling back to
:meth:`HttpSink.check_status`.

**Secrets.** A webhook URL carries its token, and Telegram's path carries the
bot token. Messages never name the URL (only the sink); every message and body
excerpt also goes through :meth:`HttpSink.redact`, which replaces each secret
with ``***`` in case a library's error text quotes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import aiohttp
import orjson

from tokenradar.alerts.sinks.base import Sink
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import (
    PermanentError,
    RateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tokenradar.providers.http import USER_AGENT, parse_retry_after
from tokenradar.settings.alerts import HttpSinkSettings

#: the answers we read are small status bodies; more is not worth holding
MAX_ANSWER_BYTES: Final = 64 * 1024
REDACTED: Final = "***"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the service said: status, headers and (at most 64 KiB of) body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> object:
        """The body as JSON, or None if it is not JSON."""
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def _read_bounded(resp: aiohttp.ClientResponse) -> bytes:
    """The body, or its first :data:`MAX_ANSWER_BYTES` (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(8192):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_ANSWER_BYTES:
            break
    return b"".join(chunks)[:MAX_ANSWER_BYTES]


class HttpSink(Sink):
    """A sink that POSTs JSON; subclasses build the body and read the answer."""

    def __init__(
        self,
        name: str,
        settings: HttpSinkSettings,
        *,
        secrets: tuple[str, ...] = (),
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(name)
        self.settings = settings
        self.clock = clock
        self._secrets = tuple(s for s in secrets if s)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        if self._session is None:
            timeout = self.settings.timeout
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=2),
                timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10.0)),
                headers={"User-Agent": USER_AGENT},
                raise_for_status=False,
            )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    async def post_json(
        self, url: str, body: object, *, headers: Mapping[str, str] | None = None
    ) -> Answer:
        """POST ``body`` as JSON to ``url``; transport failures become typed errors."""
        if self._session is None:
            raise RuntimeError(f"alert sink {self.name} is not open")
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        try:
            async with self._session.post(
                url, data=orjson.dumps(body), headers=all_headers
            ) as resp:
                return Answer(resp.status, resp.headers, await _read_bounded(resp))
        # ServerTimeoutError is both a TimeoutError and a ClientConnectionError: time first
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(
                self.name, f"no answer within {self.settings.timeout:g}s"
            ) from exc
        except aiohttp.InvalidURL as exc:
            # its text is the URL itself: say nothing of it
            raise PermanentError(self.name, "invalid URL (not shown: it holds the secret)") from exc
        except aiohttp.ClientError as exc:
            detail = self.redact(f"{type(exc).__name__}: {exc}")
            raise UpstreamUnavailable(self.name, f"POST failed: {detail}") from exc

    def check_status(self, answer: Answer, *, retry_after: float | None = None) -> None:
        """Raise for a non-2xx answer; ``retry_after`` overrides the header on a 429."""
        if answer.ok:
            return
        body = self.redact(answer.body.decode("utf-8", "replace"))
        if answer.status == 429:
            if retry_after is None:
                retry_after = parse_retry_after(
                    answer.headers.get("Retry-After"),
                    now=self.clock.now(),
                    cap=self.settings.max_retry_after,
                )
            raise RateLimited(self.name, "HTTP 429", retry_after=retry_after, body=body)
        if answer.status >= 500:
            raise UpstreamUnavailable(self.name, f"HTTP {answer.status}", body=body)
        raise PermanentError(self.name, f"HTTP {answer.status}", body=body)
