"""Held sync states (the connection's auto_push leaves the type out): stored, not due until
released, on SQLite and PostgreSQL; migration 0004 adds the flag, not held, to existing rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect, text

from ledgerbridge.storage.db import Database, alembic_config
from ledgerbridge.storage.sync_states import SyncStates

from .conftest import Owner

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=1)


def _clock() -> datetime:
    return T0


def _due(db: Database, cid: str) -> list[tuple[str, str]]:
    with db.session(readonly=True) as session:
        return [(s.type, s.app_id) for s in SyncStates(session).due(cid, LATER)]


def test_a_held_record_is_pending_but_not_due_until_released(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        states = SyncStates(session, clock=_clock)
        states.want(cid, "customer", "c-1", 1, hold=True)
        states.want(cid, "invoice", "inv-1", 1, hold=False)
        states.want(cid, "vendor", "v-1", 1)  # a new record is not held
    with db.session(readonly=True) as session:
        states = SyncStates(session)
        held = states.get(cid, "customer", "c-1")
        assert held is not None and (held.status, held.held) == ("pending", True)
        assert [s.app_id for s in states.all(cid, held=True)] == ["c-1"]
        assert [s.app_id for s in states.all(cid, held=False)] == ["inv-1", "v-1"]
        assert states.counts(cid) == {"pending": 3}  # held records count as pending
    assert _due(db, cid) == [("invoice", "inv-1"), ("vendor", "v-1")]

    with db.session() as session:
        states = SyncStates(session, clock=_clock)
        states.finish(cid, "invoice", "inv-1", status="synced", synced_version=1)
        states.finish(cid, "vendor", "v-1", status="synced", synced_version=1)
    with db.session(readonly=True) as session:
        assert SyncStates(session).next_due_at(cid) is None  # a held record is no work

    with db.session() as session:
        SyncStates(session, clock=_clock).want(cid, "customer", "c-1", 1, hold=False)
    assert _due(db, cid) == [("customer", "c-1")]
    with db.session(readonly=True) as session:
        assert SyncStates(session).next_due_at(cid) == T0


def test_want_keeps_the_hold_unless_told(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        states = SyncStates(session, clock=_clock)
        states.want(cid, "customer", "c-1", 1, hold=True)
        states.want(cid, "customer", "c-1", 2)  # a drift cleared, a requeue: still held
        states.want(cid, "customer", "c-2", 1)
        states.want(cid, "customer", "c-2", 2, hold=True)  # a new version of a pushed record
    with db.session(readonly=True) as session:
        states = SyncStates(session)
        first, second = states.get(cid, "customer", "c-1"), states.get(cid, "customer", "c-2")
    assert first is not None and (first.held, first.desired_version) == (True, 2)
    assert second is not None and (second.held, second.desired_version) == (True, 2)
    assert _due(db, cid) == []


def test_a_write_already_sent_for_a_held_record_is_still_settled(
    db: Database, owner: Owner
) -> None:
    cid = owner.connection_id
    with db.session() as session:
        states = SyncStates(session, clock=_clock)
        states.want(cid, "customer", "c-1", 1)
        states.start_write(cid, "customer", "c-1", "req-1", "create", {"DisplayName": "A"})
        states.want(cid, "customer", "c-1", 2, hold=True)  # the app changed it meanwhile
        states.delay_all(cid, T0 + timedelta(seconds=30))
    with db.session(readonly=True) as session:
        state = SyncStates(session).get(cid, "customer", "c-1")
        assert state is not None and state.held and state.pending_request_id == "req-1"
        assert SyncStates(session).due(cid, T0 + timedelta(seconds=30)) == [state]
    with db.session() as session:  # settled: pending again, and held (not due) from now on
        SyncStates(session, clock=_clock).finish(
            cid, "customer", "c-1", status="pending", next_attempt_at=T0
        )
    assert _due(db, cid) == []


def test_any_outcome_but_pending_ends_the_hold(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        states = SyncStates(session, clock=_clock)
        for app_id in ("linked", "bypassed"):
            states.want(cid, "customer", app_id, 1, hold=True)
        states.finish(cid, "customer", "linked", status="synced", synced_version=1)
        states.finish(cid, "customer", "bypassed", status="bypassed")
    with db.session(readonly=True) as session:
        assert SyncStates(session).all(cid, held=True) == []


def test_migration_0004_adds_held_false_to_existing_rows(empty_db: Database) -> None:
    with empty_db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, key_hash, created_at) "
                "VALUES ('key_1', 'acme', 'h', :at)"
            ),
            {"at": T0.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO connections (id, api_key_id, name, environment, status, settings, "
                "mappings, created_at) VALUES ('con_1', 'key_1', 'Books', 'emulator', "
                "'active', '{}', '{}', :at)"
            ),
            {"at": T0.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO sync_state (connection_id, type, app_id, status, attempts, "
                "next_attempt_at, desired_version, updated_at) VALUES ('con_1', 'customer', "
                "'c-1', 'pending', 0, :at, 1, :at)"
            ),
            {"at": T0.replace(tzinfo=None)},
        )
    empty_db.migrate()
    with empty_db.session(readonly=True) as session:
        state = SyncStates(session).get("con_1", "customer", "c-1")
    assert state is not None and state.held is False
    assert _due(empty_db, "con_1") == [("customer", "c-1")]
    with empty_db.engine.begin() as connection:  # and back
        command.downgrade(alembic_config(connection), "0003")
        columns = {c["name"] for c in inspect(connection).get_columns("sync_state")}
    assert "held" not in columns
