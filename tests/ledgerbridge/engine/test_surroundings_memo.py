"""What the planner reads about other records is remembered a few seconds (an item on a
thousand invoices is read once); the record being planned is always read afresh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.core.records import RecordKey
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.db import Database, default_sqlite_url
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import SyncStates

ITEM = RecordKey("item", "i-1")
INVOICE = RecordKey("invoice", "inv-1")
INVOICE_DATA = {
    "customer_id": "c-1",
    "date": "2025-03-01",
    "lines": [{"item_id": "i-1", "quantity": "1", "unit_price": "10"}],
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(default_sqlite_url(tmp_path))
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def connection(db: Database) -> StoredConnection:
    with db.session() as session:
        key_id, _ = ApiKeys(session).create("acme")
        created = Connections(session).create(key_id, "acme books", "emulator")
        for key, data in ((ITEM, {"name": "Labor"}), (INVOICE, INVOICE_DATA)):
            version = Records(session).upsert(created.id, key.type, key.app_id, data)
            SyncStates(session).want(created.id, key.type, key.app_id, version)
    return created


def _link(db: Database, cid: str, key: RecordKey, qbo_id: str) -> None:
    entity = "Item" if key.type == "item" else "Invoice"
    with db.session() as session:
        Links(session).put(
            cid,
            key.type,
            key.app_id,
            entity=entity,
            qbo_id=qbo_id,
            sync_token="0",
            doc_number=None,
            pushed=None,
        )


def _dependency_linked(db: Database, around: Surroundings, cid: str) -> bool:
    with db.session(readonly=True) as session:
        state = SyncStates(session).get(cid, "invoice", "inv-1")
        assert state is not None
        gathered = around.situation(session, INVOICE, state)
    assert gathered is not None and not isinstance(gathered, list)
    (item,) = [d for d in gathered.situation.dependencies if d.key == ITEM]
    return item.linked


def test_another_records_link_is_read_again_only_after_the_memo_expires(
    db: Database, connection: StoredConnection
) -> None:
    clock = Clock()
    around = Surroundings(connection, memo_seconds=10, monotonic=clock)
    assert _dependency_linked(db, around, connection.id) is False
    _link(db, connection.id, ITEM, "7")  # linked meanwhile, by someone else
    clock.now = 9
    assert _dependency_linked(db, around, connection.id) is False  # still as read
    clock.now = 11
    assert _dependency_linked(db, around, connection.id) is True
    with db.session() as session:
        Links(session).remove(connection.id, "item", "i-1")
    around.forget()  # a new round reads everything afresh
    assert _dependency_linked(db, around, connection.id) is False


def test_the_planned_records_own_link_is_always_read_afresh(
    db: Database, connection: StoredConnection
) -> None:
    around = Surroundings(connection, memo_seconds=3600)
    with db.session(readonly=True) as session:
        assert around.link(session, INVOICE) is None  # remembered as unlinked
    _link(db, connection.id, INVOICE, "99")  # created meanwhile (another pass, an action)
    with db.session(readonly=True) as session:
        state = SyncStates(session).get(connection.id, "invoice", "inv-1")
        assert state is not None
        gathered = around.situation(session, INVOICE, state)
    assert gathered is not None and not isinstance(gathered, list)
    assert gathered.link is not None and gathered.link.qbo_id == "99"
    assert gathered.situation.link is not None  # so the planner updates, never creates again


def test_what_the_pass_writes_itself_is_learned_at_once(
    db: Database, connection: StoredConnection
) -> None:
    around = Surroundings(connection, memo_seconds=3600)
    assert _dependency_linked(db, around, connection.id) is False
    _link(db, connection.id, ITEM, "7")
    around.learned(ITEM, StoredLink("item", "i-1", "Item", "7", "0", None, None), None)
    assert _dependency_linked(db, around, connection.id) is True
