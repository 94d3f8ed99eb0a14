"""The writer bench runs end to end (it measures; this only proves it works)."""

from __future__ import annotations

from pathlib import Path

from tokenradar.bench.writer import run_writer_bench
from tokenradar.settings import StorageSettings


async def test_the_writer_bench_writes_every_row_it_reports(tmp_path: Path) -> None:
    storage = StorageSettings(url=f"sqlite:///{tmp_path / 'bench.db'}", batch_size=100)
    result = await run_writer_bench(storage, tokens=40, rounds=2)
    assert [(p.name, p.rows) for p in result.phases] == [
        ("insert facets", 200),
        ("upsert facets", 400),
        ("scores", 80),
    ]
    assert result.db_bytes is not None
    assert result.db_bytes > 0
    assert "rows/s" in result.report()
