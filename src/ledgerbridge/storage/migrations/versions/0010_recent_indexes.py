"""What happened lately, read along an index: the overview's "changed in QuickBooks since
yesterday" and its first-pull time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

- ``ix_history_connection_id_at``: a connection's history since a moment (the index by record
  starts with type and app id, so such a query read the connection's whole history, which only
  grows).
- ``ix_mirror_connection_id_updated_at``: the mirror's objects written since a moment, and the
  earliest write (the first pull).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_history_connection_id_at", "history", ["connection_id", "at"])
    op.create_index("ix_mirror_connection_id_updated_at", "mirror", ["connection_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_mirror_connection_id_updated_at", table_name="mirror")
    op.drop_index("ix_history_connection_id_at", table_name="history")
