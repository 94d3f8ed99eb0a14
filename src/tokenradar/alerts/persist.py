"""Every firing is stored as an :class:`~tokenradar.store.AlertFire`, off the publish path.

The manager decides in ``handle`` (synchronous), but the store's writer takes
rows with an ``await`` (it may make producers wait). So firings go into a
bounded queue that one task hands to the writer in batches. A full queue
(a stalled database) drops the firing from storage only (the alert still goes
to the sinks), counted in ``dropped`` and logged; a writer that has failed
counts them in ``failed``. Either way the cost is a cooldown that may not
survive a restart, never a lost alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Final

from tokenradar.alerts.stats import PersistStats
from tokenradar.errors import StorageError
from tokenradar.events.subscription import log_now
from tokenradar.store import AlertFire, Writer

log = logging.getLogger("tokenradar.alerts")

#: firings per put_many
BATCH: Final = 500


class Persister:
    def __init__(self, writer: Writer, *, maxsize: int) -> None:
        self.writer = writer
        self.maxsize = maxsize
        self._queue: deque[AlertFire] = deque()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.stored = self.failed = self.dropped = 0

    def offer(self, fire: AlertFire) -> None:
        if len(self._queue) >= self.maxsize:
            self.dropped += 1
            if log_now(self.dropped):
                log.warning(
                    "alerts: %d firings not stored (the queue to the database is full); "
                    "their cooldowns will not survive a restart",
                    self.dropped,
                )
            return
        self._queue.append(fire)
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="alerts-persist")

    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]
            try:
                await self.writer.put_many(batch)
            except Exception as exc:  # the task must outlive any one batch
                self.failed += len(batch)
                if log_now(self.failed):
                    log.error(
                        "alerts: %d firings not stored: %s",
                        self.failed,
                        exc,
                        exc_info=not isinstance(exc, StorageError),  # a bug: show where
                    )
            else:
                self.stored += len(batch)

    async def stop(self, grace: float) -> None:
        """Hand what is queued to the writer and wait for it to commit, within ``grace``."""
        self._stopping = True
        self._wake.set()
        task = self._task
        if task is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
            await asyncio.wait_for(self.writer.flush(), max(0.0, deadline - loop.time()))
        except TimeoutError:
            log.warning(
                "alerts: %d firings not handed to the store within %gs", len(self._queue), grace
            )
        except StorageError as exc:
            log.error("alerts: the store did not commit the last firings: %s", exc)
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def stats(self) -> PersistStats:
        return PersistStats(self.stored, self.failed, self.dropped, len(self._queue))
