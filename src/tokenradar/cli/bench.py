"""``tokenradar bench ...``: benchmarks that report figures against physical limits.

Each benchmark registers one subcommand on :data:`bench_app`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import orjson
import typer

from tokenradar.bench.budget import run_budget_bench
from tokenradar.bench.scoring import scoring_command
from tokenradar.bench.scoring_truth import scoring_truth_command
from tokenradar.bench.writer import writer_command
from tokenradar.cli import app

bench_app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Benchmarks (measurements, not tests).",
)
app.add_typer(bench_app, name="bench")


@bench_app.command("budget")
def budget(
    *,
    tokens: Annotated[int, typer.Option(help="Tokens in the simulated market.", min=1)] = 10_000,
    seconds: Annotated[float, typer.Option(help="Length of each run.", min=1)] = 60.0,
    json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Market tokens/s under DexScreener's public limit, against the naive design."""
    result = asyncio.run(run_budget_bench(tokens, seconds))
    if json:
        typer.echo(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(result.report())


@bench_app.command("freshness")
def freshness(
    *,
    tokens: Annotated[int, typer.Option(help="Tokens in the universe.", min=10)] = 10_000,
    hot: Annotated[int, typer.Option(help="Of which hot.", min=0)] = 200,
    warm: Annotated[int, typer.Option(help="Of which warm (the rest are cold).", min=0)] = 2_000,
    minutes: Annotated[float, typer.Option(help="Length of the run.", min=0.5)] = 10.0,
    json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """How fresh serve keeps each tier under the public limits, against what they allow."""
    from tokenradar.bench.freshness import run_freshness_bench  # noqa: PLC0415 - heavy

    if hot + warm > tokens:
        raise typer.BadParameter("--hot plus --warm must not exceed --tokens")
    result = asyncio.run(run_freshness_bench(tokens, hot, warm, minutes))
    if json:
        typer.echo(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(result.report())


@bench_app.command("launch")
def launch(
    *,
    tokens: Annotated[int, typer.Option(help="Tokens refreshing meanwhile.", min=10)] = 10_000,
    seconds: Annotated[float, typer.Option(help="Length of the run.", min=5)] = 60.0,
    launch_rate: Annotated[float, typer.Option(help="Launches per second.", min=0.01)] = 0.5,
    json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Detection -> stored decision latency of new pools while a universe refreshes."""
    from tokenradar.bench.launch import run_launch_bench  # noqa: PLC0415 - heavy

    result = asyncio.run(run_launch_bench(tokens, seconds, launch_rate))
    if json:
        typer.echo(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(result.report())


bench_app.command("writer")(writer_command)
bench_app.command("scoring")(scoring_command)
bench_app.command("scoring-truth")(scoring_truth_command)
