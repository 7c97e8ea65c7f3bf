"""What a Desktop connection's Web Connector did lately, for its health: refused passwords in a
row and when, and how its last session ended.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

- ``web_connectors.refusals``: the Web Connector's calls in a row whose password was refused
  (``authenticate`` answered "nvu" for the connection's user name); 0 after a good one.
- ``web_connectors.refused_at``: the last of them.
- ``web_connectors.last_outcome`` and ``last_outcome_at``: how the last session ended
  (``core.web_connector.OUTCOMES``: done, nothing_to_do, busy, password_refused, failed).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_connectors") as batch:
        batch.add_column(
            sa.Column("refusals", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_outcome", sa.String(), nullable=True))
        batch.add_column(sa.Column("last_outcome_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_connectors") as batch:
        batch.drop_column("last_outcome_at")
        batch.drop_column("last_outcome")
        batch.drop_column("refused_at")
        batch.drop_column("refusals")
