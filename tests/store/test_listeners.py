"""Commit listeners come in through ``open_store(listeners=...)``, not a setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenradar.errors import ConfigError
from tokenradar.settings import StorageSettings, load_settings
from tokenradar.store import CommittedBatch, open_store

from .factories import score, token


async def test_listeners_given_to_open_store_hear_every_commit(
    sqlite_settings: StorageSettings,
) -> None:
    heard: list[CommittedBatch] = []
    async with open_store(sqlite_settings, listeners=[heard.append]) as store:
        await store.writer.put_many(score(token(i), 10.0) for i in range(3))
        await store.writer.flush()
    assert sum(b.scores for b in heard) == 3
    assert sorted(at for b in heard for _, at in b.history) == [10.0, 10.0, 10.0]


def test_the_commit_log_is_no_longer_a_setting(tmp_path: Path) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'[storage]\ncommit_log = "{tmp_path / "log"}"\n')
    with pytest.raises(ConfigError, match=r"storage\.commit_log: unknown key"):
        load_settings(cfg)
