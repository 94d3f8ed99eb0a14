"""Database exceptions, classified at the boundary.

*Transient* failures go away by themselves (another process holds the SQLite
write lock past ``busy_timeout``, the PostgreSQL connection dropped, a deadlock
or serialization failure, the disk is momentarily full): the writer retries
them. Anything else means the database refuses this statement or these rows.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

from tokenradar.errors import StorageError

# PostgreSQL SQLSTATE classes/codes worth retrying.
_PG_TRANSIENT_CLASSES = ("08", "40", "53", "57")  # connection, rollback, resources, operator
_PG_TRANSIENT_CODES = frozenset({"55P03", "55006"})  # lock not available, object in use
# SQLite reports both "locked" and "no such table" as OperationalError: tell them apart.
_SQLITE_TRANSIENT = (
    "locked",
    "busy",
    "disk i/o error",
    "database or disk is full",
    "unable to open database file",
    "interrupted",
)


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for obj in (orig, exc):
        code = getattr(obj, "sqlstate", None) or getattr(obj, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_transient(exc: BaseException) -> bool:
    """True when retrying the same transaction later may succeed."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    code = sqlstate(exc)
    if code is not None:
        return code.startswith(_PG_TRANSIENT_CLASSES) or code in _PG_TRANSIENT_CODES
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        orig = getattr(exc, "orig", None)
        if orig is not None and "sqlite" in type(orig).__module__.lower() + repr(type(orig)):
            message = str(orig).lower()
            return any(pattern in message for pattern in _SQLITE_TRANSIENT)
        return True
    if isinstance(exc, sa_exc.TimeoutError):  # pool checkout timeout
        return True
    return isinstance(exc, OSError | ConnectionError | TimeoutError)


def storage_error(what: str, exc: BaseException) -> StorageError:
    """A StorageError naming ``what`` failed and why (one line)."""
    if isinstance(exc, StorageError):
        return exc
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else ""
    return StorageError(f"{what} failed: {type(exc).__name__}: {detail}")
