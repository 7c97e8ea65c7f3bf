"""tests/ledgerbridge/lock_waits.py: `blocked_by` returns once the thread it is given waits for
the holder's lock, not when some other session does."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from ledgerbridge.storage import tables
from ledgerbridge.storage.db import Database
from tests.ledgerbridge.lock_waits import blocked_by
from tests.ledgerbridge.storage.conftest import make_owner


def test_another_session_waiting_for_the_holder_is_not_the_thread_waited_for(
    db: Database,
) -> None:
    owner = make_owner(db)
    rename = (
        update(tables.Connection)
        .where(tables.Connection.id == owner.connection_id)
        .values(name="renamed")
    )

    def write() -> None:
        with db.session() as session:
            session.execute(rename)

    go = threading.Event()
    idle = threading.Thread(target=go.wait, args=(60,), name="idle")  # never asks for a lock
    other = threading.Thread(target=write, name="other")
    with db.session() as holder:
        holder.execute(rename)  # the row's lock (SQLite: the write lock) held
        other.start()
        idle.start()
        try:
            blocked_by(db, holder, other)  # `other` waits for the holder
            with pytest.raises(AssertionError, match="idle never waited"):
                blocked_by(db, holder, idle, timeout=0.5)  # `idle` does not
        finally:
            go.set()
    other.join(60)
    idle.join(60)
    assert not other.is_alive() and not idle.is_alive()
