"""``tokenradar serve``: keep every watched and discovered token's score fresh, 24/7.

The HTTP API (``--host``/``--port``, docs/api.md) runs in the same event loop,
a uvicorn server beside the service; one stops the other.

SIGTERM and SIGINT stop it gracefully (in-flight batches finish, the writer
flushes, exit 0 within ``[service] shutdown_grace``); SIGHUP reloads the config
file and the watchlist now (they are also reloaded when they change).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from tokenradar.api import create_app
from tokenradar.api.server import ApiStartFailed, run_api
from tokenradar.cli import app, err_console
from tokenradar.cli.scan import demo_settings
from tokenradar.service.serve import Service
from tokenradar.settings import Settings, load_settings
from tokenradar.simulator import SimConfig, run_simulator

#: the demo world: a few thousand tokens and a launch every few seconds
DEMO_TOKENS = 3_000
DEMO_LAUNCH_RATE = 0.5


@app.command("serve")
def serve(
    *,
    config: Annotated[
        Path | None, typer.Option(help="TOML settings file (reloaded when it changes).")
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(help="Start the simulated market in-process and track its world."),
    ] = False,
    demo_tokens: Annotated[
        int, typer.Option(help="Tokens in the demo world.", min=10, max=100_000)
    ] = DEMO_TOKENS,
    host: Annotated[str, typer.Option(help="Address the HTTP API listens on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port of the HTTP API (0: no API).", min=0, max=65535)
    ] = 8000,
) -> None:
    """Run continuously: refresh, score, persist and publish every tracked token."""
    settings = load_settings(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations say enough when they fail
    try:
        asyncio.run(
            _serve(settings, config, demo=demo, demo_tokens=demo_tokens, host=host, port=port)
        )
    except ApiStartFailed as exc:
        err_console.print(f"error: {exc}", highlight=False)
        raise typer.Exit(1) from None


async def _serve(
    settings: Settings,
    config: Path | None,
    *,
    demo: bool,
    demo_tokens: int,
    host: str = "127.0.0.1",
    port: int = 0,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    async with contextlib.AsyncExitStack() as stack:
        universe = []
        if demo:
            sim = await stack.enter_async_context(
                run_simulator(
                    SimConfig.of_size(demo_tokens, profile="public", launch_rate=DEMO_LAUNCH_RATE)
                )
            )
            settings = demo_settings(settings, sim)
            universe = list(sim.world.initial_tokens)
            err_console.print(
                f"demo: simulated market at {sim.base_url} with {len(universe)} tokens and a "
                f"launch every {1 / DEMO_LAUNCH_RATE:g}s; scores go to {settings.storage.url}"
                + (
                    f"; the API is at http://{host}:{port}/api/v1/tokens, health at "
                    f"http://{host}:{port}/health"
                    if port
                    else ""
                )
                + "; Ctrl-C stops it",
                highlight=False,
            )
        service = Service(settings, config_path=config, universe=universe)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, service.request_reload)
        api: asyncio.Task[None] | None = None
        if port:
            api = asyncio.create_task(run_api(create_app(service, settings), host, port, stop))
            # the API dying (a taken port) stops the service too: they run as one
            api.add_done_callback(lambda _: stop.set())
        try:
            await service.run(stop)
            if api is not None:
                await api  # raises ApiStartFailed if that is why we stopped
        finally:
            if api is not None and not api.done():
                api.cancel()
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
