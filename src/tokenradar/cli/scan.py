"""``tokenradar scan``: a one-off scan with a live per-lane progress display.

Every token given is accounted for: ``complete``, ``partial`` (with which facets
are missing and why) or ``failed`` (with why). Ctrl-C stops waiting and prints
what is done (the rest shows as ``interrupted``). The exit code is non-zero
only when nothing at all could be scanned (1), or for bad input (2).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
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

from tokenradar.cli import app
from tokenradar.cli.scan_output import OutputFormat, ranked, render_csv, render_json, render_table
from tokenradar.domain import FacetKind, Score, TokenRef
from tokenradar.errors import InvalidAddress, InvalidInput
from tokenradar.flow.engine import Engine
from tokenradar.flow.scan import ScanJob, ScanStatus, TokenResult, parse_kinds
from tokenradar.scoring.present import explain_table, rank_key, score_fields
from tokenradar.scoring.scorer import Scorer
from tokenradar.settings import Settings, load_settings
from tokenradar.simulator import SimConfig, SimulatedMarket, run_simulator
from tokenradar.store import open_store
from tokenradar.store.recorder import ScanRecorder

ALL_FACETS = ",".join(k.value for k in FacetKind)


def read_tokens(addresses: Sequence[str], file: Path | None) -> list[TokenRef]:
    """Validate every address (``chain:addr`` or bare) before anything is sent."""
    tokens = [TokenRef.parse(a) for a in addresses]
    if file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"--file: cannot read {file}: {exc}") from exc
        for lineno, line in enumerate(text.splitlines(), 1):
            entry = line.split("#", 1)[0].strip()
            if not entry:
                continue
            try:
                tokens.append(TokenRef.parse(entry))
            except InvalidAddress as exc:
                raise InvalidAddress(f"{file}:{lineno}: {exc}") from None
    return tokens


def demo_settings(settings: Settings, sim: SimulatedMarket) -> Settings:
    """``settings`` with every provider pointed at the in-process simulated market."""
    p = settings.providers
    providers = p.model_copy(
        update={
            "dexscreener": p.dexscreener.model_copy(update={"base_url": sim.dexscreener_url}),
            "solana_rpc": p.solana_rpc.model_copy(
                update={"url": sim.rpc_url, "ws_url": sim.ws_url}
            ),
            "rugcheck": p.rugcheck.model_copy(update={"base_url": sim.rugcheck_url}),
            "jupiter": p.jupiter.model_copy(update={"base_url": sim.jupiter_url}),
        }
    )
    return settings.model_copy(update={"providers": providers})


@contextlib.asynccontextmanager
async def _maybe_demo(demo: int | None) -> AsyncIterator[SimulatedMarket | None]:
    if demo is None:
        yield None
        return
    async with run_simulator(SimConfig(tokens=demo, profile="public")) as sim:
        yield sim


class _Display:
    """Per lane: done/total, requests/s, 429s, breaker state (on stderr)."""

    def __init__(self, engine: Engine, job: ScanJob, console: Console) -> None:
        self.engine = engine
        self.job = job
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
        self.tasks: dict[FacetKind, TaskID] = {}
        for kind in job.kinds:
            lane = engine.lanes.get(kind)
            name = lane.spec.name if lane is not None else f"{kind.value} (disabled)"
            self.tasks[kind] = self.progress.add_task(name, total=0, rps=0.0, r429=0, breaker="")

    def update(self) -> None:
        for kind, task in self.tasks.items():
            p = self.job.progress[kind]
            lane = self.engine.lanes.get(kind)
            fields: dict[str, Any] = {}
            if lane is not None:
                s = lane.stats()
                fields = {
                    "rps": s.requests_per_s,
                    "r429": s.rate_limited,
                    "breaker": s.breaker.value,
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
) -> tuple[list[TokenResult], dict[str, Any], dict[TokenRef, Score]]:
    """Fetch, score and persist; returns results, stats and the score of every token."""
    started = time.monotonic()
    async with _maybe_demo(demo) as sim, open_store(settings.storage) as store:
        if sim is not None:
            settings = demo_settings(settings, sim)
            tokens = [*sim.world.tokens, *tokens]
        async with Engine(settings, kinds=kinds) as engine:
            recorder = await ScanRecorder.begin(store, total=len(tokens), kinds=kinds)
            engine.subscribe(recorder.facets)  # persisted as they land
            job = engine.start_scan(tokens, kinds)
            interrupted = asyncio.Event()

            def stop() -> None:
                interrupted.set()
                job.interrupt()

            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop)
            display = _Display(engine, job, Console(stderr=True)) if show_progress else None
            try:
                if display is not None:
                    display.progress.start()
                deadline = None if max_time is None else time.monotonic() + max_time
                while not job.done:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(job.wait(), 0.25)
                    if display is not None:
                        display.update()
                    if deadline is not None and time.monotonic() >= deadline:
                        job.interrupt(f"not fetched within --max-time {max_time:g}s")
            finally:
                if display is not None:
                    display.update()
                    display.progress.stop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    with contextlib.suppress(NotImplementedError, RuntimeError):
                        loop.remove_signal_handler(sig)
            results = job.results()
            stats = _stats(engine, job, results, started, interrupted.is_set())
            stats["scan_id"] = recorder.record.id
        now = time.time()
        scanned = {r.token: {k: f for k in kinds if (f := r.facet(k))} for r in results}
        scores = {s.token: s for s in Scorer(settings.scoring).score_batch(scanned, now)}
        await recorder.scores(scores.values())
        await recorder.finish(stats)  # returns once facets, scores and the scan row are durable
        if sim is not None:
            stats["simulator"] = _sim_summary(sim)
    return results, stats, scores


def _stats(
    engine: Engine, job: ScanJob, results: list[TokenResult], started: float, interrupted: bool
) -> dict[str, Any]:
    counts = {s.value: 0 for s in ScanStatus}
    for r in results:
        counts[r.status.value] += 1
    lanes = {}
    for lane_stats in engine.stats().lanes:
        p = job.progress.get(lane_stats.kind)
        lanes[lane_stats.name] = {
            "done": p.done if p else 0,
            "total": p.total if p else 0,
            "requests": lane_stats.requests,
            "rate_limited": lane_stats.rate_limited,
            "batches": lane_stats.batches,
            "mean_batch": round(lane_stats.mean_batch, 2) if lane_stats.mean_batch else None,
            "retries": lane_stats.retries,
            "errors": lane_stats.errors,
            "breaker": lane_stats.breaker.value,
        }
    return {
        "tokens": len(results),
        **counts,
        "interrupted": interrupted,
        "elapsed_s": round(time.monotonic() - started, 3),
        "facets": [k.value for k in job.kinds],
        "lanes": lanes,
    }


def _sim_summary(sim: SimulatedMarket) -> dict[str, Any]:
    """The simulated server's own counters: what it received and how many it refused."""
    endpoints = sim.stats()["endpoints"]
    return {
        "requests": sum(e["received"] for e in endpoints.values()),
        "rate_limited": sum(e["rate_limited"] for e in endpoints.values()),
        "endpoints": {
            name: {"requests": e["received"], "rate_limited": e["rate_limited"]}
            for name, e in endpoints.items()
        },
    }


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
    tokens = read_tokens(addresses or [], file)
    target = TokenRef.parse(explain) if explain else None
    if target is not None and target not in tokens:
        tokens.append(target)
    if not tokens and demo is None:
        raise InvalidInput("nothing to scan: give addresses, --file FILE or --demo N")
    results, stats, scores = asyncio.run(
        _scan(tokens, kinds, settings, demo=demo, show_progress=progress, max_time=max_time)
    )
    now = time.time()
    order = sorted(ranked(results), key=lambda r: rank_key(scores[r.token]))
    rows = [{**r.as_dict(now), **score_fields(scores[r.token])} for r in order]
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
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
        if target is not None:  # stdout holds the JSON/CSV: the breakdown goes to stderr
            Console(stderr=True, width=200).print(
                explain_table(scores[target], symbol=_symbol(order, target))
            )
    if stats["complete"] + stats["partial"] == 0:
        raise typer.Exit(code=1)


def _symbol(results: Sequence[TokenResult], token: TokenRef) -> str | None:
    return next((r.symbol for r in results if r.token == token), None)


def _summary(stats: dict[str, Any]) -> str:
    counts = ", ".join(f"{stats[s.value]} {s.value}" for s in ScanStatus)
    tail = " (interrupted: the rest was not waited for)" if stats["interrupted"] else ""
    return f"{stats['tokens']} tokens in {stats['elapsed_s']:.1f}s: {counts}{tail}"
