"""QuickBooks Desktop through the Web Connector: its credentials and sessions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

- ``web_connectors``: one per Desktop connection (``connections.environment`` "desktop"): the
  Web Connector's user name, its password as a salted scrypt hash (``storage.users``), the .qwc
  file's OwnerID and FileID, and what its sessions reported (company file, closing date, qbXML
  version, last seen, last error, progress).
- ``web_connector_sessions``: one per ticket handed out by ``authenticate``; only the SHA-256
  of the ticket is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = "connections.id"
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "web_connectors",
        sa.Column(
            "connection_id",
            sa.String(),
            sa.ForeignKey(
                _FK, name="fk_web_connectors_connection_id_connections", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("owner_id", sa.String(), nullable=False),
        sa.Column("file_id", sa.String(), nullable=False),
        sa.Column("company_file", sa.String(), nullable=True),
        sa.Column("company_name", sa.String(), nullable=True),
        sa.Column("qbxml_version", sa.String(), nullable=True),
        sa.Column("closing_date", sa.String(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("found", _JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("connection_id", name="pk_web_connectors"),
        sa.UniqueConstraint("username", name="uq_web_connectors_username"),
    )
    op.create_table(
        "web_connector_sessions",
        sa.Column("ticket_hash", sa.String(64), nullable=False),
        sa.Column(
            "connection_id",
            sa.String(),
            sa.ForeignKey(
                _FK, name="fk_web_connector_sessions_connection_id_connections", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("noops", sa.Integer(), nullable=False),
        sa.Column("pending", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("ticket_hash", name="pk_web_connector_sessions"),
    )
    op.create_index(
        "ix_web_connector_sessions_connection_id", "web_connector_sessions", ["connection_id"]
    )
    op.create_index(
        "ix_web_connector_sessions_expires_at", "web_connector_sessions", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_table("web_connector_sessions")
    op.drop_table("web_connectors")
