"""The app factory: one FastAPI app over a running Service (or an open Radar).

::

    app = create_app(service, settings)          # tokenradar serve does this
    # routes: /api/v1/tokens, /api/v1/scans, /api/v1/stream, /api/v1/watchlist,
    #         /api/v1/stats, /health/live, /health/ready, /health, /metrics

Everything the app holds is its own (:class:`~tokenradar.api.state.ApiState`:
keys, per-key buckets, scans, stream counters, a Prometheus registry), so two
apps in one process share nothing. Middleware, outermost first: the body limit
(pure ASGI, counts ``receive()`` bytes), then CORS when origins are configured.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from tokenradar.api.auth import KeyRing
from tokenradar.api.backend import Backend
from tokenradar.api.bodylimit import BodyLimit
from tokenradar.api.errors import install_handlers
from tokenradar.api.metrics import RadarCollector
from tokenradar.api.ratelimit import RateLimiter
from tokenradar.api.routes import ops, scans, stream, tokens, watchlist
from tokenradar.api.scans import ApiScans
from tokenradar.api.state import ApiState
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.service.radar import Radar
from tokenradar.service.serve import Service
from tokenradar.settings import Rate, Settings

DESCRIPTION = """Fresh, explainable token scores. Every route, parameter, response and
error model is in this document (generated from the code). Send an API key as
`Authorization: Bearer <key>` or `X-API-Key: <key>`; mutating routes need role
`admin`. Every error is an `ErrorBody`."""


def create_app(
    target: Service | Radar, settings: Settings, *, clock: Clock = SYSTEM_CLOCK
) -> FastAPI:
    api = settings.api
    rate = api.rate if api.rate is not None else Rate(600, 60)
    state = ApiState(
        backend=Backend(target),
        settings=settings,
        clock=clock,
        keys=KeyRing(api),
        limiter=RateLimiter(rate, api.burst, clock),
        scans=ApiScans(max_running=api.max_running_scans, kept=api.kept_scans, clock=clock),
    )
    state.metrics.register(RadarCollector(state.backend, state.counters))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.closing.set()  # streams end now, so the server's shutdown is not held
        await state.scans.close()

    app = FastAPI(
        title="tokenradar",
        version=version("tokenradar"),
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.tokenradar = state
    install_handlers(app)
    for module in (tokens, scans, stream, watchlist, ops):
        app.include_router(module.router)
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(api.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["authorization", "x-api-key", "content-type", "last-event-id"],
        )
    app.add_middleware(BodyLimit, max_bytes=api.max_body_bytes, counter=state.bodies)
    return app
