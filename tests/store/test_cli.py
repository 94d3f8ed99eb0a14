"""``tokenradar db upgrade|status`` and ``tokenradar history``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from tokenradar.cli import app
from tokenradar.cli import commands as _commands  # noqa: F401 - registers the commands
from tokenradar.settings import StorageSettings
from tokenradar.store import open_store

from .factories import market_facet, score, token

runner = CliRunner()


def config_for(tmp_path: Path, url: str | None = None) -> Path:
    db = tmp_path / "cli.db"
    path = tmp_path / "tokenradar.toml"
    path.write_text(f'[storage]\nurl = "{url or f"sqlite:///{db}"}"\nauto_upgrade = false\n')
    return path


def test_db_upgrade_brings_an_empty_database_to_the_latest_schema(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    (tmp_path / "cli.db").touch()  # an empty file: an empty database
    status = runner.invoke(app, ["db", "status", "--config", str(cfg)])
    assert status.exit_code == 1
    assert "behind" in status.output

    first = runner.invoke(app, ["db", "upgrade", "--config", str(cfg)])
    assert first.exit_code == 0, first.output
    assert "created" not in first.output
    assert "upgraded from empty to 0002" in first.output
    again = runner.invoke(app, ["db", "upgrade", "--config", str(cfg)])
    assert "already at 0002" in again.output
    assert runner.invoke(app, ["db", "status", "--config", str(cfg)]).exit_code == 0


def test_db_upgrade_works_on_postgresql(tmp_path: Path, pg_settings: StorageSettings) -> None:
    cfg = tmp_path / "pg.toml"
    cfg.write_text(f'[storage]\nurl = "{pg_settings.url}"\nschema = "{pg_settings.schema_name}"\n')
    result = runner.invoke(app, ["db", "upgrade", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "to 0002" in result.output


def test_history_prints_a_tokens_scores_newest_first(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    assert runner.invoke(app, ["db", "upgrade", "--config", str(cfg)]).exit_code == 0
    ref = token(1)

    async def write() -> None:
        url = f"sqlite:///{tmp_path / 'cli.db'}"
        async with open_store(StorageSettings(url=url)) as store:
            await store.writer.put(market_facet(ref, 1_700_000_000.0, price=0.5, liquidity=8e4))
            await store.writer.put_many(
                score(ref, 1_700_000_000.0 + k * 60, value=40.0 + k) for k in range(5)
            )

    asyncio.run(write())
    table = runner.invoke(app, ["history", str(ref), "--config", str(cfg), "--limit", "3"])
    assert table.exit_code == 0, table.output
    assert "44.0" in table.output
    assert "41.0" not in table.output  # only the newest 3
    assert "80,000" in table.output

    out = runner.invoke(app, ["history", str(ref), "-c", str(cfg), "--format", "json"])
    rows = json.loads(out.output)
    assert [r["score"] for r in rows] == [44.0, 43.0, 42.0, 41.0, 40.0]
    assert rows[0]["price_usd"] == 0.5
    assert rows[0]["time"].startswith("2023-11-14T22:")


def test_history_without_a_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    cfg = config_for(tmp_path)
    result = runner.invoke(app, ["history", str(token(1)), "--config", str(cfg)])
    assert result.exit_code == 1
    assert "no database" in result.output
    assert not (tmp_path / "cli.db").exists()


def test_history_refuses_a_bad_address(tmp_path: Path) -> None:
    result = runner.invoke(app, ["history", "solana:nope", "--config", str(config_for(tmp_path))])
    assert result.exit_code != 0
