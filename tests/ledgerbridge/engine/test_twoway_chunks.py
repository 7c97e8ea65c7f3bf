"""What a pull tells the app of changes people made in QuickBooks (`engine.twoway.tell`),
after a long pass: thousands of customers whose balance its invoices moved read back
changed, all linked (ledgerbridge's own), none told, and not all held at once to find that."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.core import twoway as core_twoway
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.engine import twoway
from ledgerbridge.engine.drift import Changes
from ledgerbridge.engine.service import Service
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.links import Links, StoredLink
from tests.ledgerbridge.engine.bare import bare_service
from tests.ledgerbridge.sqlite_template import SqliteTemplate


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def service(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: SqliteTemplate
) -> Iterator[Service]:
    yield from bare_service(request.param, tmp_path, sqlite_template, "lb_twoway")


def _customer(n: int, balance: str) -> MirrorObject:
    body = {"Id": str(n), "SyncToken": "0", "DisplayName": f"Customer {n}"}
    return MirrorObject.from_quickbooks("Customer", {**body, "Balance": Decimal(balance)})


def _peak_of_telling(service: Service, cid: str, linked: int, unlinked: int) -> tuple[int, int]:
    """tracemalloc's peak while `tell` looks at `linked` customers read back changed and
    linked, and `unlinked` changed ones no record is linked to; and how many it told."""
    changes = Changes()
    ids = [*range(1, linked + 1), *range(100_001, 100_001 + unlinked)]
    for at in range(0, len(ids), 250):
        changes.saw_many(
            [(_customer(n, "0"), _customer(n, "12.50"), True) for n in ids[at : at + 250]]
        )
    with service.ledger.db.session() as session:
        connection = Connections(session).get_unscoped(cid)
        assert connection is not None
        gc.collect()
        tracemalloc.start()
        try:
            told = twoway.tell(session, connection, changes, first=False)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    changes.scratch.close()
    return peak, told


def test_linked_changes_are_let_go_a_chunk_at_a_time(service: Service) -> None:
    with service.ledger.db.session() as session:
        key_id, _ = ApiKeys(session).create("acme")
        connections = Connections(session)
        cid = connections.create(key_id, "Books", "emulator").id
        connections.set_company(cid, "9130000000000001", "Books")
        connections.set_settings(cid, {core_twoway.setting_of("customers"): "events"})
        Links(session).put_many(
            cid,
            [
                StoredLink("customer", f"c{n}", "Customer", str(n), "0", None, None)
                for n in range(1, 6001)
            ],
        )
    small, told_small = _peak_of_telling(service, cid, 1000, 2)
    large, told_large = _peak_of_telling(service, cid, 6000, 2)
    # before: every changed customer's copy held to be found linked, 6,000 of them some
    # 10 MiB; now a chunk of them at a time
    assert large < small * 1.5, (small, large)
    assert (told_small, told_large) == (2, 2)  # the two no record is linked to, told
