"""The QuickBooks object an app record is to be linked to instead of created.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

- ``sync_state.adopt_qbo_id``: the QuickBooks id the app named when it sent the record
  (``"link": {"quickbooks_id": ...}``); the push pass links the record to that object instead
  of creating one, then clears it. NULL for every existing row (nothing to adopt).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as table:
        table.add_column(sa.Column("adopt_qbo_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as table:
        table.drop_column("adopt_qbo_id")
