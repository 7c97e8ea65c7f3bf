"""Migrations: from an empty database to head, and the models agree with them."""

from __future__ import annotations

import threading

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ledgerbridge.storage.db import MIGRATIONS_DIR, Database, alembic_config
from ledgerbridge.storage.tables import Base

TABLES = {
    "api_keys",
    "connections",
    "tokens",
    "records",
    "sync_state",
    "links",
    "mirror",
    "history",
    "events",
    "audit",
    "rate_windows",
    "company_leases",
    "users",
    "user_sessions",
    "sign_in_tallies",
    "web_connectors",
    "web_connector_sessions",
    "desktop_requests",
    "desktop_actions",
}


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names()) - {"alembic_version"}


def test_migrate_from_empty_creates_every_table_at_head(empty_db: Database) -> None:
    assert _tables(empty_db) == set()
    empty_db.migrate()
    assert _tables(empty_db) == TABLES == set(Base.metadata.tables)
    with empty_db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0017"
    empty_db.migrate()  # at head already: nothing to do
    assert _tables(empty_db) == TABLES
    if empty_db.dialect == "sqlite":  # foreign keys are back on after migrating
        with empty_db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_concurrent_migrations_take_turns(empty_db: Database, database_url: str) -> None:
    """Two processes starting at once: one migrates, the other finds the schema at head."""
    other = Database(database_url)
    failures: list[BaseException] = []

    def migrate(database: Database) -> None:
        try:
            database.migrate()
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=migrate, args=(d,)) for d in (empty_db, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.dispose()
    assert failures == []
    assert _tables(empty_db) == TABLES


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        command.check(alembic_config(connection))  # `alembic check`: raises on any difference


def test_downgrade_to_base_and_back(empty_db: Database) -> None:
    empty_db.migrate()
    with empty_db.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert _tables(empty_db) == set()
    empty_db.migrate()
    assert _tables(empty_db) == TABLES


def test_migrations_ship_inside_the_package() -> None:
    assert MIGRATIONS_DIR.parent.name == "storage"
    assert {"env.py", "script.py.mako", "__init__.py"} <= {p.name for p in MIGRATIONS_DIR.iterdir()}
    assert (MIGRATIONS_DIR / "versions" / "0001_initial.py").is_file()
