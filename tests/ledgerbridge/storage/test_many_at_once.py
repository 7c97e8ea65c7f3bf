"""The writes a pass makes for a whole batch of creates at once (links, releases, history,
events), on SQLite and PostgreSQL: the same rows as one at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, update

from ledgerbridge.core.status import Status
from ledgerbridge.storage import tables
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import Happened, History
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import DroppedWrite, SyncStates, Wanted

from .conftest import Owner, make_owner


def _link(app_id: str, qbo_id: str, token: str = "0") -> StoredLink:
    return StoredLink("invoice", app_id, "Invoice", qbo_id, token, f"A-{qbo_id}", {"Line": []})


def test_many_links_are_stored_and_updated_like_one(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        links = Links(session)
        links.put(
            cid,
            "invoice",
            "inv-1",
            entity="Invoice",
            qbo_id="1",
            sync_token="0",
            doc_number=None,
            pushed=None,
        )
        many = [_link(f"inv-{n}", str(n)) for n in range(1, 701)]
        links.put_many(cid, [*many, _link("inv-2", "2", token="3")])
    with db.session(readonly=True) as session:
        links = Links(session)
        assert links.get(cid, "invoice", "inv-1") == _link("inv-1", "1")
        assert links.get(cid, "invoice", "inv-2") == _link("inv-2", "2", token="3")
        assert links.get(cid, "invoice", "inv-700") == _link("inv-700", "700")
        assert links.by_quickbooks(cid, "Invoice", "699") == _link("inv-699", "699")


def test_records_blocked_by_any_of_many_are_released(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        states = SyncStates(session)
        for app_id, blocker in (("p-1", "c-1"), ("p-2", "c-2"), ("p-3", "c-3")):
            version = Records(session).upsert(cid, "payment", app_id, {})
            states.want(cid, "payment", app_id, version)
            states.finish(
                cid, "payment", app_id, status="blocked", blocked_by=("customer", blocker)
            )
        released = states.release_blocked_many(cid, [("customer", "c-1"), ("customer", "c-3")])
    assert released == 2
    with db.session(readonly=True) as session:
        found = SyncStates(session).statuses(cid, [("payment", f"p-{n}") for n in (1, 2, 3)])
    assert found == {
        ("payment", "p-1"): "pending",
        ("payment", "p-2"): "blocked",
        ("payment", "p-3"): "pending",
    }


def test_many_history_entries_and_events_keep_their_order(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        History(session).add_many(
            cid,
            [
                Happened("invoice", "inv-1", "create_sent", request_id="b:0"),
                Happened("invoice", "inv-1", "created", detail={"quickbooks_id": "7"}),
            ],
        )
        Events(session).append_many(
            cid, [("record.synced", {"id": f"inv-{n}"}) for n in range(1, 4)]
        )
        History(session).add_many(cid, [])
        Events(session).append_many(cid, [])
    with db.session(readonly=True) as session:
        entries = History(session).of(cid, "invoice", "inv-1")
        events = Events(session).list_after(cid)
    kinds = sorted((e["kind"], e.get("request_id"), e.get("detail")) for e in entries)
    assert kinds == [("create_sent", "b:0", None), ("created", None, {"quickbooks_id": "7"})]
    assert [e.payload["id"] for e in events] == ["inv-1", "inv-2", "inv-3"]
    assert [e.id for e in events] == sorted(e.id for e in events)


def test_many_records_states_and_links_are_read_like_one(db: Database, owner: Owner) -> None:
    """The log's page reads its records in three queries (a query per 500 keys), not three a
    row: the same values as `get`, the keys not held left out."""
    cid = owner.connection_id
    keys = [("invoice", f"inv-{n}") for n in range(1, 701)]
    with db.session() as session:
        states = SyncStates(session)
        for record_type, app_id in keys:
            version = Records(session).upsert(cid, record_type, app_id, {"number": app_id})
            states.want(cid, record_type, app_id, version)
        Links(session).put_many(cid, [_link(f"inv-{n}", str(n)) for n in range(1, 701, 2)])
    wanted = [*keys, ("invoice", "inv-none"), ("customer", "inv-1")]
    with db.session(readonly=True) as session:
        records = Records(session).get_many(cid, wanted)
        found = SyncStates(session).get_many(cid, wanted)
        links = Links(session).get_many(cid, wanted)
        assert set(records) == set(found) == set(keys)
        assert set(links) == {("invoice", f"inv-{n}") for n in range(1, 701, 2)}
        for key in (keys[0], keys[1], keys[699]):
            assert records[key] == Records(session).get(cid, *key)
            assert found[key] == SyncStates(session).get(cid, *key)
            assert links.get(key) == Links(session).get(cid, *key)


def test_the_outlines_of_every_record_are_what_their_states_say(db: Database, owner: Owner) -> None:
    """What a checklist reads of all of a connection's records (type, app id, status,
    problem) is what their whole states hold, in the same order."""
    cid = owner.connection_id
    problem = {"code": "LB-NAME-TAKEN", "message": "taken", "params": {"amount": "1.10"}}
    with db.session() as session:
        states = SyncStates(session)
        for n in range(1, 6):
            version = Records(session).upsert(cid, "customer", f"c-{n}", {"name": f"C {n}"})
            states.want(cid, "customer", f"c-{n}", version)
        states.finish(cid, "customer", "c-2", status="error", problem=problem)
        states.finish(cid, "customer", "c-3", status="synced", synced_version=1)
    with db.session(readonly=True) as session:
        outlines = SyncStates(session).outlines(cid)
        whole = SyncStates(session).all(cid)
    assert outlines == [(s.type, s.app_id, s.status, s.problem) for s in whole]
    assert outlines[1] == ("customer", "c-2", "error", problem)


_START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_LATER = _START + timedelta(hours=2)


def _varied_states(db: Database, connection_id: str, records: int) -> None:
    """`records` states of two types in every condition Start fresh meets: synced, failed (a
    problem, retries counted), blocked by another record, bypassed (some with a write under
    way), pending and held, waiting to adopt, each third with a write under way."""
    t = tables.SyncState
    kinds = ["customer", "invoice"]
    with db.session() as session:
        states = SyncStates(session, clock=lambda: _START)
        keys = [(kinds[n % 2], f"r{n:05d}") for n in range(records)]
        states.want_many(
            connection_id,
            [Wanted(kind, app_id, 1 + n % 4, None) for n, (kind, app_id) in enumerate(keys)],
        )
        for n, (kind, app_id) in enumerate(keys):
            values: dict[str, Any] = {"synced_version": n % 4, "overrides": {"memo": n}}
            match n % 6:
                case 0:
                    values |= {"status": "synced", "next_attempt_at": None}
                case 1:
                    values |= {"status": "error", "problem": {"code": "x.y", "n": n}, "attempts": 3}
                case 2:
                    values |= {
                        "status": "blocked",
                        "blocked_by_type": "customer",
                        "blocked_by_id": "r00000",
                        "problem": {"code": "blocked"},
                    }
                case 3:
                    values |= {"status": "bypassed", "problem": {"code": "bypassed", "n": n}}
                case 4:
                    values |= {"status": "pending", "held": True, "attempts": 1}
                case 5:
                    values |= {"status": "conflict", "adopt_qbo_id": str(n)}
            if n % 3 == 0:
                values |= {
                    "pending_request_id": f"rq-{n}",
                    "pending_operation": "update",
                    "pending_body": {"Id": str(n)},
                }
            session.execute(
                update(t)
                .where(t.connection_id == connection_id, t.type == kind, t.app_id == app_id)
                .values(**values)
            )


def _one_at_a_time(states: SyncStates, connection_id: str) -> list[DroppedWrite]:
    """What Start fresh did record by record before `start_over` (its reference)."""
    dropped = []
    for state in states.all(connection_id):
        states.unsync(connection_id, state.type, state.app_id)
        if state.pending_request_id is not None:
            states.drop_write(connection_id, state.type, state.app_id)
            dropped.append(DroppedWrite(state.type, state.app_id, state.pending_request_id))
        if state.status != Status.BYPASSED:
            states.want(connection_id, state.type, state.app_id, state.desired_version)
    return dropped


def test_start_over_leaves_every_state_as_one_at_a_time_did(db: Database) -> None:
    """Start fresh's states, set-based: the same rows as the loop it replaced (every record
    but a bypassed one pending and due, its version and hold kept; every write under way
    dropped, bypassed records' too), and the same writes reported dropped."""
    looped, at_once = make_owner(db, "looped"), make_owner(db, "at-once")
    for owner in (looped, at_once):
        _varied_states(db, owner.connection_id, 60)
    with db.session() as session:
        states = SyncStates(session, clock=lambda: _LATER)
        expected = _one_at_a_time(states, looped.connection_id)
        dropped = states.start_over(at_once.connection_id)
    assert dropped == expected and len(dropped) == 20
    with db.session(readonly=True) as session:
        states = SyncStates(session)
        before, after = states.all(looped.connection_id), states.all(at_once.connection_id)
    assert after == before
    assert {s.status for s in after} == {"pending", "bypassed"}
    assert [s.app_id for s in after if s.status == "bypassed"] == [
        f"r{n:05d}" for n in range(3, 60, 6)
    ]
    assert all(s.pending_request_id is None and s.synced_version is None for s in after)
    assert sum(s.held for s in after) == 10


def test_start_over_sends_as_many_statements_for_many_records_as_for_few(db: Database) -> None:
    """A few statements a connection however many records (a loop made three or four a
    record: several hundred thousand for a large company, in one transaction)."""
    sent: list[int] = []
    for records in (30, 1200):
        owner = make_owner(db, f"c{records}")
        _varied_states(db, owner.connection_id, records)
        count = [0]

        def statement(*args: Any, count: list[int] = count) -> None:
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", statement)
        try:
            with db.session() as session:
                dropped = SyncStates(session, clock=lambda: _LATER).start_over(owner.connection_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", statement)
        assert len(dropped) == (records + 2) // 3
        sent.append(count[0])
    assert sent[0] == sent[1] <= 6, sent
