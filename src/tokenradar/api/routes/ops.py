"""Operations: ``/api/v1/stats``, ``/health/live``, ``/health/ready``, ``/health``, ``/metrics``.

The probes (``/health/live``, ``/health/ready``) need no key, whatever
``require_key_for_reads`` says: a load balancer or kubelet carries none. They
say nothing but up/ready and the reasons.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from tokenradar.api.auth import Caller
from tokenradar.api.errors import responses
from tokenradar.api.metrics import exposition
from tokenradar.api.schemas import ApiCounters, LaneView, Liveness, Readiness, StatsView
from tokenradar.api.state import reader, state_of
from tokenradar.service.health_report import HealthReport, HealthStatus, Latency

router = APIRouter(tags=["operations"])

NO_LATENCY = Latency(samples=0, p50_s=None, p95_s=None, p99_s=None, max_s=None)


@router.get(
    "/api/v1/stats", response_model=StatsView, responses=responses(401, 403, 429, 503),
    summary="Per lane throughput, budget use, 429s, breaker, latency; sinks; scoring; freshness",
)  # fmt: skip
async def stats(request: Request, _: Annotated[Caller, Depends(reader)]) -> StatsView:
    st = state_of(request)
    radar = st.backend.radar
    rs = radar.stats()
    report = radar.monitor.snapshot()
    health = {h.name: h for h in report.lanes}
    lanes = []
    for lane in rs.engine.lanes:
        h = health.get(lane.name)
        lanes.append(
            LaneView(
                name=lane.name,
                kind=lane.kind,
                state=lane.state.value,
                breaker=lane.breaker.value,
                requests=lane.requests,
                rate_limited=lane.rate_limited,
                requests_per_s=round(lane.requests_per_s, 3),
                tokens_per_s=round(lane.tokens_per_s, 3),
                batches=lane.batches,
                mean_batch=lane.mean_batch,
                errors=lane.errors,
                retries=lane.retries,
                queued=lane.queued,
                in_flight=lane.in_flight,
                window_s=h.window_s if h else 0.0,
                window_requests=h.requests if h else 0,
                window_rate_limited=h.rate_limited if h else 0,
                budget_use=h.budget_use if h else None,
                budget=h.budget if h else [],
                latency=h.latency if h else NO_LATENCY,
            )
        )
    alerts = st.backend.alerts()
    return StatsView(
        status=report.status,
        lanes=lanes,
        writer=report.writer,
        writer_lag_s=report.writer.oldest_wait_s,
        loop_lag=report.loop.lag,
        scoring=st.backend.scoring(),
        sinks=dict(alerts.sinks) if alerts is not None else {},
        freshness=report.freshness,
        freshness_scope=report.freshness_scope,
        universe=st.backend.universe(),
        api=ApiCounters(**st.counters()),
    )


@router.get("/health/live", response_model=Liveness, summary="The process is up")
async def live() -> Liveness:
    return Liveness(status="up")


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "starting, stopping or critical"}},
    summary="The service runs and is not critical",
)
async def ready(request: Request) -> Any:
    st = state_of(request)
    if st.closing.is_set() or not st.backend.ready():
        body = Readiness(ready=False, status=None, reasons=["not running"])
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    health = st.backend.radar.health()
    ok = health.status is not HealthStatus.CRITICAL
    body = Readiness(ready=ok, status=health.status, reasons=list(health.reasons))
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ok else 503)


@router.get(
    "/health", response_model=HealthReport, responses=responses(401, 403, 429, 503),
    summary="The full health report",
)  # fmt: skip
async def health(request: Request, _: Annotated[Caller, Depends(reader)]) -> HealthReport:
    return state_of(request).backend.radar.monitor.snapshot()


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"description": "Prometheus text exposition", "content": {"text/plain": {}}},
        **responses(401, 403, 429),
    },
    summary="Prometheus metrics",
)
async def metrics(request: Request, _: Annotated[Caller, Depends(reader)]) -> Response:
    return Response(
        exposition(state_of(request).metrics),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )
