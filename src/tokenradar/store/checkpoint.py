"""SQLite WAL checkpoints off the writer's path.

In WAL mode committed pages are appended to the ``-wal`` file and later copied
into the database by a *checkpoint*, which also syncs the file. Left to
SQLite, the checkpoint runs inside the COMMIT that pushes the WAL past
``wal_autocheckpoint`` pages, so with big batches nearly every commit pays for
one: a third of the writer's time. Here the writer connection's automatic
checkpoint is pushed far out (a safety net) and this task runs a PASSIVE
checkpoint on its own connection and thread shortly after commits: it never
blocks the writer or readers, and the writer's commits stay small.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import aiosqlite

from tokenradar.clock import Clock
from tokenradar.store.writer import CommittedBatch

log = logging.getLogger(__name__)


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` at most every ``interval`` s after commits."""

    def __init__(self, path: str, clock: Clock, *, interval: float = 0.25) -> None:
        self._path = path
        self._clock = clock
        self._interval = interval
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.checkpoints = 0

    def __call__(self, batch: CommittedBatch) -> None:
        """A writer commit listener: there is something to checkpoint."""
        self._dirty.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sqlite-checkpoint")
        self._task.add_done_callback(self._died)

    def _died(self, task: asyncio.Task[None]) -> None:
        # close() gathers the task with return_exceptions: say here why it stopped early
        # (the WAL then grows to the writer's far-out autocheckpoint before it is copied)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("sqlite checkpoints stopped: %s: %s", type(exc).__name__, exc, exc_info=exc)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        try:
            await conn.execute("PRAGMA busy_timeout=1000")
            while True:
                await self._dirty.wait()
                self._dirty.clear()
                try:
                    await conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # busy or locked: the next commit retries
                    log.debug("sqlite checkpoint skipped: %s", exc)
                await self._clock.sleep(self._interval)
        finally:
            await conn.close()
