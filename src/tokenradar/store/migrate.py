"""Schema migrations: where the database is, where the code is, and getting there.

The migrations live in the package (``tokenradar/store/migrations``) and run
on the writer's engine inside one transaction. Concurrent starters (several
workers on one PostgreSQL) are serialised by an advisory lock; on SQLite the
``BEGIN IMMEDIATE`` of the writer engine does the same.

A SQLite file with tables but no tokenradar schema version is somebody
else's: it is refused (naming the file and its tables) rather than migrated
into, where the first ``CREATE TABLE`` would collide or tokenradar's tables
would be mixed into another application's file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from dataclasses import dataclass
from urllib.request import pathname2url

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from tokenradar.errors import StorageError
from tokenradar.store.databases import Databases, redacted, sqlite_path
from tokenradar.store.errors import reason, sqlstate, storage_error

#: pg_advisory_xact_lock key: "tokenrad" as a 63-bit integer
_LOCK_KEY = 0x746F6B656E726164
_VERSION_TABLE = "alembic_version"
_NO_SUCH_DATABASE = "3D000"
#: tables named in the refusal of a foreign file, at most
_NAMED_TABLES = 10


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "tokenradar.store:migrations")
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StorageError("the package ships no migrations")
    return head


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    current: str | None  # None: an empty database
    head: str

    @property
    def behind(self) -> bool:
        return self.current != self.head


def _known(script: ScriptDirectory, rev: str) -> bool:
    try:
        script.get_revision(rev)
    except CommandError:  # "Can't locate revision": anything else is a real failure
        return False
    return True


async def schema_status(engines: Databases) -> SchemaStatus:
    """Where the database's schema is. Raises StorageError for a database that
    does not exist (PostgreSQL) or a SQLite file that is not tokenradar's."""

    def _current(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    where = redacted(engines.url)
    if engines.dialect == "sqlite":
        # before the engines touch it: their first connection switches the file to WAL
        await asyncio.to_thread(_refuse_a_foreign_file, sqlite_path(engines.url))
    try:
        async with engines.reader.connect() as conn:
            current = await conn.run_sync(_current)
    except SQLAlchemyError as exc:
        if sqlstate(exc) == _NO_SUCH_DATABASE:
            raise StorageError(
                f"{where}: the database does not exist (`tokenradar db upgrade` creates it)"
            ) from exc
        raise storage_error(f"reading the schema version of {where}", exc) from exc
    except OSError as exc:
        raise storage_error(f"connecting to {where}", exc) from exc
    return SchemaStatus(current=current, head=head_revision())


def _refuse_a_foreign_file(path: str) -> None:
    """Raise StorageError if the SQLite file at ``path`` has tables but no schema version.

    Read through a read-only connection that changes nothing in the file.
    Missing, empty and versioned files pass (an unknown version is
    :func:`ensure_schema`'s to refuse).
    """
    if not os.path.exists(path):
        return
    uri = f"file:{pathname2url(os.path.abspath(path))}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=1.0)) as conn:
            names = [
                name
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite^_%' ESCAPE '^' ORDER BY name"
                )
            ]
            versioned = _VERSION_TABLE in names and bool(
                conn.execute(f"SELECT count(*) FROM {_VERSION_TABLE}").fetchone()[0]
            )
    except sqlite3.Error as exc:
        message = str(exc).lower()
        if "locked" in message or "busy" in message:
            return  # another process is writing it; the engines will wait for their turn
        raise StorageError(f"{path}: cannot be read as a SQLite database: {reason(exc)}") from exc
    others = [name for name in names if name != _VERSION_TABLE]
    if versioned or not others:
        return
    named = ", ".join(others[:_NAMED_TABLES]) + (", …" if len(others) > _NAMED_TABLES else "")
    raise StorageError(
        f"{path} is not a tokenradar database: it has {len(others)} table(s) of its own "
        f"({named}) and no tokenradar schema version; point [storage] url at a new or "
        "empty file"
    )


async def upgrade(engines: Databases, schema: str | None = None, revision: str = "head") -> str:
    """Apply pending migrations up to ``revision``; returns the revision reached."""
    cfg = alembic_config()

    def _run(conn: Connection) -> str:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            if schema:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        reached = MigrationContext.configure(conn).get_current_revision()
        return reached or ""

    try:
        async with engines.writer.begin() as conn:
            return await conn.run_sync(_run)
    except SQLAlchemyError as exc:
        raise storage_error(f"migrating {redacted(engines.url)}", exc) from exc
    except OSError as exc:
        raise storage_error(f"connecting to {redacted(engines.url)}", exc) from exc


async def ensure_schema(
    engines: Databases, *, auto_upgrade: bool, schema: str | None = None
) -> None:
    """Make sure the schema is at this code's head, upgrading if allowed."""
    status = await schema_status(engines)
    if not status.behind:
        return
    if status.current is not None and not _known(
        ScriptDirectory.from_config(alembic_config()), status.current
    ):
        raise StorageError(
            f"the database is at schema revision {status.current!r}, which this version of "
            f"tokenradar does not know (its newest is {status.head!r}): upgrade tokenradar"
        )
    if not auto_upgrade:
        raise StorageError(
            f"the database schema is at {status.current or 'nothing'}, this version needs "
            f"{status.head}: run `tokenradar db upgrade` (or set [storage] auto_upgrade = true)"
        )
    await upgrade(engines, schema)
