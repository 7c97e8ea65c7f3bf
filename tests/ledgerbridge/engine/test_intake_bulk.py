"""`put_records` decides a chunk's records together (a few statements for them all): it must
leave what putting them one at a time leaves, records that depend on each other included (two
naming one QuickBooks object, one cancelling its adoption before another takes that object),
and two processes putting the same new record at once must both succeed (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from ledgerbridge.bootstrap import build
from ledgerbridge.core.records import Incoming
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from ledgerbridge.storage import tables
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.sync_states import SyncStates
from tests.ledgerbridge.engine.bare import bare_service
from tests.ledgerbridge.postgres import private_schema
from tests.ledgerbridge.sqlite_template import SqliteTemplate


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def service(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: SqliteTemplate
) -> Iterator[Service]:
    """A service on a fresh database of each kind (nothing connected to QuickBooks: the
    intake needs no company)."""
    yield from bare_service(request.param, tmp_path, sqlite_template, "lb_intake")


def _customer(app_id: str, name: str, **more: Any) -> Incoming:
    return Incoming("customer", app_id, {"display_name": name, **more})


def _invoice(app_id: str, memo: str) -> Incoming:
    data = {
        "customer_id": "c-same",
        "date": "2025-03-01",
        "memo": memo,
        "lines": [{"item_id": "i-1", "quantity": "1", "unit_price": "10.00"}],
    }
    return Incoming("invoice", app_id, data)


def _linked(app_id: str, name: str, quickbooks_id: str | None) -> Incoming:
    link = None if quickbooks_id is None else {"quickbooks_id": quickbooks_id}
    return _customer(app_id, name, link=link)


BEFORE = [
    _customer("c-same", "Same"),
    _customer("c-changed", "Before"),
    _customer("c-deleted", "Deleted"),
    _customer("c-linked", "Linked"),
    _customer("c-linked-b", "Linked B"),
    _customer("c-adopts", "Adopts later"),
    _linked("c-cancels", "Cancels", "82"),
    _customer("c-writing", "Being written"),
    _invoice("inv-held", "first"),
]

CHUNK = [
    _customer("c-same", "Same"),  # unchanged: no new version, no history
    _customer("c-changed", "After"),  # changed: version 2
    _customer("c-deleted", "Deleted"),  # deleted, sent back unchanged: a new version
    _customer("c-new", "New"),
    _linked("c-linked", "Linked", "71"),  # linked to 71 already: unchanged, nothing to adopt
    _linked("c-linked-twice", "Elsewhere", "71"),  # 71 is c-linked's: refused
    _linked("c-adopts", "Adopts later", "80"),  # unchanged, but adopting: planned again
    _linked("c-adopts-new", "Adopts", "81"),
    _linked("c-second", "Second", "81"),  # c-adopts-new waits for 81 already: refused
    Incoming("customer", "c-bad", {"display_name": 5}),  # does not parse: refused alone
    _linked("c-cancels", "Cancels", None),  # the adoption of 82 is cancelled
    _linked("c-takes", "Takes 82", "82"),  # free again: adopted
    _linked("c-writing", "Being written", "83"),  # a write under way: refused
    _linked("c-linked-b", "Linked B", "74"),  # linked to 73 already: refused
    _customer("c-other", "Other"),
    _invoice("inv-held", "second"),  # held already: no second `held` entry
    _invoice("inv-new", "first"),  # held from the start
    Incoming(
        "item",
        "i-1",
        {"name": "Hours", "type": "service", "unit_price": "10.00", "income_account": "Services"},
    ),
]


def _prepare(service: Service, key_id: str) -> str:
    """A connection with the records of BEFORE, one deleted, one linked, one being written;
    invoices not pushed automatically."""
    connection_id = service.create_connection(key_id, "Books", "emulator").id
    service.update_settings(key_id, connection_id, {"auto_push": ["customer", "item"]})
    for incoming in BEFORE:
        assert service.put_records(key_id, connection_id, [incoming])[0].stored
    service.delete_record(key_id, connection_id, "customer", "c-deleted")
    with service.ledger.db.session() as session:
        Links(session).put_many(
            connection_id,
            [
                StoredLink("customer", "c-linked", "Customer", "71", "0", None, None),
                StoredLink("customer", "c-linked-b", "Customer", "73", "0", None, None),
            ],
        )
        SyncStates(session).start_write(
            connection_id, "customer", "c-writing", "req-1", "update", {}
        )
    return connection_id


def _outcome(service: Service, connection_id: str) -> dict[str, Any]:
    """What the intake left: records, states, and the history in the order written."""
    with service.ledger.db.session(readonly=True) as session:
        record, state, entry = tables.Record, tables.SyncState, tables.HistoryEntry
        records = session.execute(
            select(record.type, record.app_id, record.version, record.deleted, record.data)
            .where(record.connection_id == connection_id)
            .order_by(record.type, record.app_id)  # row ids: new ones go in key order
        ).all()
        states = session.execute(
            select(
                state.type,
                state.app_id,
                state.status,
                state.desired_version,
                state.held,
                state.adopt_qbo_id,
                state.attempts,
                state.problem,
                state.pending_request_id,
            )
            .where(state.connection_id == connection_id)
            .order_by(state.id)
        ).all()
        history = session.execute(
            select(entry.type, entry.app_id, entry.kind, entry.detail)
            .where(entry.connection_id == connection_id)
            .order_by(entry.id)
        ).all()
    return {
        "records": [tuple(row) for row in records],
        "states": [tuple(row) for row in states],
        "history": [tuple(row) for row in history],
    }


def test_a_chunk_leaves_what_one_record_at_a_time_leaves(service: Service) -> None:
    key_id, _ = service.create_key("intake")
    one_by_one, together = _prepare(service, key_id), _prepare(service, key_id)

    singles = [service.put_records(key_id, one_by_one, [incoming])[0] for incoming in CHUNK]
    chunk = service.put_records(key_id, together, CHUNK)

    assert [answer.to_json() for answer in chunk] == [answer.to_json() for answer in singles]
    assert _outcome(service, together) == _outcome(service, one_by_one)
    answers = {answer.id: answer for answer in chunk}
    assert [id_ for id_, answer in answers.items() if not answer.stored] == [
        "c-linked-twice",
        "c-second",
        "c-bad",
        "c-writing",
        "c-linked-b",
    ]
    assert "c-adopts-new" in answers["c-second"].problems[0].message
    versions = {id_: answer.version for id_, answer in answers.items() if answer.stored}
    assert versions == {
        "c-same": 1,
        "c-changed": 2,
        "c-deleted": 3,
        "c-new": 1,
        "c-linked": 1,
        "c-adopts": 1,
        "c-adopts-new": 1,
        "c-cancels": 1,
        "c-takes": 1,
        "c-other": 1,
        "inv-held": 2,
        "inv-new": 1,
        "i-1": 1,
    }
    assert [id_ for id_, answer in answers.items() if answer.held] == ["inv-held", "inv-new"]
    with service.ledger.db.session(readonly=True) as session:
        adopting = {
            state.app_id: state.adopt_qbo_id
            for state in SyncStates(session).all(together)
            if state.adopt_qbo_id is not None
        }
    assert adopting == {"c-adopts": "80", "c-adopts-new": "81", "c-takes": "82"}


def test_a_chunk_is_the_same_again_and_changes_only_what_changed(service: Service) -> None:
    key_id, _ = service.create_key("intake")
    connection_id = service.create_connection(key_id, "Books", "emulator").id
    records = [_customer(f"c-{n}", f"Customer {n}") for n in range(1200)]
    for start in range(0, len(records), 1000):  # more than one IN (...) list of 500
        assert all(
            a.version == 1
            for a in service.put_records(key_id, connection_id, records[start : start + 1000])
        )
    again = service.put_records(key_id, connection_id, records[:1000])
    assert {answer.version for answer in again} == {1}
    changed = [
        _customer(r.id, f"{r.data['display_name']}!") if n % 2 else r
        for n, r in enumerate(records[:1000])
    ]
    answers = service.put_records(key_id, connection_id, changed)
    assert [answer.version for answer in answers] == [2 if n % 2 else 1 for n in range(1000)]
    with service.ledger.db.session(readonly=True) as session:
        received = session.execute(
            text("SELECT count(*) FROM history WHERE connection_id = :c AND kind = 'received'"),
            {"c": connection_id},
        ).scalar_one()
    assert received == 1200 + 500


@pytest.mark.postgres
def test_two_puts_of_one_new_record_at_once_both_succeed(tmp_path: Path) -> None:
    """The second waits for the first's insert, then finds its row: the same data is version
    1 for both, and the record has one state; other data is version 2."""
    with private_schema("lb_intake") as url:
        ledger = build(load_settings({"LEDGERBRIDGE_DATABASE_URL": url}, data_dir=tmp_path))
        ledger.db.migrate()
        try:
            service = Service(ledger)
            key_id, _ = service.create_key("intake")
            connection_id = service.create_connection(key_id, "Books", "emulator").id
            _racing_puts(service, key_id, connection_id)
        finally:
            ledger.db.dispose()


def _racing_puts(service: Service, key_id: str, connection_id: str) -> None:
    first = [_customer("c-1", "One"), _customer("c-2", "Two")]
    second = [_customer("c-3", "Three"), _customer("c-1", "One"), _customer("c-2", "Deux")]
    answers: list[Any] = []
    failures: list[BaseException] = []
    started = threading.Event()

    def racer() -> None:
        started.set()
        try:
            answers.extend(service.put_records(key_id, connection_id, second))
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    ledger = service.ledger
    real_session = ledger.db.session
    thread = threading.Thread(target=racer)

    def held_open(*args: Any, **kwargs: Any) -> Any:
        """The first put's session, which starts the racer once its records are written and
        commits only when the racer waits for them."""
        context = real_session(*args, **kwargs)

        class Holding:
            def __enter__(self) -> Any:
                self.session = context.__enter__()
                return self.session

            def __exit__(self, *exc: Any) -> Any:
                if exc[0] is None:
                    me = self.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                    ledger.db.session = real_session  # type: ignore[method-assign]
                    thread.start()
                    started.wait()
                    _wait_until_blocked(ledger, me)
                return context.__exit__(*exc)

        return Holding()

    ledger.db.session = held_open  # type: ignore[method-assign]
    try:
        mine = service.put_records(key_id, connection_id, first)
    finally:
        ledger.db.session = real_session  # type: ignore[method-assign]
    thread.join()
    assert failures == []
    assert [(a.id, a.version) for a in mine] == [("c-1", 1), ("c-2", 1)]
    assert [(a.id, a.version) for a in answers] == [("c-3", 1), ("c-1", 1), ("c-2", 2)]
    with ledger.db.session(readonly=True) as session:
        states = {s.app_id: s.desired_version for s in SyncStates(session).all(connection_id)}
        kinds = session.execute(
            text("SELECT app_id, kind FROM history WHERE connection_id = :c ORDER BY id"),
            {"c": connection_id},
        ).all()
    assert states == {"c-1": 1, "c-2": 2, "c-3": 1}
    assert [tuple(row) for row in kinds] == [
        ("c-1", "received"),
        ("c-2", "received"),
        ("c-3", "received"),
        ("c-2", "received"),
    ]


def _wait_until_blocked(ledger: Any, pid: int, timeout: float = 10.0) -> None:
    """Until another backend waits for the backend `pid` (its lock)."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    deadline = time.monotonic() + timeout
    while True:
        with ledger.db.engine.connect() as connection:
            if connection.execute(query, {"pid": pid}).scalar_one():
                return
        if time.monotonic() > deadline:
            raise AssertionError("the second put never waited for the first")
        time.sleep(0.01)
