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


bench_app.command("writer")(writer_command)
bench_app.command("scoring")(scoring_command)
bench_app.command("scoring-truth")(scoring_truth_command)
