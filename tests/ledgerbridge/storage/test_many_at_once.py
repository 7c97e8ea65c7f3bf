"""The writes a pass makes for a whole batch of creates at once (links, releases, history,
events), on SQLite and PostgreSQL: the same rows as one at a time."""

from __future__ import annotations

from ledgerbridge.storage.db import Database
from ledgerbridge.storage.events import Events
from ledgerbridge.storage.history import Happened, History
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import SyncStates

from .conftest import Owner


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
