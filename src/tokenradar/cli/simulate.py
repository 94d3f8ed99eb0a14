"""``tokenradar simulate``: run the simulated market standalone until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import typer
from rich.console import Console

from tokenradar.cli import app
from tokenradar.simulator import SimConfig, run_simulator
from tokenradar.simulator.config import PROFILES

console = Console()

#: --latency-ms sets the median; the tail keeps the default shape (p99 = median x 400/60).
P99_OVER_MEDIAN = 400.0 / 60.0


# A one-command group rather than app.command(): while ``simulate`` is the only
# command registered, typer would otherwise collapse the CLI into it.
simulate_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.add_typer(simulate_app, name="simulate")


@simulate_app.callback(invoke_without_command=True)
def simulate(
    *,
    port: Annotated[int, typer.Option(help="TCP port (0 = pick a free one).")] = 9000,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    tokens: Annotated[int, typer.Option(help="Solana tokens in the world.")] = 1000,
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
    asyncio.run(_serve(config, host, port))


async def _serve(config: SimConfig, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    async with run_simulator(config, host=host, port=port) as sim:
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
    console.print("simulated market stopped.")
