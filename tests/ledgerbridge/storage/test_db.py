"""Database: URLs, SQLite pragmas, sessions, and concurrent writers on SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from ledgerbridge.storage import tables
from ledgerbridge.storage.db import Database, default_sqlite_url
from ledgerbridge.storage.records import Records

from .conftest import Owner


def test_postgresql_urls_use_psycopg_and_nothing_connects_on_creation() -> None:
    for url in ("postgresql://nobody@127.0.0.1:1/none", "postgres://nobody@127.0.0.1:1/none"):
        database = Database(url)  # port 1: any connection attempt would fail
        assert database.dialect == "postgresql"
        assert database.engine.url.drivername == "postgresql+psycopg"
        database.dispose()


def test_unsupported_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL"):
        Database("mysql://root:secret@localhost/db")


def test_default_sqlite_url_points_into_the_data_directory(tmp_path: Path) -> None:
    url = default_sqlite_url(tmp_path)
    assert url == f"sqlite:///{tmp_path.resolve()}/ledgerbridge.db"
    database = Database(url)
    assert database.dialect == "sqlite"
    assert "secret" not in repr(Database("postgresql://u:secret@h/d"))
    database.dispose()


def test_sqlite_pragmas_hold_on_every_connection(tmp_path: Path) -> None:
    database = Database(default_sqlite_url(tmp_path))
    first, second = database.engine.raw_connection(), database.engine.raw_connection()
    try:
        for connection in (first, second):
            cursor = connection.cursor()
            pragmas = []
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous"):
                cursor.execute(f"PRAGMA {name}")
                (value,) = cursor.fetchone() or (None,)
                pragmas.append(value)
            cursor.close()
            assert pragmas == ["wal", 30_000, 1, 1]  # synchronous 1 is NORMAL
    finally:
        first.close()
        second.close()
        database.dispose()


def test_session_commits_on_success_and_rolls_back_on_error(db: Database, owner: Owner) -> None:
    with db.session() as session:
        Records(session).upsert(owner.connection_id, "customer", "kept", {"n": "1"})
    with pytest.raises(RuntimeError), db.session() as session:
        Records(session).upsert(owner.connection_id, "customer", "lost", {"n": "2"})
        raise RuntimeError("boom")
    with db.session(readonly=True) as session:
        app_ids = session.scalars(select(tables.Record.app_id)).all()
    assert app_ids == ["kept"]


def test_readonly_session_refuses_writes(db: Database, owner: Owner) -> None:
    with pytest.raises(DBAPIError), db.session(readonly=True) as session:
        Records(session).upsert(owner.connection_id, "customer", "c-1", {})
    with db.session() as session:  # the connection goes back to the pool writable
        assert Records(session).upsert(owner.connection_id, "customer", "c-1", {}) == 1


def test_sessions_alternating_on_one_pooled_connection_keep_their_kind(
    db: Database, owner: Owner
) -> None:
    """SQLite sets query_only only when a pooled connection changes kind: each session still
    gets the kind it asked for, in any order, and after the pool's connections are renewed."""
    for _ in range(2):
        with db.session() as session:
            Records(session).upsert(owner.connection_id, "customer", "c-1", {})
        for _ in range(2):
            with pytest.raises(DBAPIError), db.session(readonly=True) as session:
                Records(session).upsert(owner.connection_id, "customer", "c-2", {})
        db.dispose()
    with db.session() as session:
        assert Records(session).upsert(owner.connection_id, "customer", "c-2", {}) == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_readonly_session_reads_while_a_writer_holds_the_lock(
    db: Database, owner: Owner
) -> None:
    with db.session() as writer:
        Records(writer).upsert(owner.connection_id, "customer", "c-1", {"n": "1"})
        with db.session(readonly=True) as reader:
            assert Records(reader).get(owner.connection_id, "customer", "c-1") is None
    with db.session(readonly=True) as reader:
        assert Records(reader).get(owner.connection_id, "customer", "c-1") is not None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("shared", [True, False], ids=["one-engine", "two-engines"])
def test_sqlite_concurrent_writers_wait_instead_of_failing(
    db: Database, owner: Owner, migrated_url: str, shared: bool
) -> None:
    """Read-then-write transactions from two threads: no "database is locked", no lost update."""
    rounds = 60
    other = db if shared else Database(migrated_url)
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(database: Database, name: str) -> None:
        try:
            start.wait()
            for n in range(rounds):
                with database.session() as session:
                    Records(session).upsert(
                        owner.connection_id, "customer", "shared", {"by": name, "n": str(n)}
                    )
                with database.session() as session:
                    Records(session).upsert(owner.connection_id, "customer", f"{name}-{n}", {})
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [
        threading.Thread(target=writer, args=(db, "a")),
        threading.Thread(target=writer, args=(other, "b")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not shared:
        other.dispose()
    assert failures == []
    with db.session(readonly=True) as session:
        shared_record = Records(session).get(owner.connection_id, "customer", "shared")
        count = session.scalar(text("SELECT count(*) FROM records"))
    assert shared_record is not None
    assert shared_record.version == 2 * rounds  # every upsert changed the data
    assert count == 1 + 2 * rounds
