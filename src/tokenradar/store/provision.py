"""The database itself: does it exist, and creating it for ``db upgrade``.

Only ``tokenradar db upgrade`` creates a database. A SQLite file is created by
the first connection to it, so commands that only look (``db status``,
``history``) check :func:`missing_sqlite_file` first instead of leaving an
empty file behind. A PostgreSQL database named in the URL that does not exist
is created with ``CREATE DATABASE`` from the server's maintenance database
(``postgres``, else ``template1``); that needs the CREATEDB privilege, and a
server that refuses says so in the error.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tokenradar.settings import StorageSettings
from tokenradar.store.databases import async_url, is_sqlite, redacted, sqlite_path
from tokenradar.store.errors import sqlstate, storage_error

_NO_SUCH_DATABASE = "3D000"  # invalid_catalog_name
_DUPLICATE_DATABASE = "42P04"
_MAINTENANCE_DATABASES = ("postgres", "template1")


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite ``url`` when it does not exist yet; None otherwise
    (the file exists, or the URL is not SQLite)."""
    if not is_sqlite(url):
        return None
    path = Path(sqlite_path(url))
    return None if path.exists() else path


async def create_database_if_missing(settings: StorageSettings) -> bool:
    """Make sure the database of ``settings`` exists; True when it is new.

    SQLite: nothing is done here (the writer's first connection creates the
    file); True says it will. PostgreSQL: True when this call created the
    database named in the URL (False if it existed, or another starter created
    it meanwhile); it is created when the server says it does not exist. Raises
    StorageError when the server cannot be reached or refuses.
    """
    if is_sqlite(settings.url):
        return missing_sqlite_file(settings.url) is not None
    url = make_url(async_url(settings.url))
    name = url.database
    where = redacted(settings.url)
    if not name:
        return False  # the server's default database for the user: not ours to create
    probe = create_async_engine(url, poolclass=NullPool)
    try:
        async with probe.connect():
            return False
    except SQLAlchemyError as exc:
        if sqlstate(exc) != _NO_SUCH_DATABASE:
            raise storage_error(f"connecting to {where}", exc) from exc
    except OSError as exc:
        raise storage_error(f"connecting to {where}", exc) from exc
    finally:
        await probe.dispose()

    quoted = '"' + name.replace('"', '""') + '"'
    for maintenance in _MAINTENANCE_DATABASES:
        admin = create_async_engine(
            url.set(database=maintenance), poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        try:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
            return True
        except SQLAlchemyError as exc:
            code = sqlstate(exc)
            if code == _DUPLICATE_DATABASE:
                return False  # another starter created it meanwhile
            if code == _NO_SUCH_DATABASE and maintenance != _MAINTENANCE_DATABASES[-1]:
                continue
            raise storage_error(f"creating database {name!r} on {where}", exc) from exc
        except OSError as exc:
            raise storage_error(f"connecting to {where}", exc) from exc
        finally:
            await admin.dispose()
    raise AssertionError("unreachable: the last maintenance database raises or returns")
