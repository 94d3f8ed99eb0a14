"""Fixtures for the store: a fresh database per test, on SQLite and PostgreSQL.

PostgreSQL tests get their own schema (dropped afterwards), so they never see
each other's rows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tokenradar.clock import Clock, FakeClock
from tokenradar.settings import StorageSettings
from tokenradar.store import Store, open_store
from tokenradar.store.databases import async_url


def drop_schema(url: str, schema: str) -> None:
    async def drop() -> None:
        engine = create_async_engine(async_url(url))
        try:
            async with engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            await engine.dispose()

    asyncio.run(drop())


@pytest.fixture
def pg_settings(postgres_url: str) -> Iterator[StorageSettings]:
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield StorageSettings(url=postgres_url, schema=schema)
    drop_schema(postgres_url, schema)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> StorageSettings:
    return StorageSettings(url=f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> StorageSettings:
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return StorageSettings(url=f"sqlite:///{tmp_path / 'store.db'}")
    return request.getfixturevalue("pg_settings")  # type: ignore[no-any-return]


@pytest.fixture
def clock() -> Clock:
    return FakeClock(start=1_800_000_000.0)


@pytest.fixture
async def store(settings: StorageSettings, clock: Clock) -> AsyncIterator[Store]:
    # rows commit on flush() or a full batch; FakeClock never fires the interval by itself
    async with open_store(settings, clock=clock) as s:
        yield s
