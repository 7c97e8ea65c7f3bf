"""PostgreSQL only: concurrent transactions meet the guarantees the repositories promise."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ledgerbridge.storage.connections import Company, Connections
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.leases import Leases
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.web_connectors import WebConnectors
from tests.ledgerbridge.lock_waits import blocked_by

from .conftest import Owner, make_owner

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


def _waits_for(db: Database, pid: int) -> bool:
    """Whether some backend is blocked by the backend `pid`."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    with db.engine.connect() as connection:
        return bool(connection.execute(query, {"pid": pid}).scalar_one())


def test_event_appends_are_serialized_per_connection(db: Database, owner: Owner) -> None:
    """A reader polling `after=<last id>` cannot miss an event that commits late."""
    other = make_owner(db, "globex")
    with db.session() as first:
        first_id = Events(first).append(owner.connection_id, "a", {})
        with db.session() as second:  # same connection: waits for `first` to end
            second.execute(text("SET LOCAL lock_timeout = '50ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                Events(second).append(owner.connection_id, "b", {})
        with db.session() as third:  # another connection: not held up
            Events(third).append(other.connection_id, "c", {})
    with db.session() as fourth:
        assert Events(fourth).append(owner.connection_id, "d", {}) > first_id


def test_concurrent_first_upserts_of_one_record_both_succeed(db: Database, owner: Owner) -> None:
    results: list[int] = []
    failures: list[BaseException] = []

    def second_writer() -> None:
        try:
            with db.session() as session:
                results.append(Records(session).upsert(owner.connection_id, "item", "i-1", {}))
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    with db.session() as session:
        assert Records(session).upsert(owner.connection_id, "item", "i-1", {}) == 1
        me = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        thread = threading.Thread(target=second_writer)
        thread.start()
        _wait_until(lambda: _waits_for(db, me))  # its insert waits on ours, then finds the row
    thread.join()
    assert failures == []
    assert results == [1]


def test_a_change_waiting_for_another_is_stamped_after_it(db: Database, owner: Owner) -> None:
    """Two changes of one record: the one that waited for the other's lock reads its clock
    after that one commits, so the newer version never carries an older `updated_at` (a
    client paging the records by it would pass the change and never see it)."""
    cid = owner.connection_id
    with db.session() as session:
        Records(session).upsert(cid, "customer", "c-1", {"display_name": "A"})
    stamped: list[float] = []
    failures: list[BaseException] = []

    def clock() -> datetime:
        stamped.append(time.monotonic())
        return datetime.now(UTC)

    def waiting_writer() -> None:
        try:
            with db.session() as session:
                Records(session, clock=clock).upsert(cid, "customer", "c-1", {"display_name": "C"})
        except BaseException as failure:  # reported by the test's thread
            failures.append(failure)

    with db.session() as holder:
        Records(holder).upsert(cid, "customer", "c-1", {"display_name": "B"})
        pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        writer = threading.Thread(target=waiting_writer)
        writer.start()
        _wait_until(lambda: _waits_for(db, pid))
        released = time.monotonic()
    writer.join(10)
    assert not failures and not writer.is_alive()
    assert stamped and min(stamped) >= released
    with db.session() as session:
        stored = Records(session).get(cid, "customer", "c-1")
    assert stored is not None and stored.version == 3 and stored.data == {"display_name": "C"}


def test_two_holders_taking_a_lease_never_held_one_holds_it_the_other_is_told_busy(
    db: Database,
) -> None:
    """Two workers take a company's lease that nobody has held: both find no row and insert
    it. The second's insert waits for the first's, and once that commits it is told that
    someone holds the lease (False), rather than failing on the duplicate key (the job
    failing, the transaction left aborted)."""
    lease, ttl = "connection:c1", timedelta(minutes=5)
    answers: dict[str, bool] = {}
    failures: list[BaseException] = []

    def second_worker() -> None:
        try:
            with db.session() as session:
                leases = Leases(session)
                answers["two"] = leases.acquire(lease, "two", ttl)
                answers["two sees it held"] = leases.held(lease)  # its transaction goes on
        except BaseException as error:  # reported by the test's thread
            failures.append(error)

    with db.session() as first:
        answers["one"] = Leases(first).acquire(lease, "one", ttl)
        pid = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
        worker = threading.Thread(target=second_worker)
        worker.start()
        _wait_until(lambda: _waits_for(db, pid))  # the second's insert waits on ours
    worker.join(10)
    assert not worker.is_alive()
    assert failures == []
    assert answers == {"one": True, "two": False, "two sees it held": True}
    with db.session() as session:
        leases = Leases(session)
        assert not leases.acquire(lease, "two", ttl)
        assert leases.acquire(lease, "one", ttl)


def test_a_desktop_company_check_that_waited_for_start_fresh_sees_the_file_forgotten(
    db: Database, owner: Owner
) -> None:
    """A Desktop pass's check (`Connections.still_has`) waits for a Start fresh holding the
    connection's row, then finds the company file forgotten: read in the locking statement
    (joined), the Web Connector's row came as it was before the wait (read committed re-reads
    only the locked row) and the old file passed for the connection's."""
    cid = owner.connection_id
    with db.session() as session:
        connectors = WebConnectors(session)
        connectors.ensure(cid, "summit-books")
        connectors.set_company(
            cid,
            company_file=r"C:\Books\Summit.QBW",
            company_name="Summit",
            qbxml_version="13.0",
            closing_date=None,
        )
    old = Company.of(None, r"c:\books\summit.qbw")
    with db.session() as session:
        assert Connections(session).still_has(cid, old)
    found: list[bool] = []

    def check() -> None:
        with db.session() as session:
            found.append(Connections(session).still_has(cid, old))

    with db.session() as fresh:  # Start fresh's order: the Web Connector's row, the connection's
        WebConnectors(fresh).get(cid, lock=True)
        Connections(fresh).lock(cid)
        thread = threading.Thread(target=check)
        thread.start()
        blocked_by(db, fresh, thread)
        Connections(fresh).forget_company(cid)
        Connections(fresh).set_status(cid, "not_connected")
        WebConnectors(fresh).forget_company(cid)
    thread.join(30)
    assert found == [False]
