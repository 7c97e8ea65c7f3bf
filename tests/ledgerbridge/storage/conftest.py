"""Fixtures: every storage scenario runs on SQLite and on PostgreSQL.

A database is, on SQLite, a file in a temporary directory; on PostgreSQL, a schema
`lb_test_<random>` of the server's `test` database (the `search_path` of every connection points
at it), dropped at the end. `db` is migrated once per module and emptied after each test;
`empty_db` is a new database with no schema, for the migration tests.

PostgreSQL cases carry the `postgres` marker and fail, rather than skip, when the server is down
(`make services` starts it). `LEDGERBRIDGE_TEST_POSTGRES` overrides the server URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.db import Database, default_sqlite_url
from ledgerbridge.storage.tables import Base
from tests.ledgerbridge.postgres import private_schema
from tests.ledgerbridge.sqlite_template import SqliteTemplate

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs the PostgreSQL server at 127.0.0.1:5432 (make services)"
    )


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def _fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database of the backend, removed afterwards."""
    if backend == "sqlite":
        directory.mkdir()
        yield default_sqlite_url(directory)
        return
    with private_schema("lb_test") as url:
        yield url


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database private to this test."""
    with _fresh_database(backend, tmp_path / "fresh") as url:
        yield url


@pytest.fixture
def empty_db(database_url: str) -> Iterator[Database]:
    """A database with no schema yet, private to this test."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def migrated_url(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: SqliteTemplate,
) -> Iterator[str]:
    """A database migrated to head, shared by the tests of a module (`db` empties it): on
    SQLite a copy of the session's migrated template."""
    directory = tmp_path_factory.mktemp("storage") / "migrated"
    if backend == "sqlite":
        directory.mkdir()
        yield sqlite_template.copy_into(directory)
        return
    with _fresh_database(backend, directory) as url:
        database = Database(url)
        database.migrate()
        database.dispose()
        yield url


@pytest.fixture
def db(migrated_url: str) -> Iterator[Database]:
    """A database at head with no rows; every row a test writes is deleted after it."""
    database = Database(migrated_url)
    yield database
    database.dispose()  # the test's connections go first: nothing holds a lock any more
    with database.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    database.dispose()


@dataclass(frozen=True)
class Owner:
    """An API key and one of its connections."""

    api_key_id: str
    connection_id: str


def make_owner(db: Database, name: str = "acme") -> Owner:
    with db.session() as session:
        key_id, _ = ApiKeys(session).create(name)
        connection = Connections(session).create(key_id, f"{name} books", "emulator")
    return Owner(key_id, connection.id)


@pytest.fixture
def owner(db: Database) -> Owner:
    return make_owner(db)
