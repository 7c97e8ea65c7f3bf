"""Canonical records become the QuickBooks bodies the emulator (and QuickBooks) accept."""

from __future__ import annotations

from typing import Any

from ledgerbridge.core import catalog
from ledgerbridge.core.mapping import ENTITY, Refs, changed_fields, to_quickbooks
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import Record, RecordKey, parse_record

LINKED = {
    RecordKey("customer", "c1"): "58",
    RecordKey("customer", "p1"): "59",
    RecordKey("item", "i1"): "7",
    RecordKey("invoice", "inv1"): "130",
    RecordKey("vendor", "v1"): "12",
}
ACCOUNTS = {"Services": "40", "Job Materials": "61", "Checking": "35", "Mastercard": "41"}
REFS = Refs(
    linked=LINKED.get,
    account=ACCOUNTS.get,
    tax_code={"ca": "3"}.get,
    payment_method={"check": "2"}.get,
    klass={"Remodel": "5"}.get,
)


def parse(record_type: str, **data: Any) -> Record:
    record = parse_record(record_type, data)
    assert not isinstance(record, list), record
    return record


def body(key: RecordKey, record: Record, refs: Refs = REFS) -> dict[str, Any]:
    result = to_quickbooks(key, record, refs)
    assert not isinstance(result, list), result
    return result


def test_property_is_a_sub_customer_of_its_parent() -> None:
    prop = parse(
        "customer",
        display_name="12 Oak St",
        kind="property",
        parent_id="c1",
        email="owner@example.com",
        billing_address={"line1": "12 Oak St", "city": "Roseville", "region": "CA"},
    )
    result = body(RecordKey("customer", "p1"), prop)
    assert result["DisplayName"] == "12 Oak St"
    assert result["ParentRef"] == {"value": "58"}
    assert result["Job"] is True
    assert result["PrimaryEmailAddr"] == {"Address": "owner@example.com"}
    assert result["BillAddr"] == {
        "Line1": "12 Oak St",
        "City": "Roseville",
        "CountrySubDivisionCode": "CA",
    }
    assert "GivenName" not in result


def test_invoice_lines_taxes_and_references() -> None:
    invoice = parse(
        "invoice",
        number="1042",
        customer_id="p1",
        date="2026-11-03",
        tax_rate_id="ca",
        lines=[
            {"item_id": "i1", "quantity": "2", "unit_price": "62.50", "taxable": True},
            {"description": "Trip charge", "quantity": "1", "unit_price": "15", "class": "Remodel"},
        ],
    )
    result = body(RecordKey("invoice", "inv9"), invoice)
    assert ENTITY["invoice"] == "Invoice"
    assert result["DocNumber"] == "1042"
    assert result["CustomerRef"] == {"value": "59"}
    assert result["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "3"}}
    first, second = result["Line"]
    assert first["Amount"] == "125.00"
    assert first["SalesItemLineDetail"]["ItemRef"] == {"value": "7"}
    assert first["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert second["SalesItemLineDetail"]["ClassRef"] == {"value": "5"}
    assert "ItemRef" not in second["SalesItemLineDetail"]


def test_missing_references_are_problems_naming_the_field() -> None:
    invoice = parse(
        "invoice",
        customer_id="nobody",
        date="2026-11-03",
        tax_rate_id="unmapped",
        lines=[{"item_id": "i404", "quantity": "1", "unit_price": "1"}],
    )
    problems = to_quickbooks(RecordKey("invoice", "x"), invoice, REFS)
    assert isinstance(problems, list)
    by_field = {p.field: p for p in problems}
    assert by_field["customer_id"].code == catalog.INVOICE_CUSTOMER_NOT_SYNCED
    assert by_field["lines[0].item_id"].code == catalog.INVOICE_ITEM_NOT_SYNCED
    assert by_field["tax_rate_id"].code == catalog.TAX_RATE_NOT_MAPPED
    assert all(isinstance(p, Problem) for p in problems)


def test_payment_applies_to_linked_invoices() -> None:
    payment = parse(
        "payment",
        customer_id="c1",
        date="2026-11-04",
        amount="125.00",
        method="check",
        reference="1001",
        applied_to=[{"invoice_id": "inv1", "amount": "125.00"}],
    )
    result = body(RecordKey("payment", "pay1"), payment)
    assert result["TotalAmt"] == "125.00"
    assert result["PaymentMethodRef"] == {"value": "2"}
    assert result["Line"] == [
        {"Amount": "125.00", "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}
    ]
    unmapped = parse(
        "payment", customer_id="c1", date="2026-11-04", amount="1.00", method="bitcoin"
    )
    problems = to_quickbooks(RecordKey("payment", "pay2"), unmapped, REFS)
    assert isinstance(problems, list)
    assert problems[0].code == catalog.PAYMENT_METHOD_NOT_MAPPED


def test_receipt_is_a_purchase_with_expense_lines() -> None:
    receipt = parse(
        "receipt",
        vendor_id="v1",
        vendor_document_number="R-77",
        date="2026-11-05",
        payment_type="credit_card",
        payment_account="Mastercard",
        lines=[
            {"expense_account": "Job Materials", "amount": "40.10", "customer_id": "c1"},
            {"item_id": "i1", "amount": "9.90"},
        ],
    )
    result = body(RecordKey("receipt", "r1"), receipt)
    assert ENTITY["receipt"] == "Purchase"
    assert result["PaymentType"] == "CreditCard"
    assert result["AccountRef"] == {"value": "41"}
    assert result["EntityRef"] == {"value": "12", "type": "Vendor"}
    account_line, item_line = result["Line"]
    assert account_line["AccountBasedExpenseLineDetail"]["AccountRef"] == {"value": "61"}
    assert account_line["AccountBasedExpenseLineDetail"]["CustomerRef"] == {"value": "58"}
    assert item_line["ItemBasedExpenseLineDetail"]["ItemRef"] == {"value": "7"}


def test_bundles_cannot_be_pushed() -> None:
    bundle = parse("item", name="Bath package", type="bundle")
    problems = to_quickbooks(RecordKey("item", "b1"), bundle, REFS)
    assert isinstance(problems, list)
    assert problems[0].code == catalog.ITEM_BUNDLE_READ_ONLY


def test_sparse_update_carries_only_what_changed() -> None:
    pushed = {"DisplayName": "Ann Lee", "Notes": "gate code 12", "Active": True}
    now = {"DisplayName": "Ann Lee-Park", "Active": True}
    assert changed_fields(pushed, now) == {"DisplayName": "Ann Lee-Park", "Notes": ""}
    assert changed_fields(None, now) == now
