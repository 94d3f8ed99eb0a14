"""``tokenradar scan``: a one-off scan with a live per-lane progress display.

Every token given is accounted for: ``complete``, ``partial`` (with which facets
are missing and why) or ``failed`` (with why). Ctrl-C stops waiting and prints
what is done (the rest shows as ``interrupted``). The exit code is non-zero
only when nothing at all could be scanned (1), or for bad input (2).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tokenradar.cli import app, err_console
from tokenradar.cli.scan_output import OutputFormat, ranked, render_csv, render_json, render_table
from tokenradar.domain import FacetKind, TokenRef
from tokenradar.errors import InvalidAddress, InvalidInput
from tokenradar.flow.scan import ResultStatus, TokenResult, parse_kinds
from tokenradar.scoring.present import explain_table, rank_key
from tokenradar.service import Radar, RadarScan, ScanOutcome
from tokenradar.service.results import EndpointCount, ScanStats, SimulatorSummary
from tokenradar.settings import Settings, load_settings
from tokenradar.simulator import SimConfig, SimulatedMarket, run_simulator
from tokenradar.simulator.pointing import pointed_at

ALL_FACETS = ",".join(k.value for k in FacetKind)


def read_tokens(
    addresses: Sequence[str], file: Path | None, *, max_reported: int = 20
) -> list[TokenRef]:
    """Validate every address (``chain:addr`` or bare) before anything is sent.

    ``file`` (``-`` = stdin) holds one address a line, ``#`` starts a comment,
    and a byte-order mark at the start is not part of the first address. Every
    invalid line is reported in one InvalidAddress, as ``file:line: why``: the
    first ``max_reported`` of them, then how many more.
    """
    tokens = [TokenRef.parse(a) for a in addresses]
    if file is None:
        return tokens
    try:
        # utf-8-sig: editors on Windows start the file with a byte-order mark
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"--file: cannot read {file}: {exc}") from exc
    bad: list[str] = []
    for lineno, line in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            tokens.append(TokenRef.parse(entry))
        except InvalidAddress as exc:
            bad.append(f"{file}:{lineno}: {exc}")
    if len(bad) == 1:
        raise InvalidAddress(bad[0])
    if bad:
        shown = [f"  {b}" for b in bad[:max_reported]]
        if len(bad) > max_reported:
            shown.append(f"  … and {len(bad) - max_reported} more")
        raise InvalidAddress("\n".join([f"{file}: {len(bad)} invalid addresses", *shown]))
    return tokens


#: ``settings`` with every provider pointed at the in-process simulated market
demo_settings = pointed_at


@contextlib.asynccontextmanager
async def _maybe_demo(demo: int | None) -> AsyncIterator[SimulatedMarket | None]:
    if demo is None:
        yield None
        return
    async with run_simulator(SimConfig.of_size(demo, profile="public")) as sim:
        yield sim


class _Display:
    """Per lane: done/total, requests/s, 429s, breaker state (on stderr)."""

    def __init__(self, radar: Radar, scan: RadarScan, console: Console) -> None:
        self.radar = radar
        self.scan = scan
        self.progress = Progress(
            TextColumn("{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rps]:>5.1f} req/s"),
            TextColumn("429s {task.fields[r429]:<3}"),
            TextColumn("{task.fields[breaker]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        lanes = {s.kind: s for s in radar.stats().engine.lanes}
        self.tasks: dict[FacetKind, TaskID] = {}
        for kind in scan.kinds:
            lane = lanes.get(kind)
            name = lane.name if lane is not None else f"{kind.value} (disabled)"
            self.tasks[kind] = self.progress.add_task(name, total=0, rps=0.0, r429=0, breaker="")

    def update(self) -> None:
        lanes = {s.kind: s for s in self.radar.stats().engine.lanes}
        for kind, task in self.tasks.items():
            p = self.scan.progress[kind]
            lane = lanes.get(kind)
            fields: dict[str, Any] = {}
            if lane is not None:
                fields = {
                    "rps": lane.requests_per_s,
                    "r429": lane.rate_limited,
                    "breaker": lane.breaker.value,
                }
            self.progress.update(task, completed=p.done, total=max(p.total, 1), **fields)


async def _scan(
    tokens: list[TokenRef],
    kinds: tuple[FacetKind, ...],
    settings: Settings,
    *,
    demo: int | None,
    show_progress: bool,
    max_time: float | None,
    render: Callable[[ScanOutcome], None],
) -> ScanOutcome:
    """Fetch, score and persist through the Radar; ``render`` the outcome as soon as it
    is scored and saved (or the save gave up), before the store closes."""
    async with _maybe_demo(demo) as sim:
        if sim is not None:
            settings = demo_settings(settings, sim)
            world = sim.world.initial_tokens  # exactly --demo N: no pool launched since
            solana = sum(t.chain == "solana" for t in world)
            err_console.print(f"demo: {solana} Solana + {len(world) - solana} EVM tokens")
            tokens = [*world, *tokens]
        async with Radar(settings, kinds=kinds) as radar:
            scan = await radar.scan(tokens, kinds, max_time=max_time)

            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, scan.interrupt)
            display = _Display(radar, scan, Console(stderr=True)) if show_progress else None
            try:
                if display is not None:
                    display.progress.start()
                try:
                    await scan.wait(on_tick=display.update if display is not None else None)
                finally:
                    if display is not None:
                        display.update()
                        display.progress.stop()
                # once facets, scores and the scan row are durable, or the grace ran out;
                # a signal meanwhile changes nothing: the wait is already bounded
                outcome = await scan.finish()
                if sim is not None:
                    stats = outcome.stats.model_copy(update={"simulator": _sim_summary(sim)})
                    outcome = dataclasses.replace(outcome, stats=stats)
                render(outcome)
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    with contextlib.suppress(NotImplementedError, RuntimeError):
                        loop.remove_signal_handler(sig)
    return outcome


def _sim_summary(sim: SimulatedMarket) -> SimulatorSummary:
    """The simulated server's own counters: what it received and how many it refused."""
    endpoints = sim.stats()["endpoints"]
    return SimulatorSummary(
        requests=sum(e["received"] for e in endpoints.values()),
        rate_limited=sum(e["rate_limited"] for e in endpoints.values()),
        endpoints={
            name: EndpointCount(requests=e["received"], rate_limited=e["rate_limited"])
            for name, e in endpoints.items()
        },
    )


