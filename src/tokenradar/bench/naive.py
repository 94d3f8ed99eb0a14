"""The naive baseline, implemented honestly as the original design did it.

The original bulk "parallel scanner": ``asyncio.gather`` over every token under
a semaphore, one DexScreener request per token, a pooled session, retries with
exponential backoff, and an error-rate AIMD limiter that starts at 10 req/s,
adds 5 req/s after a second with under 2 % errors and takes 10 away after a
second with over 5 %. Nothing here is made worse on purpose: it is what that
design does against a limit of 300 requests per minute.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from tokenradar.clock import SYSTEM_CLOCK, Clock
from tokenradar.domain import TokenRef


class ErrorRateAimd:
    """The original limiter: paced at ``rate`` req/s, adjusted once a second by error rate."""

    def __init__(
        self,
        clock: Clock = SYSTEM_CLOCK,
        *,
        start: float = 10.0,
        increase: float = 5.0,
        decrease: float = 10.0,
        low: float = 0.02,
        high: float = 0.05,
        floor: float = 1.0,
        ceiling: float = 100.0,
    ) -> None:
        self.clock = clock
        self.rate = start
        self.increase, self.decrease = increase, decrease
        self.low, self.high = low, high
        self.floor, self.ceiling = floor, ceiling
        self._next = 0.0
        self._window_start = clock.monotonic()
        self._ok = 0
        self._errors = 0

    async def acquire(self) -> None:
        now = self.clock.monotonic()
        slot = max(now, self._next)
        self._next = slot + 1.0 / self.rate
        await self.clock.sleep(slot - now)

    def record(self, ok: bool) -> None:
        if ok:
            self._ok += 1
        else:
            self._errors += 1
        now = self.clock.monotonic()
        if now - self._window_start < 1.0:
            return
        total = self._ok + self._errors
        error_rate = self._errors / total if total else 0.0
        if error_rate < self.low:
            self.rate = min(self.ceiling, self.rate + self.increase)
        elif error_rate > self.high:
            self.rate = max(self.floor, self.rate - self.decrease)
        self._window_start, self._ok, self._errors = now, 0, 0


@dataclass
class NaiveRun:
    fetched: int = 0  # tokens answered with 200
    failed: int = 0  # tokens given up after the retries
    requests: int = 0  # sent, retries included
    errors: int = 0  # non-200 answers and I/O errors


async def naive_scan(
    base_url: str,
    tokens: Sequence[TokenRef],
    *,
    concurrency: int = 20,
    retries: int = 3,
    backoff: float = 0.5,
    request_timeout: float = 10.0,
    clock: Clock = SYSTEM_CLOCK,
    run: NaiveRun | None = None,
) -> NaiveRun:
    """Fetch every token's pairs with one request each; cancel it to stop early."""
    run = run or NaiveRun()
    limiter = ErrorRateAimd(clock)
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    session_timeout = aiohttp.ClientTimeout(total=request_timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=session_timeout) as session:

        async def one(token: TokenRef) -> None:
            url = f"{base_url}/tokens/v1/{token.chain}/{token.address}"
            for attempt in range(retries + 1):
                async with semaphore:
                    await limiter.acquire()
                    run.requests += 1
                    try:
                        async with session.get(url) as response:
                            await response.read()
                            ok = response.status == 200
                    except (aiohttp.ClientError, TimeoutError):
                        ok = False
                limiter.record(ok)
                if ok:
                    run.fetched += 1
                    return
                run.errors += 1
                if attempt < retries:
                    await clock.sleep(backoff * 2**attempt)
            run.failed += 1

        await asyncio.gather(*(one(t) for t in tokens))
    return run
