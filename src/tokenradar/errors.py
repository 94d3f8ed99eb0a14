"""One exception hierarchy for tokenradar, organised by what the caller does.

::

    TokenradarError
    ├── InvalidInput            reject the input and say why; never send it upstream
    │   ├── InvalidAddress      not a valid Solana/EVM address for that chain
    │   └── ConfigError         a bad setting; names the key and the expected form
    ├── UpstreamError           a provider call failed; carries provider + body excerpt
    │   ├── TransientError      retry later (with backoff, under the retry budget)
    │   │   ├── UpstreamTimeout     no answer within the timeout
    │   │   ├── UpstreamUnavailable connection refused/reset, 5xx
    │   │   └── RateLimited         429 (or provider equivalent); may carry retry_after
    │   ├── MalformedResponse   HTML/Cloudflare page, truncated JSON, wrong types:
    │   │                       retry at most once, then give up on this refresh
    │   └── PermanentError      4xx, JSON-RPC invalid params: do not retry
    ├── CircuitOpen             the lane's breaker is open: nothing was sent
    ├── QuotaLockError          the local lock on an upstream quota could not be taken
    │   └── QuotaBusy           another process on this machine held it past the timeout
    └── StorageError            the database refused or failed a write/read

An upstream error is never a verdict about a token: callers turn it into an
``error`` facet (and the affected checks become ``unknown``), never a ``fail``.
Foreign exceptions (aiohttp, asyncio, json, sqlalchemy) are translated into this
hierarchy at the boundary that sees them, with ``raise ... from exc``.
"""

from __future__ import annotations

EXCERPT_CHARS = 200


def excerpt(body: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """A short, single-line, printable excerpt of a response body for error messages."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TokenradarError(Exception):
    """Base of every error tokenradar raises on purpose."""


class InvalidInput(TokenradarError, ValueError):
    """Input that can never be valid; the message names the offending value."""


class InvalidAddress(InvalidInput):
    """A token address that does not decode for its chain."""


class ConfigError(InvalidInput):
    """A setting with a bad value: ``key`` names it, the message gives the expected form."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


class UpstreamError(TokenradarError):
    """A call to an upstream provider failed."""

    #: short machine name of the failure class, stored in ``error`` facets
    kind = "upstream"

    def __init__(self, provider: str, message: str, *, body: bytes | str = b"") -> None:
        self.provider = provider
        self.excerpt = excerpt(body) if body else ""
        detail = f" (body: {self.excerpt!r})" if self.excerpt else ""
        super().__init__(f"{provider}: {message}{detail}")
        self.message = message


class TransientError(UpstreamError):
    """Worth retrying later: the same request may succeed."""

    kind = "transient"


class UpstreamTimeout(TransientError):
    kind = "timeout"


class UpstreamUnavailable(TransientError):
    kind = "unavailable"


class RateLimited(TransientError):
    """The provider said slow down. ``retry_after`` is seconds, already parsed and capped."""

    kind = "rate_limited"

    def __init__(
        self,
        provider: str,
        message: str = "rate limited",
        *,
        retry_after: float | None = None,
        body: bytes | str = b"",
    ) -> None:
        super().__init__(provider, message, body=body)
        self.retry_after = retry_after


class MalformedResponse(UpstreamError):
    """The provider answered, but not with what its API promises."""

    kind = "malformed"


class PermanentError(UpstreamError):
    """The request itself is wrong; sending it again cannot help."""

    kind = "permanent"


class CircuitOpen(TokenradarError):
    """The lane's circuit breaker is open, so the request was not sent."""

    kind = "circuit_open"

    def __init__(self, lane: str, retry_in: float) -> None:
        super().__init__(f"{lane}: circuit open, next probe in {retry_in:.1f}s")
        self.lane = lane
        self.retry_in = retry_in


class QuotaLockError(TokenradarError):
    """The local lock on a shared upstream quota could not be taken (e.g. its
    directory is not writable); ``provider`` names the quota's provider."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider


class QuotaBusy(QuotaLockError):
    """Another process on this machine held the quota for longer than we would wait.

    ``pid`` is that process (None if it could not be read)."""

    def __init__(self, provider: str, message: str, *, pid: int | None) -> None:
        super().__init__(provider, message)
        self.pid = pid


class StorageError(TokenradarError):
    """The database failed a read or a write."""
