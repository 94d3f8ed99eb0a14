"""The path every simulated request takes: count, admit, delay, answer, fault.

1. count it as received (per endpoint, with its batch size) and in flight;
2. meet a fault, if one is injected or the chaos schedule says so;
3. charge the rate limits (per client IP); over a limit -> the provider's 429;
4. wait the sampled latency;
5. run the handler, then apply answer-mangling faults (truncated, malformed).

Each provider answers errors in its own style, like the real service: DexScreener
429s are plain text without ``Retry-After`` and its 403/5xx pages are Cloudflare
HTML; Solana RPC 429s carry ``Retry-After`` and a JSON-RPC error body; RugCheck
sends ``Retry-After`` on about half of its 429s.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from tokenradar.clock import Clock
from tokenradar.simulator.config import SimConfig
from tokenradar.simulator.faults import POST_HANDLER, FaultPlan
from tokenradar.simulator.limits import Charge, InFlight, LimitBook
from tokenradar.simulator.stats import Stats

CLIENT_HEADER = "X-Sim-Client"  # lets one test process act as several client IPs
#: where serve() records the fault a request met, for handlers that count per call
FAULT_KEY = web.RequestKey("sim_fault", str)

_CLOUDFLARE_403 = """<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<html class="no-js" lang="en-US">
<head>
<title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
</head>
<body>
  <div id="cf-wrapper">
    <div id="cf-error-details" class="cf-error-details-wrapper">
      <h1 data-translate="block_headline">Sorry, you have been blocked</h1>
      <h2 class="cf-subheadline">You are unable to access dexscreener.com</h2>
      <p>This website is using a security service to protect itself from online attacks.</p>
      <span class="cf-footer-item">Cloudflare Ray ID: <strong>8f2c1e0d9a7b4c3e</strong></span>
    </div>
  </div>
</body>
</html>
"""

_CLOUDFLARE_5XX = """<html>
<head><title>{code} {reason}</title></head>
<body>
<center><h1>{code} {reason}</h1></center>
<hr><center>cloudflare</center>
</body>
</html>
"""

_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(slots=True)
class Reply:
    """A handler's answer: ``payload`` is serialised as JSON unless ``body`` is given."""

    status: int = 200
    payload: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if self.body is not None:
            return self.body
        return orjson.dumps(self.payload)


Handler = Callable[[], Awaitable[Reply]]


