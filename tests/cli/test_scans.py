"""``tokenradar scans``: recent scans from the database, newest first, and only looking."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

from typer.testing import CliRunner

from tokenradar.cli import app
from tokenradar.cli import commands as _commands  # noqa: F401 - registers the commands
from tokenradar.settings import StorageSettings
from tokenradar.store import ScanRecord, ScanStatus, open_store
from tokenradar.store.owners import this_process

runner = CliRunner()
T0 = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC


def config_for(tmp_path: Path) -> Path:
    path = tmp_path / "tokenradar.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///{tmp_path / "scans.db"}"\n')
    return path


def write_scans(tmp_path: Path) -> None:
    me = this_process()
    # this pid with another start time: a process that is gone (the pid was reused)
    dead = dataclasses.replace(me, started="1" if me.started != "1" else "2")
    rows = [
        ScanRecord(
            "old-done", ScanStatus.DONE, requested_at=T0, updated_at=T0 + 20,
            total=10, done=10, complete=7, partial=2, failed=1, owner=me,
        ),
        ScanRecord(
            "mid-cancelled", ScanStatus.CANCELLED, requested_at=T0 + 100, updated_at=T0 + 130,
            total=5, done=3, complete=3, errors=("interrupted",), owner=me,
        ),
        ScanRecord(
            "new-running", ScanStatus.RUNNING, requested_at=T0 + 200, updated_at=T0 + 230,
            total=8, done=4, complete=2, partial=2, owner=dead,
        ),
    ]  # fmt: skip

    async def write() -> None:
        url = f"sqlite:///{tmp_path / 'scans.db'}"
        # as a scan would: the next open finds the dead process's scan
        async with open_store(StorageSettings(url=url), abandon_dead_scans=False) as store:
            await store.writer.put_many(rows)

    asyncio.run(write())


def test_scans_are_listed_newest_first_with_status_times_and_counts(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    write_scans(tmp_path)
    shown = runner.invoke(app, ["scans", "--config", str(cfg)])
    assert shown.exit_code == 0, shown.output
    rows = [line for line in shown.output.splitlines() if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == ["new-running", "mid-cancelled", "old-done"]
    newest, mid, old = ([c.strip() for c in r.split("│")[1:-1]] for r in rows)
    # opening the store marked the dead process's scan abandoned, saying why
    assert newest[1] == "abandoned"
    assert "is gone" in newest[-1]
    assert mid[1:4] == ["cancelled", "2025-06-15 15:08:20", "2025-06-15 15:08:50"]
    assert mid[-1] == "interrupted"
    assert old[1:8] == ["done", "2025-06-15 15:06:40", "2025-06-15 15:07:00", "10", "7", "2", "1"]


def test_scans_filters_by_status_limits_and_prints_json(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    write_scans(tmp_path)
    out = runner.invoke(app, ["scans", "-c", str(cfg), "--format", "json", "--limit", "2"])
    assert out.exit_code == 0, out.output
    listed = json.loads(out.output)
    assert [s["id"] for s in listed] == ["new-running", "mid-cancelled"]
    assert listed[0]["status"] == "abandoned"
    assert listed[0]["owner"]["pid"] == this_process().pid
    expected = {
        "requested": "2025-06-15T15:08:20+00:00",
        "updated": "2025-06-15T15:08:50+00:00",
        "total": 5, "done": 3, "complete": 3, "partial": 0, "failed": 0,
        "errors": ["interrupted"],
    }  # fmt: skip
    assert {k: listed[1][k] for k in expected} == expected

    done = runner.invoke(app, ["scans", "-c", str(cfg), "--status", "done", "-f", "json"])
    assert [s["id"] for s in json.loads(done.output)] == ["old-done"]
    none = runner.invoke(app, ["scans", "-c", str(cfg), "--status", "failed"])
    assert none.exit_code == 0
    assert "no scans stored with status failed" in none.output
    bad = runner.invoke(app, ["scans", "-c", str(cfg), "--status", "finished"])
    assert bad.exit_code == 2


def test_scans_without_a_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    result = runner.invoke(app, ["scans", "--config", str(cfg)])
    assert result.exit_code == 1
    assert "no database at" in result.output
    assert "[storage] url" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokenradar.toml"]
