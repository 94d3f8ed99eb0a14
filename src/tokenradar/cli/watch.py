"""``tokenradar watch add|rm|list``: edit the watchlist file ``serve`` keeps fresh."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tokenradar.cli import app, output_console
from tokenradar.domain import Tier, TokenRef
from tokenradar.service import watchlist as wl
from tokenradar.settings import load_settings

watch_app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Edit the watchlist `serve` keeps fresh."
)
app.add_typer(watch_app, name="watch")

ConfigOption = Annotated[Path | None, typer.Option(help="TOML settings file.")]


def _path(config: Path | None) -> Path:
    return load_settings(config).service.watchlist


def _parse(addresses: list[str]) -> list[TokenRef]:
    return [TokenRef.parse(a) for a in addresses]


@watch_app.command("add")
def add(
    addresses: Annotated[list[str], typer.Argument(help="chain:address or bare addresses.")],
    tier: Annotated[
        Tier | None, typer.Option(help="Keep these at least this hot (default warm).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Watch these tokens (a running `serve` picks them up within seconds)."""
    tokens = _parse(addresses)
    path = _path(config)
    entries = wl.add(path, tokens, tier)
    output_console().print(f"watching {len(entries)} tokens ({len(tokens)} added) in {path}")


@watch_app.command("rm")
def rm(
    addresses: Annotated[list[str], typer.Argument(help="chain:address or bare addresses.")],
    config: ConfigOption = None,
) -> None:
    """Stop watching these tokens."""
    tokens = _parse(addresses)
    path = _path(config)
    entries, missing = wl.remove(path, tokens)
    console = output_console()
    for token in missing:
        console.print(f"not on the watchlist: {token}")
    console.print(f"watching {len(entries)} tokens in {path}")


@watch_app.command("list")
def list_(config: ConfigOption = None) -> None:
    """Print the watchlist: one token and its tier floor per line."""
    path = _path(config)
    entries = wl.load(path)
    console = output_console()
    for token, tier in sorted(entries.items(), key=lambda kv: str(kv[0])):
        console.print(f"{token}\t{tier.value}", highlight=False)
    if not entries:
        console.print(f"the watchlist {path} is empty", highlight=False)
