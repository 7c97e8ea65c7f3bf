"""Updates, deletes and voids go to QuickBooks Online in batch requests, as creates do, and
each item's answer means what the same write's answer alone would: a stale update (5010) is
re-applied over the edit, a delete of something already gone (610) is done, another fault is
the record's own problem while the batch's other items go through. What arrived is counted by
the emulator itself (`writes_received`, over a real socket), what QuickBooks holds is read from
its export."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ledgerbridge.engine.pull import pull_company
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.quickbooks_person import Person

pytestmark = [
    pytest.mark.emulator_socket("the batch requests counted as they reach QuickBooks"),
    pytest.mark.in_process("counts each request of one pass: workers may split it in several"),
]

CUSTOMERS, INVOICES = 40, 12


def put(world: World, record_type: str, app_id: str, data: dict[str, Any]) -> None:
    world.service.put_record(world.key_id, world.connection_id, record_type, app_id, data)


def invoice(n: int, status: str = "issued") -> dict[str, Any]:
    return {
        "number": f"B-{n}",
        "customer_id": f"c{n}",
        "date": "2026-11-02",
        "status": status,
        "lines": [{"item_id": "wash", "quantity": "1", "unit_price": "50.00"}],
    }


def received(world: World) -> Counter[str]:
    summary = world.admin("GET", f"/companies/{world.realm_id}")
    return Counter(summary["writes_received"])


def status_of(world: World, record_type: str, app_id: str) -> tuple[str, str | None]:
    view = world.service.record(world.key_id, world.connection_id, record_type, app_id)
    problem = view.problem.params.get("quickbooks_code") if view.problem else None
    return view.status, problem


def test_updates_deletes_and_voids_go_in_batches_with_each_item_answered(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    put(
        world,
        "item",
        "wash",
        {"name": "Window washing", "unit_price": "50.00", "income_account": "Services"},
    )
    for n in range(CUSTOMERS):
        put(
            world,
            "customer",
            f"c{n}",
            {"display_name": f"Batch Customer {n}", "email": f"c{n}@old.example"},
        )
    for n in range(INVOICES):
        put(world, "invoice", f"v{n}", invoice(n))
    world.sync()
    assert world.service.connection(world.key_id, world.connection_id).counts == {
        "synced": 1 + CUSTOMERS + INVOICES
    }
    ids = {
        f"v{n}": world.service.record(
            world.key_id, world.connection_id, "invoice", f"v{n}"
        ).quickbooks_id
        for n in range(INVOICES)
    }
    person = Person(world)
    try:
        person.delete("Invoice", str(ids["v11"]))  # gone before the app deletes it: 610
    finally:
        person.close()
    before = received(world)
    # faults met by single items inside the batches
    for fault in (
        {"entity": "Customer", "operation": "update", "code": "5010"},  # edited meanwhile
        {"entity": "Invoice", "operation": "void", "code": "6000"},  # a business rule
    ):
        world.admin(
            "POST",
            f"/companies/{world.realm_id}/faults",
            {
                "match": {"entity": fault["entity"], "operation": fault["operation"]}
                | {"in_batch": True},
                "times": 1,
                "action": {"status": 400, "code": fault["code"]},
            },
        )

    for n in range(CUSTOMERS - 2):  # 38 updates
        put(
            world,
            "customer",
            f"c{n}",
            {"display_name": f"Batch Customer {n}", "email": f"c{n}@new.example"},
        )
    for n in (CUSTOMERS - 2, CUSTOMERS - 1):  # 2 deactivations (an update each)
        world.service.delete_record(world.key_id, world.connection_id, "customer", f"c{n}")
    for n in range(5):  # 5 voids
        put(world, "invoice", f"v{n}", invoice(n, status="void"))
    for n in (5, 6, 7, 8, 9, 11):  # 6 deletes
        world.service.delete_record(world.key_id, world.connection_id, "invoice", f"v{n}")
    world.sync()

    arrived = received(world) - before
    # 51 writes in 3 or 4 batch requests: 30 customers and the other 10 (sent early when an
    # invoice planned meanwhile names one of them), the invoices' 11
    assert 3 <= arrived.pop("batch") <= 4, arrived
    assert arrived == Counter(
        {
            "batch.update": CUSTOMERS,
            "batch.void": 5,
            "batch.delete": 6,
            "update": 1,  # the stale one, re-applied alone after reading it again
        }
    ), arrived

    # the engine's account of each record
    customers = [status_of(world, "customer", f"c{n}") for n in range(CUSTOMERS)]
    assert customers == [("synced", None)] * CUSTOMERS
    voids = Counter(status_of(world, "invoice", f"v{n}") for n in range(5))
    assert voids == Counter({("synced", None): 4, ("error", "6000"): 1})
    for n in (5, 6, 7, 8, 9, 10, 11):
        assert status_of(world, "invoice", f"v{n}") == ("synced", None), n

    # QuickBooks' own: emails changed, two customers inactive, four voided, six deleted
    export = world.export()
    people = {c["DisplayName"]: c for c in export["entities"]["Customer"]}
    for n in range(CUSTOMERS - 2):
        assert people[f"Batch Customer {n}"]["PrimaryEmailAddr"]["Address"] == f"c{n}@new.example"
    assert [people[f"Batch Customer {n}"]["Active"] for n in (38, 39)] == [False, False]
    left = {i["Id"] for i in export["entities"]["Invoice"]}
    assert left == {ids[f"v{n}"] for n in (0, 1, 2, 3, 4, 10)}
    voided = set(export["voided"].get("Invoice", []))
    assert len(voided & {ids[f"v{n}"] for n in range(5)}) == 4
