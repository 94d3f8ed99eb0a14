"""The writer's statements, built once per dialect from Core constructs.

Every write is an upsert that can only move a row forward in time, so the
order in which batches arrive (and replays of a batch) cannot change the end
state:

- ``facets``: two max-registers in one row. The attempt columns take the
  values with the greatest ``fetched_at``; the observation columns those with
  the greatest ``observed_at``. An older attempt can still bring a newer
  observation (an ok answer overtaken by a later error).
- ``latest_scores``: the greatest ``scored_at`` wins.
- ``score_history``, ``tokens``: insert once, ignore repeats.
- ``scans``: the greatest ``updated_at`` wins.
- ``alerts``: a firing newer than the row's ``last_fired`` is counted.

Ties keep the row already stored. The statements are compiled to SQL text
once and run with ``exec_driver_sql`` and positional tuples: SQLAlchemy's
per-row parameter processing would cost more than the database does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, case, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

from tokenradar.store.tables import alerts, facets, latest_scores, scans, score_history, tokens

FACET_ATTEMPT = ("state", "source", "fetched_at", "error_kind", "error_message")
FACET_OBSERVATION = ("observed_at", "payload", "symbol", "price_usd", "liquidity_usd", "rugged")


@dataclass(frozen=True, slots=True)
class Statements:
    """SQL text for one dialect; parameters are tuples in table column order
    (``tokens``: chain, address, first_seen_at; the id is assigned)."""

    dialect: str
    insert_tokens: str
    upsert_facets: str
    upsert_scores: str
    insert_history: str
    upsert_scans: str
    upsert_alerts: str


def build_statements(dialect: Dialect) -> Statements:
    name = dialect.name
    if name not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database dialect {name!r}")
    insert = sqlite.insert if name == "sqlite" else postgresql.insert

    def sql(stmt: Any, table: Table, columns: list[str] | None = None) -> str:
        expected = columns or [c.name for c in table.columns]
        compiled = stmt.compile(dialect=dialect, column_keys=expected)
        if list(compiled.positiontup) != expected:  # the tuples we pass rely on it
            raise AssertionError(f"{table.name}: parameters {compiled.positiontup} != {expected}")
        return str(compiled)

    ins = insert(tokens)
    insert_tokens = sql(
        ins.on_conflict_do_nothing(index_elements=["chain", "address"]),
        tokens,
        ["chain", "address", "first_seen_at"],
    )

    ins = insert(facets)
    x = ins.excluded
    cur = facets.c
    newer_attempt: ColumnElement[bool] = x.fetched_at > cur.fetched_at
    newer_observation: ColumnElement[bool] = and_(
        x.observed_at.is_not(None),
        or_(cur.observed_at.is_(None), x.observed_at > cur.observed_at),
    )
    set_: dict[str, Any] = {}
    for col in FACET_ATTEMPT:
        set_[col] = case((newer_attempt, x[col]), else_=cur[col])
    for col in FACET_OBSERVATION:
        set_[col] = case((newer_observation, x[col]), else_=cur[col])
    upsert_facets = sql(
        ins.on_conflict_do_update(
            index_elements=["token_id", "kind"],
            set_=set_,
            where=or_(newer_attempt, newer_observation),
        ),
        facets,
    )

    ins = insert(latest_scores)
    upsert_scores = sql(
        ins.on_conflict_do_update(
            index_elements=["token_id"],
            set_={c.name: ins.excluded[c.name] for c in latest_scores.c if c.name != "token_id"},
            where=ins.excluded.scored_at > latest_scores.c.scored_at,
        ),
        latest_scores,
    )

    ins = insert(score_history)
    insert_history = sql(
        ins.on_conflict_do_nothing(index_elements=["token_id", "scored_at"]), score_history
    )

    ins = insert(scans)
    upsert_scans = sql(
        ins.on_conflict_do_update(
            index_elements=["id"],
            set_={c.name: ins.excluded[c.name] for c in scans.c if c.name != "id"},
            where=ins.excluded.updated_at > scans.c.updated_at,
        ),
        scans,
    )

    ins = insert(alerts)
    x = ins.excluded
    upsert_alerts = sql(
        ins.on_conflict_do_update(
            index_elements=["dedup_key"],
            set_={
                "level": x.level,
                "message": x.message,
                "last_fired": x.last_fired,
                "first_fired": case(
                    (x.first_fired < alerts.c.first_fired, x.first_fired),
                    else_=alerts.c.first_fired,
                ),
                "count": alerts.c.count + x.count,
            },
            where=x.last_fired > alerts.c.last_fired,
        ),
        alerts,
    )
    return Statements(
        dialect=name,
        insert_tokens=insert_tokens,
        upsert_facets=upsert_facets,
        upsert_scores=upsert_scores,
        insert_history=insert_history,
        upsert_scans=upsert_scans,
        upsert_alerts=upsert_alerts,
    )
