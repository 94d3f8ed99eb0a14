"""Migrations: they build exactly the tables the code uses, and the store checks the version."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from tokenradar.errors import ConfigError, StorageError
from tokenradar.settings import StorageSettings
from tokenradar.store import open_store
from tokenradar.store.databases import async_url, create_databases
from tokenradar.store.migrate import head_revision, schema_status, upgrade
from tokenradar.store.tables import metadata


async def test_migrated_schema_is_exactly_the_tables_module(settings: StorageSettings) -> None:
    engines = create_databases(settings)
    try:
        await upgrade(engines, settings.schema_name)

        def diff(conn: Connection) -> list[object]:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, metadata))

        async with engines.reader.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await engines.dispose()


async def test_open_store_upgrades_an_empty_database(settings: StorageSettings) -> None:
    async with open_store(settings) as store:
        status = await schema_status(store.engines)
    assert status.current == head_revision()
    assert not status.behind


async def test_open_store_refuses_an_old_schema_when_auto_upgrade_is_off(
    sqlite_settings: StorageSettings,
) -> None:
    with pytest.raises(StorageError, match="tokenradar db upgrade"):
        async with open_store(sqlite_settings.model_copy(update={"auto_upgrade": False})):
            pass


async def test_open_store_refuses_a_schema_from_a_newer_release(
    sqlite_settings: StorageSettings,
) -> None:
    async with open_store(sqlite_settings) as store:
        await store.writer.run_job(
            lambda conn: conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        )
    with pytest.raises(StorageError, match="upgrade tokenradar"):
        async with open_store(sqlite_settings):
            pass


async def test_concurrent_starters_migrate_once(settings: StorageSettings) -> None:
    async def start() -> None:
        async with open_store(settings):
            pass

    await asyncio.gather(start(), start(), start())
    engines = create_databases(settings)
    try:
        assert (await schema_status(engines)).current == head_revision()
    finally:
        await engines.dispose()


def test_urls_map_to_the_async_drivers() -> None:
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_url("sqlite:////abs/x.db") == "sqlite+aiosqlite:////abs/x.db"
    assert async_url("postgresql://u@h:5432/d") == "postgresql+asyncpg://u@h:5432/d"
    assert async_url("postgres://u:p@h/d") == "postgresql+asyncpg://u:p@h/d"
    assert async_url("postgresql+asyncpg://u@h/d") == "postgresql+asyncpg://u@h/d"
    with pytest.raises(ConfigError, match="in-memory"):
        async_url("sqlite:///:memory:")
    with pytest.raises(ConfigError, match="expected"):
        async_url("mysql://h/d")


def test_the_migrations_ship_inside_the_package() -> None:
    from tokenradar.store import migrations

    root = Path(migrations.__file__).parent
    assert (root / "env.py").is_file()
    assert (root / "script.py.mako").is_file()
    assert list((root / "versions").glob("0001_*.py"))
