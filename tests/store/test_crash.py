"""kill -9 durability: ``tokenradar scan`` of 5,000 simulated tokens, killed and restarted.

Each round starts the real ``tokenradar scan`` (a subprocess, against the
simulated market in this process, through ``crash_cli.py``, which gives the
stores the CLI opens a commit log), SIGKILLs it at a moment drawn from that
round's slice of a clean run's duration, then runs the scan again to the end.
Afterwards:

- SQLite's ``PRAGMA integrity_check`` says ``ok``;
- every token has exactly one latest score;
- every history row the commit log reports (the writer appends to it only
  after the transaction committed) is in the database.

One more round kills the scan the moment its first history rows are reported
committed, so the last check always has rows from a killed process to find.
``TOKENRADAR_CRASH_ROUNDS`` changes the number of random rounds (default 5).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tokenradar.settings import StorageSettings
from tokenradar.simulator import SimConfig, SimulatedMarket, run_simulator
from tokenradar.store import open_store

pytestmark = [pytest.mark.crash, pytest.mark.slow, pytest.mark.timeout(900)]

TOKENS = 5000
ROUNDS = int(os.environ.get("TOKENRADAR_CRASH_ROUNDS", "5"))
FACETS = "market,price"  # batched lanes: a full scan takes seconds, not minutes
FAST = "100000/1s"


CRASH_CLI = Path(__file__).with_name("crash_cli.py")


def config_text(sim: SimulatedMarket, storage: StorageSettings) -> str:
    schema = f'schema = "{storage.schema_name}"\n' if storage.schema_name else ""
    return f"""
[providers.dexscreener]
base_url = "{sim.dexscreener_url}"
rate = "{FAST}"
max_in_flight = 32
[providers.solana_rpc]
url = "{sim.rpc_url}"
rate = "{FAST}"
method_rate = "{FAST}"
max_in_flight = 32
[providers.rugcheck]
base_url = "{sim.rugcheck_url}"
rate = "{FAST}"
[providers.jupiter]
base_url = "{sim.jupiter_url}"
rate = "{FAST}"
max_in_flight = 8
[storage]
url = "{storage.url}"
{schema}batch_size = 500
"""


class Scanner:
    """Runs ``tokenradar scan`` over the simulated world as a subprocess."""

    def __init__(self, tmp: Path, sim: SimulatedMarket, storage: StorageSettings) -> None:
        self.tokens = tmp / "tokens.txt"
        self.tokens.write_text("\n".join(f"{t.chain}:{t.address}" for t in sim.world.tokens))
        self.commit_log = tmp / "committed.log"
        self.config = tmp / "crash.toml"
        self.config.write_text(config_text(sim, storage))
        self.count = len(sim.world.tokens)

    async def start(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, str(CRASH_CLI), str(self.commit_log), "scan",
            "--file", str(self.tokens), "--config", str(self.config), "--facets", FACETS,
            "--format", "json", "--out", os.devnull, "--no-progress",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    async def run_to_end(self) -> float:
        started = time.monotonic()
        proc = await self.start()
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
        return time.monotonic() - started

    async def kill_after(self, seconds: float) -> bool:
        """Start a scan and SIGKILL it after ``seconds``; False if it finished first."""
        proc = await self.start()
        try:
            await asyncio.wait_for(proc.wait(), seconds)
        except TimeoutError:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            return True
        return False

    async def kill_when_history_is_committed(self, limit: float = 120.0) -> int:
        """Start a scan, SIGKILL it once the commit log grows; returns lines it added."""
        before = self.committed_lines()
        proc = await self.start()
        deadline = time.monotonic() + limit
        try:
            while self.committed_lines() == before and time.monotonic() < deadline:
                if proc.returncode is not None:
                    break
                await asyncio.sleep(0.002)
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)
            await proc.wait()
        return self.committed_lines() - before

    def committed_lines(self) -> int:
        if not self.commit_log.exists():
            return 0
        with self.commit_log.open("rb") as fh:
            return sum(1 for _ in fh)

    def committed(self) -> set[tuple[str, float]]:
        out = set()
        for line in self.commit_log.read_text().splitlines():
            token, _, at = line.rpartition(" ")
            out.add((token, float(at)))
        return out


async def check(storage: StorageSettings, scanner: Scanner) -> None:
    if storage.url.startswith("sqlite"):
        path = storage.url.split(":///", 1)[1]
        with contextlib.closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    async with open_store(storage) as store:

        async def read(conn):  # type: ignore[no-untyped-def]
            tokens = (await conn.execute(text("SELECT count(*) FROM tokens"))).scalar()
            unscored = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM tokens t LEFT JOIN latest_scores s "
                        "ON s.token_id = t.id WHERE s.token_id IS NULL"
                    )
                )
            ).scalar()
            latest = (await conn.execute(text("SELECT count(*) FROM latest_scores"))).scalar()
            rows = await conn.execute(
                text(
                    "SELECT t.chain, t.address, h.scored_at FROM score_history h "
                    "JOIN tokens t ON t.id = h.token_id"
                )
            )
            history = {(f"{chain}:{address}", at) for chain, address, at in rows}
            return tokens, unscored, latest, history

        tokens, unscored, latest, history = await store.read(read)
    assert tokens == scanner.count
    assert unscored == 0
    assert latest == scanner.count  # exactly one latest score each (the primary key)
    missing = scanner.committed() - history
    assert not missing, f"{len(missing)} history rows reported committed are missing"


async def crash_rounds(tmp: Path, storage: StorageSettings) -> None:
    seed = int(os.environ.get("TOKENRADAR_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"crash test seed {seed} (TOKENRADAR_CRASH_SEED to replay)")
    sim_config = SimConfig(
        tokens=TOKENS,
        profile="unlimited",
        latency_median_ms=0,
        latency_p99_ms=0,
        launch_rate=0,
    )
    async with run_simulator(sim_config) as sim:
        scanner = Scanner(tmp, sim, storage)
        clean = await scanner.run_to_end()
        assert scanner.committed_lines() > 0  # the commit log is kept: the checks can fail
        await check(storage, scanner)
        for i in range(ROUNDS):
            # round i kills within the i-th slice of (most of) a clean run, so the
            # rounds together cover start-up, fetching, scoring and writing
            at = clean * (0.1 + 0.85 * (i + rng.random()) / ROUNDS)
            killed = await scanner.kill_after(at)
            print(f"round {i}: killed={killed} at {at:.2f}s of {clean:.2f}s")
            await scanner.run_to_end()
            await check(storage, scanner)
        added = await scanner.kill_when_history_is_committed()
        assert added > 0  # the killed process had reported history rows committed
        await check(storage, scanner)
        await scanner.run_to_end()
        await check(storage, scanner)


async def test_scan_killed_at_random_moments_loses_nothing_committed_on_sqlite(
    tmp_path: Path,
) -> None:
    storage = StorageSettings(url=f"sqlite:///{tmp_path / 'crash.db'}")
    await crash_rounds(tmp_path, storage)


async def test_scan_killed_at_random_moments_loses_nothing_committed_on_postgresql(
    tmp_path: Path, pg_settings: StorageSettings
) -> None:
    await crash_rounds(tmp_path, pg_settings)
