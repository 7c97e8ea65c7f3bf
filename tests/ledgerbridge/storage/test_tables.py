"""The schema's guarantees: aware UTC datetimes, JSON nulls, constraints, cascades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from ledgerbridge.storage import tables
from ledgerbridge.storage.db import Database

from .conftest import Owner, make_owner

AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def _add(db: Database, *rows: Any) -> None:
    with db.session() as session:
        session.add_all(rows)


def _record(owner: Owner, app_id: str = "c-1", type: str = "customer") -> tables.Record:
    return tables.Record(
        connection_id=owner.connection_id,
        type=type,
        app_id=app_id,
        data={"display_name": "A", "balance": "12.30"},
        version=1,
        updated_at=AT,
    )


def _state(owner: Owner, app_id: str = "c-1") -> tables.SyncState:
    return tables.SyncState(
        connection_id=owner.connection_id,
        type="customer",
        app_id=app_id,
        status="pending",
        desired_version=1,
        updated_at=AT,
    )


def _link(owner: Owner, app_id: str = "c-1", qbo_id: str = "58") -> tables.Link:
    return tables.Link(
        connection_id=owner.connection_id,
        type="customer",
        app_id=app_id,
        qbo_entity="Customer",
        qbo_id=qbo_id,
        sync_token="0",
    )


def _mirror(owner: Owner, qbo_id: str = "58") -> tables.MirrorEntry:
    return tables.MirrorEntry(
        connection_id=owner.connection_id,
        qbo_entity="Customer",
        qbo_id=qbo_id,
        sync_token="0",
        name_key="a",
        data={"DisplayName": "A"},
        updated_at=AT,
    )


def test_datetimes_come_back_aware_in_utc(db: Database, owner: Owner) -> None:
    paris = timezone(timedelta(hours=2))
    _add(db, tables.CompanyLease(realm_id="9130", holder="w1", expires_at=AT.astimezone(paris)))
    with db.session(readonly=True) as session:
        if db.dialect == "postgresql":  # the server answers in the session's time zone
            session.execute(text("SET LOCAL TIME ZONE 'Asia/Kolkata'"))
        lease = session.scalars(select(tables.CompanyLease)).one()
        stored = session.scalar(select(tables.ApiKey.created_at))
    assert lease.expires_at == AT
    assert lease.expires_at.tzinfo == UTC
    assert stored is not None
    assert stored.tzinfo == UTC


def test_datetimes_order_and_compare_in_queries(db: Database) -> None:
    later = AT + timedelta(microseconds=1)
    _add(
        db,
        tables.CompanyLease(realm_id="a", holder="w", expires_at=later),
        tables.CompanyLease(realm_id="b", holder="w", expires_at=AT),
    )
    with db.session(readonly=True) as session:
        lease = tables.CompanyLease
        assert session.scalars(select(lease.realm_id).order_by(lease.expires_at)).all() == [
            "b",
            "a",
        ]
        expired = select(lease.realm_id).where(
            lease.expires_at < later.astimezone(timezone(timedelta(hours=-5)))
        )
        assert session.scalars(expired).all() == ["b"]


def test_naive_datetimes_are_refused(db: Database) -> None:
    naive = datetime(2026, 3, 1, 12, 0)
    with pytest.raises(StatementError, match="naive datetime"), db.session() as session:
        session.add(tables.CompanyLease(realm_id="9130", holder="w1", expires_at=naive))
        session.flush()


def test_json_documents_round_trip_and_none_is_sql_null(db: Database, owner: Owner) -> None:
    _add(db, _record(owner), _state(owner))
    with db.session(readonly=True) as session:
        record = session.scalars(select(tables.Record)).one()
        nulls = session.scalar(
            text("SELECT count(*) FROM sync_state WHERE problem IS NULL AND pending_body IS NULL")
        )
    assert record.data == {"display_name": "A", "balance": "12.30"}
    assert nulls == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (lambda o: _record(o), lambda o: _record(o)),
        (lambda o: _state(o), lambda o: _state(o)),
        (lambda o: _link(o, "c-1", "58"), lambda o: _link(o, "c-1", "59")),
        (lambda o: _link(o, "c-1", "58"), lambda o: _link(o, "c-2", "58")),
        (lambda o: _mirror(o), lambda o: _mirror(o)),
    ],
    ids=["records", "sync_state", "links-app-record", "links-quickbooks-object", "mirror"],
)
def test_unique_constraints(db: Database, owner: Owner, first: Any, second: Any) -> None:
    _add(db, first(owner))
    with pytest.raises(IntegrityError):
        _add(db, second(owner))


def test_same_keys_in_another_connection_are_allowed(db: Database, owner: Owner) -> None:
    other = make_owner(db, "globex")
    _add(db, _record(owner), _link(owner), _mirror(owner))
    _add(db, _record(other), _link(other), _mirror(other))


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError):
        _add(db, _record(Owner("key_none", "con_none")))


def test_deleting_a_connection_cascades_to_its_rows(db: Database, owner: Owner) -> None:
    other = make_owner(db, "globex")
    for who in (owner, other):
        _add(
            db,
            _record(who),
            _state(who),
            _link(who),
            _mirror(who),
            tables.HistoryEntry(
                connection_id=who.connection_id, type="customer", app_id="c-1", kind="attempt"
            ),
            tables.Event(connection_id=who.connection_id, type="record.synced", payload={}),
            tables.Token(
                connection_id=who.connection_id,
                access_token="enc:a",
                refresh_token="enc:r",
                access_expires_at=AT,
                refresh_expires_at=AT,
                key_id="k1",
            ),
            tables.AuditEntry(connection_id=who.connection_id, actor="ann", action="retry"),
        )
    with db.session() as session:
        session.execute(text("DELETE FROM connections WHERE id = :id"), {"id": owner.connection_id})
    owned = [
        tables.Record.connection_id,
        tables.SyncState.connection_id,
        tables.Link.connection_id,
        tables.MirrorEntry.connection_id,
        tables.HistoryEntry.connection_id,
        tables.Event.connection_id,
        tables.Token.connection_id,
    ]
    with db.session(readonly=True) as session:
        for column in owned:
            assert session.scalars(select(column)).all() == [other.connection_id], column
        audit = session.scalars(select(tables.AuditEntry.connection_id)).all()
    assert set(audit) == {owner.connection_id, other.connection_id}  # the audit log stays
