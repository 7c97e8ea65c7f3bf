"""What the item, invoice and payment failure tests share: a customer, an item and an invoice
that reached QuickBooks, and a few look-ups in the emulator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.ledgerbridge.engine.conftest import World
from tests.ledgerbridge.engine.failures.conftest import Person, pull, put, sync, view

__all__ = [
    "account_id",
    "amount",
    "close_books",
    "invoice_in_quickbooks",
    "line_items",
    "map_check",
    "method_id",
    "one",
    "quickbooks_id",
    "synced_invoice",
    "synced_item",
    "their_payment",
    "use_custom_numbers",
]


def amount(value: object) -> Decimal:
    return Decimal(str(value))


def one(rows: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    """The only row with these field values (fails when there is none or several)."""
    found = [r for r in rows if all(r.get(k) == v for k, v in where.items())]
    assert len(found) == 1, (where, rows)
    return found[0]


def account_id(person: Person, name: str) -> str:
    (found,) = person.query(f"SELECT * FROM Account WHERE Name = '{name}'")
    return str(found["Id"])


def quickbooks_id(world: World, record_type: str, app_id: str) -> str:
    found = view(world, record_type, app_id).quickbooks_id
    assert found, f"{record_type} {app_id} is not linked"
    return found


def line_items(invoice: dict[str, Any]) -> list[str]:
    """The QuickBooks item ids on an invoice's lines."""
    return [
        str(line["SalesItemLineDetail"]["ItemRef"]["value"])
        for line in invoice["Line"]
        if line.get("DetailType") == "SalesItemLineDetail"
    ]


def invoice_in_quickbooks(world: World, app_id: str) -> dict[str, Any]:
    """The emulator's copy of the app's invoice."""
    return one(world.entities("Invoice"), Id=quickbooks_id(world, "invoice", app_id))


def use_custom_numbers(world: World) -> None:
    """The bookkeeper turns on custom transaction numbers: QuickBooks refuses duplicates."""
    world.admin(
        "PATCH",
        f"/companies/{world.realm_id}",
        {"preferences": {"SalesFormsPrefs": {"CustomTxnNumbers": True}}},
    )


def close_books(world: World, day: str) -> None:
    """The accountant closes the books up to and including `day`."""
    world.admin(
        "PATCH",
        f"/companies/{world.realm_id}",
        {"preferences": {"AccountingInfoPrefs": {"BookCloseDate": day}}},
    )


def synced_item(world: World, app_id: str = "svc", **data: object) -> str:
    """An item the app sent, in QuickBooks; its QuickBooks id."""
    fields: dict[str, object] = {
        "name": "Service Call",
        "unit_price": "100.00",
        "income_account": "Services",
        **data,
    }
    put(world, "item", app_id, **fields)
    sync(world)
    assert view(world, "item", app_id).status == "synced", view(world, "item", app_id)
    return quickbooks_id(world, "item", app_id)


def synced_invoice(
    world: World,
    app_id: str = "inv-1",
    *,
    customer_id: str = "ann",
    number: str | None = "1001",
    date: str = "2026-05-04",
    quantity: str = "2",
    **data: object,
) -> dict[str, Any]:
    """The mirror filled, a customer, an item and an invoice of 200.00 sent and in QuickBooks;
    returns the emulator's copy of the invoice."""
    pull(world)
    put(world, "customer", customer_id, display_name="Ann Lee", email="ann@example.com")
    put(world, "item", "svc", name="Service Call", unit_price="100.00", income_account="Services")
    fields: dict[str, object] = {
        "customer_id": customer_id,
        "date": date,
        "lines": [{"item_id": "svc", "quantity": quantity, "unit_price": "100.00"}],
        **data,
    }
    if number is not None:
        fields["number"] = number
    put(world, "invoice", app_id, **fields)
    report = sync(world)
    assert report.failed == 0, report
    assert view(world, "invoice", app_id).status == "synced", view(world, "invoice", app_id)
    return invoice_in_quickbooks(world, app_id)


def method_id(person: Person, name: str) -> str:
    (found,) = person.query(f"SELECT * FROM PaymentMethod WHERE Name = '{name}'")
    return str(found["Id"])


def map_check(world: World, person: Person) -> None:
    """The office maps the app's "check" to QuickBooks' Check payment method."""
    world.service.set_mappings(
        world.key_id,
        world.connection_id,
        {"payment_methods": {"check": method_id(person, "Check")}},
    )


def their_payment(
    person: Person, invoice: dict[str, Any], total: int, date: str, reference: str | None = None
) -> dict[str, Any]:
    """The office receives a payment in QuickBooks itself, against the app's invoice."""
    body: dict[str, Any] = {
        "CustomerRef": invoice["CustomerRef"],
        "TotalAmt": total,
        "TxnDate": date,
        "Line": [{"Amount": total, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }
    if reference:
        body["PaymentRefNum"] = reference
    return person.create("Payment", body)
