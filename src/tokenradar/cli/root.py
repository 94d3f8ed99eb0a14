"""The ``tokenradar`` typer app, its consoles, and how errors reach the user.

Every command module adds its commands to :data:`app`; :func:`run` imports them
all and turns the errors tokenradar raises on purpose into one line on stderr
(exit 2 for bad input, 1 for anything else). :func:`tokenradar.cli.main`
imports it and calls :func:`register` inside its Ctrl-C guard, since these
imports are most of a command's start-up time.
"""

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

#: Error lines never wrap: through a pipe rich would break them at 80 columns,
#: and a line that greps, or fits a log record, is the promise.
err_console = Console(stderr=True, soft_wrap=True)


def output_console() -> Console:
    """Stdout for tables: a terminal keeps its width, a pipe or file gets wide rows
    rather than rich's 80-column default (tables of addresses wrap badly there)."""
    return Console() if sys.stdout.isatty() else Console(width=200)


def print_error(message: str) -> None:
    """``error: message`` on stderr, one line. Text, not markup: messages quote user
    input, which may hold "[...]"."""
    err_console.print(Text.assemble(("error: ", "red"), message), highlight=False)


@app.callback()
def _root() -> None:
    """Fresh, explainable scores for crypto tokens from rate-limited public APIs."""
    # A root callback keeps ``tokenradar`` a group of subcommands even while only one
    # command is registered (typer would otherwise collapse the CLI into that command).


def register() -> None:
    """Import every command module: each adds its commands to ``app``."""
    from tokenradar.cli import commands  # noqa: F401, PLC0415 - commands import app


def run() -> None:
    """Run the command on the command line (after :func:`register`)."""
    try:
        app()
    except InvalidInput as exc:
        # Bad addresses and bad config: a clear one-line message, no traceback.
        print_error(str(exc))
        sys.exit(2)
    except TokenradarError as exc:
        # A database that refuses, an upstream that cannot be reached at all: say so plainly.
        print_error(str(exc))
        sys.exit(1)
