"""Running a connection's tasks together: the first to end ends them all.

A connection is a reader, a keepalive and a sync task; a listener is its
connection loop and its resolver. Each group lives exactly as long as its
first member: when one fails, the others are cancelled (and awaited, so none
outlives its group) and the failure is raised to whoever runs the group. A
task whose work is done but whose failure would still matter parks itself in
:func:`forever`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


async def race(*coros: Coroutine[Any, Any, None]) -> None:
    """Run ``coros`` until the first ends; cancel the rest; re-raise what ended it."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled() and (exc := task.exception()) is not None:
            raise exc


async def forever() -> None:
    """Wait until cancelled."""
    await asyncio.Event().wait()
