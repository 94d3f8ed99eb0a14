"""``tokenradar db upgrade`` / ``db status``: the database schema.

``db upgrade`` is the one command that creates a database (a SQLite file, or
the PostgreSQL database named in the URL); ``db status`` only looks, and says
so when there is nothing to look at.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tokenradar.cli import app, err_console
from tokenradar.errors import StorageError
from tokenradar.settings import StorageSettings, load_settings
from tokenradar.store.databases import create_databases, redacted
from tokenradar.store.migrate import schema_status, upgrade
from tokenradar.store.provision import create_database_if_missing, missing_sqlite_file

console = Console()
T = TypeVar("T")

db_app = typer.Typer(
    help="The database: apply migrations, show the schema version.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")

# Help texts are rich markup: "\\[" keeps a literal "[" (typer would drop "[storage]").
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML settings file (\\[storage] url).")
]


@db_app.command("upgrade")
def upgrade_command(config: ConfigOption = None) -> None:
    """Apply pending migrations to \\[storage] url (creating the database if needed)."""
    storage = load_settings(config).storage
    created, before, after = _run(_upgrade(storage))
    where = redacted(storage.url)
    if created:
        console.print(f"{where}: created the database")
    if before == after:
        console.print(f"{where}: schema already at {after} (latest)")
    else:
        console.print(f"{where}: schema upgraded from {before or 'empty'} to {after}")


@db_app.command("status")
def status_command(config: ConfigOption = None) -> None:
    """Show the schema version of \\[storage] url and whether it is behind."""
    storage = load_settings(config).storage
    if (path := missing_sqlite_file(storage.url)) is not None:
        # looking must not create: a SQLite connection would leave an empty file here
        err_console.print(
            f"[red]error:[/red] no database at {escape(str(path))} "
            "(`tokenradar db upgrade` creates it)"
        )
        raise typer.Exit(1)
    current, head = _run(_status(storage))
    state = "up to date" if current == head else "behind: run `tokenradar db upgrade`"
    console.print(f"{redacted(storage.url)}: schema {current or 'empty'}, latest {head} ({state})")
    if current != head:
        raise typer.Exit(1)


async def _upgrade(storage: StorageSettings) -> tuple[bool, str | None, str]:
    engines = create_databases(storage)  # first: a bad URL is a ConfigError, before connecting
    try:
        created = await create_database_if_missing(storage)
        before = (await schema_status(engines)).current
        after = await upgrade(engines, storage.schema_name)
        return created, before, after
    finally:
        await engines.dispose()


async def _status(storage: StorageSettings) -> tuple[str | None, str]:
    engines = create_databases(storage)
    try:
        status = await schema_status(engines)
        return status.current, status.head
    finally:
        await engines.dispose()


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return run_storage(coro)


def run_storage(coro: Coroutine[Any, Any, T]) -> T:
    """Run a storage coroutine; a StorageError becomes one red line and exit code 1."""
    try:
        return asyncio.run(coro)
    except StorageError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
