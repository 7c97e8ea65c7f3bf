"""Connections: when a signed webhook last named the connection's company.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

- ``connections.notified_at``: the moment a signed notification from Intuit last named the
  connection's company (an echo of the engine's own write counts: it proves the company's
  webhooks reach ledgerbridge). Written once a minute at most (``Connections.notified``). The
  periodic reads (the jobs' sweep, the embedded dispatcher) read a company notified within the
  last day only when its last read is an hour old (``core.periodic_reads``). Existing connections:
  NULL (never notified, read by every sweep as before, until their next webhook).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("notified_at")
