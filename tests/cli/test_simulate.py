"""``tokenradar simulate`` refuses what it cannot do in one line, and stops when told.

- a host that is not loopback is refused before anything is built (exit 2);
- a port in use is named (exit 1);
- ``--tokens`` is bounded by MAX_CLI_TOKENS, which builds in a few seconds;
- SIGTERM and SIGINT stop it at once even while the world is being built.
"""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tokenradar.errors import InvalidInput
from tokenradar.simulator import SimConfig, SimulatedMarket
from tokenradar.simulator.config import MAX_CLI_TOKENS
from tokenradar.simulator.server import check_loopback

from .run import spawn, tokenradar_run

QUIET = ("--latency-ms", "0", "--launch-rate", "0")


@pytest.mark.parametrize("host", ["192.0.2.1", "0.0.0.0", "example.com"])
def test_a_host_that_is_not_loopback_is_refused_in_one_line(tmp_path: Path, host: str) -> None:
    done = tokenradar_run(
        "simulate", "--host", host, "--port", "0", *QUIET, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line == (
        f"error: --host: {host!r} is not a loopback address; the simulated market serves "
        "this machine only (127.0.0.1, ::1 or localhost)"
    )
    assert not done.stdout  # refused before the world was built


def test_loopback_hosts_are_accepted_and_others_refused_by_the_server_too() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost", "LOCALHOST."):
        check_loopback(host)
    for host in ("0.0.0.0", "::", "10.0.0.1", "localhost.example.com", ""):
        with pytest.raises(InvalidInput, match="not a loopback address"):
            check_loopback(host)


async def test_the_server_itself_will_not_listen_beyond_loopback() -> None:
    sim = SimulatedMarket(SimConfig(tokens=3, latency_median_ms=0, latency_p99_ms=0))
    with pytest.raises(InvalidInput, match=r"'0\.0\.0\.0' is not a loopback address"):
        await sim.start("0.0.0.0", 0)
    await sim.stop()


def test_a_port_in_use_is_named_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = tokenradar_run(
            "simulate", "--port", str(port), "--tokens", "10", *QUIET, cwd=tmp_path, timeout=60
        )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line == f"error: port {port} on 127.0.0.1 is already in use (--port 0 picks a free one)"


def test_tokens_above_the_bound_are_refused_naming_it(tmp_path: Path) -> None:
    assert MAX_CLI_TOKENS == 20_000  # measured: docs/simulator.md quotes it
    done = tokenradar_run(
        "simulate", "--tokens", str(MAX_CLI_TOKENS + 1), "--port", "0", *QUIET,
        cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    said = " ".join(done.stderr.split())
    assert "--tokens" in said
    assert "20000" in said
    assert "building" not in done.stdout


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.mark.parametrize(
    ("sig", "code", "said"),
    [
        (signal.SIGTERM, 143, "terminated while building the world"),
        (signal.SIGINT, 130, "interrupted"),
    ],
)
def test_a_signal_stops_it_at_once_while_the_world_is_being_built(
    tmp_path: Path, sig: signal.Signals, code: int, said: str
) -> None:
    proc = spawn("simulate", "--tokens", str(MAX_CLI_TOKENS), "--port", "0", *QUIET, cwd=tmp_path)
    try:
        lines = _lines(proc)
        # the build (~5 s) has begun once it says so; without that line, it surely
        # has after the imports (~1 s)
        try:
            first = lines.get(timeout=2.5)
            assert first.startswith("building a world of 20,000 tokens"), first
            time.sleep(0.3)
        except queue.Empty:
            pass
        assert proc.poll() is None, "the world was built already: nothing to interrupt"
        proc.send_signal(sig)
        sent = time.monotonic()
        proc.wait(timeout=10)
        took = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
    assert took < 2.0, f"{sig.name} took {took:.1f} s to stop the build"
    assert proc.returncode == code
    assert proc.stderr is not None
    assert proc.stderr.read().strip() == said
    assert lines.empty() or "listening" not in lines.get_nowait()
