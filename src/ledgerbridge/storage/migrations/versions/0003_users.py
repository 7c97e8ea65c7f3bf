"""Dashboard users: people who sign in with an email and a password.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

- ``users``: one row per person; ``api_key_id`` is the account whose connections the person
  sees in the dashboard; ``password_hash`` is a salted scrypt hash (``storage.users``), never
  the password.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column(
            "api_key_id",
            sa.String(),
            sa.ForeignKey("api_keys.id", name="fk_users_api_key_id_api_keys"),
            nullable=False,
        ),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_index("ix_users_api_key_id", "users", ["api_key_id"])


def downgrade() -> None:
    op.drop_table("users")
