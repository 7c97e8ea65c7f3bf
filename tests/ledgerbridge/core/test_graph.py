"""Dependencies between records, and the order a pass takes them in."""

from __future__ import annotations

from typing import Any

from ledgerbridge.core.graph import PUSH_ORDER, dependencies, depth_order
from ledgerbridge.core.records import Record, RecordKey, parse_record


def record(record_type: str, **data: Any) -> Record:
    parsed = parse_record(record_type, data)
    assert not isinstance(parsed, list), parsed
    return parsed


def test_property_depends_on_its_parent() -> None:
    prop = record("customer", display_name="12 Oak St", kind="property", parent_id="c1")
    assert dependencies(prop) == (RecordKey("customer", "c1"),)
    assert dependencies(record("customer", display_name="Top")) == ()


def test_invoice_depends_on_customer_and_each_item_once() -> None:
    invoice = record(
        "invoice",
        customer_id="c1",
        date="2026-11-01",
        lines=[
            {"item_id": "i1", "quantity": "1", "unit_price": "10"},
            {"item_id": "i2", "quantity": "2", "unit_price": "5"},
            {"item_id": "i1", "quantity": "1", "unit_price": "10"},
            {"description": "note", "quantity": "1", "unit_price": "0"},
        ],
    )
    assert dependencies(invoice) == (
        RecordKey("customer", "c1"),
        RecordKey("item", "i1"),
        RecordKey("item", "i2"),
    )


def test_payment_depends_on_customer_and_invoices() -> None:
    payment = record(
        "payment",
        customer_id="c1",
        date="2026-11-02",
        amount="30.00",
        method="check",
        applied_to=[{"invoice_id": "inv1", "amount": "30.00"}],
    )
    assert dependencies(payment) == (RecordKey("customer", "c1"), RecordKey("invoice", "inv1"))


def test_vendor_documents_depend_on_vendor_items_and_billed_customers() -> None:
    bill = record(
        "bill",
        vendor_id="v1",
        vendor_document_number="A-1",
        date="2026-11-01",
        lines=[
            {"expense_account": "Job Materials", "amount": "10.00", "customer_id": "c9"},
            {"item_id": "i3", "amount": "5.00"},
        ],
    )
    assert dependencies(bill) == (
        RecordKey("vendor", "v1"),
        RecordKey("customer", "c9"),
        RecordKey("item", "i3"),
    )
    order = record(
        "purchase_order",
        vendor_id="v1",
        date="2026-11-01",
        lines=[{"item_id": "i3", "quantity": "2", "unit_price": "4"}],
    )
    assert dependencies(order) == (RecordKey("vendor", "v1"), RecordKey("item", "i3"))


def test_parents_come_before_children_and_types_follow_push_order() -> None:
    top, prop, job = (
        RecordKey("customer", "z"),
        RecordKey("customer", "a"),
        RecordKey("customer", "m"),
    )
    invoice, vendor = RecordKey("invoice", "1"), RecordKey("vendor", "v")
    parents = {prop: top, job: prop, top: None}
    ordered = depth_order([invoice, job, vendor, prop, top], parents)
    assert ordered == [top, prop, job, vendor, invoice]
    assert PUSH_ORDER[0] == "customer"


def test_a_parent_loop_does_not_hang() -> None:
    a, b = RecordKey("customer", "a"), RecordKey("customer", "b")
    assert set(depth_order([a, b], {a: b, b: a})) == {a, b}
