"""A large company's name index (preflight's "who else would get this name") is kept for its
next passes while many small companies' first syncs go by: only indexes of
`NAME_INDEX_KEPT_FROM` records or more are kept, so the small ones, read again each time,
never push it out; and the kept ones are bounded in number and in records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.core.records import RecordKey
from ledgerbridge.engine import context
from ledgerbridge.engine.context import Surroundings
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.connections import Connections, StoredConnection
from ledgerbridge.storage.db import Database, default_sqlite_url
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.sync_states import SyncStates


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(default_sqlite_url(tmp_path))
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "_NAME_INDEXES", {})
    monkeypatch.setattr(context, "NAME_INDEX_KEPT_FROM", 5, raising=False)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The connections whose customers' names were read (each index built)."""
    seen: list[str] = []
    original = Surroundings._read_names

    def counted(self: Surroundings, *args: Any, **kwargs: Any) -> Any:
        seen.append(self.cid)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Surroundings, "_read_names", counted)
    return seen


def _company(db: Database, name: str, customers: int) -> StoredConnection:
    with db.session() as session:
        key_id, _ = ApiKeys(session).create(name)
        created = Connections(session).create(key_id, name, "emulator")
        for n in range(customers):
            app_id = f"c-{n}"
            data = {"display_name": f"{name} customer {n}"}
            version = Records(session).upsert(created.id, "customer", app_id, data)
            SyncStates(session).want(created.id, "customer", app_id, version)
    return created


def _siblings(db: Database, connection: StoredConnection, name: str) -> list[RecordKey]:
    with db.session(readonly=True) as session:
        return Surroundings(connection).siblings(session, "customer", name)


def test_a_large_index_outlives_many_small_companies(db: Database, reads: list[str]) -> None:
    large = _company(db, "large", 6)
    small = [_company(db, f"small{n}", 2) for n in range(context.NAME_INDEXES_KEPT + 4)]
    assert _siblings(db, large, "large customer 3") == [RecordKey("customer", "c-3")]
    for company in small:  # each read, none kept
        assert _siblings(db, company, f"{company.name} customer 1") == [
            RecordKey("customer", "c-1")
        ]
        assert _siblings(db, company, f"{company.name} customer 0") == [
            RecordKey("customer", "c-0")
        ]
    assert _siblings(db, large, "large customer 5") == [RecordKey("customer", "c-5")]
    # the large company's names read once; each small company's at each look
    assert reads.count(large.id) == 1
    assert all(reads.count(company.id) == 2 for company in small)


def test_a_kept_index_is_read_again_once_its_records_change(db: Database, reads: list[str]) -> None:
    large = _company(db, "large", 6)
    assert _siblings(db, large, "Renamed") == []
    with db.session() as session:
        Records(session).upsert(large.id, "customer", "c-2", {"display_name": "Renamed"})
    assert _siblings(db, large, "renamed") == [RecordKey("customer", "c-2")]
    assert reads.count(large.id) == 2


def test_the_kept_indexes_are_bounded_in_records(
    db: Database, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "NAME_INDEX_RECORDS_KEPT", 12, raising=False)
    first, second, third = (_company(db, f"large{n}", 6) for n in range(3))
    for company in (first, second, third):
        _siblings(db, company, "x")
    # 18 records over the bound of 12: the least recently used went
    assert len(context._NAME_INDEXES) == 2
    _siblings(db, second, "x")
    _siblings(db, third, "x")
    _siblings(db, first, "x")
    assert [reads.count(c.id) for c in (first, second, third)] == [2, 1, 1]
