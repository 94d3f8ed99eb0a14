"""Database exceptions, classified at the boundary.

*Transient* failures go away by themselves (another process holds the SQLite
write lock past ``busy_timeout``, the PostgreSQL connection dropped, a deadlock
or serialization failure, the disk is momentarily full): the writer retries
them. Anything else means the database refuses this statement or these rows.

:func:`reason` turns any of them into one clean line for logs, stats and
messages: the driver's own words, without SQLAlchemy's banner (the ``[SQL: …]``
and ``[parameters: …]`` lines, which can be megabytes for a batch, and the
"Background on this error at: https://sqlalche.me/…" help link).
"""

from __future__ import annotations

import re

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


_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)")
_WRAPPED = re.compile(r"^\((?:[\w.]+)\) ")  # "(sqlite3.OperationalError) " before the message
_BANNER_LINE = ("[SQL:", "[parameters:", "[SQL parameters:", "(Background on this error at")
#: a reason is one line for a log or a health report, not a batch's parameters
REASON_CHARS = 300


def reason(exc: BaseException) -> str:
    """``Type: message`` on one line, without SQLAlchemy's banner.

    For a wrapped driver error the driver's exception is named (the wrapper's
    type says less). A StorageError is already a reason and passes through.
    """
    if isinstance(exc, StorageError):
        return _one_line(str(exc))
    orig = getattr(exc, "orig", None) if isinstance(exc, sa_exc.DBAPIError) else None
    source = orig if isinstance(orig, BaseException) else exc
    message = _one_line(str(source))
    name = type(source).__name__
    return f"{name}: {message}" if message else name


def _one_line(text: str) -> str:
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(_BANNER_LINE)
    ]
    first = _WRAPPED.sub("", _BACKGROUND.sub("", lines[0] if lines else "")).strip()
    return first if len(first) <= REASON_CHARS else first[: REASON_CHARS - 1] + "…"


def storage_error(what: str, exc: BaseException) -> StorageError:
    """A StorageError naming ``what`` failed and why (one line)."""
    if isinstance(exc, StorageError):
        return exc
    return StorageError(f"{what} failed: {reason(exc)}")
