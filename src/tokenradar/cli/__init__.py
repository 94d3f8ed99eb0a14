"""The ``tokenradar`` command line: one module per command group, registered on
the app in :mod:`tokenradar.cli.root`.

This module is the entry point (``tokenradar.cli:main``) and stays light on
purpose: Ctrl-C in the first second of a command arrives while typer, rich,
numpy, SQLAlchemy and every command module are still being imported. Raised
there, a KeyboardInterrupt is a traceback, or is swallowed by a C extension
("Exception ignored in …") and the command runs on regardless; so until the
commands are imported, SIGINT ends the process at once with one line instead.
``app``, ``err_console``, ``output_console`` and ``print_error`` are imported
from the root module on first use.
"""

from __future__ import annotations

import os
import signal
import sys

TYPE_CHECKING = False  # typing itself is an import the guard would wait for
if TYPE_CHECKING:
    from types import FrameType

    from tokenradar.cli.root import app, err_console, output_console, print_error

__all__ = ["EXIT_INTERRUPTED", "app", "err_console", "main", "output_console", "print_error"]

#: what a shell reports for a program ended by SIGINT (128 + 2)
EXIT_INTERRUPTED = 130
_INTERRUPTED = b"interrupted\n"

_FROM_ROOT = frozenset({"app", "err_console", "output_console", "print_error"})


def __getattr__(name: str) -> object:
    if name not in _FROM_ROOT:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from tokenradar.cli import root  # noqa: PLC0415 - the heavy imports, on first use

    value = getattr(root, name)
    globals()[name] = value
    return value


def main() -> None:
    """Run the command line; Ctrl-C at any moment is one line and exit code 130."""
    # an inherited SIG_IGN (``tokenradar … &`` in a script) is left alone
    guarded = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if guarded:
        signal.signal(signal.SIGINT, _interrupted_while_starting)
    try:
        from tokenradar.cli import root  # noqa: PLC0415 - inside the guard

        root.register()
        if guarded:  # commands get KeyboardInterrupt as usual (asyncio.run relies on it)
            signal.signal(signal.SIGINT, signal.default_int_handler)
        root.run()
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit as exc:
        # typer turns a Ctrl-C during a command into a silent exit 130
        if exc.code == EXIT_INTERRUPTED and _caused_by_ctrl_c(exc):
            sys.stderr.write(_INTERRUPTED.decode())
        raise


def _interrupted_while_starting(signum: int, frame: FrameType | None) -> None:
    # Nothing is open yet: no file, no database, no socket. Exiting here, rather
    # than raising, is immune to where in the imports the signal lands.
    os.write(2, _INTERRUPTED)
    os._exit(EXIT_INTERRUPTED)


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):  # a short chain: SystemExit <- typer.Exit <- KeyboardInterrupt
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _interrupted() -> None:
    sys.stderr.write(_INTERRUPTED.decode())
    sys.stderr.flush()
    sys.exit(EXIT_INTERRUPTED)
