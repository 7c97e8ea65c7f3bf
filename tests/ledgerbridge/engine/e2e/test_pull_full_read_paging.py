"""A full read pages by position (QuickBooks offers no stable order to page by key): an object
deleted on an earlier page while it reads moves the one at a page's edge off both pages. A
linked object a full read misses reads as deleted in QuickBooks, so the pull reads such
objects again by Id before saying so."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ledgerbridge.adapters.qbo import BatchItem, QboClient
from ledgerbridge.engine.pull import PAGE_SIZE, pull_company
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.e2e.test_pull_cdc_limit import ann_synced
from tests.ledgerbridge.engine.quickbooks_person import Person


@pytest.fixture
def person(world: World) -> Iterator[Person]:
    someone = Person(world)
    yield someone
    someone.close()


def test_a_deletion_during_a_full_read_marks_no_linked_invoice_deleted(
    world: World, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, key, cid = world.service, world.key_id, world.connection_id
    ann_synced(world)
    ann = service.record(key, cid, "customer", "ann").quickbooks_id
    item = service.record(key, cid, "item", "svc").quickbooks_id
    assert ann is not None and item is not None

    # a page's worth of a person's invoices, then the linked one: first on the second page
    line = {"DetailType": "SalesItemLineDetail", "Amount": 10}
    detail = {"ItemRef": {"value": item}, "Qty": 1, "UnitPrice": 10}
    for start in range(0, PAGE_SIZE, 25):
        items = [
            BatchItem(
                f"b{n}",
                "create",
                "Invoice",
                {
                    "CustomerRef": {"value": ann},
                    "DocNumber": f"W{start + n}",
                    "Line": [{**line, "SalesItemLineDetail": detail}],
                },
            )
            for n in range(25)
        ]
        person.client.batch(items, request_id=uuid.uuid4().hex)
    walk_ins = person.client.query("SELECT * FROM Invoice WHERE DocNumber LIKE 'W%'")
    line = {"item_id": "svc", "quantity": "1", "unit_price": "90.00"}
    invoice = {"customer_id": "ann", "date": "2026-11-02", "number": "77", "lines": [line]}
    service.put_record(key, cid, "invoice", "inv-1", invoice)
    world.sync(cid)
    linked = service.record(key, cid, "invoice", "inv-1").quickbooks_id
    assert linked is not None
    everything = person.client.query("SELECT * FROM Invoice")
    assert len(everything) == PAGE_SIZE + 1 and str(everything[-1]["Id"]) == linked

    pages: list[int] = []
    query_page = QboClient.query_page

    def deleting_after_the_first(
        client: QboClient, text: str, start: int, size: int
    ) -> list[dict[str, Any]]:
        page = query_page(client, text, start, size)
        if text == "SELECT * FROM Invoice":
            pages.append(start)
            if start == 1:  # a person deletes one of the page just read
                person.delete("Invoice", str(walk_ins[0]["Id"]))
        return page

    monkeypatch.setattr(QboClient, "query_page", deleting_after_the_first)
    report = pull_company(world.ledger, cid, also_in_full=("Invoice",))  # a person's refresh
    assert report.stopped is None
    assert pages == [1, PAGE_SIZE + 1]  # the second page came back empty: the edge moved
    shown = service.record(key, cid, "invoice", "inv-1")
    assert shown.problem is None, shown.problem
    assert shown.status == "synced"
