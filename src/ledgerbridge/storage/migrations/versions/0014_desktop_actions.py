"""QuickBooks Desktop: one-click fixes waiting for the Web Connector's next session.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

- ``desktop_actions``: one per record of a Desktop connection whose fix needs QuickBooks
  itself (link, reactivate, renumber, move back, align an account, refresh), or per
  connection (an empty record type and id) for a refresh of the QuickBooks lists: kept until
  a Web Connector session carries it out (``storage.desktop_actions``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desktop_actions",
        sa.Column(
            "connection_id",
            sa.String(),
            sa.ForeignKey(
                "connections.id",
                name="fk_desktop_actions_connection_id_connections",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("record_type", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column(
            "params",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("audit_id", sa.BigInteger(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "connection_id", "record_type", "record_id", name="pk_desktop_actions"
        ),
    )


def downgrade() -> None:
    op.drop_table("desktop_actions")
