"""Connections: the company generation, bumped by each Start fresh.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

- ``connections.company_generation``: how many times the connection started fresh, part of its
  company's identity (``storage.connections.Company``): a pass begun before a Start fresh
  stores nothing, and queues no QuickBooks Desktop request, after it, even where the company
  looks the same before and after (a Desktop file not yet known). Existing connections: 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(
            sa.Column(
                "company_generation", sa.Integer(), nullable=False, server_default=sa.text("0")
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("company_generation")
