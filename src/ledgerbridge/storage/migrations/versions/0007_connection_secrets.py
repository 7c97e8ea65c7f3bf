"""A connection's own problem, and its events secret encrypted at rest.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

- ``connections.problem``: a problem of the whole connection that its status does not say,
  as ``{code, message, params}`` (today: the secret keys no longer open its stored tokens);
  NULL when there is none. Existing rows have none.
- ``connections.events_secret``: the secret that signs the connection's events, encrypted with
  the secret keys as the tokens are. It lived in plain text in ``settings.events_secret``; the
  upgrade encrypts each one into the new column and removes it from the settings, when the
  migration is given the keys (`Database(url, sealer=...)`, as every ledgerbridge command
  does). Without them the plain secrets stay where they were: the engine reads both, and moves
  one the next time that connection's settings are written. The downgrade puts them back in
  plain text (it needs the keys that encrypted them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
_connections = sa.table(
    "connections",
    sa.column("id", sa.String()),
    sa.column("settings", _JSON),
    sa.column("events_secret", sa.String()),
)


def _sealer() -> Any:
    """What encrypts and decrypts (`ledgerbridge.crypto.TokenCipher`), when given."""
    return context.config.attributes.get("sealer")


def upgrade() -> None:
    with op.batch_alter_table("connections") as table:
        table.add_column(sa.Column("problem", _JSON, nullable=True))
        table.add_column(sa.Column("events_secret", sa.String(), nullable=True))
    sealer = _sealer()
    if sealer is None:
        return  # read in plain text until the settings are next written (see above)
    bind = op.get_bind()
    rows = bind.execute(sa.select(_connections.c.id, _connections.c.settings)).all()
    for connection_id, settings in rows:
        plain = (settings or {}).get("events_secret")
        if not isinstance(plain, str):
            continue
        bind.execute(
            sa.update(_connections)
            .where(_connections.c.id == connection_id)
            .values(
                settings={k: v for k, v in settings.items() if k != "events_secret"},
                events_secret=sealer.encrypt(plain),
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_connections.c.id, _connections.c.settings, _connections.c.events_secret).where(
            _connections.c.events_secret.is_not(None)
        )
    ).all()
    sealer = _sealer()
    if rows and sealer is None:
        raise RuntimeError(
            "going back before 0007 writes the events secrets in plain text again, which needs "
            "the secret keys that encrypted them: migrate with LEDGERBRIDGE_SECRET_KEYS set"
        )
    for connection_id, settings, sealed in rows:
        bind.execute(
            sa.update(_connections)
            .where(_connections.c.id == connection_id)
            .values(settings={**(settings or {}), "events_secret": sealer.decrypt(sealed)})
        )
    with op.batch_alter_table("connections") as table:
        table.drop_column("events_secret")
        table.drop_column("problem")
