"""Schema migrations: where the database is, where the code is, and getting there.

The migrations live in the package (``tokenradar/store/migrations``) and run
on the writer's engine inside one transaction. Concurrent starters (several
workers on one PostgreSQL) are serialised by an advisory lock; on SQLite the
``BEGIN IMMEDIATE`` of the writer engine does the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from tokenradar.errors import StorageError
from tokenradar.store.engine import Engines, redacted
from tokenradar.store.errors import storage_error

#: pg_advisory_xact_lock key: "tokenrad" as a 63-bit integer
_LOCK_KEY = 0x746F6B656E726164


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


async def schema_status(engines: Engines) -> SchemaStatus:
    def _current(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    try:
        async with engines.reader.connect() as conn:
            current = await conn.run_sync(_current)
    except SQLAlchemyError as exc:
        raise storage_error(f"reading the schema version of {redacted(engines.url)}", exc) from exc
    except OSError as exc:
        raise storage_error(f"connecting to {redacted(engines.url)}", exc) from exc
    return SchemaStatus(current=current, head=head_revision())


async def upgrade(engines: Engines, schema: str | None = None, revision: str = "head") -> str:
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


async def ensure_schema(engines: Engines, *, auto_upgrade: bool, schema: str | None = None) -> None:
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
