"""``tokenradar scan`` results carry the score fields, ranked, with --explain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tokenradar
from tokenradar.scoring.policy import CHECK_NAMES

USDT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
#: the checkout under test, absolute: a relative PYTHONPATH=src means nothing in cwd=tmp_path
SRC = str(Path(tokenradar.__file__).parents[1])


@pytest.mark.slow
def test_scan_results_are_scored_ranked_and_explained(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tokenradar.cli", "scan", "--demo", "8", "--max-time", "20",
         "--format", "json", "--no-progress", "--explain", USDT],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": SRC},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)["results"]
    for r in results:
        assert {"score", "safety", "momentum", "tier", "decision", "confidence"} <= set(r)
        assert [c["name"] for c in r["checks"]] == list(CHECK_NAMES)
        assert set(r["checks"][0]) >= {"name", "state", "value", "source", "age_s", "points"}
    scores = [r["score"] for r in results]
    known = [s for s in scores if s is not None]
    assert known == sorted(known, reverse=True)
    assert scores[: len(known)] == known  # unscored tokens last
    usdt = next(r for r in results if r["address"] == USDT)
    assert usdt["decision"] != "avoid"  # a major keeps its authorities by design
    assert f"solana:{USDT}" in done.stderr  # the --explain table goes to stderr with JSON
    assert "allowlisted major (USDT)" in done.stderr
