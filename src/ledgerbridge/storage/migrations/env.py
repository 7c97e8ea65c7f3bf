"""Alembic environment: runs the migrations on the connection the caller provides.

`ledgerbridge.storage.db.alembic_config(connection)` puts the connection in
`config.attributes["connection"]`; there is no URL, no ini file and no offline mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ledgerbridge.storage.tables import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _connection() -> Connection:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "ledgerbridge migrations run on a connection: use Database.migrate() or "
            "ledgerbridge.storage.db.alembic_config(connection)"
        )
    return connection


if context.is_offline_mode():
    raise RuntimeError("ledgerbridge migrations have no offline (SQL script) mode")
run_migrations(_connection())
