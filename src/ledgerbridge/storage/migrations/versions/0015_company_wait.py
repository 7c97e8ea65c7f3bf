"""A company's wait for QuickBooks' limits, stored once on its connection.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

- ``connections.wait_until``: no record of the connection is due before this moment (QuickBooks
  answered 429, or the company's window is full: ``SyncStates.delay_all``). Before, the wait was
  written into every due record's ``sync_state.next_attempt_at``: a company with 20,000 records
  waiting rewrote 20,000 rows at each of its window's stops. Existing per-record waits stay as
  they are (they end within minutes).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as table:
        table.add_column(sa.Column("wait_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections") as table:
        table.drop_column("wait_until")
