"""Supervised long-lived tasks: none dies silently, each is restarted or escalated.

::

    supervisor = Supervisor(clock=clock, on_event=report)
    supervisor.spawn("scorer", scorer.run)          # restarted with backoff if it dies
    ...
    await supervisor.stop()                         # cancels all, never raises

A part's coroutine should run forever; if it returns, it is done (not
restarted). If it raises, the failure is logged with the part named, counted,
handed to ``on_event`` (the service turns it into an alert), and the part is
restarted after a capped, doubling backoff that resets once the part has run
for ``stable_after`` seconds. With ``max_restarts`` set, a part that keeps dying
is given up on: its state becomes ``gave_up`` and ``on_event`` is told, so
health turns critical instead of the service looping.

Why not a library: aiotools' ``PersistentTaskGroup`` and anyio task groups cancel
or collect, but neither restarts a part with backoff nor reports restarts; this is
the ~100 lines that do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from tokenradar.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)


class PartState(StrEnum):
    RUNNING = "running"  # the coroutine is running
    BACKING_OFF = "backing_off"  # it died; waiting before the restart
    DONE = "done"  # it returned on its own
    GAVE_UP = "gave_up"  # it died more than max_restarts times
    STOPPED = "stopped"  # cancelled by stop()


@dataclass(frozen=True, slots=True)
class PartEvent:
    part: str
    restarts: int
    error: str
    gave_up: bool


@dataclass(frozen=True, slots=True)
class PartStats:
    name: str
    state: PartState
    restarts: int
    last_error: str | None


class _Part:
    def __init__(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self.run = run
        self.state = PartState.RUNNING
        self.restarts = 0
        self.last_error: str | None = None
        self.task: asyncio.Task[None] | None = None


class Supervisor:
    def __init__(
        self,
        *,
        clock: Clock = SYSTEM_CLOCK,
        on_event: Callable[[PartEvent], None] | None = None,
        backoff_first: float = 1.0,
        backoff_max: float = 60.0,
        stable_after: float = 300.0,
        max_restarts: int | None = None,
    ) -> None:
        self.clock = clock
        self._on_event = on_event
        self._first = backoff_first
        self._max = backoff_max
        self._stable_after = stable_after
        self._max_restarts = max_restarts
        self._parts: dict[str, _Part] = {}

    def spawn(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run ``run()`` as the part ``name``, restarting it whenever it dies."""
        if name in self._parts and self._parts[name].state is not PartState.STOPPED:
            raise ValueError(f"a part named {name!r} is already supervised")
        part = _Part(name, run)
        self._parts[name] = part
        part.task = asyncio.create_task(self._keep(part), name=f"part {name}")

    async def _keep(self, part: _Part) -> None:
        backoff = self._first
        while True:
            started = self.clock.monotonic()
            part.state = PartState.RUNNING
            try:
                await part.run()
            except asyncio.CancelledError:
                part.state = PartState.STOPPED
                raise
            except Exception as exc:
                if self.clock.monotonic() - started >= self._stable_after:
                    backoff = self._first
                part.restarts += 1
                part.last_error = f"{type(exc).__name__}: {exc}"
                gave_up = self._max_restarts is not None and part.restarts > self._max_restarts
                log.error(
                    "%s died (%s); %s",
                    part.name,
                    part.last_error,
                    "giving up" if gave_up else f"restart {part.restarts} in {backoff:.0f}s",
                    exc_info=exc,
                )
                self._report(PartEvent(part.name, part.restarts, part.last_error, gave_up))
                if gave_up:
                    part.state = PartState.GAVE_UP
                    return
                part.state = PartState.BACKING_OFF
                await self.clock.sleep(backoff)
                backoff = min(self._max, backoff * 2)
                continue
            part.state = PartState.DONE
            return

    def _report(self, event: PartEvent) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:  # reporting must not kill the supervisor
            log.exception("supervisor: the event listener failed on %s", event)

    async def restart(self, name: str, reason: str) -> None:
        """Cancel a part that is stuck (the watchdog's call) and start it again now."""
        part = self._parts[name]
        if part.task is not None:
            part.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await part.task
        part.restarts += 1
        part.last_error = f"stuck: {reason}"
        self._report(PartEvent(name, part.restarts, part.last_error, False))
        part.task = asyncio.create_task(self._keep(part), name=f"part {name}")

    def stats(self) -> list[PartStats]:
        return [PartStats(p.name, p.state, p.restarts, p.last_error) for p in self._parts.values()]

    async def stop(self) -> None:
        """Cancel every part and wait for them; never raises for what they died of."""
        tasks = [p.task for p in self._parts.values() if p.task is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        for p in self._parts.values():
            p.state = PartState.STOPPED
