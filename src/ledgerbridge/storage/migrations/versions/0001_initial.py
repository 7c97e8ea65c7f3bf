"""Initial schema: every table of docs/architecture.md ("Storage").

Revision ID: 0001
Revises:
Create Date: 2026-11-21

The types are spelled out here rather than imported from `tables.py`, so this revision keeps
creating the same schema whatever the models become.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _int(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _bool(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str, *, nullable: bool = False) -> sa.Column[object]:
    kind = sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )
    return sa.Column(name, kind, nullable=nullable)


def _connection_id(table: str) -> sa.Column[str]:
    return sa.Column(
        "connection_id",
        sa.String(),
        sa.ForeignKey(
            "connections.id", name=f"fk_{table}_connection_id_connections", ondelete="CASCADE"
        ),
        nullable=False,
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def _record_key(table: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(
        "connection_id", "type", "app_id", name=f"uq_{table}_connection_id_type_app_id"
    )


def upgrade() -> None:
    op.create_table(
        "api_keys",
        _text("id"),
        _text("name"),
        sa.Column("key_hash", sa.String(64), nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_table(
        "connections",
        _text("id"),
        sa.Column(
            "api_key_id",
            sa.String(),
            sa.ForeignKey("api_keys.id", name="fk_connections_api_key_id_api_keys"),
            nullable=False,
        ),
        _text("name"),
        _text("environment"),
        _text("realm_id", nullable=True),
        _text("company_name", nullable=True),
        _text("status"),
        _json("settings"),
        _json("mappings"),
        _text("oauth_state", nullable=True),
        _time("cdc_cursor", nullable=True),
        _time("last_pull_at", nullable=True),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_connections"),
        sa.UniqueConstraint("oauth_state", name="uq_connections_oauth_state"),
    )
    _index("connections", "api_key_id")
    _index("connections", "realm_id")
    op.create_table(
        "tokens",
        sa.Column(
            "connection_id",
            sa.String(),
            sa.ForeignKey(
                "connections.id", name="fk_tokens_connection_id_connections", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        _text("access_token"),
        _text("refresh_token"),
        _time("access_expires_at"),
        _time("refresh_expires_at"),
        _text("key_id"),
        _int("version"),
        sa.PrimaryKeyConstraint("connection_id", name="pk_tokens"),
    )
    op.create_table(
        "records",
        _id(),
        _connection_id("records"),
        _text("type"),
        _text("app_id"),
        _json("data"),
        _int("version"),
        _bool("deleted"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
        _record_key("records"),
    )
    _index("records", "connection_id", "updated_at", "type", "app_id")
    op.create_table(
        "sync_state",
        _id(),
        _connection_id("sync_state"),
        _text("type"),
        _text("app_id"),
        _text("status"),
        _json("problem", nullable=True),
        _text("blocked_by_type", nullable=True),
        _text("blocked_by_id", nullable=True),
        _int("attempts"),
        _time("next_attempt_at", nullable=True),
        _text("pending_request_id", nullable=True),
        _text("pending_operation", nullable=True),
        _json("pending_body", nullable=True),
        _int("desired_version"),
        _int("synced_version", nullable=True),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_sync_state"),
        _record_key("sync_state"),
    )
    _index("sync_state", "connection_id", "status", "next_attempt_at")
    _index("sync_state", "connection_id", "blocked_by_type", "blocked_by_id")
    op.create_table(
        "links",
        _id(),
        _connection_id("links"),
        _text("type"),
        _text("app_id"),
        _text("qbo_entity"),
        _text("qbo_id"),
        _text("sync_token"),
        _text("doc_number", nullable=True),
        _json("pushed", nullable=True),
        _time("linked_at"),
        sa.PrimaryKeyConstraint("id", name="pk_links"),
        _record_key("links"),
        sa.UniqueConstraint(
            "connection_id", "qbo_entity", "qbo_id", name="uq_links_connection_id_qbo_entity_qbo_id"
        ),
    )
    op.create_table(
        "mirror",
        _id(),
        _connection_id("mirror"),
        _text("qbo_entity"),
        _text("qbo_id"),
        _text("sync_token"),
        _bool("active"),
        _text("name_key", nullable=True),
        _text("email_key", nullable=True),
        _text("doc_number", nullable=True),
        _text("sku", nullable=True),
        _text("parent_id", nullable=True),
        _json("data"),
        _bool("deleted"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_mirror"),
        sa.UniqueConstraint(
            "connection_id",
            "qbo_entity",
            "qbo_id",
            name="uq_mirror_connection_id_qbo_entity_qbo_id",
        ),
    )
    for key in ("name_key", "email_key", "doc_number", "sku"):
        _index("mirror", "connection_id", "qbo_entity", key)
    op.create_table(
        "history",
        _id(),
        _connection_id("history"),
        _text("type"),
        _text("app_id"),
        _time("at"),
        _text("kind"),
        _text("request_id", nullable=True),
        _json("detail", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_history"),
    )
    _index("history", "connection_id", "type", "app_id", "at")
    op.create_table(
        "events",
        _id(),
        _connection_id("events"),
        _text("type"),
        _json("payload"),
        _time("created_at"),
        _time("delivered_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    _index("events", "connection_id", "id")
    op.create_table(
        "audit",
        _id(),
        _text("connection_id", nullable=True),
        _text("actor"),
        _text("action"),
        _text("record_type", nullable=True),
        _text("record_id", nullable=True),
        _json("before", nullable=True),
        _json("after", nullable=True),
        _time("at"),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    _index("audit", "connection_id", "at")
    op.create_table(
        "rate_windows",
        _text("realm_id"),
        _time("window_start"),
        _int("requests"),
        _int("batches"),
        sa.PrimaryKeyConstraint("realm_id", "window_start", name="pk_rate_windows"),
    )
    op.create_table(
        "company_leases",
        _text("realm_id"),
        _text("holder"),
        _time("expires_at"),
        sa.PrimaryKeyConstraint("realm_id", name="pk_company_leases"),
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; children before parents.
    for table in (
        "company_leases",
        "rate_windows",
        "audit",
        "events",
        "history",
        "mirror",
        "links",
        "sync_state",
        "records",
        "tokens",
        "connections",
        "api_keys",
    ):
        op.drop_table(table)
