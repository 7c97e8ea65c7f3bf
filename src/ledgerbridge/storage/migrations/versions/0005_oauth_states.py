"""Connect links that expire, are used once and belong to the browser that started them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

- ``connections.oauth_state`` now holds the SHA-256 (hex) of the state sent to Intuit, not the
  state itself, so a copy of the database completes no sign-in.
- ``connections.oauth_binding``: the SHA-256 of the secret kept in the cookie of the browser
  that started connecting (NULL while a link handed to a script is not yet opened).
- ``connections.oauth_expires_at``: when the state stops being accepted.

States of sign-ins under way when this runs were stored in the clear and are bound to no
browser: they are cleared (the person starts connecting again). Downgrading clears them too.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE connections SET oauth_state = NULL"))
    with op.batch_alter_table("connections") as table:
        table.add_column(sa.Column("oauth_binding", sa.String(), nullable=True))
        table.add_column(sa.Column("oauth_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute(sa.text("UPDATE connections SET oauth_state = NULL"))
    with op.batch_alter_table("connections") as table:
        table.drop_column("oauth_expires_at")
        table.drop_column("oauth_binding")
