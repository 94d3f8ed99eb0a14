"""The SQLite checkpointer is supervised: a death is logged, counted and restarted."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from tokenradar.clock import FakeClock
from tokenradar.store.checkpoint import Checkpointer


async def _until(condition: object, what: str, tries: int = 500) -> None:
    # aiosqlite works in its own thread: real time passes there whatever the clock says
    for _ in range(tries):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def _wal_database(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()


async def test_a_checkpointer_that_cannot_open_the_file_says_so_and_restarts_when_it_can(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "not-yet" / "db.sqlite"
    checkpointer = Checkpointer(str(db), clock, restart_first=1.0)
    with caplog.at_level("ERROR", logger="tokenradar.store.checkpoint"):
        checkpointer.start()
        try:
            await _until(lambda: checkpointer.stats.restarts == 1, "the first death")
            assert not checkpointer.stats.running
            assert checkpointer.stats.last_error == (
                "OperationalError: unable to open database file"
            )
            assert [r.getMessage() for r in caplog.records] == [
                "sqlite checkpoints stopped (restart 1 in 1s): "
                "OperationalError: unable to open database file"
            ]

            _wal_database(db)  # the directory appears (a volume mounted late)
            clock.advance(1.0)
            await _until(lambda: checkpointer.stats.checkpoints >= 1, "a checkpoint")
            assert checkpointer.stats.running
            assert checkpointer.stats.restarts == 1
        finally:
            await checkpointer.close()
    assert not checkpointer.stats.running


async def test_restarts_back_off_up_to_a_cap(tmp_path: Path, clock: FakeClock) -> None:
    checkpointer = Checkpointer(
        str(tmp_path / "never" / "db.sqlite"), clock, restart_first=1.0, restart_max=4.0
    )
    checkpointer.start()
    waits = []
    try:
        for n in range(1, 6):
            await _until(lambda n=n: checkpointer.stats.restarts == n, f"death {n}")  # type: ignore[misc]
            await _until(lambda: clock.next_deadline is not None, "the backoff sleep")
            deadline = clock.next_deadline
            assert deadline is not None
            waits.append(deadline - clock.monotonic())
            clock.advance(deadline - clock.monotonic())
    finally:
        await checkpointer.close()
    assert waits == [1.0, 2.0, 4.0, 4.0, 4.0]
