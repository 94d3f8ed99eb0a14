"""Running ``tokenradar`` as a user does: a subprocess of this checkout's code.

The environment puts this checkout's ``src`` first on the path whatever the
working directory (a relative ``PYTHONPATH=src`` would otherwise find another
checkout's installed package from a temporary directory), and drops
``COLUMNS`` so that rich sees what a pipe really is: no terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import tokenradar

SRC = str(Path(tokenradar.__file__).parents[1])


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)
    return {**env, **extra}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tokenradar.cli", *args]


def tokenradar_run(
    *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or cli_env(),
        check=False,
    )


def spawn(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(*args),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or cli_env(),
    )
