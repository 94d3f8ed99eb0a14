"""Rendering a scan as a table, JSON or CSV, from the typed result views.

The rows are :class:`~tokenradar.service.results.TokenResultView` (the
scan-result contract, built in one place); this module only lays them out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import orjson
from rich import box
from rich.console import Console
from rich.table import Table

from tokenradar.domain import FacetKind, MarketData, PriceData
from tokenradar.flow.scan import ResultStatus, TokenResult
from tokenradar.service.results import ScanStats, TokenResultView

Row = dict[str, Any]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


_STATUS_ORDER = {ResultStatus.COMPLETE: 0, ResultStatus.PARTIAL: 1, ResultStatus.FAILED: 2}
_STATE_STYLE = {"ok": "green", "absent": "yellow", "error": "red", "missing": "red", "n/a": "dim"}


def _liquidity(result: TokenResult) -> float:
    market = result.facet(FacetKind.MARKET)
    if market is not None and isinstance(market.data, MarketData):
        return market.data.liquidity_usd or 0.0
    return 0.0


def ranked(results: Sequence[TokenResult]) -> list[TokenResult]:
    """Complete first, then partial, then failed; most liquid first within each."""
    return sorted(results, key=lambda r: (_STATUS_ORDER[r.status], -_liquidity(r)))


def stats_dict(stats: ScanStats) -> Row:
    """The ``stats`` object of the JSON output (``simulator`` only in a demo)."""
    return stats.model_dump(exclude={"simulator"} if stats.simulator is None else None)


def render_json(rows: Sequence[TokenResultView], stats: ScanStats) -> str:
    return orjson.dumps(
        {"results": [r.model_dump() for r in rows], "stats": stats_dict(stats)},
        option=orjson.OPT_INDENT_2,
    ).decode()


def _flat(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


def render_csv(views: Sequence[TokenResultView], kinds: Sequence[FacetKind]) -> str:
    """One flat line per token: identity, status, per facet state and age, then the rest."""
    rows = [v.model_dump() for v in views]
    fixed = ["chain", "address", "symbol", "status"]
    per_facet = [f"{k.value}_{field}" for k in kinds for field in ("state", "age_s")]
    extra = sorted({key for row in rows for key in row} - {*fixed, "facets", "errors"})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*fixed, *per_facet, *extra, "errors"])
    for row in rows:
        facets = row.get("facets", {})
        cells: list[object] = [_flat(row.get(k)) for k in fixed]
        for k in kinds:
            f = facets.get(k.value, {})
            cells += [_flat(f.get("state")), _flat(f.get("age_s"))]
        cells += [_flat(row.get(k)) for k in extra]
        cells.append("; ".join(f"{e['facet']}: {e['reason']}" for e in row.get("errors", [])))
        writer.writerow(cells)
    return out.getvalue()


def _short(address: str) -> str:
    return address if len(address) <= 14 else f"{address[:6]}…{address[-6:]}"


def _money(value: float | None) -> str:
    if value is None:
        return "-"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"${value / size:.1f}{unit}"
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:.4g}"


_DECISION_STYLE = {"buy_candidate": "green", "watch": "yellow", "avoid": "red"}


def _score_cells(row: Row) -> list[str]:
    """score, decision, tier, confidence (blank when the row carries no score fields)."""
    if "decision" not in row:
        return ["", "", "", ""]
    score = "-" if row.get("score") is None else f"{row['score']:.0f}"
    decision = row["decision"]
    return [
        score,
        f"[{_DECISION_STYLE.get(decision, '')}]{decision}[/]",
        row.get("tier") or "-",
        f"{row.get('confidence', 0.0):.2f}",
    ]


def _price(result: TokenResult, market: MarketData | None) -> float | None:
    """The market's price, else Jupiter's (a ``--facets price`` scan has no market)."""
    if market is not None and market.price_usd is not None:
        return market.price_usd
    price = result.facet(FacetKind.PRICE)
    if price is not None and isinstance(price.data, PriceData):
        return price.data.price_usd
    return None


def render_table(
    results: Sequence[TokenResult],
    views: Sequence[TokenResultView],
    kinds: Sequence[FacetKind],
    console: Console,
) -> None:
    rows = [v.model_dump() for v in views]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    any_missing = any(row["errors"] for row in rows)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("token", no_wrap=True)
    table.add_column("symbol", no_wrap=True, max_width=12)
    table.add_column("status", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    table.add_column("tier", no_wrap=True)
    table.add_column("conf", justify="right", no_wrap=True)
    for k in kinds:
        table.add_column(k.value, no_wrap=True)
    table.add_column("liquidity", justify="right", no_wrap=True)
    table.add_column("price", justify="right", no_wrap=True)
    if any_missing:
        table.add_column("missing", overflow="fold")
    for i, (result, row) in enumerate(zip(results, rows, strict=True), 1):
        market = result.facet(FacetKind.MARKET)
        data = market.data if market is not None and isinstance(market.data, MarketData) else None
        cells = []
        for k in kinds:
            f = row["facets"][k.value]
            state = f["state"]
            label = f"{state} {f['age_s']:.0f}s" if state == "ok" and f["age_s"] else state
            cells.append(f"[{_STATE_STYLE.get(state, '')}]{label}[/]")
        status = row["status"]
        colour = {"complete": "green", "partial": "yellow", "failed": "red"}[status]
        table.add_row(
            str(i),
            f"{row['chain']}:{_short(row['address'])}",
            row.get("symbol") or "-",
            f"[{colour}]{status}[/]",
            *_score_cells(row),
            *cells,
            _money(data.liquidity_usd if data else None),
            _money(_price(result, data)),
            *(
                ["; ".join(f"{e['facet']}: {e['reason']}" for e in row["errors"])]
                if any_missing
                else []
            ),
        )
    console.print(table)
