"""The periodic store jobs of a long-running process: outcomes and retention.

``serve``/workers start it next to the engine::

    task = asyncio.create_task(run_maintenance(store))

Time comes from the store's clock; a failed run is logged and retried at the
next period (the jobs are idempotent), never fatal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tokenradar.errors import StorageError
from tokenradar.store.facade import Store
from tokenradar.store.outcomes import OutcomePolicy, track_outcomes
from tokenradar.store.retention import RetentionPolicy, RetentionReport, apply_retention

log = logging.getLogger(__name__)


@dataclass(slots=True)
class MaintenanceStats:
    outcome_runs: int = 0
    outcomes_recorded: int = 0
    retention_runs: int = 0
    history_deleted: int = 0
    failures: int = 0
    last_error: str | None = None
    last_retention: RetentionReport = field(default_factory=RetentionReport)


async def run_maintenance(
    store: Store,
    *,
    outcome_every_s: float = 300.0,
    retention_every_s: float = 3600.0,
    outcomes: OutcomePolicy | None = None,
    retention: RetentionPolicy | None = None,
    stats: MaintenanceStats | None = None,
) -> None:
    """Run outcome tracking and retention forever (until cancelled)."""
    clock = store.clock
    policy = retention or RetentionPolicy.from_settings(store.settings)
    outcome_policy = outcomes or OutcomePolicy()
    stats = stats if stats is not None else MaintenanceStats()
    next_outcomes = next_retention = clock.monotonic()
    while True:
        now_m = clock.monotonic()
        if now_m >= next_outcomes:
            next_outcomes = now_m + outcome_every_s
            try:
                stats.outcomes_recorded += await track_outcomes(
                    store.writer, now=clock.now(), policy=outcome_policy
                )
                stats.outcome_runs += 1
            except StorageError as exc:
                stats.failures += 1
                stats.last_error = str(exc)
                log.warning("outcome tracking failed (retrying next period): %s", exc)
        if now_m >= next_retention:
            next_retention = now_m + retention_every_s
            try:
                report = await apply_retention(store.writer, policy, now=clock.now())
                stats.retention_runs += 1
                stats.history_deleted += report.deleted
                stats.last_retention = report
            except StorageError as exc:
                stats.failures += 1
                stats.last_error = str(exc)
                log.warning("history retention failed (retrying next period): %s", exc)
        await clock.sleep(max(0.0, min(next_outcomes, next_retention) - clock.monotonic()))
