"""Scans record the process running them, so rows of dead processes can be abandoned.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # nullable: rows written before this revision have no known owner (judged by heartbeat)
    op.add_column("scans", sa.Column("owner", JSON))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("owner")
