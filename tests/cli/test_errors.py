"""What a user sees when something goes wrong: one line, never a traceback.

- Ctrl-C at any moment, even while the commands are still being imported,
  ends with one line and exit code 130;
- error lines stay one line through a pipe (rich wraps at 80 columns when
  stderr is not a terminal);
- ``bench writer`` with a URL that is not one, or a PostgreSQL that is down;
- help texts keep their ``[storage]`` (rich markup would swallow it).
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.text import Text
from typer.testing import CliRunner

from tokenradar.cli import app
from tokenradar.cli import commands as _commands  # noqa: F401 - registers the commands

from .run import spawn, tokenradar_run

runner = CliRunner()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens on it any more


@pytest.mark.parametrize("delay", [0.15, 0.4])
def test_ctrl_c_while_starting_up_is_one_line_and_exit_130(tmp_path: Path, delay: float) -> None:
    proc = spawn("scan", "--demo", "50", "--no-progress", "--format", "json", cwd=tmp_path)
    time.sleep(delay)  # within the imports of every command module (~0.5-1 s)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr
    if proc.returncode == 0:  # a fast machine: the scan had begun and printed what it had
        assert delay > 0.3
        return
    assert proc.returncode == 130, stderr
    assert stderr.strip() == "interrupted"


def test_an_error_line_is_one_line_through_a_pipe(tmp_path: Path) -> None:
    deep = tmp_path / ("a-rather-long-directory-name-" * 4) / "tokenradar.db"
    config = tmp_path / "tokenradar.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{deep}"\n')
    done = tokenradar_run("history", "solana:" + "1" * 32, "--config", str(config), cwd=tmp_path)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"no database at {deep}" in done.stderr


def test_bench_writer_with_a_bad_url_says_so_in_one_line(tmp_path: Path) -> None:
    done = tokenradar_run("bench", "writer", "--url", "garbage", "--tokens", "10", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: --url: expected 'sqlite:///")
    assert "got 'garbage'" in line


def test_bench_writer_against_a_postgresql_that_is_down_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/bench"
    done = tokenradar_run("bench", "writer", "--url", url, "--tokens", "10", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: connecting to {url} failed: ")
    assert "refused" in line.lower()


def test_help_texts_show_the_storage_url_setting() -> None:
    for args in (["db", "--help"], ["db", "status", "--help"], ["history", "--help"]):
        shown = runner.invoke(app, args, env={"COLUMNS": "240", "TERMINAL_WIDTH": "240"})
        assert shown.exit_code == 0, shown.output
        assert "[storage] url" in shown.output, (args, shown.output)


def _help_texts(cmd: Any, path: str) -> list[tuple[str, str]]:
    """Every help text of ``cmd`` (typer's click command) and of its subcommands."""
    texts = [(path, t) for t in (cmd.help, cmd.short_help) if t]
    texts += [(f"{path} {p.name}", p.help) for p in cmd.params if getattr(p, "help", None)]
    for name, sub in getattr(cmd, "commands", {}).items():
        texts += _help_texts(sub, f"{path} {name}")
    return texts


def test_no_help_text_loses_a_bracket_to_rich_markup() -> None:
    texts = _help_texts(typer.main.get_command(app), "tokenradar")
    assert any("[storage]" in t for _, t in texts)  # the walk sees the options' help
    for where, text in texts:
        meant = text.replace("\\[", "[")
        assert Text.from_markup(text).plain == meant, where
