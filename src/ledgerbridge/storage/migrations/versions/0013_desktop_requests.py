"""QuickBooks Desktop: the qbXML requests of a connection's work, between the pass and the
Web Connector's sessions.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

- ``desktop_requests``: one per qbXML request of a Desktop connection (``storage.
  desktop_requests``): queued by the pass (in whichever process runs it), handed to a Web
  Connector session in the web process, its answer kept; a write's key is its request id, so
  a write asked again answers the kept answer, and a lost answer is known as lost.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desktop_requests",
        sa.Column(
            "connection_id",
            sa.String(),
            sa.ForeignKey(
                "connections.id",
                name="fk_desktop_requests_connection_id_connections",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("document", sa.String(), nullable=False),
        sa.Column("answer", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("connection_id", "key", name="pk_desktop_requests"),
    )
    op.create_index("ix_desktop_requests_answered_at", "desktop_requests", ["answered_at"])
    op.create_index(
        "ix_desktop_requests_next", "desktop_requests", ["connection_id", "state", "seq"]
    )


def downgrade() -> None:
    op.drop_table("desktop_requests")
