"""Start fresh (`service.start_fresh`) at a company with many records: every record but a
bypassed one pending and due, every write under way dropped with its `write_dropped` history
entry, the audit entry and the app's event, in as many statements for many records as for
few (a loop over the records made three or four a record, in one transaction). Timings are
bench/start_fresh.py's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from ledgerbridge.engine.service import Service
from ledgerbridge.storage import tables
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.sync_states import SyncStates, Wanted, Write
from tests.ledgerbridge.engine.bare import bare_service
from tests.ledgerbridge.sqlite_template import SqliteTemplate


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def service(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: SqliteTemplate
) -> Iterator[Service]:
    """A service on a fresh database of each kind (no QuickBooks: Start fresh asks none)."""
    yield from bare_service(request.param, tmp_path, sqlite_template, "lb_fresh")


def _wrong_company(service: Service, key_id: str, records: int) -> str:
    """A connection to the wrong company with `records` customers: synced and linked, one in
    five bypassed, one in three with a write under way (held or not), one failing."""
    with service.ledger.db.session() as session:
        connections = Connections(session)
        cid = connections.create(key_id, f"Books {records}", "emulator").id
        connections.set_company(cid, "9130000000000001", "Wrong Books")
        connections.set_status(cid, "wrong_company")
        ids = [f"c{n:05d}" for n in range(records)]
        SyncStates(session).want_many(cid, [Wanted("customer", i, 2, None) for i in ids])
        t = tables.SyncState
        mine = t.connection_id == cid
        session.execute(update(t).where(mine).values(status="synced", synced_version=2))
        session.execute(
            update(t)
            .where(mine, t.app_id.in_(ids[::5]))
            .values(status="bypassed", problem={"code": "payment.bypassed"})
        )
        session.execute(
            update(t)
            .where(mine, t.app_id == ids[1])
            .values(status="error", problem={"code": "x"}, attempts=4, held=True)
        )
        SyncStates(session).start_writes(
            cid, [Write("customer", i, f"rq-{i}", "update", {"Id": i}) for i in ids[::3]]
        )
        Links(session).put_many(
            cid, [StoredLink("customer", i, "Customer", i[1:], "0", None, None) for i in ids]
        )
    return cid


def _start_fresh_counted(service: Service, key_id: str, cid: str) -> int:
    """Start fresh; the statements it sent."""
    count = [0]

    def statement(*args: Any) -> None:
        count[0] += 1

    engine = service.ledger.db.engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        service.start_fresh(key_id, cid, "ann")
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    return count[0]


def test_start_fresh_at_many_records_ends_as_at_few_in_as_many_statements(
    service: Service,
) -> None:
    key_id, _ = service.create_key("fresh")
    sent = {}
    for records in (40, 1300):  # past a 500-key chunk, twice
        cid = _wrong_company(service, key_id, records)
        sent[records] = _start_fresh_counted(service, key_id, cid)
        with service.ledger.db.session(readonly=True) as session:
            states = SyncStates(session).all(cid)
            history = session.execute(
                select(tables.HistoryEntry).where(
                    tables.HistoryEntry.connection_id == cid,
                    tables.HistoryEntry.kind == "write_dropped",
                )
            ).scalars()
            dropped = {(h.app_id, h.request_id, h.detail["reason"]) for h in history}
            audit = session.execute(
                select(tables.AuditEntry.action).where(tables.AuditEntry.connection_id == cid)
            ).scalars()
            events = session.execute(
                select(tables.Event.payload).where(
                    tables.Event.connection_id == cid,
                    tables.Event.type == "connection.status_changed",
                )
            ).scalars()
            links = Links(session).get_many(cid, [("customer", s.app_id) for s in states])
            audited, told = list(audit), list(events)
        ids = [f"c{n:05d}" for n in range(records)]
        bypassed = set(ids[::5])
        assert len(states) == records
        for state in states:
            if state.app_id in bypassed:
                assert (state.status, state.problem) == ("bypassed", {"code": "payment.bypassed"})
            else:
                assert (state.status, state.problem, state.attempts) == ("pending", None, 0)
                assert state.next_attempt_at is not None
            assert state.synced_version is None and state.desired_version == 2
            assert (state.pending_request_id, state.pending_operation) == (None, None)
            assert state.held == (state.app_id == ids[1])
        assert dropped == {(i, f"rq-{i}", "start_fresh") for i in ids[::3]}
        assert links == {} and audited == ["start_fresh"]
        assert told == [{"status": "not_connected", "reason": "start_fresh", "unlinked": records}]
    assert sent[40] == sent[1300], sent