class Gateway:
    def __init__(
        self,
        *,
        config: SimConfig,
        clock: Clock,
        stats: Stats,
        limits: LimitBook,
        inflight: InFlight,
        faults: FaultPlan,
        closing: asyncio.Event,
    ) -> None:
        self.config = config
        self.clock = clock
        self.stats = stats
        self.limits = limits
        self.inflight = inflight
        self.faults = faults
        self.closing = closing
        self._rng = random.Random(config.seed ^ 0x1A7E)
        m, q = config.latency_median_ms / 1000.0, config.latency_p99_ms / 1000.0
        self._median = m
        # lognormal with the given median and 99th percentile (z_0.99 = 2.3263)
        self._sigma = math.log(q / m) / 2.3263 if m > 0 and q > m else 0.0

    def client(self, request: web.Request) -> str:
        return request.headers.get(CLIENT_HEADER) or request.remote or "unknown"

    def latency(self) -> float:
        if self._median <= 0:
            return 0.0
        return self._median * math.exp(self._sigma * self._rng.gauss(0.0, 1.0))

    async def _wait(self, seconds: float) -> None:
        """Sleep on the clock, but give up at once when the server is closing."""
        if seconds <= 0:
            return
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        closer = asyncio.ensure_future(self.closing.wait())
        try:
            await asyncio.wait({sleeper, closer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in (sleeper, closer):
                fut.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fut

    async def serve(
        self,
        request: web.Request,
        provider: str,
        endpoint: str,
        charges: list[Charge],
        handler: Handler,
        *,
        batch: int | None = None,
        max_in_flight: int | None = None,
    ) -> web.StreamResponse:
        client = self.client(request)
        self.stats.received(endpoint, batch)
        in_flight = self.inflight.enter(provider, client)
        try:
            now = self.clock.monotonic()
            fault = self.faults.pick(provider, now)
            if fault is not None and fault not in POST_HANDLER:
                self.stats.fault(endpoint, fault)
                request[FAULT_KEY] = fault  # lets the RPC attribute it to each call
                await self._wait(self.latency())
                return self._fault_response(request, provider, fault)
            if (
                max_in_flight is not None
                and self.config.enforces_limits
                and in_flight > max_in_flight
            ):
                self.stats.outcome(endpoint, 429)
                return self.too_many(provider, 1.0)
            refusal = self.limits.charge(client, charges, now)
            if refusal is not None:
                self.stats.outcome(endpoint, 429)
                await self._wait(self.latency())
                return self.too_many(provider, refusal.retry_after)
            await self._wait(self.latency())
            if fault == "stall":
                await self._wait(self.config.stall_s)
            reply = await handler()
            body = reply.encode()
            if fault in ("truncated", "malformed") and reply.status == 200:
                self.stats.fault(endpoint, fault)
                body = _truncate(body) if fault == "truncated" else _malform(body, self._rng)
            elif fault == "stall":
                self.stats.fault(endpoint, fault)
            else:
                self.stats.outcome(endpoint, reply.status)
            return web.Response(
                status=reply.status,
                body=body,
                content_type=reply.content_type,
                headers=reply.headers,
            )
        finally:
            self.inflight.leave(provider, client)

    def too_many(self, provider: str, retry_after: float) -> web.Response:
        seconds = str(max(1, math.ceil(retry_after)))
        if provider == "dexscreener":
            return web.Response(status=429, text="Too Many Requests", content_type="text/plain")
        if provider == "solana_rpc":
            body = {
                "jsonrpc": "2.0",
                "error": {
                    "code": 429,
                    "message": "Too many requests for a specific RPC call, contact your app "
                    "developer or support@rpcpool.com.",
                },
                "id": None,
            }
            return web.Response(
                status=429,
                body=orjson.dumps(body),
                content_type="application/json",
                headers={"Retry-After": seconds},
            )
        if provider == "rugcheck":
            headers = {"Retry-After": seconds} if self._rng.random() < 0.5 else {}
            return web.Response(
                status=429,
                body=b'{"error":"Too many requests"}',
                content_type="application/json",
                headers=headers,
            )
        return web.Response(
            status=429,
            body=b'{"code":429,"message":"Rate limit exceeded"}',
            content_type="application/json",
        )

    def _fault_response(
        self, request: web.Request, provider: str, fault: str
    ) -> web.StreamResponse:
        if fault == "429":
            return self.too_many(provider, 2.0)
        if fault == "reset":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)  # never delivered: the connection is gone
        if fault == "html403":
            return web.Response(
                status=403,
                text=_CLOUDFLARE_403,
                content_type="text/html",
                headers={"Server": "cloudflare", "CF-RAY": "8f2c1e0d9a7b4c3e-FRA"},
            )
        code = int(fault)
        if provider in ("dexscreener", "rugcheck"):
            html = _CLOUDFLARE_5XX.format(code=code, reason=_REASONS.get(code, "Error"))
            return web.Response(status=code, text=html, content_type="text/html")
        if provider == "solana_rpc":
            return web.Response(
                status=code, text=_REASONS.get(code, "Error"), content_type="text/plain"
            )
        return web.Response(
            status=code,
            body=orjson.dumps({"error": _REASONS.get(code, "Error")}),
            content_type="application/json",
        )


def _truncate(body: bytes) -> bytes:
    """Cut a JSON body short (the Content-Length matches the cut body: only the JSON is broken)."""
    return body[: max(1, len(body) // 2)]


def _malform(body: bytes, rng: random.Random) -> bytes:
    """Valid JSON with wrong types: numbers become strings, strings numbers or null."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[::-1]
    return orjson.dumps(_scramble(value, rng, depth=0))


def _scramble(value: Any, rng: random.Random, depth: int) -> Any:
    if depth == 0 and isinstance(value, list) and rng.random() < 0.3:
        return {"error": value[:1]}  # a list where a list was expected? no: an object
    if depth == 0 and isinstance(value, dict) and rng.random() < 0.3:
        return [value]
    if isinstance(value, dict):
        return {k: _scramble(v, rng, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_scramble(v, rng, depth + 1) for v in value]
    if rng.random() >= 0.35:
        return value
    if isinstance(value, bool) or value is None:
        return "true"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return None if rng.random() < 0.5 else len(value)
    return value
