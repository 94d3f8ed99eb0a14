"""``tokenradar scan`` end to end, as a user runs it (a subprocess)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import tokenradar as tokenradar_package

SOL = "So11111111111111111111111111111111111111112"


#: the checkout under test, absolute: a relative PYTHONPATH=src means nothing in cwd=tmp_path
SRC = str(Path(tokenradar_package.__file__).parents[1])


def tokenradar(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenradar.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": SRC},
        check=False,
    )


@pytest.mark.slow
def test_demo_2000_accounts_for_every_token(tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    done = tokenradar(
        "scan", "--demo", "2000", "--max-time", "25", "--format", "json", "--out", str(out),
        "--no-progress", cwd=tmp_path, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    results, stats = report["results"], report["stats"]
    assert len(results) == stats["tokens"] >= 2000
    assert len({(r["chain"], r["address"]) for r in results}) == len(results)
    assert stats["complete"] + stats["partial"] + stats["failed"] == len(results)
    # market data (150 tokens/s) and mints (400/s) finish well within the time
    assert all(r["facets"]["market"]["state"] in ("ok", "absent") for r in results)
    solana = [r for r in results if r["chain"] == "solana"]
    assert all(r["facets"]["mint"]["state"] == "ok" for r in solana)
    # holders (~4 tokens/s) cannot: each missing one says why
    for r in results:
        for name, facet in r["facets"].items():
            if facet["state"] in ("missing", "error"):
                assert facet["error"], (r["address"], name)
                assert {"facet": name, "reason": facet["error"]} in r["errors"]
    # politeness, by the server's own counters: no 429 from a published limit, and
    # RugCheck's undisclosed one (discovered by probing) refused at most 2 %
    for name, counts in stats["simulator"]["endpoints"].items():
        if name.startswith("rugcheck"):
            assert counts["rate_limited"] <= 0.02 * counts["requests"], name
        else:
            assert counts["rate_limited"] == 0, name
    # full batches of 30 at best: 1,960 Solana tokens in 66, 40 EVM ones on three chains in 3
    assert stats["lanes"]["dexscreener.market"]["mean_batch"] >= 0.98 * 2000 / 69


def test_demo_n_scans_exactly_n_tokens_and_says_the_mix(tmp_path: Path) -> None:
    done = tokenradar(
        "scan", "--demo", "50", "--format", "json", "--no-progress", "--facets", "market",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    results = report["results"]
    assert len(results) == report["stats"]["tokens"] == 50
    assert len({(r["chain"], r["address"]) for r in results}) == 50
    evm = sum(r["chain"] != "solana" for r in results)
    assert evm == 1  # 2 % of 50
    assert "demo: 49 Solana + 1 EVM tokens" in done.stderr


def wait_for_committed_facets(
    db: Path, kind: str, at_least: int, proc: subprocess.Popen[str], *, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the scan ended before it could be interrupted"
        if db.exists():
            with (
                contextlib.suppress(sqlite3.OperationalError),  # schema not created yet
                contextlib.closing(sqlite3.connect(db, timeout=1)) as conn,
            ):
                sql = "SELECT count(*) FROM facets WHERE kind = ? AND state = 'ok'"
                if conn.execute(sql, (kind,)).fetchone()[0] >= at_least:
                    return
        time.sleep(0.1)
    pytest.fail(f"fewer than {at_least} {kind} facets committed within {timeout}s")


def test_ctrl_c_prints_what_is_done(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tokenradar.cli", "scan", "--demo", "100",
         "--facets", "market,holders", "--format", "json", "--no-progress"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )  # fmt: skip
    # Interrupt once some holders have landed (scan persists facets as they land):
    # a sign of progress rather than a fixed sleep, which a loaded machine can outrun.
    world = 100  # --demo 100: 98 Solana tokens and 2 EVM ones
    wait_for_committed_facets(tmp_path / "tokenradar.db", "market", world, proc, timeout=120)
    wait_for_committed_facets(tmp_path / "tokenradar.db", "holders", 1, proc, timeout=120)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    report = json.loads(stdout)
    stats, results = report["stats"], report["results"]
    assert stats["interrupted"] is True
    assert len(results) == stats["tokens"] >= 100
    assert all(r["facets"]["market"]["state"] == "ok" for r in results)
    holders = [r["facets"]["holders"] for r in results if r["chain"] == "solana"]
    assert any(h["state"] == "ok" for h in holders)
    assert any(h["error"] == "interrupted" for h in holders)


def test_an_invalid_address_is_rejected_before_anything_is_sent(tmp_path: Path) -> None:
    done = tokenradar("scan", SOL, "0xnothex", cwd=tmp_path)
    assert done.returncode == 2
    assert "'0xnothex' is not an EVM address" in done.stderr
    assert not done.stdout


def test_a_bad_line_in_the_file_is_named(tmp_path: Path) -> None:
    listing = tmp_path / "tokens.txt"
    listing.write_text(f"# my watchlist\n{SOL}\n\nbase:0x{'ab' * 20}\nnot-a-token  # oops\n")
    done = tokenradar("scan", "--file", str(listing), cwd=tmp_path)
    assert done.returncode == 2
    assert f"{listing}:5:" in done.stderr
    assert "'not-a-token'" in done.stderr


def test_nothing_given_is_an_error_and_unknown_facets_are_named(tmp_path: Path) -> None:
    assert "nothing to scan" in tokenradar("scan", cwd=tmp_path).stderr
    done = tokenradar("scan", SOL, "--facets", "market,volume", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown facet 'volume'" in done.stderr


def test_exit_code_is_1_only_when_nothing_could_be_scanned(tmp_path: Path) -> None:
    config = tmp_path / "down.toml"
    config.write_text('[providers.dexscreener]\nbase_url = "http://127.0.0.1:9"\n')
    done = tokenradar(
        "scan", SOL, "--facets", "market", "--config", str(config), "--format", "csv",
        "--no-progress", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    header, row = done.stdout.strip().splitlines()
    assert header.startswith("chain,address,symbol,status,market_state,market_age_s")
    assert row.startswith(f"solana,{SOL},,failed,error,")
    assert "unavailable" in row


def test_ctrl_c_while_the_database_is_locked_still_prints_the_results(tmp_path: Path) -> None:
    # another process holds the database's write lock for the whole scan: the results
    # are printed anyway (bounded by the grace, cut short by a second Ctrl-C), the
    # user is told they were not saved, and nothing hangs
    config = tmp_path / "c.toml"
    config.write_text("[storage]\nbusy_timeout = 0.05\n")
    assert tokenradar("db", "upgrade", "--config", str(config), cwd=tmp_path).returncode == 0
    locker = sqlite3.connect(tmp_path / "tokenradar.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tokenradar.cli", "scan", "--demo", "20", "--config",
             str(config), "--facets", "market", "--format", "json", "--no-progress"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(4.0)
        for _ in range(2):  # the first stops the scan if it still runs, the second the wait
            proc.send_signal(signal.SIGINT)
            time.sleep(0.5)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr, stderr
    assert stdout.endswith("}\n"), stderr
    report = json.loads(stdout)
    assert len(report["results"]) == report["stats"]["tokens"] > 0
    assert "results not saved" in stderr
    assert "Traceback" not in stderr
