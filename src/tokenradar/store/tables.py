"""The schema, as SQLAlchemy Core tables (the migrations create exactly this).

Times are epoch seconds (float). Every token-keyed table uses the small
integer ``tokens.id``; ``(chain, address)`` is stored once.

``facets`` holds one row per (token, kind): the latest *attempt* (``state``,
``fetched_at``, ``error_*``), plus the latest *observation* (``observed_at``,
``payload``; the provider answered ok or absent). An error never erases what
was last observed: the row keeps the old payload and says the refresh failed.
``symbol``, ``price_usd``, ``liquidity_usd`` and ``rugged`` are copied out of
the payload so that rankings, snapshots and outcomes need not parse JSON.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import TypeEngine

#: JSONB on PostgreSQL (exact numerics, indexable), JSON text on SQLite.
Json: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _token_fk() -> ForeignKey:
    return ForeignKey("tokens.id", ondelete="CASCADE")


tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chain", String(32), nullable=False),
    Column("address", String(64), nullable=False),
    Column("first_seen_at", Float, nullable=False),
    UniqueConstraint("chain", "address"),
)

facets = Table(
    "facets",
    metadata,
    Column("token_id", Integer, _token_fk(), nullable=False),
    Column("kind", String(16), nullable=False),
    # the latest attempt
    Column("state", String(8), nullable=False),
    Column("source", String(64), nullable=False),
    Column("fetched_at", Float, nullable=False),
    Column("error_kind", String(32)),
    Column("error_message", Text),
    # the latest observation (ok or absent); null payload = absent
    Column("observed_at", Float),
    Column("payload", Json),
    Column("symbol", String(64)),
    Column("price_usd", Float),
    Column("liquidity_usd", Float),
    Column("rugged", Boolean),
    PrimaryKeyConstraint("token_id", "kind"),
)

latest_scores = Table(
    "latest_scores",
    metadata,
    Column("token_id", Integer, _token_fk(), primary_key=True, autoincrement=False),
    Column("scored_at", Float, nullable=False),
    Column("score", Float),
    Column("safety", Float),
    Column("momentum", Float),
    Column("tier", String(8), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("checks", Json, nullable=False),
    # market snapshot when the score was committed
    Column("price_usd", Float),
    Column("liquidity_usd", Float),
    Index(None, "score"),
)

score_history = Table(
    "score_history",
    metadata,
    Column("token_id", Integer, _token_fk(), nullable=False),
    Column("scored_at", Float, nullable=False),
    Column("score", Float),
    Column("safety", Float),
    Column("momentum", Float),
    Column("tier", String(8), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("price_usd", Float),
    Column("liquidity_usd", Float),
    PrimaryKeyConstraint("token_id", "scored_at"),
    Index(None, "scored_at"),
)

scans = Table(
    "scans",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("requested_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("params", Json, nullable=False),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("complete", Integer, nullable=False),
    Column("partial", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("errors", Json, nullable=False),
    # the process running it: {host, pid, space, started} (see store.owners); null = unknown
    Column("owner", Json),
    Index(None, "requested_at"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("dedup_key", String(200), primary_key=True),
    Column("level", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("first_fired", Float, nullable=False),
    Column("last_fired", Float, nullable=False),
    Column("count", Integer, nullable=False),
    Index(None, "last_fired"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("token_id", Integer, _token_fk(), nullable=False),
    Column("horizon_s", Integer, nullable=False),
    Column("scored_at", Float, nullable=False),
    Column("score", Float),
    Column("tier", String(8), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("price_then", Float),
    Column("liquidity_then", Float),
    Column("observed_at", Float, nullable=False),
    Column("price_after", Float),
    Column("liquidity_after", Float),
    Column("change_pct", Float),
    Column("rugged", Boolean, nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("recorded_at", Float, nullable=False),
    PrimaryKeyConstraint("token_id", "horizon_s", "scored_at"),
    Index(None, "horizon_s", "scored_at"),
)

#: Small durable key → number state (retention watermarks).
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Float, nullable=False),
)


class bucket(FunctionElement[int]):
    """``floor(col / size)`` for positive times, on both dialects.

    SQLite may be built without math functions, and PostgreSQL's integer cast
    rounds instead of truncating, so each dialect gets its own spelling.
    """

    type = Integer()
    inherit_cache = True
    name = "bucket"


@compiles(bucket, "sqlite")
def _bucket_sqlite(element: bucket, compiler: Any, **kw: Any) -> str:
    col, size = list(element.clauses)
    return f"CAST(({compiler.process(col, **kw)}) / ({compiler.process(size, **kw)}) AS INTEGER)"


@compiles(bucket)
def _bucket_default(element: bucket, compiler: Any, **kw: Any) -> str:
    col, size = list(element.clauses)
    return f"FLOOR(({compiler.process(col, **kw)}) / ({compiler.process(size, **kw)}))"


def bucket_of(col: ColumnElement[float], size_s: float) -> bucket:
    return bucket(col, float(size_s))