def write_stdout(text: str) -> None:
    """Write all of ``text`` to stdout, however often a signal interrupts the write.

    A Ctrl-C while a big document is written into a full pipe made the buffered
    text stream drop everything past the first 64 KiB without a word; writing the
    bytes ourselves keeps going after each partial write.
    """
    sys.stdout.flush()
    data = memoryview(text.encode("utf-8"))
    fd = sys.stdout.fileno()
    while data:
        data = data[os.write(fd, data) :]


def check_out_path(out: Path | None) -> None:
    """Refuse an ``--out`` that cannot be written before anything is scanned."""
    if out is None:
        return
    if out.is_dir():
        raise InvalidInput(f"--out: {out} is a directory")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidInput(f"--out: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise InvalidInput(f"--out: {out} is not writable")


@app.command("scan")
def scan(
    addresses: Annotated[
        list[str] | None,
        typer.Argument(
            help="Token addresses: base58 (Solana) or chain:0x… (EVM).", show_default=False
        ),
    ] = None,
    *,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", "-f", help="Read addresses from a file (one per line; '-' = stdin)."
        ),
    ] = None,
    demo: Annotated[
        int | None,
        typer.Option(
            help="Start the simulated market in-process with N tokens and scan them all.", min=1
        ),
    ] = None,
    facets: Annotated[str, typer.Option(help="Facets to fetch, comma-separated.")] = ALL_FACETS,
    config: Annotated[Path | None, typer.Option(help="TOML settings file.")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.TABLE,
    out: Annotated[
        Path | None, typer.Option(help="Write the output to this file instead of stdout.")
    ] = None,
    progress: Annotated[
        bool, typer.Option(help="Show the live per-lane progress (stderr).")
    ] = True,
    max_time: Annotated[
        float | None,
        typer.Option(
            help="Stop waiting after this many seconds; the rest is reported missing.", min=0
        ),
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option(help="Also print this token's check-by-check score breakdown (scans it)."),
    ] = None,
) -> None:
    """Scan tokens once: market, mint, holders, risk and price, as fast as the limits allow."""
    kinds = parse_kinds(facets)
    settings = load_settings(config)
    check_out_path(out)
    tokens = read_tokens(addresses or [], file)
    target = TokenRef.parse(explain) if explain else None
    if target is not None and target not in tokens:
        tokens.append(target)
    if not tokens and demo is None:
        raise InvalidInput("nothing to scan: give addresses, --file FILE or --demo N")

    def render(outcome: ScanOutcome) -> None:
        _render(outcome, kinds, fmt=fmt, out=out, target=target)
        if outcome.storage_error is not None:
            err_console.print(f"[red]error:[/red] results not saved: {outcome.storage_error}")

    outcome = asyncio.run(
        _scan(
            tokens, kinds, settings, demo=demo, show_progress=progress, max_time=max_time,
            render=render,
        )
    )  # fmt: skip
    if outcome.stats.complete + outcome.stats.partial == 0 or outcome.storage_error is not None:
        raise typer.Exit(code=1)


def _render(
    outcome: ScanOutcome,
    kinds: Sequence[FacetKind],
    *,
    fmt: OutputFormat,
    out: Path | None,
    target: TokenRef | None,
) -> None:
    stats, scores = outcome.stats, outcome.scores
    order = sorted(ranked(outcome.results), key=lambda r: rank_key(scores[r.token]))
    rows = outcome.views(order)
    if fmt is OutputFormat.TABLE:
        with contextlib.ExitStack() as stack:
            fh = stack.enter_context(out.open("w", encoding="utf-8")) if out else None
            # a file or a pipe gets a wide table rather than rich's 80-column default
            wide = fh is not None or not sys.stdout.isatty()
            console = Console(file=fh, width=200) if wide else Console()
            render_table(order, rows, kinds, console)
            console.print(_summary(stats))
            if target is not None:
                console.print(explain_table(scores[target], symbol=_symbol(order, target)))
    else:
        text = (
            render_json(rows, stats) + "\n" if fmt is OutputFormat.JSON else render_csv(rows, kinds)
        )
        if out is None:
            write_stdout(text)
        else:
            out.write_text(text, encoding="utf-8")
        if target is not None:  # stdout holds the JSON/CSV: the breakdown goes to stderr
            Console(stderr=True, width=200).print(
                explain_table(scores[target], symbol=_symbol(order, target))
            )


def _symbol(results: Sequence[TokenResult], token: TokenRef) -> str | None:
    return next((r.symbol for r in results if r.token == token), None)


def _summary(stats: ScanStats) -> str:
    counts = ", ".join(f"{getattr(stats, s.value)} {s.value}" for s in ResultStatus)
    tail = " (interrupted: the rest was not waited for)" if stats.interrupted else ""
    return f"{stats.tokens} tokens in {stats.elapsed_s:.1f}s: {counts}{tail}"
