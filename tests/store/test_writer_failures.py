"""The writer's failures are visible as they happen, in clean words.

A dead writer task is announced at once (``failed``, failure listeners,
``wait_failed``), not discovered by the next ``put``; a transient failure that
does not go away (a full disk) shows how long it has lasted and why, without
SQLAlchemy's SQL dump and help links.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection

from tokenradar.clock import FakeClock
from tokenradar.errors import StorageError
from tokenradar.settings import StorageSettings
from tokenradar.store import CommittedBatch, Store, Writer, WriterState, open_store
from tokenradar.store.databases import Databases, create_databases
from tokenradar.store.errors import reason, storage_error
from tokenradar.store.migrate import ensure_schema

from .factories import market_facet, token


class WriterBug(BaseException):
    """Stands for a bug in the writer task: nothing it handles catches it."""


async def test_a_dead_writer_is_announced_at_once_with_its_reason(store: Store) -> None:
    writer = store.writer
    heard: list[BaseException] = []
    writer.add_failure_listener(heard.append)
    assert writer.failed is None

    def explode(batch: CommittedBatch) -> None:
        raise WriterBug("the writer's own bug")

    writer.add_listener(explode)
    waiting = asyncio.create_task(writer.wait_failed())
    await writer.put(market_facet(token(1), 1.0))
    with pytest.raises(StorageError, match="writer failed: WriterBug: the writer's own bug"):
        await writer.flush()

    exc = await asyncio.wait_for(waiting, 5)
    assert isinstance(exc, WriterBug)
    assert writer.failed is exc
    assert heard == [exc]  # told once, without anyone having to put a row
    assert writer.state is WriterState.FAILED
    assert writer.stats.last_error == "WriterBug: the writer's own bug"
    late: list[BaseException] = []
    writer.add_failure_listener(late.append)
    assert late == [exc]  # registering after the fact still hears it
    with pytest.raises(StorageError, match="WriterBug"):
        await writer.put(market_facet(token(2), 2.0))


async def test_a_failing_failure_listener_does_not_stop_the_others(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[BaseException] = []

    def broken(exc: BaseException) -> None:
        raise RuntimeError("listener bug")

    store.writer.add_failure_listener(broken)
    store.writer.add_failure_listener(heard.append)

    def explode(batch: CommittedBatch) -> None:
        raise WriterBug("boom")

    store.writer.add_listener(explode)
    await store.writer.put(market_facet(token(1), 1.0))
    with (
        caplog.at_level(logging.ERROR, logger="tokenradar.store.writer"),
        pytest.raises(StorageError),
    ):
        await store.writer.flush()
    assert len(heard) == 1
    assert "a failure listener failed" in caplog.text


async def _open_writer(settings: StorageSettings, clock: FakeClock) -> tuple[Writer, Databases]:
    # not open_store: its exit waits 30 s for a database that never comes back
    engines = create_databases(settings)
    await ensure_schema(engines, auto_upgrade=True)
    writer = Writer(engines, batch_size=500, clock=clock)
    writer.start()
    return writer, engines


async def test_a_full_disk_shows_since_when_and_why_the_writer_retries(
    sqlite_settings: StorageSettings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    writer, engines = await _open_writer(sqlite_settings, clock)
    try:

        async def fill_the_disk(conn: AsyncConnection) -> None:
            # the writer connection may not grow the file: SQLITE_FULL on the next insert
            pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar()
            await conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")

        await writer.run_job(fill_the_disk)
        assert writer.stats.retrying_since is None
        assert writer.retrying_for == 0.0
        with caplog.at_level(logging.WARNING, logger="tokenradar.store.writer"):
            await writer.put_many(market_facet(token(i), 1.0) for i in range(500))
            for _ in range(200):
                if writer.stats.retries:
                    break
                await asyncio.sleep(0.005)
            started = writer.stats.retrying_since
            assert started is not None
            for _ in range(20):
                await clock.run_for(3.0)  # backoff sleeps on the writer's clock
                await asyncio.sleep(0.005)
        assert writer.state is WriterState.RETRYING
        assert writer.stats.retrying_since == started  # the same batch, still
        assert writer.retrying_for >= 59.0
        assert writer.stats.last_error == "OperationalError: database or disk is full"
        warnings = [r.getMessage() for r in caplog.records if r.name == "tokenradar.store.writer"]
        assert warnings
        assert all(w.endswith(": OperationalError: database or disk is full") for w in warnings)
        assert not any("[SQL" in w or "sqlalche.me" in w for w in warnings)
    finally:
        with pytest.raises(StorageError, match=r"last error: OperationalError: database or disk"):
            await writer.close(grace=0.05)
        await engines.dispose()


async def test_retrying_since_clears_when_the_database_comes_back(
    sqlite_settings: StorageSettings, clock: FakeClock
) -> None:
    settings = sqlite_settings.model_copy(update={"busy_timeout": 0.0})
    path = settings.url.split(":///", 1)[1]
    async with open_store(settings, clock=clock) as store:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            await store.writer.put(market_facet(token(1), 1.0))
            flushing = asyncio.create_task(store.writer.flush())
            for _ in range(200):
                if store.writer.stats.retries >= 3:
                    break
                await clock.run_for(0.5)
                await asyncio.sleep(0.005)
            assert store.writer.stats.retrying_since is not None
            assert store.writer.stats.last_error == "OperationalError: database is locked"
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        for _ in range(200):
            if flushing.done():
                break
            await clock.run_for(5.0)
            await asyncio.sleep(0.005)
        await asyncio.wait_for(flushing, 5)
        assert store.writer.stats.retrying_since is None
        assert store.writer.retrying_for == 0.0
        assert store.writer.state is WriterState.RUNNING


async def test_the_oldest_waiting_row_is_timed_while_its_batch_is_retried(
    sqlite_settings: StorageSettings, clock: FakeClock
) -> None:
    settings = sqlite_settings.model_copy(update={"busy_timeout": 0.0})
    path = settings.url.split(":///", 1)[1]
    async with open_store(settings, clock=clock) as store:
        writer = store.writer
        assert writer.oldest_wait == 0.0
        await writer.put(market_facet(token(1), 1.0))
        clock.advance(0.01)  # less than the flush interval: it waits in the queue
        assert writer.oldest_wait == pytest.approx(0.01)
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            flushing = asyncio.create_task(writer.flush())
            for _ in range(200):
                if writer.retrying_for >= 20.0:
                    break
                await clock.run_for(1.0)
                await asyncio.sleep(0.005)
            # the row left the queue for a transaction that keeps failing: still waiting
            assert writer.pending == 1
            assert writer.oldest_wait >= 20.0
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        for _ in range(200):
            if flushing.done():
                break
            await clock.run_for(5.0)
            await asyncio.sleep(0.005)
        await asyncio.wait_for(flushing, 5)
        assert writer.oldest_wait == 0.0


def _statement_error(orig: Exception, statement: str, params: Any) -> sa_exc.DBAPIError:
    return sa_exc.OperationalError(statement, params, orig)


def test_reasons_drop_the_sql_the_parameters_and_the_help_link() -> None:
    wrapped = _statement_error(
        sqlite3.OperationalError("database or disk is full"),
        "INSERT INTO facets VALUES (?, ?)",
        [(1, "x" * 10_000)] * 50,
    )
    assert "[SQL:" in str(wrapped)  # what SQLAlchemy prints
    assert reason(wrapped) == "OperationalError: database or disk is full"
    assert str(storage_error("write", wrapped)) == (
        "write failed: OperationalError: database or disk is full"
    )
    pool = sa_exc.TimeoutError("QueuePool limit of size 1 reached, timeout 30.00", code="3o7r")
    assert "sqlalche.me" in str(pool)
    assert reason(pool) == "TimeoutError: QueuePool limit of size 1 reached, timeout 30.00"
    assert str(storage_error("read", pool)) == (
        "read failed: TimeoutError: QueuePool limit of size 1 reached, timeout 30.00"
    )
    assert reason(ValueError("x" * 1000)).endswith("…")
    assert len(reason(ValueError("x" * 1000))) <= 300 + len("ValueError: ")
    assert reason(StorageError("already clean")) == "already clean"
