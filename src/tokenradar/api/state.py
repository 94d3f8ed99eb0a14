"""The per-app state the routes share (one per :func:`create_app`; no globals)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from starlette.requests import HTTPConnection

from tokenradar.api.auth import Caller, KeyRing
from tokenradar.api.backend import Backend
from tokenradar.api.bodylimit import BodyCounter
from tokenradar.api.errors import ApiError
from tokenradar.api.ratelimit import RateLimiter, retry_after
from tokenradar.api.scans import ApiScans
from tokenradar.api.sse import StreamCounters
from tokenradar.clock import Clock
from tokenradar.settings import ApiRole, Settings


@dataclass(slots=True)
class ApiState:
    backend: Backend
    settings: Settings
    clock: Clock
    keys: KeyRing
    limiter: RateLimiter
    scans: ApiScans
    streams: StreamCounters = field(default_factory=StreamCounters)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    bodies: BodyCounter = field(default_factory=BodyCounter)
    metrics: CollectorRegistry = field(
        default_factory=lambda: CollectorRegistry(auto_describe=False)
    )

    def guard(self, conn: HTTPConnection, role: ApiRole) -> Caller:
        """Who calls, whether they may (401/403), and whether within their rate (429)."""
        caller = self.keys.identify(conn)
        self.keys.authorize(caller, role)
        wait = self.limiter.take(caller.bucket)
        if wait is not None:
            raise ApiError(
                429,
                f"rate limit of {self.settings.api.rate} (burst {self.settings.api.burst}) "
                f"reached for {caller.name}; retry in {wait:.2f}s",
                headers={"Retry-After": retry_after(wait)},
            )
        return caller

    def counters(self) -> dict[str, int]:
        return {
            "stream_clients": self.streams.clients,
            "stream_dropped_slow": self.streams.dropped_slow,
            "rate_limited": self.limiter.refused,
            "bodies_refused": self.bodies.refused,
            "scans_running": self.scans.running,
            "scans_kept": self.scans.kept_count,
        }


def state_of(conn: HTTPConnection) -> ApiState:
    st = conn.app.state.tokenradar
    assert isinstance(st, ApiState)
    return st


def reader(conn: HTTPConnection) -> Caller:
    return state_of(conn).guard(conn, ApiRole.READ)


def admin(conn: HTTPConnection) -> Caller:
    return state_of(conn).guard(conn, ApiRole.ADMIN)
