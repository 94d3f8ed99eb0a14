"""``tokenradar history CHAIN:ADDR``: a token's score history from the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from tokenradar.cli import app, err_console, output_console
from tokenradar.cli.db import ConfigOption, run_storage
from tokenradar.domain import TokenRef
from tokenradar.service import Radar
from tokenradar.settings import Settings, load_settings
from tokenradar.store import HistoryPoint
from tokenradar.store.databases import is_sqlite

console = output_console()


@app.command("history")
def history(
    token: Annotated[str, typer.Argument(help="CHAIN:ADDRESS, or a bare Solana / 0x address.")],
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Newest N scores.")] = 50,
    output: Annotated[
        Literal["table", "json"], typer.Option("--format", "-f", help="table | json")
    ] = "table",
) -> None:
    """Print a token's score history, newest first."""
    ref = TokenRef.parse(token)
    settings = load_settings(config)
    storage = settings.storage
    if is_sqlite(storage.url):
        path = Path(storage.url.split(":///", 1)[1])
        if not path.exists():  # do not create an empty database just to say it is empty
            err_console.print(
                f"[red]error:[/red] no database at {path} (scan first, or set \\[storage] url)"
            )
            raise typer.Exit(1)
    points = run_storage(_history(settings, ref, limit))
    if output == "json":
        print(json.dumps([_as_dict(p) for p in points], indent=2))
        return
    if not points:
        console.print(f"no scores stored for {ref}")
        return
    table = Table(title=f"{ref}: last {len(points)} scores", title_justify="left")
    for col in ("scored at (UTC)", "score", "safety", "momentum", "tier", "decision", "conf."):
        table.add_column(col, justify="right" if col not in ("tier", "decision") else "left")
    table.add_column("price $", justify="right")
    table.add_column("liquidity $", justify="right")
    for p in points:
        table.add_row(
            _when(p.scored_at),
            _num(p.score, 1),
            _num(p.safety, 1),
            _num(p.momentum, 1),
            p.tier.value,
            p.decision.value,
            f"{p.confidence:.2f}",
            "-" if p.price_usd is None else f"{p.price_usd:.6g}",
            _num(p.liquidity_usd, 0),
        )
    console.print(table)


async def _history(settings: Settings, ref: TokenRef, limit: int) -> list[HistoryPoint]:
    async with Radar(settings, fetching=False) as radar:
        return await radar.history(ref, limit=limit)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _num(x: float | None, digits: int) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def _as_dict(p: HistoryPoint) -> dict[str, object]:
    return {
        "scored_at": p.scored_at,
        "time": datetime.fromtimestamp(p.scored_at, UTC).isoformat(),
        "score": p.score,
        "safety": p.safety,
        "momentum": p.momentum,
        "tier": p.tier.value,
        "decision": p.decision.value,
        "confidence": p.confidence,
        "price_usd": p.price_usd,
        "liquidity_usd": p.liquidity_usd,
    }
