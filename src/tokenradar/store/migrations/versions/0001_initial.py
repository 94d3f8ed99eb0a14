"""The initial schema: tokens, facets, scores, history, scans, alerts, outcomes.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chain", sa.String(32), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("first_seen_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
        sa.UniqueConstraint("chain", "address", name="uq_tokens_chain_address"),
    )
    op.create_table(
        "facets",
        sa.Column("token_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("fetched_at", sa.Float, nullable=False),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("error_message", sa.Text),
        sa.Column("observed_at", sa.Float),
        sa.Column("payload", JSON),
        sa.Column("symbol", sa.String(64)),
        sa.Column("price_usd", sa.Float),
        sa.Column("liquidity_usd", sa.Float),
        sa.Column("rugged", sa.Boolean),
        sa.PrimaryKeyConstraint("token_id", "kind", name="pk_facets"),
        _fk("facets"),
    )
    op.create_table(
        "latest_scores",
        sa.Column("token_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("scored_at", sa.Float, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("safety", sa.Float),
        sa.Column("momentum", sa.Float),
        sa.Column("tier", sa.String(8), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("checks", JSON, nullable=False),
        sa.Column("price_usd", sa.Float),
        sa.Column("liquidity_usd", sa.Float),
        sa.PrimaryKeyConstraint("token_id", name="pk_latest_scores"),
        _fk("latest_scores"),
    )
    op.create_index("ix_latest_scores_score", "latest_scores", ["score"])
    op.create_table(
        "score_history",
        sa.Column("token_id", sa.Integer, nullable=False),
        sa.Column("scored_at", sa.Float, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("safety", sa.Float),
        sa.Column("momentum", sa.Float),
        sa.Column("tier", sa.String(8), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("price_usd", sa.Float),
        sa.Column("liquidity_usd", sa.Float),
        sa.PrimaryKeyConstraint("token_id", "scored_at", name="pk_score_history"),
        _fk("score_history"),
    )
    op.create_index("ix_score_history_scored_at", "score_history", ["scored_at"])
    op.create_table(
        "scans",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("params", JSON, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("complete", sa.Integer, nullable=False),
        sa.Column("partial", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scans"),
    )
    op.create_index("ix_scans_requested_at", "scans", ["requested_at"])
    op.create_table(
        "alerts",
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("first_fired", sa.Float, nullable=False),
        sa.Column("last_fired", sa.Float, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("dedup_key", name="pk_alerts"),
    )
    op.create_index("ix_alerts_last_fired", "alerts", ["last_fired"])
    op.create_table(
        "outcomes",
        sa.Column("token_id", sa.Integer, nullable=False),
        sa.Column("horizon_s", sa.Integer, nullable=False),
        sa.Column("scored_at", sa.Float, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("tier", sa.String(8), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("price_then", sa.Float),
        sa.Column("liquidity_then", sa.Float),
        sa.Column("observed_at", sa.Float, nullable=False),
        sa.Column("price_after", sa.Float),
        sa.Column("liquidity_after", sa.Float),
        sa.Column("change_pct", sa.Float),
        sa.Column("rugged", sa.Boolean, nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("recorded_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("token_id", "horizon_s", "scored_at", name="pk_outcomes"),
        _fk("outcomes"),
    )
    op.create_index("ix_outcomes_horizon_s_scored_at", "outcomes", ["horizon_s", "scored_at"])
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_store_meta"),
    )


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["token_id"], ["tokens.id"], name=f"fk_{table}_token_id_tokens", ondelete="CASCADE"
    )


def downgrade() -> None:
    for table in (
        "store_meta",
        "outcomes",
        "alerts",
        "scans",
        "score_history",
        "latest_scores",
        "facets",
        "tokens",
    ):
        op.drop_table(table)
