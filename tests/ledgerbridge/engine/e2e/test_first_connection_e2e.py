"""The first push into a company that already holds data: the dry run says what a sync would
link, create (with look-alikes to check) and refuse, writing nothing; the sync then does just
that, linking exact matches instead of creating them twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.engine.dryrun import dry_run
from ledgerbridge.engine.pull import pull_company
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.quickbooks_person import Person, company, database, sale_line


def put(world: World, record_type: str, app_id: str, **data: object) -> None:
    world.service.put_record(world.key_id, world.connection_id, record_type, app_id, data)


@pytest.fixture
def person(world: World) -> Iterator[Person]:
    someone = Person(world)
    yield someone
    someone.close()


def by_record(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{entry['type']}/{entry['id']}": entry for entry in plan["records"]}


pytestmark = pytest.mark.in_process("the dry run comes before the push: workers would push first")


def test_the_dry_run_matches_what_the_company_holds_and_the_sync_does_it(
    world: World, person: Person
) -> None:
    # the company as people kept it before ledgerbridge
    income = person.account("Services")
    cara = person.create(
        "Customer", DisplayName="Cara Moss", PrimaryEmailAddr={"Address": "cara@example.com"}
    )
    dan = person.create(
        "Customer", DisplayName="Dan Reyes", PrimaryEmailAddr={"Address": "dan@example.com"}
    )
    flo = person.create("Customer", DisplayName="Flo Park")
    svc = person.create(
        "Item", Name="Service Call", Sku="SC-1", Type="Service", IncomeAccountRef={"value": income}
    )
    filter_item = person.create(
        "Item", Name="Filter", Type="Service", IncomeAccountRef={"value": income}
    )
    inv_5001 = person.create(
        "Invoice",
        DocNumber="5001",
        CustomerRef={"value": cara["Id"]},
        TxnDate="2026-11-02",
        Line=[sale_line(svc["Id"], "2", "62.50", "125.00")],
    )
    inv_5002 = person.create(
        "Invoice",
        DocNumber="5002",
        CustomerRef={"value": cara["Id"]},
        TxnDate="2026-11-02",
        Line=[sale_line(filter_item["Id"], "10", "30", "300.00")],
    )
    paid = person.create(
        "Payment",
        CustomerRef={"value": cara["Id"]},
        TotalAmt="125.00",
        TxnDate="2026-11-03",
        PaymentRefNum="1001",
        Line=[{"Amount": "125.00", "LinkedTxn": [{"TxnId": inv_5001["Id"], "TxnType": "Invoice"}]}],
    )
    credit = person.create(
        "Payment", CustomerRef={"value": cara["Id"]}, TotalAmt="40.00", TxnDate="2026-11-08"
    )
    pull_company(world.ledger, world.connection_id)
    world.service.set_mappings(
        world.key_id, world.connection_id, {"payment_methods": {"check": "2"}}
    )

    # the app's records: exact matches, look-alikes, and new ones
    put(world, "customer", "cara", first_name="Cara", last_name="Moss", email="cara@example.com")
    put(world, "customer", "dan2", display_name="Daniel Reyes", email="dan@example.com")
    put(world, "customer", "flo", display_name="Flo Park")
    put(world, "customer", "eve", display_name="Eve Stone", email="eve@example.com")
    put(world, "customer", "prop-e", display_name="9 Elm St", kind="property", parent_id="eve")
    put(world, "item", "svc", name="Service Call", sku="SC-1", income_account="Services")
    put(world, "item", "filter", name="Filter", income_account="Services")
    line = {"item_id": "svc", "quantity": "2", "unit_price": "62.50"}
    put(
        world,
        "invoice",
        "inv-1",
        number="5001",
        customer_id="cara",
        date="2026-11-02",
        lines=[line],
    )
    put(
        world,
        "invoice",
        "inv-2",
        number="5002",
        customer_id="cara",
        date="2026-11-02",
        lines=[{"item_id": "filter", "quantity": "10", "unit_price": "25"}],
    )
    put(
        world,
        "invoice",
        "inv-3",
        number="7001",
        customer_id="prop-e",
        date="2026-11-04",
        lines=[line],
    )
    put(
        world, "invoice", "inv-4", number="7002", customer_id="flo", date="2026-11-04", lines=[line]
    )
    payment = {"customer_id": "cara", "method": "check"}
    put(
        world,
        "payment",
        "pay-1",
        **payment,
        date="2026-11-03",
        amount="125.00",
        reference="1001",
        applied_to=[{"invoice_id": "inv-1", "amount": "125.00"}],
    )
    put(
        world,
        "payment",
        "pay-3",
        **payment,
        date="2026-11-10",
        amount="40.00",
        applied_to=[{"invoice_id": "inv-2", "amount": "40.00"}],
    )

    before_quickbooks = company(world)
    before_database = database(world)
    plan = dry_run(world.ledger, world.connection_id)
    assert company(world) == before_quickbooks  # no QuickBooks call
    assert database(world) == before_database  # no database write

    entries = by_record(plan)
    assert [f"{e['type']}/{e['id']}" for e in plan["records"]][:5] == [
        "customer/cara",
        "customer/dan2",
        "customer/eve",
        "customer/flo",
        "customer/prop-e",  # a property after its parent
    ]
    steps = {name: entry["step"] for name, entry in entries.items()}
    assert steps == {
        "customer/cara": "link",
        "customer/dan2": "create",
        "customer/eve": "create",
        "customer/flo": "refuse",
        "customer/prop-e": "create",  # its parent would be created first
        "item/svc": "link",
        "item/filter": "link",
        "invoice/inv-1": "link",
        "invoice/inv-2": "create",
        "invoice/inv-3": "create",
        "invoice/inv-4": "blocked",
        "payment/pay-1": "link",
        "payment/pay-3": "create",
    }
    assert plan["counts"] == {
        "create": 6,
        "link": 5,
        "adopt": 0,
        "update": 0,
        "refuse": 1,
        "blocked": 1,
        "draft": 0,
        "nothing": 0,
        "remove": 0,
        "settle": 0,
    }
    links = {name: e["quickbooks_id"] for name, e in entries.items() if e["step"] == "link"}
    assert links == {
        "customer/cara": cara["Id"],
        "item/svc": svc["Id"],
        "item/filter": filter_item["Id"],
        "invoice/inv-1": inv_5001["Id"],
        "payment/pay-1": paid["Id"],
    }

    proposed = {name: e["proposed_matches"] for name, e in entries.items() if e["proposed_matches"]}
    assert proposed == {
        "customer/dan2": [
            {
                "quickbooks_entity": "Customer",
                "quickbooks_id": dan["Id"],
                "name": "Dan Reyes",
                "number": None,
                "amount": None,
                "date": None,
                "why": "same email, different name",
            }
        ],
        "invoice/inv-2": [
            {
                "quickbooks_entity": "Invoice",
                "quickbooks_id": inv_5002["Id"],
                "name": None,
                "number": "5002",
                "amount": "300.00",
                "date": "2026-11-02",
                "why": "same number, another amount",
            }
        ],
        "payment/pay-3": [
            {
                "quickbooks_entity": "Payment",
                "quickbooks_id": credit["Id"],
                "name": None,
                "number": None,
                "amount": "40.00",
                "date": "2026-11-08",
                "why": "same customer and amount, 2 days apart",
            }
        ],
    }

    (refused,) = entries["customer/flo"]["problems"]
    assert refused["code"] == catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS
    assert refused["field"] == "display_name"
    assert refused["params"]["quickbooks_id"] == flo["Id"]
    assert refused["title"] == catalog.entry(catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS).title
    assert "link" in refused["actions"]
    blocked = entries["invoice/inv-4"]
    assert blocked["blocked_by"] == {"type": "customer", "id": "flo"}
    assert [p["code"] for p in blocked["problems"]] == [catalog.INVOICE_CUSTOMER_NOT_SYNCED]

    # the sync does what the plan said: links, creates, refuses; nothing twice
    ids_before = {
        entity: {str(row["Id"]) for row in rows}
        for entity, rows in before_quickbooks["entities"].items()
    }
    report = world.sync()
    assert report.stopped is None, report
    assert report.linked == 5
    assert report.created == 6
    for name, entry in entries.items():
        record_type, app_id = name.split("/")
        view = world.service.record(world.key_id, world.connection_id, record_type, app_id)
        if entry["step"] == "link":
            assert (view.status, view.quickbooks_id) == ("synced", entry["quickbooks_id"]), name
        elif entry["step"] == "create":
            assert view.status == "synced", (name, view.problem)
            entity = {"customer": "Customer", "invoice": "Invoice", "payment": "Payment"}
            assert view.quickbooks_id not in ids_before[entity[record_type]], name
        elif entry["step"] == "refuse":
            assert view.status == "error" and view.problem is not None
            assert view.problem.code == entry["problems"][0]["code"]
        else:
            assert view.status == "blocked" and view.blocked_by == ("customer", "flo")

    customers = Counter(c["DisplayName"] for c in world.entities("Customer"))
    assert customers == Counter(
        ["Cara Moss", "Dan Reyes", "Flo Park", "Daniel Reyes", "Eve Stone", "9 Elm St"]
    )
    assert Counter(i["Name"] for i in world.entities("Item")) == Counter(["Service Call", "Filter"])
    numbers = Counter(i["DocNumber"] for i in world.entities("Invoice"))
    assert numbers == Counter({"5001": 1, "5002": 2, "7001": 1})  # 5002: a look-alike only
    assert len(world.entities("Payment")) == 3

    # and now there is nothing left to do
    after = dry_run(world.ledger, world.connection_id)
    assert after["counts"]["create"] == 0 and after["counts"]["link"] == 0
    assert after["counts"]["nothing"] == 11


def test_look_alikes_by_name_when_the_policy_renames(world: World, person: Person) -> None:
    """Under "differentiate" a customer or item whose name QuickBooks holds is created under
    a new name: the holder is the look-alike to check first."""
    income = person.account("Services")
    gus = person.create(
        "Customer", DisplayName="Gus Hale", PrimaryEmailAddr={"Address": "gus@old.example"}
    )
    heater = person.create(
        "Item", Name="Water Heater", Sku="WH-50", Type="Service", IncomeAccountRef={"value": income}
    )
    pull_company(world.ledger, world.connection_id)
    world.service.update_settings(
        world.key_id, world.connection_id, {"name_conflicts": "differentiate"}
    )
    put(world, "customer", "gus", display_name="Gus Hale", email="gus@new.example")
    put(world, "item", "heater", name="Water Heater", sku="WH-40", income_account="Services")

    plan = by_record(dry_run(world.ledger, world.connection_id))
    assert plan["customer/gus"]["step"] == "create"
    assert [(p["quickbooks_id"], p["why"]) for p in plan["customer/gus"]["proposed_matches"]] == [
        (gus["Id"], "same name, different email")
    ]
    assert plan["item/heater"]["step"] == "create"
    assert [(p["quickbooks_id"], p["why"]) for p in plan["item/heater"]["proposed_matches"]] == [
        (heater["Id"], "same name, different SKU")
    ]

    world.sync()
    names = {c["DisplayName"] for c in world.entities("Customer")}
    assert names == {"Gus Hale", "Gus Hale - 2"}


def test_the_dry_run_of_linked_records_updates_and_removals(world: World) -> None:
    pull_company(world.ledger, world.connection_id)
    put(world, "customer", "c", display_name="Bo Diaz", email="bo@example.com")
    put(world, "customer", "d", display_name="Di Ng")
    put(world, "item", "i", name="Labor", income_account="Services")
    put(
        world,
        "invoice",
        "draft",
        customer_id="c",
        date="2026-11-02",
        status="draft",
        lines=[{"item_id": "i", "quantity": "1", "unit_price": "10"}],
    )
    world.sync()
    put(world, "customer", "c", display_name="Bo Diaz", email="bo.diaz@example.com")
    world.service.delete_record(world.key_id, world.connection_id, "customer", "d")
    put(world, "customer", "e", display_name="New Person")
    world.service.delete_record(world.key_id, world.connection_id, "customer", "e")

    before = database(world)
    plan = dry_run(world.ledger, world.connection_id)
    assert database(world) == before
    entries = by_record(plan)
    assert "customer/e" not in entries  # deleted before it ever reached QuickBooks
    assert entries["customer/c"]["step"] == "update"
    assert entries["customer/c"]["changes"] == ["PrimaryEmailAddr"]
    assert entries["customer/c"]["quickbooks_id"]
    assert entries["customer/d"]["step"] == "remove"
    assert entries["customer/d"]["operation"] == "deactivate"
    assert entries["item/i"]["step"] == "nothing"
    assert entries["invoice/draft"]["step"] == "draft"
    assert plan["counts"]["update"] == 1 and plan["counts"]["remove"] == 1
