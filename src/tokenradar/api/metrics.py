"""``GET /metrics``: Prometheus exposition, collected from the stats at scrape time.

A custom :class:`Collector` on a registry of the app's own (never the global
one), so two apps in one process (tests) never share or leak metrics, and
nothing is counted twice: every figure is read from the Radar's, the Service's
and the API's own counters when Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from tokenradar.api.backend import Backend
from tokenradar.flow.breaker import BreakerState

#: breaker state as a number (0 closed, 1 half-open, 2 open)
BREAKER_VALUE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class RadarCollector(Collector):
    def __init__(self, backend: Backend, api_counters: Callable[[], dict[str, int]]) -> None:
        self.backend = backend
        self.api_counters = api_counters

    def describe(self) -> Iterable[Metric]:
        return []  # collected at scrape time; nothing fixed to describe

    def collect(self) -> Iterable[Metric]:
        yield from self._api()
        radar = self.backend.radar_or_none
        if radar is None or not self.backend.ready():
            return
        stats = radar.stats()
        report = radar.monitor.snapshot()
        req = CounterMetricFamily(
            "tokenradar_lane_requests", "HTTP requests a lane sent", labels=["lane"]
        )
        lim = CounterMetricFamily(
            "tokenradar_lane_rate_limited", "429 answers a lane received", labels=["lane"]
        )
        err = CounterMetricFamily(
            "tokenradar_lane_errors", "refreshes that ended in an error facet", labels=["lane"]
        )
        queued = GaugeMetricFamily(
            "tokenradar_lane_queued", "tokens due in a lane's queue", labels=["lane"]
        )
        inflight = GaugeMetricFamily(
            "tokenradar_lane_in_flight", "tokens in flight", labels=["lane"]
        )
        breaker = GaugeMetricFamily(
            "tokenradar_lane_breaker_state", "0 closed, 1 half-open, 2 open", labels=["lane"]
        )
        budget = GaugeMetricFamily(
            "tokenradar_lane_budget_use", "share of the fullest limit in use", labels=["lane"]
        )
        latency = SummaryMetricFamily(
            "tokenradar_lane_batch_seconds", "batch duration over recent batches", labels=["lane"]
        )
        quant = GaugeMetricFamily(
            "tokenradar_lane_batch_seconds_quantile",
            "batch duration percentiles over recent batches",
            labels=["lane", "quantile"],
        )
        health_by_lane = {h.name: h for h in report.lanes}
        for lane in stats.engine.lanes:
            req.add_metric([lane.name], lane.requests)
            lim.add_metric([lane.name], lane.rate_limited)
            err.add_metric([lane.name], lane.errors)
            queued.add_metric([lane.name], lane.queued)
            inflight.add_metric([lane.name], lane.in_flight)
            breaker.add_metric([lane.name], BREAKER_VALUE.get(lane.breaker, -1))
            h = health_by_lane.get(lane.name)
            if h is not None and h.budget_use is not None:
                budget.add_metric([lane.name], h.budget_use)
            p = lane.latency
            if p.count and p.p50 is not None:
                latency.add_metric([lane.name], p.count, p.p50 * p.count)
                for q, v in (("0.5", p.p50), ("0.95", p.p95), ("0.99", p.p99)):
                    if v is not None:
                        quant.add_metric([lane.name, q], v)
        yield from (req, lim, err, queued, inflight, breaker, budget, latency, quant)

        fresh = GaugeMetricFamily(
            "tokenradar_freshness_share",
            "share of tracked tokens whose facet is within its tier's target",
            labels=["tier", "facet"],
        )
        for tier, kinds in report.freshness.items():
            for kind, share in kinds.items():
                if share.share is not None:
                    fresh.add_metric([tier.value, kind.value], share.share)
        yield fresh
        yield GaugeMetricFamily(
            "tokenradar_writer_pending",
            "rows accepted, not yet committed",
            value=stats.writer_pending,
        )
        yield GaugeMetricFamily(
            "tokenradar_writer_lag_seconds", "how long the oldest uncommitted row has waited",
            value=report.writer.oldest_wait_s,
        )  # fmt: skip
        yield CounterMetricFamily(
            "tokenradar_writer_rows_committed", "rows committed", value=stats.writer.rows_committed
        )
        if report.loop.lag.max_s is not None:
            yield GaugeMetricFamily(
                "tokenradar_loop_lag_seconds", "worst event-loop lag over the window",
                value=report.loop.lag.max_s,
            )  # fmt: skip
        yield GaugeMetricFamily(
            "tokenradar_tracked_tokens", "tokens tracked", value=stats.engine.tracked
        )
        by_tier = GaugeMetricFamily(
            "tokenradar_tokens_by_tier", "tracked tokens by tier", labels=["tier"]
        )
        for tier, n in radar.tier_counts().items():
            by_tier.add_metric([tier.value], n)
        yield by_tier
        yield from self._service()

    def _service(self) -> Iterable[Metric]:
        scoring = self.backend.scoring()
        if scoring is not None:
            yield CounterMetricFamily("tokenradar_scores", "scores produced", value=scoring.scored)
            yield GaugeMetricFamily(
                "tokenradar_scoring_dirty", "tokens waiting for a score", value=scoring.dirty
            )
        alerts = self.backend.alerts()
        if alerts is not None:
            sent = CounterMetricFamily(
                "tokenradar_alerts_sent", "messages delivered", labels=["sink"]
            )
            failed = CounterMetricFamily(
                "tokenradar_alerts_failed", "messages given up", labels=["sink"]
            )
            for name, s in alerts.sinks.items():
                sent.add_metric([name], s.sent)
                failed.add_metric([name], s.failed)
            sup = CounterMetricFamily(
                "tokenradar_alerts_suppressed", "findings within their cooldown", labels=["rule"]
            )
            fired = CounterMetricFamily("tokenradar_alerts_fired", "alerts fired", labels=["rule"])
            for name, r in alerts.rules.items():
                sup.add_metric([name], r.suppressed)
                fired.add_metric([name], r.fired)
            yield from (sent, failed, sup, fired)

    def _api(self) -> Iterable[Metric]:
        for name, value in self.api_counters().items():
            yield GaugeMetricFamily(
                f"tokenradar_api_{name}", f"API: {name.replace('_', ' ')}", value=value
            )


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
