"""The mirror read in name order: QuickBooks' lists paged for the app and the Link picker.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

- ``ix_mirror_connection_id_qbo_entity_name_key_id`` replaces
  ``ix_mirror_connection_id_qbo_entity_name_key``: the same look-ups by name (its first three
  columns), and a page of a list in (name, id) order read along the index, without a sort of
  the whole list (`storage.mirror_lists`).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "ix_mirror_connection_id_qbo_entity_name_key"
_NEW = "ix_mirror_connection_id_qbo_entity_name_key_id"


def upgrade() -> None:
    op.create_index(_NEW, "mirror", ["connection_id", "qbo_entity", "name_key", "id"])
    op.drop_index(_OLD, table_name="mirror")


def downgrade() -> None:
    op.create_index(_OLD, "mirror", ["connection_id", "qbo_entity", "name_key"])
    op.drop_index(_NEW, table_name="mirror")
