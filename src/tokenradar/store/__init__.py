"""Persistence: latest facets and scores, score history, scans, alerts, outcomes.

SQLAlchemy Core on SQLite (default) or PostgreSQL, one batching writer per
database, Alembic migrations shipped in the package. Start with
:func:`open_store`; see docs/storage.md.
"""

from tokenradar.store.facade import Store, open_store
from tokenradar.store.queries import (
    AlertState,
    HistoryPoint,
    OutcomeStat,
    RankedScore,
    StoredFacet,
)
from tokenradar.store.records import (
    AlertFire,
    IllegalScanTransition,
    ScanOwner,
    ScanRecord,
    ScanStatus,
)
from tokenradar.store.writer import (
    CommitListener,
    CommittedBatch,
    FailureListener,
    Writer,
    WriterState,
    WriterStats,
)

__all__ = [
    "AlertFire",
    "AlertState",
    "CommitListener",
    "CommittedBatch",
    "FailureListener",
    "HistoryPoint",
    "IllegalScanTransition",
    "OutcomeStat",
    "RankedScore",
    "ScanOwner",
    "ScanRecord",
    "ScanStatus",
    "Store",
    "StoredFacet",
    "Writer",
    "WriterState",
    "WriterStats",
    "open_store",
]
