"""Repositories: API keys, connections, records (with cursor paging) and events."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ledgerbridge.storage import tables
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.records import InvalidCursor, Records, StoredRecord

from .conftest import Owner, make_owner

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)


# API keys


def test_api_key_secret_is_never_stored(db: Database) -> None:
    with db.session() as session:
        key_id, secret = ApiKeys(session).create("acme")
    assert key_id.startswith("key_")
    assert secret.startswith("lbk_")
    assert len(secret) > 40
    with db.session(readonly=True) as session:
        row = session.scalars(select(tables.ApiKey)).one()
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.id, row.name, row.key_hash)


def test_api_key_authenticates_its_secret_only_until_revoked(db: Database) -> None:
    with db.session() as session:
        keys = ApiKeys(session)
        key_id, secret = keys.create("acme")
        other_id, other_secret = keys.create("globex")
    with db.session() as session:
        keys = ApiKeys(session)
        assert keys.authenticate(secret) == key_id
        assert keys.authenticate(other_secret) == other_id
        assert keys.authenticate(secret + "x") is None
        assert keys.authenticate("") is None
        assert keys.revoke(key_id) is True
        assert keys.revoke(key_id) is False
        assert keys.revoke("key_unknown") is False
        assert keys.authenticate(secret) is None
        assert keys.authenticate(other_secret) == other_id


# Connections


def test_connection_is_seen_only_through_its_api_key(db: Database) -> None:
    clock = FakeClock()
    with db.session() as session:
        key_a, _ = ApiKeys(session).create("a")
        key_b, _ = ApiKeys(session).create("b")
        connections = Connections(session, clock=clock)
        first = connections.create(key_a, "Books", "sandbox", {"numbering": "app"})
        clock.advance()
        second = connections.create(key_a, "Other books", "emulator")
        theirs = connections.create(key_b, "Their books", "production")
    assert first.id.startswith("con_")
    assert (first.status, first.realm_id, first.company_name) == ("not_connected", None, None)
    assert (first.settings, first.mappings, first.created_at) == ({"numbering": "app"}, {}, T0)
    with db.session(readonly=True) as session:
        connections = Connections(session)
        assert connections.get(first.id, key_a) == first
        assert connections.get(first.id, key_b) is None
        assert connections.get("con_unknown", key_a) is None
        assert connections.get_unscoped(theirs.id) == theirs
        assert [c.id for c in connections.list(key_a)] == [first.id, second.id]
        assert connections.list(key_b) == [theirs]
        assert connections.list("key_unknown") == []


def test_connection_updates(db: Database, owner: Owner) -> None:
    with db.session() as session:
        connections = Connections(session)
        assert connections.set_status(owner.connection_id, "active")
        assert connections.set_company(owner.connection_id, "9130", "Acme Plumbing")
        assert connections.set_settings(owner.connection_id, {"require_email": 1})
        assert connections.set_settings(owner.connection_id, {"require_email": True})
        assert not connections.set_status("con_unknown", "active")
        assert not connections.set_settings("con_unknown", {})
    with db.session(readonly=True) as session:
        stored = Connections(session).get(owner.connection_id, owner.api_key_id)
    assert stored is not None
    assert (stored.status, stored.realm_id, stored.company_name) == (
        "active",
        "9130",
        "Acme Plumbing",
    )
    assert stored.settings["require_email"] is True


# Records


def test_record_version_grows_only_when_the_data_changes(db: Database, owner: Owner) -> None:
    clock = FakeClock()
    cid = owner.connection_id
    with db.session() as session:
        records = Records(session, clock=clock)
        assert records.upsert(cid, "customer", "c-1", {"name": "A", "qty": 1}) == 1
        clock.advance()
        assert records.upsert(cid, "customer", "c-1", {"qty": 1, "name": "A"}) == 1
        assert records.upsert(cid, "customer", "c-1", {"name": "A", "qty": True}) == 2
        assert records.upsert(cid, "customer", "c-1", {"name": "A", "qty": 1.0}) == 3
        assert records.upsert(cid, "customer", "c-1", {"name": "A", "qty": 1.0}) == 3
        assert records.upsert(cid, "vendor", "c-1", {"name": "A"}) == 1
    with db.session(readonly=True) as session:
        stored = Records(session).get(cid, "customer", "c-1")
        assert Records(session).get(cid, "customer", "c-2") is None
    assert stored == StoredRecord(
        connection_id=cid,
        type="customer",
        app_id="c-1",
        data={"name": "A", "qty": 1.0},
        version=3,
        deleted=False,
        updated_at=T0 + timedelta(seconds=1),
    )
    assert type(stored.data["qty"]) is float  # written, although 1.0 == True in Python


def test_record_delete_and_return(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        records = Records(session)
        records.upsert(cid, "invoice", "i-1", {"number": "1001"})
        assert records.mark_deleted(cid, "invoice", "i-1") == 2
        assert records.mark_deleted(cid, "invoice", "i-1") == 2
        assert records.mark_deleted(cid, "invoice", "i-404") is None
    with db.session() as session:
        records = Records(session)
        deleted = records.get(cid, "invoice", "i-1")
        assert deleted is not None
        assert deleted.deleted
        assert records.upsert(cid, "invoice", "i-1", {"number": "1001"}) == 3
        back = records.get(cid, "invoice", "i-1")
        assert back is not None
        assert not back.deleted


def test_records_are_private_to_their_connection(db: Database, owner: Owner) -> None:
    other = make_owner(db, "globex")
    with db.session() as session:
        records = Records(session)
        records.upsert(owner.connection_id, "customer", "c-1", {"v": "mine"})
        assert records.upsert(other.connection_id, "customer", "c-1", {"v": "theirs"}) == 1
    with db.session(readonly=True) as session:
        mine = Records(session).list(owner.connection_id).items
    assert [r.data for r in mine] == [{"v": "mine"}]


def _page_through(db: Database, connection_id: str, limit: int, **filters: str) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    with db.session(readonly=True) as session:
        while True:
            page = Records(session).list(connection_id, cursor=cursor, limit=limit, **filters)
            assert len(page.items) <= limit
            seen += [f"{r.type}/{r.app_id}" for r in page.items]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor


def test_cursor_paging_with_ties_sees_every_record_once(db: Database, owner: Owner) -> None:
    clock = FakeClock()  # one instant for most records: the order falls to (type, app_id)
    keys = [("vendor", "v-1"), ("customer", "c-2"), ("customer", "c-10"), ("item", "i-1")]
    keys += [("customer", f"c-{n:02}") for n in range(5)]
    with db.session() as session:
        records = Records(session, clock=clock)
        for type_, app_id in keys:
            records.upsert(owner.connection_id, type_, app_id, {})
        clock.advance(-60)
        records.upsert(owner.connection_id, "vendor", "v-early", {})
    expected = ["vendor/v-early"] + [f"{t}/{a}" for t, a in sorted(keys)]
    for limit in (1, 2, 3, 4, 9, 10, 50):
        assert _page_through(db, owner.connection_id, limit) == expected
    assert _page_through(db, owner.connection_id, 2, type="customer") == [
        k for k in expected if k.startswith("customer/")
    ]


def test_a_record_changed_while_paging_moves_to_the_end(db: Database, owner: Owner) -> None:
    clock = FakeClock()
    with db.session() as session:
        records = Records(session, clock=clock)
        for app_id in ("a", "b", "c", "d"):
            records.upsert(owner.connection_id, "customer", app_id, {})
    with db.session(readonly=True) as session:
        first = Records(session).list(owner.connection_id, limit=2)
    assert [r.app_id for r in first.items] == ["a", "b"]
    clock.advance()
    with db.session() as session:
        Records(session, clock=clock).upsert(owner.connection_id, "customer", "a", {"x": "1"})
    with db.session(readonly=True) as session:
        rest = Records(session).list(owner.connection_id, cursor=first.next_cursor, limit=10)
    assert [r.app_id for r in rest.items] == ["c", "d", "a"]
    assert rest.next_cursor is None


def test_record_list_filters_on_sync_status_and_problem_code(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    problems = {"c-1": None, "c-2": {"code": "customer.duplicate_name"}, "c-3": {"code": "x.y"}}
    with db.session() as session:
        records = Records(session)
        for app_id in ("c-1", "c-2", "c-3", "c-4"):
            records.upsert(cid, "customer", app_id, {})
        for app_id, problem in problems.items():
            session.add(
                tables.SyncState(
                    connection_id=cid,
                    type="customer",
                    app_id=app_id,
                    status="synced" if problem is None else "error",
                    problem=problem,
                    desired_version=1,
                    updated_at=T0,
                )
            )
    assert _page_through(db, cid, 1, status="error") == ["customer/c-2", "customer/c-3"]
    assert _page_through(db, cid, 5, status="synced") == ["customer/c-1"]
    assert _page_through(db, cid, 5, code="customer.duplicate_name") == ["customer/c-2"]
    assert _page_through(db, cid, 5, status="synced", code="x.y") == []
    assert _page_through(db, cid, 5, type="vendor") == []


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'["2026-03-01T09:00:00", "customer", "c-1"]').decode(),
        base64.urlsafe_b64encode(b'["2026-03-01T09:00:00+00:00", 1, "c-1"]').decode(),
    ],
    ids=["garbage", "short", "naive-time", "bad-type"],
)
def test_foreign_cursors_are_refused(db: Database, owner: Owner, cursor: str) -> None:
    with db.session(readonly=True) as session, pytest.raises(InvalidCursor):
        Records(session).list(owner.connection_id, cursor=cursor)


def test_record_list_limit_must_be_positive(db: Database, owner: Owner) -> None:
    with db.session(readonly=True) as session, pytest.raises(ValueError, match="limit"):
        Records(session).list(owner.connection_id, limit=0)


# Events


def test_events_are_read_back_after_an_id(db: Database, owner: Owner) -> None:
    other = make_owner(db, "globex")
    clock = FakeClock()
    with db.session() as session:
        events = Events(session, clock=clock)
        ids = [events.append(owner.connection_id, "record.synced", {"n": n}) for n in range(4)]
        events.append(other.connection_id, "record.synced", {"n": "other"})
    assert ids == sorted(ids)
    with db.session(readonly=True) as session:
        events = Events(session)
        everything = events.list_after(owner.connection_id, 0)
        assert [e.id for e in everything] == ids
        assert everything[0].payload == {"n": 0}
        assert everything[0].created_at == T0
        assert everything[0].delivered_at is None
        assert [e.id for e in events.list_after(owner.connection_id, ids[1], limit=1)] == [ids[2]]
        assert events.list_after(owner.connection_id, ids[-1]) == []
