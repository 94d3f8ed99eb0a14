"""Alembic environment for tokenradar's store.

Migrations run on a connection handed in by :mod:`tokenradar.store.migrate`
(``config.attributes["connection"]``), inside its transaction: the same
engine settings (SQLite pragmas, PostgreSQL schema) as the running store, and
concurrent starters serialised by that transaction's lock.
"""

from __future__ import annotations

from alembic import context

from tokenradar.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `tokenradar db upgrade` (it supplies the connection)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
