"""``tokenradar`` that keeps a commit log: the crash test's entry point (tests only).

::

    python tests/store/crash_cli.py COMMIT_LOG scan --file tokens.txt --config crash.toml ...

runs the real command line (``tokenradar.cli.main``, exactly what
``python -m tokenradar.cli`` runs) with one addition: every store it opens
gets a :class:`CommitLog` commit listener (``open_store(listeners=...)``). A
line in the log is a promise that the row is in the database, so the crash
test can check, after SIGKILLing this process, that none was lost.

The log is a test device: a synchronous write and flush per commit has no
place in the service, so it is installed here rather than by a setting.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import IO, Any

import tokenradar.store
import tokenradar.store.facade
from tokenradar.store import CommitListener, CommittedBatch, Store


class CommitLog:
    """Appends ``chain:address scored_at`` per committed history row, after the commit.

    Written only once the transaction has committed (``repr`` keeps the float
    exact) and flushed to the OS at once, so it survives the process being
    killed.
    """

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def __call__(self, batch: CommittedBatch) -> None:
        if batch.history:
            self._file.write("".join(f"{t} {at!r}\n" for t, at in batch.history))
            self._file.flush()

    def close(self) -> None:
        self._file.close()


def install(log: CommitListener) -> None:
    """Make every ``open_store`` of this process (the CLI's included) add ``log``.

    Must run before the CLI's command modules import ``open_store``.
    """
    real = tokenradar.store.facade.open_store

    def open_store(
        settings: Any, *, listeners: Iterable[CommitListener] = (), **kwargs: Any
    ) -> AbstractAsyncContextManager[Store]:
        return real(settings, listeners=[*listeners, log], **kwargs)

    tokenradar.store.open_store = open_store  # type: ignore[assignment]
    tokenradar.store.facade.open_store = open_store  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.exit("usage: crash_cli.py COMMIT_LOG tokenradar-arguments...")
    log = CommitLog(Path(argv[1]))
    install(log)
    from tokenradar.cli import main as cli_main  # after install(): see its docstring

    sys.argv = ["tokenradar", *argv[2:]]
    try:
        cli_main()
    finally:
        log.close()


if __name__ == "__main__":
    main(sys.argv)
