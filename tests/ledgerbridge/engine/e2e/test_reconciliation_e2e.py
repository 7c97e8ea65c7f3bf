"""The reconciliation report after people changed synced invoices in QuickBooks: amounts,
payments, a deletion, a void, a move; read from the database alone."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.engine.pull import pull_company
from ledgerbridge.engine.reconciliation import reconciliation
from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.quickbooks_person import Person, company, database, sale_line


def put(world: World, record_type: str, app_id: str, **data: object) -> None:
    world.service.put_record(world.key_id, world.connection_id, record_type, app_id, data)


def quickbooks_id(world: World, record_type: str, app_id: str) -> str:
    view = world.service.record(world.key_id, world.connection_id, record_type, app_id)
    assert view.quickbooks_id is not None, view
    return view.quickbooks_id


@pytest.fixture
def person(world: World) -> Iterator[Person]:
    someone = Person(world)
    yield someone
    someone.close()


def invoice(world: World, app_id: str, number: str, customer: str, unit_price: str) -> None:
    put(
        world,
        "invoice",
        app_id,
        number=number,
        customer_id=customer,
        date="2026-11-02",
        lines=[{"item_id": "svc", "quantity": "1", "unit_price": unit_price}],
    )


def test_the_report_shows_what_people_changed_in_quickbooks(world: World, person: Person) -> None:
    pull_company(world.ledger, world.connection_id)
    world.service.set_mappings(
        world.key_id, world.connection_id, {"payment_methods": {"check": "2"}}
    )
    put(world, "customer", "ann", display_name="Ann Lee")
    put(world, "customer", "bo", display_name="Bo Diaz")
    put(world, "customer", "cy", display_name="Cy Young")
    put(world, "customer", "new", display_name="Dale: Ops")  # QuickBooks forbids the colon
    put(world, "item", "svc", name="Service Call", income_account="Services")
    invoice(world, "inv-1", "6001", "ann", "100")
    invoice(world, "inv-2", "6002", "ann", "200")
    invoice(world, "inv-3", "6003", "ann", "50")
    invoice(world, "inv-4", "6004", "bo", "80")
    invoice(world, "inv-5", "6005", "ann", "60")
    put(
        world,
        "payment",
        "pay-1",
        customer_id="ann",
        date="2026-11-03",
        amount="200.00",
        method="check",
        applied_to=[{"invoice_id": "inv-2", "amount": "200.00"}],
    )
    report = world.sync()
    assert report.stopped is None and report.failed == 1, report

    pull_company(world.ledger, world.connection_id)  # the invoice's balance after the payment
    clean = reconciliation(world.ledger, world.connection_id)
    assert clean["mismatches"] == [] and clean["deleted_in_quickbooks"] == []
    assert clean["totals"]["difference"] == "0.00"
    assert [p["id"] for p in clean["paid_in_quickbooks"]] == ["inv-2"]

    # people at work in QuickBooks
    svc = quickbooks_id(world, "item", "svc")
    inv1 = quickbooks_id(world, "invoice", "inv-1")
    person.update("Invoice", inv1, Line=[sale_line(svc, "1", "110", "110.00")])
    person.create(
        "Payment",
        CustomerRef={"value": quickbooks_id(world, "customer", "ann")},
        TotalAmt="110.00",
        TxnDate="2026-11-05",
        Line=[{"Amount": "110.00", "LinkedTxn": [{"TxnId": inv1, "TxnType": "Invoice"}]}],
    )
    person.delete("Invoice", quickbooks_id(world, "invoice", "inv-3"))
    person.void("Invoice", quickbooks_id(world, "invoice", "inv-4"))
    bo = quickbooks_id(world, "customer", "bo")
    person.update("Invoice", quickbooks_id(world, "invoice", "inv-5"), CustomerRef={"value": bo})
    person.update("Customer", quickbooks_id(world, "customer", "cy"), Active=False)
    pull_company(world.ledger, world.connection_id)

    before_quickbooks = company(world)
    before_database = database(world)
    found = reconciliation(world.ledger, world.connection_id)
    assert company(world) == before_quickbooks
    assert database(world) == before_database

    assert found["connection_id"] == world.connection_id
    assert found["mirror_pulled_at"] is not None
    assert found["links"]["customer"] == {
        "records": 4,
        "linked": 3,
        "unlinked": 1,  # the one refused (a colon in its name) never reached QuickBooks
        "missing": 0,
        "deleted": 0,
        "inactive": 1,
        "voided": 0,
    }
    assert found["links"]["invoice"] == {
        "records": 5,
        "linked": 5,
        "unlinked": 0,
        "missing": 0,
        "deleted": 1,
        "inactive": 0,
        "voided": 1,
    }
    assert found["links"]["payment"]["linked"] == 1

    # inv-1 110 vs 100; inv-2 200; inv-4 voided (0 there, 80 here); inv-5 60; inv-3 deleted
    assert found["totals"] == {
        "invoices": 4,
        "app_total": "440.00",
        "quickbooks_total": "370.00",
        "difference": "-70.00",
        "app_open_balance": "240.00",
        "quickbooks_open_balance": "60.00",
        "open_balance_difference": "-180.00",
    }
    (mismatch,) = found["mismatches"]
    assert mismatch == {
        "type": "invoice",
        "id": "inv-1",
        "number": "6001",
        "quickbooks_id": inv1,
        "code": catalog.INVOICE_AMOUNT_MISMATCH,
        "title": catalog.entry(catalog.INVOICE_AMOUNT_MISMATCH).title,
        "message": mismatch["message"],
        "app_total": "100.00",
        "quickbooks_total": "110.00",
        "difference": "10.00",
        "quickbooks_tax": "0.00",
    }
    assert found["open_balance_mismatches"] == [
        {
            "id": "inv-1",
            "number": "6001",
            "quickbooks_id": inv1,
            "app_open_balance": "100.00",
            "quickbooks_open_balance": "0.00",
            "difference": "-100.00",
        }
    ]
    paid = {p["id"]: p["paid_in_app"] for p in found["paid_in_quickbooks"]}
    assert paid == {"inv-1": False, "inv-2": True}
    assert found["deleted_in_quickbooks"] == [
        {
            "type": "invoice",
            "id": "inv-3",
            "quickbooks_entity": "Invoice",
            "quickbooks_id": quickbooks_id(world, "invoice", "inv-3"),
            "number": "6003",
            "code": catalog.INVOICE_DELETED_IN_QUICKBOOKS,
        }
    ]
    assert [(v["id"], v["code"]) for v in found["voided_in_quickbooks"]] == [
        ("inv-4", catalog.INVOICE_VOIDED_IN_QUICKBOOKS)
    ]
    (moved,) = found["moved_in_quickbooks"]
    assert moved["id"] == "inv-5"
    assert moved["customer_id"] == "ann"
    assert moved["expected_quickbooks_customer_id"] == quickbooks_id(world, "customer", "ann")
    assert moved["quickbooks_customer_id"] == bo
    assert moved["code"] == catalog.INVOICE_MOVED_IN_QUICKBOOKS

    assert set(found["statuses"]) == {"pending", "synced", "error", "blocked", "bypassed", "draft"}
    assert sum(found["statuses"].values()) == 11
    assert found["statuses"]["error"] >= 1
    assert sum(found["statuses_by_type"]["invoice"].values()) == 5

    # what to look at first: what people did in QuickBooks, most urgent first; inv-2, paid by
    # the app's own payment that ledgerbridge synced, is counted and not listed
    assert [(e["kind"], e["id"]) for e in found["exceptions"]] == [
        ("deleted", "inv-3"),
        ("voided", "inv-4"),
        ("moved", "inv-5"),
        ("paid", "inv-1"),
        ("amount", "inv-1"),
        ("inactive", "cy"),
    ]
    paid_there = found["exceptions"][3]
    assert (paid_there["app_amount"], paid_there["quickbooks_amount"]) == ("100.00", "0.00")
    assert found["exceptions"][2]["quickbooks_customer"] == "Bo Diaz"
    assert found["exceptions"][5]["name"] == "Cy Young"
    assert found["currency"] == "USD"
    summary = found["summary"]
    assert (summary["paid_in_quickbooks"], summary["paid_by_the_app"]) == (2, 1)
    assert summary["exceptions"] == 6 and summary["exceptions_by_kind"]["paid"] == 1
    assert (summary["invoices_compared"], summary["invoices_agreeing"]) == (4, 1)

    # the claims, against QuickBooks itself: both invoices are paid there, inv-2 by the app's
    # payment (linked to pay-1), inv-1 by a payment no app record is linked to
    invoices = {i["Id"]: i for i in world.entities("Invoice")}
    inv2 = quickbooks_id(world, "invoice", "inv-2")
    assert Decimal(str(invoices[inv1]["Balance"])) == Decimal(str(invoices[inv2]["Balance"])) == 0
    ours = quickbooks_id(world, "payment", "pay-1")
    paying = {
        p["Id"]: {t["TxnId"] for line in p["Line"] for t in line.get("LinkedTxn", [])}
        for p in world.entities("Payment")
    }
    assert paying[ours] == {inv2}
    assert [pid for pid, paid_for in paying.items() if inv1 in paid_for] != [ours]
