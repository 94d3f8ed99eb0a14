"""``tokenradar scans``: the recent scans in the database, newest first.

Each with its status (``queued``, ``running``, ``done``, ``failed``,
``cancelled``, ``abandoned``), when it was requested and last heard of (a
running scan's heartbeat), and its counts. Opening the store marks abandoned
the scans whose process died, so a scan killed with ``kill -9`` shows as
``abandoned`` (with why), not as ``running`` forever. Like ``history``, it only
looks: without a database it says so and creates none.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from tokenradar.cli import app, err_console, output_console
from tokenradar.cli.db import ConfigOption, run_storage
from tokenradar.service import Radar
from tokenradar.settings import Settings, load_settings
from tokenradar.store import ScanRecord, ScanStatus
from tokenradar.store.provision import missing_sqlite_file

console = output_console()


@app.command("scans")
def scans(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Newest N scans.")] = 20,
    status: Annotated[ScanStatus | None, typer.Option(help="Only scans in this status.")] = None,
    output: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help="table | json")
    ] = "table",
) -> None:
    """List recent scans, newest first: status, times and counts."""
    settings = load_settings(config)
    if (path := missing_sqlite_file(settings.storage.url)) is not None:
        # looking must not create: a SQLite connection would leave an empty file here
        err_console.print(
            f"[red]error:[/red] no database at {escape(str(path))} "
            "(scan first, or set \\[storage] url)"
        )
        raise typer.Exit(1)
    records = run_storage(_scans(settings, limit, status))
    if output == "json":
        print(json.dumps([_as_dict(r) for r in records], indent=2))
        return
    if not records:
        console.print("no scans stored" + (f" with status {status.value}" if status else ""))
        return
    # a scan that did not end well says why (an abandoned one: whose process died)
    why = {r.id: r.errors[-1] for r in records if r.errors and r.status is not ScanStatus.DONE}
    table = Table(title=f"last {len(records)} scans, newest first", title_justify="left")
    for col in ("id", "status", "requested (UTC)", "updated (UTC)"):
        table.add_column(col)
    for col in ("tokens", "complete", "partial", "failed"):
        table.add_column(col, justify="right")
    if why:
        table.add_column("why")
    for r in records:
        row = [r.id, r.status.value, _when(r.requested_at), _when(r.updated_at)]
        row += [str(n) for n in (r.total, r.complete, r.partial, r.failed)]
        table.add_row(*row, *([escape(why.get(r.id, ""))] if why else []))
    console.print(table)


async def _scans(settings: Settings, limit: int, status: ScanStatus | None) -> list[ScanRecord]:
    async with Radar(settings, fetching=False) as radar:
        return await radar.store.list_scans(limit=limit, status=status)


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def _as_dict(r: ScanRecord) -> dict[str, object]:
    return {
        "id": r.id,
        "status": r.status.value,
        "requested_at": r.requested_at,
        "requested": _iso(r.requested_at),
        "updated_at": r.updated_at,
        "updated": _iso(r.updated_at),
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "total": r.total,
        "done": r.done,
        "complete": r.complete,
        "partial": r.partial,
        "failed": r.failed,
        "errors": list(r.errors),
        "params": r.params,
        "owner": r.owner.to_json() if r.owner is not None else None,
    }
