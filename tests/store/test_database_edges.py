"""Database edges: what looks never creates, what creates says so, and what is refused.

- ``db status`` (like ``history``) leaves no empty SQLite file behind;
- ``db upgrade`` creates the database if needed, on SQLite and PostgreSQL;
- a SQLite file with somebody else's tables is refused, untouched;
- in-memory SQLite is a bad setting (exit code 2), not a runtime failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner, Result

import tokenradar
from tokenradar.cli import app
from tokenradar.cli import commands as _commands  # noqa: F401 - registers the commands
from tokenradar.errors import ConfigError, StorageError
from tokenradar.settings import StorageSettings
from tokenradar.store import open_store
from tokenradar.store.databases import async_url, create_databases

runner = CliRunner()


def said(result: Result) -> str:
    """The command's output on one line (rich wraps at the terminal width)."""
    return " ".join(result.output.split())


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "tokenradar.toml"
    path.write_text(f'[storage]\nurl = "{url}"\n')
    return path


def test_db_status_without_a_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "nothing.db"
    result = runner.invoke(
        app, ["db", "status", "-c", str(write_config(tmp_path, f"sqlite:///{db}"))]
    )
    assert result.exit_code == 1
    assert "no database at" in said(result)
    assert "db upgrade" in said(result)
    assert not db.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokenradar.toml"]


def test_db_upgrade_creates_a_missing_sqlite_file_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    result = runner.invoke(
        app, ["db", "upgrade", "-c", str(write_config(tmp_path, f"sqlite:///{db}"))]
    )
    assert result.exit_code == 0, result.output
    assert "created the database" in said(result)
    assert "upgraded from empty to 0002" in said(result)
    assert db.exists()


def _admin_url(postgres_url: str) -> str:
    return async_url(str(make_url(postgres_url).set(database="postgres")))


async def _databases(postgres_url: str) -> set[str]:
    engine = create_async_engine(_admin_url(postgres_url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT datname FROM pg_database"))
            return {name for (name,) in rows}
    finally:
        await engine.dispose()


async def _drop_database(postgres_url: str, name: str) -> None:
    engine = create_async_engine(_admin_url(postgres_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


@pytest.fixture
def missing_pg_database(postgres_url: str) -> Iterator[str]:
    """A URL naming a database that does not exist yet (dropped afterwards)."""
    name = f"tokenradar_t_{uuid.uuid4().hex[:12]}"
    yield str(make_url(postgres_url).set(database=name))
    asyncio.run(_drop_database(postgres_url, name))


def test_db_upgrade_creates_a_missing_postgresql_database(
    tmp_path: Path, postgres_url: str, missing_pg_database: str
) -> None:
    name = make_url(missing_pg_database).database
    cfg = write_config(tmp_path, missing_pg_database)

    status = runner.invoke(app, ["db", "status", "-c", str(cfg)])
    assert status.exit_code == 1
    assert "does not exist" in said(status)
    assert "db upgrade" in said(status)
    assert name not in asyncio.run(_databases(postgres_url))  # looking created nothing

    result = runner.invoke(app, ["db", "upgrade", "-c", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "created the database" in said(result)
    assert "upgraded from empty to 0002" in said(result)
    assert name in asyncio.run(_databases(postgres_url))
    assert runner.invoke(app, ["db", "status", "-c", str(cfg)]).exit_code == 0

    again = runner.invoke(app, ["db", "upgrade", "-c", str(cfg)])
    assert again.exit_code == 0, again.output
    assert "created" not in said(again)


def _foreign_file(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
        conn.commit()


def _file_state(path: Path) -> tuple[list[str], str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master ORDER BY name")]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    return names, mode


def test_a_sqlite_file_of_another_application_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "accounts.db"
    _foreign_file(db)
    before = _file_state(db)

    async def start() -> None:
        async with open_store(StorageSettings(url=f"sqlite:///{db}")):
            pass

    with pytest.raises(StorageError) as refused:
        asyncio.run(start())
    message = str(refused.value)
    assert str(db) in message
    assert "not a tokenradar database" in message
    assert "customers, invoices" in message
    assert _file_state(db) == before  # no tokenradar tables, still in its own journal mode

    result = runner.invoke(
        app, ["db", "upgrade", "-c", str(write_config(tmp_path, f"sqlite:///{db}"))]
    )
    assert result.exit_code == 1
    assert "not a tokenradar database" in said(result)
    assert _file_state(db) == before


async def test_an_empty_file_and_tokenradars_own_file_are_accepted(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    settings = StorageSettings(url=f"sqlite:///{db}")
    async with open_store(settings):
        pass
    async with open_store(settings):  # now tokenradar's own: opened again
        pass


async def test_a_file_that_is_not_sqlite_at_all_is_refused_by_name(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StorageError, match=r"notes\.db: cannot be read as a SQLite database"):
        async with open_store(StorageSettings(url=f"sqlite:///{db}")):
            pass


def test_in_memory_sqlite_is_a_bad_setting_saying_why() -> None:
    for url in ("sqlite:///:memory:", "sqlite:///", "sqlite:///file:x?mode=memory&cache=shared"):
        with pytest.raises(ConfigError) as bad:
            create_databases(StorageSettings(url=url))
        assert bad.value.key == "storage.url"
        assert "separate connections" in str(bad.value)


def test_in_memory_sqlite_exits_with_the_configuration_error_code(tmp_path: Path) -> None:
    src = str(Path(tokenradar.__file__).parents[1])  # this checkout, whatever the cwd
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
        "TOKENRADAR_STORAGE__URL": "sqlite:///:memory:",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tokenradar.cli", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "storage.url" in done.stderr
    assert "separate connections" in done.stderr
