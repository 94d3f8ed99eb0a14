"""Databases: one for the writer, one for readers, on SQLite or PostgreSQL.

SQLite is tuned for one writer and many readers: WAL (readers never wait for
the writer, the writer never waits for readers), ``busy_timeout`` (a second
process's writer waits for the lock instead of failing at once), and
``BEGIN IMMEDIATE`` for every write transaction, so the write lock is taken up
front rather than on the first write (a deferred transaction that upgrades to
a writer mid-way can fail with SQLITE_BUSY without waiting). The writer engine
holds a single connection: there is one writer per database.

PostgreSQL takes the same code path through asyncpg; only the URL differs.

In-memory SQLite is refused as a bad setting (:class:`ConfigError`): each
in-memory database is private to the connection that opened it, and the
writer and the readers are separate connections, so readers would never see
a committed row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tokenradar.errors import ConfigError, StorageError
from tokenradar.settings import StorageSettings
from tokenradar.store import jsonio

#: the writer connection's own checkpoint threshold (pages): a safety net, see _tune_sqlite
WRITER_AUTOCHECKPOINT = 10_000
#: after a checkpoint, truncate a WAL file larger than this (bytes)
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

_SQLITE_RE = re.compile(r"^sqlite(\+aiosqlite)?:///(?P<path>.*)$")
_PG_RE = re.compile(r"^postgres(ql)?(\+asyncpg)?://(?P<rest>.+)$")


def async_url(url: str) -> str:
    """The SQLAlchemy async URL for a configured one.

    ``sqlite:///x`` → ``sqlite+aiosqlite:///x``; ``postgresql://…`` (or
    ``postgres://…``) → ``postgresql+asyncpg://…``. Explicit drivers pass through.
    Raises :class:`ConfigError` (``storage.url``) for in-memory SQLite and for
    anything that is neither SQLite nor PostgreSQL.
    """
    if m := _SQLITE_RE.match(url):
        path = m.group("path")
        if path == "" or ":memory:" in path or "mode=memory" in path:
            raise ConfigError(
                "storage.url",
                f"in-memory SQLite ({url!r}) cannot work: the writer and the readers are "
                "separate connections and each would see its own empty database; use a "
                "file such as 'sqlite:///tokenradar.db'",
            )
        return f"sqlite+aiosqlite:///{path}"
    if m := _PG_RE.match(url):
        return f"postgresql+asyncpg://{m.group('rest')}"
    raise ConfigError(
        "storage.url",
        f"expected 'sqlite:///path/to/file.db' or 'postgresql://user@host:port/db', "
        f"got {redacted(url)!r}",
    )


def is_sqlite(url: str) -> bool:
    return bool(_SQLITE_RE.match(url))


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///…`` URL."""
    m = _SQLITE_RE.match(url)
    if m is None:
        raise StorageError(f"not a SQLite URL: {url!r}")
    return m.group("path")


def redacted(url: str) -> str:
    """``url`` with any password replaced, for messages and logs."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


@dataclass(frozen=True, slots=True)
class Databases:
    """The writer's engine (one connection) and the readers' engine (a pool)."""

    url: str
    writer: AsyncEngine
    reader: AsyncEngine

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    async def dispose(self) -> None:
        await self.writer.dispose()
        await self.reader.dispose()


def create_databases(settings: StorageSettings) -> Databases:
    """Build (but do not connect) the writer and reader engines for ``settings``.

    Raises :class:`ConfigError` for a URL no engine can serve (see :func:`async_url`).
    """
    url = async_url(settings.url)
    common: dict[str, Any] = {
        "json_serializer": jsonio.dumps,
        "json_deserializer": jsonio.loads,
    }
    try:
        if is_sqlite(settings.url):
            writer = create_async_engine(url, pool_size=1, max_overflow=0, **common)
            reader = create_async_engine(
                url, pool_size=settings.read_pool_size, max_overflow=0, **common
            )
            _tune_sqlite(writer, settings, immediate=True)
            _tune_sqlite(reader, settings, immediate=False)
        else:
            connect_args: dict[str, Any] = {}
            if settings.schema_name:
                connect_args["server_settings"] = {"search_path": settings.schema_name}
            writer = create_async_engine(
                url,
                pool_size=1,
                max_overflow=0,
                pool_pre_ping=True,
                connect_args=connect_args,
                **common,
            )
            reader = create_async_engine(
                url,
                pool_size=settings.read_pool_size,
                max_overflow=0,
                pool_pre_ping=True,
                connect_args=connect_args,
                **common,
            )
    except ArgumentError as exc:
        raise StorageError(f"storage.url: {redacted(settings.url)!r} is not usable: {exc}") from exc
    return Databases(settings.url, writer, reader)


def _tune_sqlite(engine: AsyncEngine, settings: StorageSettings, *, immediate: bool) -> None:
    busy_ms = int(settings.busy_timeout * 1000)
    synchronous = settings.synchronous

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver: we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA cache_size=-32000")
            if immediate:
                # checkpoints run beside the writer (store.checkpoint), not in its commits
                cursor.execute(f"PRAGMA wal_autocheckpoint={WRITER_AUTOCHECKPOINT}")
                cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        finally:
            cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)
