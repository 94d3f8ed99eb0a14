"""A local lock per upstream quota, so that two processes on one machine do not
together send twice what an upstream allows.

Each process paces its requests with its own in-memory budget
(:mod:`tokenradar.flow.budgets`), so two scans against the same upstream each
send up to its full limit. Until a budget is shared between processes,
:func:`hold_quotas` takes, before the lanes start, the local lock of every
quota the run will spend (what a quota is and how its lock file works:
:mod:`tokenradar.flow.quota_files`), in one fixed order, so that two processes
that each need several never each hold one the other waits for.

When another process holds one, ``[budget] on_shared_quota`` decides:

- ``"wait"`` (default): say once "waiting for pid N (cmd) which uses the same
  <provider> quota at <host>", and wait until it lets go (its process ends,
  however it ends). After ``shared_quota_timeout``, if set, fail with
  :class:`~tokenradar.errors.QuotaBusy` naming the holder.
- ``"warn"``: proceed, saying plainly that the two together will exceed the limit.
- ``"ignore"``: proceed and say nothing.

A process that proceeds without a lock keeps trying to take it in the
background, so that a process started after the first one exits still finds
the quota taken and waits for (or warns about) this one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import QuotaBusy, QuotaLockError
from tokenradar.flow.quota_files import (
    Quota,
    QuotaHolder,
    give_back,
    lock_dir,
    prepare_lock_dir,
    quotas,
    read_holder,
    take,
)
from tokenradar.settings import Settings
from tokenradar.settings.values import format_duration

__all__ = ["POLL_INTERVAL", "Quota", "QuotaHolder", "QuotaLocks", "hold_quotas", "quotas"]

log = logging.getLogger(__name__)

#: seconds between attempts on a lock another process holds
POLL_INTERVAL: Final = 0.25
#: a holder that has not written its pid yet is announced as unknown after this many polls
ANNOUNCE_AFTER_POLLS: Final = 4

HolderCallback = Callable[[QuotaHolder], None]


class QuotaLocks:
    """What :func:`hold_quotas` holds: the quotas locked by this process, and the
    other processes it proceeded alongside (``"warn"`` / ``"ignore"``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: dict[Path, Quota] = {}
        self._shared: list[QuotaHolder] = []

    @property
    def held(self) -> tuple[Quota, ...]:
        """Locked by this process now (a shared quota joins once its holder lets go)."""
        return tuple(self._held.values())

    @property
    def shared(self) -> tuple[QuotaHolder, ...]:
        """Held by another process when this one started, which proceeded anyway."""
        return tuple(self._shared)

    def path(self, quota: Quota) -> Path:
        return self.directory / quota.lock_name


def _log_waiting(holder: QuotaHolder) -> None:
    log.warning("%s", holder.waiting_message())


def _log_sharing(holder: QuotaHolder) -> None:
    log.warning("%s", holder.sharing_message())


@asynccontextmanager
async def hold_quotas(
    settings: Settings,
    providers: Iterable[str],
    *,
    on_wait: HolderCallback | None = None,
    on_shared: HolderCallback | None = None,
    clock: Clock = SYSTEM_CLOCK,
    poll_interval: float = POLL_INTERVAL,
) -> AsyncIterator[QuotaLocks]:
    """Hold the local locks of the enabled ``providers``' quotas while the block runs.

    Locks are taken in :func:`quotas` order and released on exit (also when the
    wait is cancelled or fails). When another process holds one:

    - ``"wait"``: ``on_wait`` (default: a log warning) is called once per holder,
      then the lock is polled every ``poll_interval`` on ``clock``; past
      ``[budget] shared_quota_timeout`` :class:`~tokenradar.errors.QuotaBusy` is raised;
    - ``"warn"``: ``on_shared`` (default: a log warning) is called and the block runs;
    - ``"ignore"``: the block runs.

    A lock that cannot be taken at all (the lock directory is not writable)
    raises :class:`~tokenradar.errors.QuotaLockError` under ``"wait"``; under
    ``"warn"`` it is logged and the block runs. ``ValueError`` for a name that is
    no provider.
    """
    run = _Acquisition(settings, on_wait, on_shared, clock, poll_interval)
    try:
        await run.acquire(quotas(settings, providers))
        yield run.locks
    finally:
        await run.release()


class _Acquisition:
    """One :func:`hold_quotas`: the locks it takes and its background takeovers."""

    def __init__(
        self,
        settings: Settings,
        on_wait: HolderCallback | None,
        on_shared: HolderCallback | None,
        clock: Clock,
        poll_interval: float,
    ) -> None:
        self.budget = settings.budget
        self.policy = settings.budget.on_shared_quota
        self.locks = QuotaLocks(lock_dir(settings))
        self.on_wait = on_wait or _log_waiting
        self.on_shared = on_shared or _log_sharing
        self.clock = clock
        self.poll_interval = poll_interval
        self.takeovers: list[asyncio.Task[None]] = []
        timeout = settings.budget.shared_quota_timeout
        self.deadline = None if timeout is None else clock.monotonic() + timeout

    async def acquire(self, wanted: list[Quota]) -> None:
        if not wanted:
            return
        try:
            prepare_lock_dir(self.locks.directory, default=self.budget.lock_dir is None)
        except OSError as exc:
            self._cannot_lock(wanted, self.locks.directory, exc)
            return
        for quota in wanted:
            path = self.locks.path(quota)
            try:
                if self.policy == "wait":
                    await self._wait(path, quota)
                    self.locks._held[path] = quota
                elif await self._try(path, quota):
                    self.locks._held[path] = quota
                else:
                    self._proceed_alongside(path, quota)
            except OSError as exc:
                self._cannot_lock([quota], path, exc)

    async def release(self) -> None:
        for task in self.takeovers:
            task.cancel()
        await asyncio.gather(*self.takeovers, return_exceptions=True)
        for path in reversed(list(self.locks._held)):
            give_back(path)
        self.locks._held.clear()

    async def _wait(self, path: Path, quota: Quota) -> None:
        announced: QuotaHolder | None = None
        polls = 0
        while not take(path, quota):
            polls += 1
            holder = read_holder(path, quota)
            if holder is None and announced is None and polls >= ANNOUNCE_AFTER_POLLS:
                holder = QuotaHolder(quota, None)
            if holder is not None and (announced is None or holder.pid != announced.pid):
                announced = holder  # once per holder: a third process may get it first
                self.on_wait(holder)
            if self.deadline is not None and self.clock.monotonic() >= self.deadline:
                raise self._busy(quota, announced or read_holder(path, quota))
            await self.clock.sleep(self.poll_interval)

    def _busy(self, quota: Quota, holder: QuotaHolder | None) -> QuotaBusy:
        holder = holder or QuotaHolder(quota, None)
        waited = format_duration(self.budget.shared_quota_timeout or 0.0)
        return QuotaBusy(
            quota.provider,
            f"gave up after {waited} waiting for {holder.who}, which uses {quota.same}: "
            f"stop that process, raise [budget] shared_quota_timeout, or set "
            f'on_shared_quota = "warn" to run both (together they will exceed the limit)',
            pid=holder.pid,
        )

    async def _try(self, path: Path, quota: Quota) -> bool:
        """Take the lock if it is free; else note its holder and return False. A holder
        that has just taken the lock gets a few polls to write its pid."""
        quiet = self.policy == "ignore"
        for _ in range(ANNOUNCE_AFTER_POLLS):
            if take(path, quota, quiet=quiet):
                return True
            holder = read_holder(path, quota)
            if holder is not None:
                self.locks._shared.append(holder)
                return False
            await self.clock.sleep(self.poll_interval)
        self.locks._shared.append(QuotaHolder(quota, None))
        return False

    def _proceed_alongside(self, path: Path, quota: Quota) -> None:
        if self.policy == "warn":
            self.on_shared(self.locks._shared[-1])
        task = asyncio.create_task(
            self._take_when_free(path, quota), name=f"quota lock {quota.provider}"
        )
        self.takeovers.append(task)

    async def _take_when_free(self, path: Path, quota: Quota) -> None:
        # so that a process started after the other one exits still finds the quota taken
        try:
            while not take(path, quota, quiet=True):
                await self.clock.sleep(self.poll_interval)
        except OSError as exc:
            log.warning("stopped trying to take the lock on the %s: %s", quota.name, exc)
            return
        self.locks._held[path] = quota
        log.info("took the lock on the %s after its holder let go", quota.name)

    def _cannot_lock(self, wanted: list[Quota], path: Path, exc: OSError) -> None:
        """Raise (``"wait"``) or log that a lock could not be taken at all."""
        what = ", ".join(f"the {q.name}" for q in wanted)
        reason = f"{path}: {exc.strerror or exc}"
        if self.policy == "wait":
            raise QuotaLockError(
                wanted[0].provider,
                f"cannot take the local lock on {what} ({reason}), so another process on "
                f"this machine could be spending it too; set [budget] lock_dir to a "
                f'writable directory, or on_shared_quota = "warn" to run without the lock',
            ) from exc
        log.log(
            logging.WARNING if self.policy == "warn" else logging.DEBUG,
            "cannot take the local lock on %s (%s): proceeding without knowing whether "
            "another process on this machine spends it too",
            what,
            reason,
        )
