"""One worker per sink: a bounded queue, the rate cap, the digest, bounded retries.

:meth:`SinkWorker.offer` is synchronous and O(1) (it runs inside the bus's
``publish``, on the scanning path): it filters by the sink's ``min_level`` and
appends to a bounded queue; at a full queue the alert is folded into the
digest instead (``overflowed``). The worker task, alone, talks to the sink,
in the order alerts arrived::

    the next alert arrived before the digest's first   → send it if the window has
                                                         room, else fold it
    a digest is pending and the window has room        → send the digest (one message)
    a digest is pending, no room, newer alerts queued  → fold them into it
    nothing to do                                      → wait for an alert, or the window

so a flood reaches the sink as at most ``rate.count`` messages per window, plus
one digest per window for everything beyond, sent before any newer alert.

A message that fails is retried up to ``retries`` times: after a 429 when its
``retry_after`` says (at most ``max_retry_after``), otherwise after
``retry_backoff``, doubling, at most :data:`MAX_BACKOFF`; a ``PermanentError``
is not retried. Then it counts as ``failed`` (logged at the 1st, 2nd, 4th…
failure) and the worker goes on. A slow or failing sink holds only its own
worker: other sinks and the publisher never wait for it.

**Stopping** (:meth:`SinkWorker.stop`): the worker sends what the window allows
within the grace, without sleeping for backoffs or the window; what is left
(queued alerts, an unsent digest) is counted as ``undelivered`` and logged with
the digest's summary, never dropped in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Mapping
from typing import Final

from tokenradar.alerts.digest import Digest, DigestBuilder
from tokenradar.alerts.model import Alert
from tokenradar.alerts.render import Notice
from tokenradar.alerts.sinks.base import Sink
from tokenradar.alerts.stats import SinkState, SinkStats
from tokenradar.alerts.window import SlidingWindow
from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.errors import MalformedResponse, RateLimited, TransientError
from tokenradar.events.subscription import log_now
from tokenradar.settings.alerts import HttpSinkSettings, SinkSettings

log = logging.getLogger("tokenradar.alerts")

#: the longest wait between two attempts of one message (a 429 may say more, up to
#: the sink's max_retry_after)
MAX_BACKOFF: Final = 30.0
_UNKNOWN_NOUNS = ("alert", "alerts")
_YIELD_EVERY = 256


class SinkWorker:
    """The queue and delivery task of one sink."""

    def __init__(
        self,
        sink: Sink,
        settings: SinkSettings,
        *,
        nouns: Mapping[str, tuple[str, str]],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.sink = sink
        self.settings = settings
        self.clock = clock
        self._nouns = nouns
        self._http = settings if isinstance(settings, HttpSinkSettings) else None
        # (arrival number, alert): the digest goes out after the alerts that arrived
        # before its first folded one, and before those that arrived after
        self._queue: deque[tuple[int, Alert]] = deque()
        self._seq = 0
        self._digest_from: int | None = None
        self._window = SlidingWindow(settings.rate)
        self._digest = DigestBuilder()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._in_flight = 0  # alerts in the message being sent (a digest's are many)
        self.state = SinkState.STOPPED
        self.sent = self.digests = self.failed = self.retries = 0
        self.folded = self.overflowed = self.filtered = self.undelivered = 0
        self.last_error: str | None = None

    @property
    def name(self) -> str:
        return self.sink.name

    # -- the publisher's side (synchronous) --------------------------------------

    def offer(self, alert: Alert) -> None:
        """Queue ``alert`` for this sink, or fold it into the digest if the queue is full."""
        if not alert.level.at_least(self.settings.min_level):
            self.filtered += 1
            return
        self._seq += 1
        if len(self._queue) >= self.settings.queue_size:
            self.overflowed += 1
            self._fold(alert, self._seq)
        else:
            self._queue.append((self._seq, alert))
        self._wake.set()

    def _fold(self, alert: Alert, seq: int) -> None:
        self.folded += 1
        if self._digest_from is None or seq < self._digest_from:
            self._digest_from = seq
        self._digest.add(alert, self._nouns.get(alert.rule, _UNKNOWN_NOUNS))

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self.state = SinkState.IDLE
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"alerts-sink-{self.name}"
            )

    async def stop(self, grace: float) -> None:
        """Deliver what the window allows within ``grace`` seconds, then stop (never raises)."""
        self._stopping = True
        self._wake.set()
        task = self._task
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), grace)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        left = len(self._queue) + len(self._digest) + self._in_flight
        if left:
            self.undelivered += left
            digest = self._digest.take(self.clock.now())
            summary = f"; folded: {digest.summary}" if digest is not None else ""
            log.warning(
                "alert sink %s: %d alerts not delivered at shutdown (%d queued, %d in flight%s)",
                self.name,
                left,
                len(self._queue),
                self._in_flight,
                summary,
            )
            self._queue.clear()
            self._digest_from = None
            self._in_flight = 0
        if self.state is not SinkState.FAILED:
            self.state = SinkState.STOPPED

    # -- the worker --------------------------------------------------------------

    async def _run(self) -> None:
        steps = 0
        try:
            while await self._step():
                steps += 1
                if steps % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # folding a full queue never suspends: let others run
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # a bug here must not end delivery unnoticed: logged, and visible in stats
            self.state = SinkState.FAILED
            self.last_error = f"worker died: {type(exc).__name__}: {exc}"
            log.exception("alert sink %s: its worker died; alerts are no longer sent", self.name)

    async def _step(self) -> bool:
        """Do the next thing; False when stopping and nothing more can go now."""
        now = self.clock.monotonic()
        room = self._window.allows(now)
        if self._queue and (self._digest_from is None or self._queue[0][0] < self._digest_from):
            seq, alert = self._queue.popleft()  # older than anything folded
            if room:
                self._window.record(now)
                await self._deliver(alert)
            else:
                self._fold(alert, seq)
            return True
        if self._digest:
            if room:
                digest = self._digest.take(self.clock.now())
                self._digest_from = None
                assert digest is not None
                self._window.record(now)
                if await self._deliver(digest):
                    self.digests += 1
                return True
            if self._queue:  # newer than the digest, and no room: it joins the digest
                seq, alert = self._queue.popleft()
                self._fold(alert, seq)
                return True
            if self._stopping:
                return False
            await self._sleep_or_wake(self._window.wait(now))
            return True
        if self._stopping:
            return False
        self.state = SinkState.IDLE
        self._wake.clear()
        await self._wake.wait()
        return True

    async def _sleep_or_wake(self, seconds: float) -> None:
        """Wait for the window (``seconds`` of the clock), or for :meth:`offer` or stop."""
        self._wake.clear()
        waker = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        try:
            await _registered()
            self.state = SinkState.WAITING
            await asyncio.wait({waker, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
            sleeper.cancel()

    async def _deliver(self, notice: Notice) -> bool:
        """Send with bounded retries; True if it was delivered."""
        # left set if the task is cancelled mid-send, so stop() counts it undelivered
        self._in_flight = notice.count if isinstance(notice, Digest) else 1
        delivered = await self._attempts(notice)
        self._in_flight = 0
        return delivered

    async def _attempts(self, notice: Notice) -> bool:
        http = self._http
        attempts = 1 + (http.retries if http is not None else 0)
        error: Exception | None = None
        tried = 0
        for attempt in range(attempts):
            self.state = SinkState.SENDING
            tried += 1
            try:
                await self.sink.send(notice)
            except asyncio.CancelledError:
                raise
            except (TransientError, MalformedResponse) as exc:
                error = exc
                if attempt + 1 < attempts:
                    self.retries += 1
                    await self._backoff(exc, attempt)
                    continue
            except Exception as exc:  # PermanentError, or a bug in the sink: not retried
                error = exc
            else:
                self.sent += 1
                return True
            break
        self.failed += 1
        self.last_error = f"{type(error).__name__}: {error}"
        if log_now(self.failed):
            log.warning(
                "alert sink %s: a message failed after %d attempt(s): %s (%d failed so far)",
                self.name,
                tried,
                self.last_error,
                self.failed,
            )
        return False

    async def _backoff(self, exc: Exception, attempt: int) -> None:
        if self._stopping:
            return  # the grace is short: try again at once, never sleep through it
        http = self._http
        assert http is not None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            delay = min(exc.retry_after, http.max_retry_after)
        else:
            delay = min(http.retry_backoff * 2**attempt, MAX_BACKOFF)
        stopper = asyncio.ensure_future(self._wait_stopping())
        sleeper = asyncio.ensure_future(self.clock.sleep(delay))
        try:
            await _registered()
            self.state = SinkState.BACKOFF
            await asyncio.wait({stopper, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            sleeper.cancel()

    async def _wait_stopping(self) -> None:
        while not self._stopping:
            self._wake.clear()
            await self._wake.wait()

    # -- stats -------------------------------------------------------------------

    def stats(self) -> SinkStats:
        return SinkStats(
            name=self.name,
            state=self.state,
            sent=self.sent,
            digests=self.digests,
            failed=self.failed,
            retries=self.retries,
            folded=self.folded,
            overflowed=self.overflowed,
            filtered=self.filtered,
            queued=len(self._queue),
            pending_digest=len(self._digest),
            undelivered=self.undelivered,
            last_error=self.last_error,
        )


async def _registered() -> None:
    """Let a sleep just created start (and take its place on the clock) before the
    state says the worker waits: whoever reads that state and then moves a fake
    clock moves it past a deadline that exists."""
    await asyncio.sleep(0)
