"""The ``[budget]`` settings: what a process does when another one on the same
machine already spends the same upstream quota.

Every process keeps its own request budget in memory, so two scans against
the same upstream each pace themselves to the full limit and together send
twice what it allows. Until a budget is shared between processes, a process
takes a local lock per quota (:mod:`tokenradar.flow.quota_lock`) and, when
another process holds it:

- ``"wait"`` (default) says which process it waits for and waits until that
  one exits, or until ``shared_quota_timeout`` has passed, then fails naming it;
- ``"warn"`` proceeds, saying plainly that the two will exceed the limit;
- ``"ignore"`` proceeds and says nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from tokenradar.settings.values import Duration, Section

SharedQuotaPolicy = Literal["wait", "warn", "ignore"]


class BudgetSettings(Section):
    #: another process on this machine holds the same upstream quota: wait, warn or ignore
    on_shared_quota: SharedQuotaPolicy = "wait"
    #: ``"wait"`` gives up after this long with an error naming the holder; None = no limit
    shared_quota_timeout: Duration | None = None
    #: where the lock files live; None = ``$XDG_RUNTIME_DIR/tokenradar``, else a
    #: per-user directory under the system temp dir
    lock_dir: Path | None = None
