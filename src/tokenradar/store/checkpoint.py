"""SQLite WAL checkpoints off the writer's path.

In WAL mode committed pages are appended to the ``-wal`` file and later copied
into the database by a *checkpoint*, which also syncs the file. Left to
SQLite, the checkpoint runs inside the COMMIT that pushes the WAL past
``wal_autocheckpoint`` pages, so with big batches nearly every commit pays for
one: a third of the writer's time. Here the writer connection's automatic
checkpoint is pushed far out (a safety net) and this task runs a PASSIVE
checkpoint on its own connection and thread shortly after commits: it never
blocks the writer or readers, and the writer's commits stay small.

The task is supervised: if it dies (the file cannot be opened, its connection
breaks), the error is logged and counted and the task is started again after
a backoff that doubles up to :data:`RESTART_MAX` seconds, so the WAL does not
grow unchecked to the writer's far-out autocheckpoint for the rest of the run.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass

import aiosqlite

from tokenradar.clock import Clock
from tokenradar.store.errors import reason
from tokenradar.store.writer import CommittedBatch

log = logging.getLogger(__name__)

#: first and largest wait before restarting a checkpointer that died, seconds
RESTART_FIRST, RESTART_MAX = 1.0, 60.0


@dataclass(slots=True)
class CheckpointStats:
    checkpoints: int = 0
    #: times the task died and was started again
    restarts: int = 0
    #: why it last died (one line), kept after it recovers
    last_error: str | None = None
    #: ``clock.monotonic()`` of that death
    last_error_at: float | None = None
    #: False while it waits to be restarted
    running: bool = False


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` at most every ``interval`` s after commits."""

    def __init__(
        self,
        path: str,
        clock: Clock,
        *,
        interval: float = 0.25,
        restart_first: float = RESTART_FIRST,
        restart_max: float = RESTART_MAX,
    ) -> None:
        self._path = path
        self._clock = clock
        self._interval = interval
        self._restart_first = restart_first
        self._restart_max = restart_max
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.stats = CheckpointStats()

    @property
    def checkpoints(self) -> int:
        return self.stats.checkpoints

    def __call__(self, batch: CommittedBatch) -> None:
        """A writer commit listener: there is something to checkpoint."""
        self._dirty.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._supervise(), name="sqlite-checkpoint"
        )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.stats.running = False

    async def _supervise(self) -> None:
        backoff = self._restart_first
        while True:
            self.stats.running = True
            checkpoints = self.stats.checkpoints
            try:
                await self._run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.running = False
                self.stats.restarts += 1
                self.stats.last_error = reason(exc)
                self.stats.last_error_at = self._clock.monotonic()
                if self.stats.checkpoints > checkpoints:
                    backoff = self._restart_first  # it worked for a while: start over
                log.error(
                    "sqlite checkpoints stopped (restart %d in %.0fs): %s",
                    self.stats.restarts,
                    backoff,
                    self.stats.last_error,
                    exc_info=exc,
                )
                await self._clock.sleep(backoff)
                backoff = min(self._restart_max, backoff * 2)
                self._dirty.set()  # commits may have happened meanwhile

    async def _run(self) -> None:
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        try:
            await conn.execute("PRAGMA busy_timeout=1000")
            while True:
                await self._dirty.wait()
                self._dirty.clear()
                try:
                    await conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    self.stats.checkpoints += 1
                except sqlite3.Error as exc:  # busy or locked: the next commit retries
                    if not _is_busy(exc):
                        raise
                    log.debug("sqlite checkpoint skipped: %s", exc)
                await self._clock.sleep(self._interval)
        finally:
            # a broken connection may fail to close too: that must not hide why it broke
            # (or turn a cancellation into a restart)
            try:
                await conn.close()
            except Exception as exc:
                log.debug("sqlite checkpointer: closing its connection failed: %s", exc)


def _is_busy(exc: sqlite3.Error) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message
