"""Actions and setup checks: per-record overrides, the connection's checklist.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

- ``sync_state.overrides``: values an action gave a record's fields in QuickBooks (a
  differentiated name, a shortened reference, a new number, a date in the open period), each
  kept with the app value it replaced so a later change in the app takes over again;
- ``connections.checks`` / ``checks_at``: the last setup checklist and when it was made.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(name: str) -> sa.Column[object]:
    kind = sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )
    return sa.Column(name, kind, nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as table:
        table.add_column(_json("overrides"))
    with op.batch_alter_table("connections") as table:
        table.add_column(_json("checks"))
        table.add_column(sa.Column("checks_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections") as table:
        table.drop_column("checks_at")
        table.drop_column("checks")
    with op.batch_alter_table("sync_state") as table:
        table.drop_column("overrides")
