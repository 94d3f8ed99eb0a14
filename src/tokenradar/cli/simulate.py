"""``tokenradar simulate``: run the simulated market standalone until Ctrl-C or SIGTERM.

Building the world is seconds of synchronous CPU work (``--tokens`` is bounded
by :data:`~tokenradar.simulator.config.MAX_CLI_TOKENS` so that it stays a few
seconds). It runs in a daemon thread while the main thread waits, so that
SIGINT and SIGTERM stop the command at once at any moment: a signal handler
runs only in the main thread, and a main thread busy building would take it
only when the build is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import sys
import threading
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from tokenradar.cli import app, err_console, print_error
from tokenradar.simulator import SimConfig, SimulatedMarket
from tokenradar.simulator.config import MAX_CLI_TOKENS, PROFILES
from tokenradar.simulator.server import check_loopback

console = Console()

#: --latency-ms sets the median; the tail keeps the default shape (p99 = median x 400/60).
P99_OVER_MEDIAN = 400.0 / 60.0
#: how often the waiting main thread wakes: a signal delivered to the building
#: thread is handled (in the main thread) at the next wake-up
_WAKE_S = 0.05


# A one-command group rather than app.command(): while ``simulate`` is the only
# command registered, typer would otherwise collapse the CLI into it.
simulate_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.add_typer(simulate_app, name="simulate")


@simulate_app.callback(invoke_without_command=True)
def simulate(
    *,
    port: Annotated[int, typer.Option(help="TCP port (0 = pick a free one).")] = 9000,
    host: Annotated[
        str, typer.Option(help="Loopback address to bind (127.0.0.1, ::1 or localhost).")
    ] = "127.0.0.1",
    tokens: Annotated[
        int,
        typer.Option(
            min=0,
            max=MAX_CLI_TOKENS,
            help=f"Solana tokens in the world (at most {MAX_CLI_TOKENS:,}: ~5 s to build).",
        ),
    ] = 1000,
    seed: Annotated[int, typer.Option(help="World seed: same seed, same world.")] = 7,
    profile: Annotated[str, typer.Option(help="public | unlimited | chaos")] = "public",
    latency_ms: Annotated[
        float | None, typer.Option(help="Median added latency in ms (0 = none; default 60).")
    ] = None,
    launch_rate: Annotated[float, typer.Option(help="New pools per second (0 = none).")] = 0.2,
    time_scale: Annotated[float, typer.Option(help="World time runs this much faster.")] = 1.0,
) -> None:
    """Run the simulated market (DexScreener, Solana RPC + WebSocket, RugCheck, Jupiter)."""
    if profile not in PROFILES:
        raise typer.BadParameter(
            f"expected one of {', '.join(PROFILES)}, got {profile!r}", param_hint="--profile"
        )
    if not 0 <= port <= 65535:
        raise typer.BadParameter(f"expected 0-65535, got {port}", param_hint="--port")
    check_loopback(host, "--host")  # InvalidInput: exit 2, before seconds of building
    defaults = SimConfig()
    median, p99 = defaults.latency_median_ms, defaults.latency_p99_ms
    if latency_ms is not None:
        if latency_ms < 0:
            raise typer.BadParameter(f"expected >= 0, got {latency_ms}", param_hint="--latency-ms")
        median, p99 = latency_ms, latency_ms * P99_OVER_MEDIAN
    try:
        config = SimConfig(
            tokens=tokens,
            seed=seed,
            profile=profile,  # narrowed by the PROFILES check above
            launch_rate=launch_rate,
            time_scale=time_scale,
            latency_median_ms=median,
            latency_p99_ms=p99,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print(f"building a world of {tokens:,} tokens (seed {seed})…", highlight=False)
    sim = _build(config)
    asyncio.run(_serve(sim, host, port))


class _Terminated(Exception):
    """SIGTERM arrived while the world was being built."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def _build(config: SimConfig) -> SimulatedMarket:
    """The market, built in a daemon thread while this (main) thread takes signals.

    SIGINT is a KeyboardInterrupt here as anywhere (exit 130); SIGTERM exits 143.
    The abandoned build dies with the process.
    """
    built: list[SimulatedMarket] = []
    failed: list[BaseException] = []

    def build() -> None:
        try:
            built.append(SimulatedMarket(config))
        except BaseException as exc:  # handed to the main thread, raised there
            failed.append(exc)

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        worker = threading.Thread(target=build, name="sim-build", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(_WAKE_S)
    except _Terminated:
        err_console.print("terminated while building the world")
        raise typer.Exit(128 + signal.SIGTERM) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if failed:
        raise failed[0]
    return built[0]


async def _serve(sim: SimulatedMarket, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        await sim.start(host, port)
    except OSError as exc:
        await sim.stop()
        if exc.errno == errno.EADDRINUSE:
            print_error(f"port {port} on {host} is already in use (--port 0 picks a free one)")
        else:
            print_error(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    try:
        config = sim.config
        example = next((t.address for t in sim.world.tokens if t.chain == "solana"), "")
        what = f"{config.profile}, {len(sim.world.tokens)} tokens, seed {config.seed}"
        console.print(
            f"[bold]tokenradar simulated market[/bold] ({what}) listening on {sim.base_url}\n"
            f"  dexscreener  {sim.dexscreener_url}\n"
            f"  solana_rpc   {sim.rpc_url}\n"
            f"  solana ws    {sim.ws_url}\n"
            f"  rugcheck     {sim.rugcheck_url}\n"
            f"  jupiter      {sim.jupiter_url}\n"
            f"  stats        {sim.base_url}/_sim/stats\n"
            f"try: curl {sim.dexscreener_url}/tokens/v1/solana/{example}\n"
            "Ctrl-C to stop.",
            highlight=False,
            soft_wrap=True,  # URLs must stay copy-pasteable
        )
        await stop.wait()
    finally:
        await sim.stop()
    console.print("simulated market stopped.")
    sys.stdout.flush()
