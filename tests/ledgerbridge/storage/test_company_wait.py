"""A company's wait for QuickBooks' limits (`SyncStates.delay_all`): stored once on its
connection, never in its records' rows, and read by every question "what is due, and when",
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.sync_states import SyncStates

from .conftest import Owner, make_owner

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WAIT = T0 + timedelta(seconds=40)


def _clock() -> datetime:
    return T0


def _rows(db: Database) -> list[tuple[object, ...]]:
    with db.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("SELECT app_id, next_attempt_at, updated_at FROM sync_state ORDER BY id")
            )
        ]


def _wanted(db: Database, cid: str, count: int) -> None:
    with db.session() as session:
        states = SyncStates(session, clock=_clock)
        for n in range(count):
            states.want(cid, "customer", f"c-{n}", 1)


def test_a_company_wait_rewrites_none_of_its_records(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    _wanted(db, cid, 50)
    before = _rows(db)
    with db.session() as session:
        SyncStates(session).delay_all(cid, WAIT)
    assert _rows(db) == before  # a backlog of 20,000 was rewritten at each stop of the window


def test_nothing_of_a_waiting_company_is_due_before_its_wait_ends(
    db: Database, owner: Owner
) -> None:
    cid = owner.connection_id
    other = make_owner(db, "other").connection_id
    _wanted(db, cid, 3)
    _wanted(db, other, 2)
    with db.session() as session:
        SyncStates(session).delay_all(cid, WAIT)
    during, after = WAIT - timedelta(seconds=1), WAIT
    with db.session(readonly=True) as session:
        states = SyncStates(session)
        assert states.due(cid, during) == []
        assert states.count_due(cid, during) == 0
        assert states.next_due_at(cid) == WAIT
        assert states.due_connections(during) == {other}  # the other company is not held up
        assert [s.app_id for s in states.due(cid, after)] == ["c-0", "c-1", "c-2"]
        assert states.count_due(cid, after) == 3
        assert states.due_connections(after) == {cid, other}
        assert states.next_due_at(other) == T0


def test_the_later_of_two_waits_is_kept(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    _wanted(db, cid, 1)
    with db.session() as session:
        SyncStates(session).delay_all(cid, WAIT)
        SyncStates(session).delay_all(cid, WAIT - timedelta(seconds=30))
    with db.session(readonly=True) as session:
        assert SyncStates(session).next_due_at(cid) == WAIT


def test_a_record_retried_after_the_wait_keeps_its_own_time(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    _wanted(db, cid, 1)
    later = WAIT + timedelta(minutes=5)
    with db.session() as session:
        states = SyncStates(session, clock=_clock)
        states.finish(cid, "customer", "c-0", status="pending", next_attempt_at=later)
        states.delay_all(cid, WAIT)
    with db.session(readonly=True) as session:
        states = SyncStates(session)
        assert states.next_due_at(cid) == later
        assert states.due(cid, WAIT) == []


def test_records_waiting_for_their_company_are_not_stalled(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    _wanted(db, cid, 2)
    with db.session() as session:
        SyncStates(session).delay_all(cid, WAIT)
    with db.session(readonly=True) as session:
        states = SyncStates(session)
        assert states.stalled(cid, WAIT - timedelta(seconds=1)) == []
        assert states.stalling_connections(WAIT - timedelta(seconds=1)) == set()
        assert len(states.stalled(cid, WAIT)) == 2


def test_starting_fresh_forgets_the_old_company_wait(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    _wanted(db, cid, 1)
    with db.session() as session:
        SyncStates(session).delay_all(cid, WAIT)
        Connections(session).forget_company(cid)
    with db.session(readonly=True) as session:
        assert SyncStates(session).next_due_at(cid) == T0
