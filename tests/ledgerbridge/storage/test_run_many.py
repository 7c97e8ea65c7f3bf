"""`_sql.run_many`, the many-row writes of the push pass: on SQLite sent to the driver with the
values SQLAlchemy would send, so the rows stored are the same as through SQLAlchemy's own
execution (`run`), byte for byte; on PostgreSQL through SQLAlchemy itself."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError, StatementError

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import prepared, run, run_many, table
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.links import Links, StoredLink
from ledgerbridge.storage.sync_states import _row_update

from .conftest import Owner

AT = datetime(2026, 12, 6, 14, 0, 0, tzinfo=UTC)
ON_THE_SECOND = datetime(2026, 12, 6, 14, 0, 1, tzinfo=UTC)  # no microseconds to write


def _history_rows(cid: str, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "connection_id": cid,
            "type": "invoice",
            "app_id": f"{prefix}-{n}",
            "kind": "created",
            "request_id": None if n % 2 else f"r{n}",
            "detail": None if n == 1 else {"amount": Decimal("12.50"), "name": "Zoë", "n": n},
            "at": AT if n % 2 else ON_THE_SECOND,
        }
        for n in range(1, 5)
    ]


def _stored(db: Database, sql: str) -> list[tuple[Any, ...]]:
    """Rows as the database holds them (no type conversion on the way back)."""
    with db.session(readonly=True) as session:
        return [tuple(row) for row in session.execute(text(sql))]


def test_inserted_rows_are_the_ones_sqlalchemy_writes(db: Database, owner: Owner) -> None:
    statement = prepared("history.insert", lambda: insert(table(tables.HistoryEntry)))
    with db.session() as session:
        run_many(session, statement, _history_rows(owner.connection_id, "many"))
        run(session, statement, _history_rows(owner.connection_id, "run"))
    held = _stored(
        db, "SELECT app_id, kind, request_id, CAST(detail AS TEXT), at FROM history ORDER BY id"
    )
    many, alone = held[:4], held[4:]
    assert [r[0] for r in many] == [f"many-{n}" for n in range(1, 5)]  # in order
    assert [r[1:] for r in many] == [r[1:] for r in alone]


def test_an_update_by_key_sets_what_sqlalchemy_sets(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        session.execute(
            insert(tables.SyncState),
            [
                {"connection_id": cid, "type": "invoice", "app_id": a, "status": "pending"}
                | {"desired_version": 1, "updated_at": AT}
                for a in ("a", "b", "c", "d")
            ],
        )
    write = {"pending_operation": "create", "pending_body": {"Line": [{"Amount": Decimal("1")}]}}
    statement = prepared("sync_state.update_row", _row_update)

    def rows(*apps: str) -> list[dict[str, Any]]:
        return [
            {"w_cid": cid, "w_type": "invoice", "w_app": a, "pending_request_id": a, **write}
            | {"updated_at": AT}
            for a in apps
        ]

    with db.session() as session:
        run_many(session, statement, rows("a", "b"))
        run(session, statement, rows("c", "d"))
    held = _stored(
        db,
        "SELECT pending_request_id, pending_operation, CAST(pending_body AS TEXT), updated_at "
        "FROM sync_state ORDER BY app_id",
    )
    assert [r[0] for r in held] == ["a", "b", "c", "d"]
    assert len({r[1:] for r in held}) == 1


def test_a_default_made_in_python_is_made_for_each_row(db: Database, owner: Owner) -> None:
    """links.linked_at, which the rows do not carry, is filled as SQLAlchemy fills it, and an
    upsert of a record linked already keeps it."""
    cid = owner.connection_id
    link = StoredLink("invoice", "inv-1", "Invoice", "1", "0", "A-1", {"Line": []})
    with db.session() as session:
        Links(session).put_many(
            cid, [link, StoredLink("invoice", "inv-2", "Invoice", "2", "0", None, None)]
        )
    first = _stored(db, "SELECT app_id, linked_at FROM links ORDER BY app_id")
    with db.session() as session:
        Links(session).put_many(
            cid, [StoredLink("invoice", "inv-1", "Invoice", "1", "1", "A-1", None)]
        )
    again = _stored(db, "SELECT app_id, linked_at, sync_token FROM links ORDER BY app_id")
    assert [r[0] for r in first] == ["inv-1", "inv-2"]
    assert all(r[1] is not None for r in first)
    assert [r[:2] for r in again] == first  # linked_at kept by the upsert
    assert again[0][2] == "1"
    with db.session(readonly=True) as session:
        stored = Links(session).get(cid, "invoice", "inv-1")
    assert stored is not None and stored.sync_token == "1"


def test_a_driver_error_is_raised_as_sqlalchemys(db: Database, owner: Owner) -> None:
    statement = prepared("history.insert", lambda: insert(table(tables.HistoryEntry)))
    rows = _history_rows("no such connection", "x")  # the foreign key refuses it
    with pytest.raises(IntegrityError), db.session() as session:
        run_many(session, statement, rows)
    assert _stored(db, "SELECT count(*) FROM history") == [(0,)]


@pytest.mark.parametrize("call", [run, run_many], ids=["run", "run_many"])
@pytest.mark.parametrize("bad", ["naive time", "a key missing"])
def test_a_value_sqlalchemy_refuses_is_a_statement_error_and_nothing_is_stored(
    db: Database, owner: Owner, call: Any, bad: str
) -> None:
    statement = prepared("history.insert", lambda: insert(table(tables.HistoryEntry)))
    rows = _history_rows(owner.connection_id, "x")
    if bad == "naive time":
        rows[1]["at"] = datetime(2026, 12, 6, 14, 0, 0)  # naive: refused on purpose
    else:
        del rows[1]["request_id"]
    with pytest.raises(StatementError), db.session() as session:
        call(session, statement, rows)
    assert _stored(db, "SELECT count(*) FROM history") == [(0,)]
