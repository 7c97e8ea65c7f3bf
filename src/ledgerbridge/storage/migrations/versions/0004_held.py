"""Records held back from automatic pushes by the connection's ``auto_push`` setting.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

- ``sync_state.held``: the record's type is not in ``auto_push``, so the change the app sent
  waits for a push request (a bulk resync, the retry action, a record that needs it, or the
  setting taking the type in); a held record is not due work. Existing rows are not held.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as table:
        table.add_column(sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as table:
        table.drop_column("held")
