"""The overview's queries on PostgreSQL: the same busy day as on SQLite gives the same
problems in the same order, the same changes in QuickBooks, the same groups of records that
need a person, and the log's `changed=` and `waits_for=` filters (a recursive query) select
the same records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ledgerbridge.bootstrap import build
from ledgerbridge.dashboard import log_listing, needs, overview
from ledgerbridge.dashboard.log_listing import LogQuery
from ledgerbridge.engine.service import Service
from ledgerbridge.settings import load_settings
from qbo_emulator.server import EmulatorServer
from tests.ledgerbridge.dashboard.busy_day import busy_day
from tests.ledgerbridge.dashboard.conftest import emulator_company
from tests.ledgerbridge.engine.conftest import World, connect
from tests.ledgerbridge.postgres import private_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def world(emulator: EmulatorServer, tmp_path: Path) -> Iterator[World]:
    with private_schema("lb_overview") as url:
        env = {"LEDGERBRIDGE_QBO_EMULATOR_URL": emulator.url, "LEDGERBRIDGE_DATABASE_URL": url}
        ledger = build(load_settings(env, data_dir=tmp_path))
        ledger.db.migrate()
        service = Service(ledger)
        key_id, _ = service.create_key("overview")
        cid = service.create_connection(key_id, "Main office", "emulator").id
        realm = emulator_company(emulator.url, name="PG")
        connect(service, key_id, cid, realm)
        try:
            yield World(emulator, ledger, service, key_id, cid, realm)
        finally:
            ledger.db.dispose()


def test_the_overview_and_the_needs_view_read_the_same_on_postgresql(world: World) -> None:
    busy_day(world)
    ledger, cid = world.ledger, world.connection_id
    first = overview.problem_groups(ledger, cid)
    assert [(g.code, g.records, g.waiting) for g in first.groups[:2]] == [
        ("customer.name_used_by_other_type", 1, 2),
        ("invoice.deleted_in_quickbooks", 1, 0),
    ]
    assert first.waiting_elsewhere == 1
    changes, new = overview.quickbooks_changes(ledger, cid, ledger.clock())
    assert [(c.type, c.code, c.records) for c in changes] == [
        ("invoice", "invoice.deleted_in_quickbooks", 1)
    ]
    assert [(n.entity, n.count) for n in new] == [("Customer", 1)]
    found = needs.page(ledger, cid, world.key_id, offset=0, limit=50)
    assert [(g.type, g.id, g.waiting_total) for g in found.groups] == [
        ("customer", "cus-maria", 2),
        ("invoice", "inv-ok", 0),
        ("customer", "cus-missing", 1),
    ]
    since = ledger.clock() - timedelta(hours=24)
    changed = LogQuery(changed="invoice.deleted_in_quickbooks", changed_since=since)
    assert log_listing.keys(ledger, cid, changed, limit=None)[0][:2] == ("invoice", "inv-ok")
    assert log_listing.count(ledger, cid, LogQuery(changed="any", changed_since=since)) == 1
    waiting = LogQuery(waits_for=("customer", "cus-maria"))
    assert sorted(k[:2] for k in log_listing.keys(ledger, cid, waiting, limit=None)) == [
        ("customer", "prop-maria"),
        ("invoice", "inv-maria"),
    ]
