"""Server-side dashboard sessions, failed sign-ins counted for every process, last sign-in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

- ``user_sessions``: one row per signed-in dashboard session, keyed by the SHA-256 of the id
  the cookie carries; deleting the row ends the session at once (sign-out, a new password, the
  user deleted, which cascades).
- ``sign_in_tallies``: failed sign-ins per account, client address and address's share of an
  account (``core.sign_in``), keyed by the SHA-256 of the subject; an account's ``locked_at``.
- ``users.last_sign_in_at``: when the user last signed in; existing users have none yet.

Sessions signed before this revision were signed cookies only: they have no row, so everyone
signs in again once after the upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "user_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column(
            "user_id",
            sa.String(),
            sa.ForeignKey("users.id", name="fk_user_sessions_user_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_user_sessions"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_index("ix_user_sessions_expires_at", "user_sessions", ["expires_at"])
    op.create_table(
        "sign_in_tallies",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("account", sa.String(64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("subject", name="pk_sign_in_tallies"),
    )
    op.create_index("ix_sign_in_tallies_account", "sign_in_tallies", ["account"])
    op.create_index("ix_sign_in_tallies_last_failed_at", "sign_in_tallies", ["last_failed_at"])


def downgrade() -> None:
    op.drop_table("sign_in_tallies")
    op.drop_table("user_sessions")
    with op.batch_alter_table("users") as table:
        table.drop_column("last_sign_in_at")
