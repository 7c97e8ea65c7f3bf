"""The Desktop fixes waiting for the Web Connector (`storage.desktop_actions`), on SQLite and
PostgreSQL: asking again for a record replaces its fix in one statement (the replaced fix's
audit entry completed as replaced), and a fix is removed only as it was read."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.desktop_actions import DesktopActions
from ledgerbridge.storage.history import History
from tests.ledgerbridge.storage.conftest import Owner

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _entry(db: Database, cid: str, action: str = "link") -> int:
    with db.session() as session:
        return Audit(session).add(cid, "ann", action, record_type="customer", record_id="c")


def _put(db: Database, cid: str, entry: int, qbo_id: str, at: datetime = T0) -> None:
    with db.session() as session:
        DesktopActions(session, clock=lambda: at).put(
            cid, "customer", "c", "link", {"quickbooks_id": qbo_id}, "ann", entry
        )


def test_asking_again_replaces_the_fix_and_completes_the_replaced_audit_entry(
    db: Database, owner: Owner
) -> None:
    cid = owner.connection_id
    first, second = _entry(db, cid), _entry(db, cid)
    _put(db, cid, first, "80-1")
    _put(db, cid, second, "80-2", T0 + timedelta(seconds=5))
    with db.session() as session:
        (kept,) = DesktopActions(session).waiting(cid)
        replaced = Audit(session).get(first)
        newer = Audit(session).get(second)
    assert (kept.audit_id, kept.params, kept.queued_at) == (
        second,
        {"quickbooks_id": "80-2"},
        T0 + timedelta(seconds=5),
    )
    assert replaced is not None and replaced.after is not None
    assert replaced.after["replaced_by"] == second
    assert newer is not None and newer.after is None  # still waiting


def test_a_fix_is_removed_only_as_it_was_read(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    first, second = _entry(db, cid), _entry(db, cid)
    _put(db, cid, first, "80-1")
    with db.session() as session:
        (read,) = DesktopActions(session).waiting(cid)
    _put(db, cid, second, "80-2")  # asked again while a session works (same moment even)
    with db.session() as session:
        store = DesktopActions(session)
        assert not store.current(read)
        assert not store.remove_fix(read)  # the newer fix stays
        (newer,) = store.waiting(cid)
        assert newer.audit_id == second and store.current(newer)
        assert store.remove_fix(newer)
        assert store.waiting(cid) == []


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


def _waits_for(db: Database, pid: int) -> bool:
    query = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    with db.engine.connect() as connection:
        return bool(connection.execute(query, {"pid": pid}).scalar_one())


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_processes_asking_a_fix_for_one_record_at_once_both_succeed_the_first_replaced(
    db: Database, owner: Owner
) -> None:
    cid = owner.connection_id
    first, second = _entry(db, cid), _entry(db, cid)
    failures: list[BaseException] = []

    def other_process() -> None:
        try:
            _put(db, cid, second, "80-2", T0 + timedelta(seconds=1))
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    with db.session() as session:
        DesktopActions(session, clock=lambda: T0).put(
            cid, "customer", "c", "link", {"quickbooks_id": "80-1"}, "ann", first
        )
        me = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        thread = threading.Thread(target=other_process)
        thread.start()
        _wait_until(lambda: _waits_for(db, me))  # its insert waits on ours, then finds the row
    thread.join()
    assert failures == []
    with db.session() as session:
        (kept,) = DesktopActions(session).waiting(cid)
        replaced = Audit(session).get(first)
    assert kept.audit_id == second and kept.params == {"quickbooks_id": "80-2"}
    # the first fix, replaced before any session read it, is not left open for ever
    assert replaced is not None and replaced.after is not None
    assert replaced.after["replaced_by"] == second


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_fix_asked_again_while_a_session_completes_the_older_one_deadlocks_neither(
    db: Database, owner: Owner
) -> None:
    """The session removes the fix it carried out, then writes the record's history (a row
    referring to the connection); a person asks again meanwhile (the connection's row held,
    then the fix's row waited for). Holding the connection's row must not stop the session's
    history insert (its foreign key check), or each waits for the other."""
    cid = owner.connection_id
    first, second = _entry(db, cid), _entry(db, cid)
    _put(db, cid, first, "80-1")
    with db.session() as session:
        (read,) = DesktopActions(session).waiting(cid)
    failures: list[BaseException] = []

    def person_asking_again() -> None:
        try:
            _put(db, cid, second, "80-2", T0 + timedelta(seconds=1))
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    with db.session() as session:
        assert DesktopActions(session).remove_fix(read)
        me = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        thread = threading.Thread(target=person_asking_again)
        thread.start()
        _wait_until(lambda: _waits_for(db, me))  # the person's upsert waits on our delete
        History(session).add(cid, "customer", "c", "action:link", detail={"by": "ann"})
    thread.join()
    assert failures == []
    with db.session() as session:
        (kept,) = DesktopActions(session).waiting(cid)
    assert kept.audit_id == second
