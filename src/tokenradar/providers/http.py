"""The HTTP boundary shared by every provider client.

One :class:`HttpClient` per provider owns one long-lived ``aiohttp.ClientSession``
(explicit timeout, a connector bounded to ``max_in_flight`` connections) and one
request method that turns everything the network and the upstream can do into
either parsed JSON or an :mod:`tokenradar.errors` exception:

=================================================  ============================
what happened                                      raised
=================================================  ============================
no answer within the timeout                       ``UpstreamTimeout``
refused / reset / truncated payload / other I/O    ``UpstreamUnavailable``
HTTP 429                                           ``RateLimited(retry_after)``
HTTP 5xx                                           ``UpstreamUnavailable``
HTML page (Cloudflare) with 2xx or 403             ``MalformedResponse``
other 4xx (unless the caller accepts the status)   ``PermanentError``
not JSON, truncated JSON, wrong top-level type     ``MalformedResponse``
body larger than ``max_body_bytes``                ``MalformedResponse``
=================================================  ============================

Everything, including reading and decoding the body, happens inside
``async with gate(endpoint, cost)`` so the engine's limiter sees a 429 as it
leaves the block. Each error carries the provider name and a body excerpt.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final, TypeVar

import aiohttp
import orjson

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import (
    MalformedResponse,
    PermanentError,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tokenradar.providers.gate import OPEN_GATE, Gate

#: Never wait longer than this on a server's say-so; the limiter creeps back anyway.
RETRY_AFTER_CAP: Final = 60.0
#: The biggest real body we know is a RugCheck report of ~650 KB; 8 MiB is absurd.
DEFAULT_MAX_BODY_BYTES: Final = 8 * 1024 * 1024
_CHUNK = 64 * 1024
USER_AGENT: Final = "tokenradar/0.1 (+https://github.com/tokenradar)"

T = TypeVar("T")


def parse_retry_after(
    value: str | None, *, now: float, cap: float = RETRY_AFTER_CAP
) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header, or None if it says nothing usable.

    Accepts delay-seconds (``"120"``, also ``"1.5"``) and an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``, relative to ``now`` in epoch seconds).
    The result is clamped to ``[0, cap]``: a date in the past means "now", a
    year means ``cap``. Garbage, negative or non-finite values give None.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text[0].isdigit():
        try:
            seconds = float(text)
        except ValueError:
            return None
        if not math.isfinite(seconds):
            return None
        return min(seconds, cap)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive parse means "-0000"
        return None
    return min(max(0.0, when.timestamp() - now), cap)


@dataclass(frozen=True, slots=True)
class JsonResponse:
    """A decoded response: the HTTP status and the JSON value."""

    status: int
    data: object


def make_session(
    *,
    timeout: float,
    max_in_flight: int,
    headers: Mapping[str, str] | None = None,
) -> aiohttp.ClientSession:
    """A session with an explicit total timeout and at most ``max_in_flight`` connections."""
    connector = aiohttp.TCPConnector(
        limit=max_in_flight, limit_per_host=max_in_flight, ttl_dns_cache=300
    )
    all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    all_headers.update(headers or {})
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10.0)),
        headers=all_headers,
        json_serialize=lambda obj: orjson.dumps(obj).decode(),
        # we read the body ourselves (bounded) and decode it with orjson
        auto_decompress=True,
        raise_for_status=False,
    )


def _identity(response: JsonResponse) -> JsonResponse:
    return response


def _looks_like_html(content_type: str, body: bytes) -> bool:
    if "html" in content_type:
        return True
    head = body[:64].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml"))


def _type_name(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "null" if value is None else "number"
    )


class HttpClient:
    """One provider's session plus the translating request helper.

    ``session`` may be injected (then its owner closes it and sets its limits);
    otherwise one is created on first use and closed by :meth:`aclose`.
    """

    def __init__(
        self,
        provider: str,
        *,
        timeout: float,
        max_in_flight: int,
        gate: Gate = OPEN_GATE,
        clock: Clock = SYSTEM_CLOCK,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if max_body_bytes <= 0:
            raise ValueError(f"max_body_bytes must be positive, got {max_body_bytes}")
        self.provider = provider
        self.gate = gate
        self.clock = clock
        self.max_body_bytes = max_body_bytes
        self._timeout = timeout
        self._max_in_flight = max_in_flight
        self._headers = dict(headers or {})
        self._session = session
        self._owns_session = session is None
        self._closed = False

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError(f"{self.provider} client is closed")
        if self._session is None:
            self._session = make_session(
                timeout=self._timeout, max_in_flight=self._max_in_flight, headers=self._headers
            )
        return self._session

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        cost: int = 1,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        expect: type[list[Any]] | type[dict[str, Any]] | None = None,
        accept_status: frozenset[int] = frozenset(),
        check: Callable[[JsonResponse], T],
    ) -> T:
        """Send one request inside ``gate(endpoint, cost)``; return ``check(decoded response)``.

        ``expect`` is the required top-level JSON type. ``accept_status`` lists
        non-2xx statuses the caller handles itself (e.g. RugCheck's 404 = unknown
        token); their body must still be JSON. ``check`` runs while the gate is
        still held, so errors it raises from the body (a JSON-RPC rate-limit
        error with HTTP 200) are seen by the limiter like an HTTP 429.
        """
        async with self.gate(endpoint, cost):
            status, content_type, headers, body = await self._exchange(
                method, url, params=params, json_body=json_body
            )
            response = self._decode(
                status, content_type, headers, body, expect=expect, accept_status=accept_status
            )
            return check(response)

    async def get_json(
        self,
        url: str,
        *,
        endpoint: str,
        cost: int = 1,
        params: Mapping[str, str] | None = None,
        expect: type[list[Any]] | type[dict[str, Any]] | None = None,
        accept_status: frozenset[int] = frozenset(),
    ) -> JsonResponse:
        """``GET`` ``url`` and return its decoded JSON (see :meth:`request`)."""
        return await self.request(
            "GET",
            url,
            endpoint=endpoint,
            cost=cost,
            params=params,
            expect=expect,
            accept_status=accept_status,
            check=_identity,
        )

    async def _exchange(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        json_body: object,
    ) -> tuple[int, str, Mapping[str, str], bytes]:
        data = None if json_body is None else orjson.dumps(json_body)
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            async with self.session.request(
                method, url, params=params, data=data, headers=headers
            ) as resp:
                body = await self._read_bounded(resp)
                return resp.status, resp.content_type, resp.headers, body
        except UpstreamError:
            raise
        # ServerTimeoutError is both a TimeoutError and a ClientConnectionError: time first
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(
                self.provider, f"no answer from {method} {url} within {self._timeout:g}s"
            ) from exc
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise UpstreamUnavailable(
                self.provider, f"{method} {url} failed: {type(exc).__name__}: {exc}"
            ) from exc
        except aiohttp.InvalidURL as exc:
            raise PermanentError(self.provider, f"invalid URL {url!r}") from exc
        except aiohttp.ClientResponseError as exc:  # unparseable status line/headers
            raise MalformedResponse(
                self.provider, f"{method} {url}: bad HTTP response: {exc.message}"
            ) from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(
                self.provider, f"{method} {url} failed: {type(exc).__name__}: {exc}"
            ) from exc

    async def _read_bounded(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self.max_body_bytes
        if resp.content_length is not None and resp.content_length > limit:
            raise MalformedResponse(
                self.provider,
                f"HTTP {resp.status} body of {resp.content_length} bytes exceeds {limit}",
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise MalformedResponse(
                    self.provider,
                    f"HTTP {resp.status} body exceeds {limit} bytes",
                    body=b"".join(chunks)[:200],
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _decode(
        self,
        status: int,
        content_type: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        expect: type[list[Any]] | type[dict[str, Any]] | None,
        accept_status: frozenset[int],
    ) -> JsonResponse:
        provider = self.provider
        if status == 429:
            retry_after = parse_retry_after(headers.get("Retry-After"), now=self.clock.now())
            raise RateLimited(provider, "HTTP 429", retry_after=retry_after, body=body)
        if status >= 500:
            raise UpstreamUnavailable(provider, f"HTTP {status}", body=body)
        html = _looks_like_html(content_type, body)
        if html and (200 <= status < 300 or status == 403):
            # Cloudflare's bot pages come as 403 (or even 200) HTML instead of JSON
            raise MalformedResponse(provider, f"HTTP {status} HTML page instead of JSON", body=body)
        if not 200 <= status < 300 and status not in accept_status:
            raise PermanentError(provider, f"HTTP {status}", body=body)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            what = "empty body" if not body.strip() else f"invalid JSON ({exc.msg})"
            raise MalformedResponse(provider, f"HTTP {status} {what}", body=body) from exc
        if expect is not None and not isinstance(data, expect):
            wanted = "array" if expect is list else "object"
            raise MalformedResponse(
                provider, f"expected a JSON {wanted}, got {_type_name(data)}", body=body
            )
        return JsonResponse(status, data)
