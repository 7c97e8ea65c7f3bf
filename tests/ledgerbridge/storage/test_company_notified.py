"""When a signed webhook last named a connection's company (`connections.notified_at`):
written for every connection of the named companies at once, at most once per `every`, read
by the sweep with the change cursors in one query, forgotten with the company; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.db import Database

from .conftest import Owner, make_owner

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _company(db: Database, owner: Owner, realm: str) -> None:
    with db.session() as session:
        connections = Connections(session)
        connections.set_company(owner.connection_id, realm, f"Company {realm}")
        connections.set_status(owner.connection_id, "active")


def _notified(db: Database) -> dict[str, datetime | None]:
    with db.session(readonly=True) as session:
        return {c.id: c.notified_at for c in Connections(session).all_connected()}


def _notify(db: Database, realms: list[str], at: datetime) -> int:
    with db.session() as session:
        return Connections(session).notified(realms, at, every=MINUTE)


def test_every_connection_of_the_named_companies_is_marked_at_once(db: Database) -> None:
    first, second, other = make_owner(db, "a"), make_owner(db, "b"), make_owner(db, "c")
    _company(db, first, "9001")
    _company(db, second, "9001")  # two apps' connections to one company
    _company(db, other, "9002")
    assert _notified(db) == dict.fromkeys(
        [first.connection_id, second.connection_id, other.connection_id]
    )

    assert _notify(db, ["9001", "9999"], T0) == 2
    assert _notified(db) == {
        first.connection_id: T0,
        second.connection_id: T0,
        other.connection_id: None,
    }
    assert _notify(db, [], T0) == 0


def test_a_burst_within_the_minute_writes_nothing_more(db: Database, owner: Owner) -> None:
    _company(db, owner, "9001")
    assert _notify(db, ["9001"], T0) == 1
    assert _notify(db, ["9001"], T0 + timedelta(seconds=30)) == 0
    assert _notify(db, ["9001"], T0 + MINUTE) == 0  # not older than the minute yet
    assert _notified(db) == {owner.connection_id: T0}
    later = T0 + MINUTE + timedelta(seconds=1)
    assert _notify(db, ["9001"], later) == 1
    assert _notified(db) == {owner.connection_id: later}


def test_the_sweeps_read_gives_each_connection_its_cursor(db: Database, owner: Owner) -> None:
    other = make_owner(db, "globex")
    _company(db, owner, "9001")
    _company(db, other, "9002")
    with db.session() as session:
        Connections(session).set_pulled(owner.connection_id, T0, T0 + MINUTE)
    _notify(db, ["9001"], T0)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with db.session(readonly=True) as session:
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            read = Connections(session).all_connected_with_cursors()
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        found = {c.id: (c.notified_at, cursor) for c, cursor in read}
        assert found == {owner.connection_id: (T0, T0), other.connection_id: (None, None)}
        assert [c for c, _ in read] == list(Connections(session).all_connected())
    assert len([s for s in statements if "FROM connections" in s]) == 1, statements


def test_start_fresh_forgets_when_the_company_was_notified(db: Database, owner: Owner) -> None:
    """The next company the connection signs in to has webhooks of its own, not yet seen."""
    _company(db, owner, "9001")
    _notify(db, ["9001"], T0)
    with db.session() as session:
        assert Connections(session).forget_company(owner.connection_id)
        stored = Connections(session).get_unscoped(owner.connection_id)
    assert stored is not None and stored.notified_at is None


def test_a_connection_another_transaction_holds_is_left_not_waited_for(
    db: Database, owner: Owner
) -> None:
    """On PostgreSQL a pull storing what it read holds the connection's row for as long as
    that takes; a notification meanwhile marks the company's other connections and leaves
    that one, answered at once (before, it waited for the pull: past Intuit's few seconds).
    SQLite has one writer at a time: there the notification waits as every write does."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("one writer at a time on SQLite: no row is held by another writer")
    busy, free = owner, make_owner(db, "globex")
    _company(db, busy, "9001")
    _company(db, free, "9001")
    with db.session() as holder:
        assert Connections(holder).lock(busy.connection_id)  # as a pull's store holds it
        assert _notify(db, ["9001"], T0) == 1
    assert _notified(db) == {busy.connection_id: None, free.connection_id: T0}
    assert _notify(db, ["9001"], T0 + timedelta(seconds=1)) == 1  # the next one marks it
    assert _notified(db)[busy.connection_id] == T0 + timedelta(seconds=1)
