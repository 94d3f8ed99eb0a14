"""The ``tokenradar`` command line: one module per command group, registered here."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from tokenradar.errors import InvalidInput, TokenradarError

app = typer.Typer(
    name="tokenradar",
    help="Fresh, explainable scores for crypto tokens from rate-limited public APIs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

err_console = Console(stderr=True)


def output_console() -> Console:
    """Stdout for tables: a terminal keeps its width, a pipe or file gets wide rows
    rather than rich's 80-column default (tables of addresses wrap badly there)."""
    return Console() if sys.stdout.isatty() else Console(width=200)


@app.callback()
def _root() -> None:
    """Fresh, explainable scores for crypto tokens from rate-limited public APIs."""
    # A root callback keeps ``tokenradar`` a group of subcommands even while only one
    # command is registered (typer would otherwise collapse the CLI into that command).


def _register() -> None:
    # Each command module adds its commands to ``app`` on import.
    from tokenradar.cli import commands  # noqa: F401, PLC0415 - commands import app


def _error(exc: Exception) -> None:
    # Text, not markup: messages quote user input, which may hold "[...]".
    err_console.print(Text.assemble(("error: ", "red"), str(exc)), highlight=False)


def main() -> None:
    _register()
    try:
        app()
    except InvalidInput as exc:
        # Bad addresses and bad config: a clear one-line message, no traceback.
        _error(exc)
        sys.exit(2)
    except TokenradarError as exc:
        # A database that refuses, an upstream that cannot be reached at all: say so plainly.
        _error(exc)
        sys.exit(1)
