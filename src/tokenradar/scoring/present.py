"""Scores for people: ranking and the ``--explain`` table.

The JSON/CSV fields of a score are built in :mod:`tokenradar.service.results`::

    rows.sort(key=rank_key)                    # best first, unknown last
    console.print(explain_table(score))        # one token's breakdown
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from tokenradar.domain import CheckState, CheckValue, Decision, Score

_STATE_STYLE = {CheckState.PASS: "green", CheckState.FAIL: "red", CheckState.UNKNOWN: "yellow"}
_DECISION_STYLE = {
    Decision.BUY_CANDIDATE: "bold green",
    Decision.WATCH: "yellow",
    Decision.AVOID: "bold red",
}


def rank_key(row: Score | dict[str, Any]) -> tuple[bool, float]:
    """Sort key: highest score first, tokens without a score last."""
    value = row.score if isinstance(row, Score) else row.get("score")
    return (value is None, -(value or 0.0))


def _value_text(value: CheckValue) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, str) and len(value) > 16:
        return value[:6] + "…" + value[-4:]
    return str(value) if value != "" else "—"


def explain_table(s: Score, symbol: str | None = None) -> Table:
    """Every check of one token: state, value, source, age, points and reason."""
    head = f"{symbol or ''} {s.token}".strip()
    score = "—" if s.score is None else f"{s.score:.1f}"
    safety = "—" if s.safety is None else f"{s.safety:.1f}"
    momentum = "—" if s.momentum is None else f"{s.momentum:.1f}"
    table = Table(
        title=f"{head}\nscore {score} (safety {safety}, momentum {momentum}) · "
        f"{s.decision.value} · tier {s.tier.value} · confidence {s.confidence:.2f}",
        title_style=_DECISION_STYLE[s.decision],
    )
    for column, justify in (
        ("check", "left"),
        ("state", "left"),
        ("value", "right"),
        ("source", "left"),
        ("age", "right"),
        ("points", "right"),
        ("reason", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for c in s.checks:
        name = c.name + (" (gate)" if c.gate else "")
        age = "—" if c.age_s is None else f"{c.age_s:,.0f}s"
        table.add_row(
            name,
            Text(c.state.value, style=_STATE_STYLE[c.state]),
            _value_text(c.value),
            c.source.value if c.source is not None else "—",
            age,
            f"{c.points:g}/{c.max_points:g}",
            c.reason,
        )
    return table
