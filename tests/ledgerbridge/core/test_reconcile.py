"""The reconciliation report's figures: link health, invoices side by side, totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.reconcile import (
    KINDS,
    InvoiceSide,
    LinkedObject,
    compare_invoice,
    health,
    invoice_disagreements,
    is_voided,
    link_disagreement,
    mismatch_problem,
    object_state,
    totals,
)
from ledgerbridge.core.records import Invoice, RecordKey, parse_record

INVOICE: dict[str, Any] = {
    "number": "1001",
    "customer_id": "c1",
    "date": "2026-04-01",
    "lines": [
        {"quantity": "2", "unit_price": "50"},
        {"quantity": "1", "unit_price": "0.10"},
    ],
}  # 100.10 before tax


def invoice(**changes: Any) -> Invoice:
    parsed = parse_record("invoice", {**INVOICE, **changes})
    assert isinstance(parsed, Invoice)
    return parsed


def seen(entity: str, qbo_id: str, **fields: Any) -> MirrorObject:
    return MirrorObject.from_quickbooks(entity, {"Id": qbo_id, **fields})


def linked(
    text: str, entity: str, qbo_id: str, obj: MirrorObject | None, *, deleted: bool = False
) -> LinkedObject:
    record_type, app_id = text.split("/")
    return LinkedObject(RecordKey(record_type, app_id), entity, qbo_id, obj, deleted)  # type: ignore[arg-type]


def quickbooks_invoice(**fields: Any) -> MirrorObject:
    base = {
        "DocNumber": "1001",
        "CustomerRef": {"value": "58", "name": "Acme"},
        "TotalAmt": "100.10",
        "Balance": "100.10",
    }
    return seen("Invoice", "130", **{**base, **fields})


def side(
    obj: MirrorObject | None, *, applied: str = "0", deleted: bool = False, **changes: Any
) -> InvoiceSide:
    return InvoiceSide(
        app_id="inv1",
        invoice=invoice(**changes),
        link=linked("invoice/inv1", "Invoice", "130", obj, deleted=deleted),
        customer_qbo_id="58",
        applied=Decimal(applied),
    )


@pytest.mark.parametrize(
    ("data", "voided"),
    [
        ({"TotalAmt": 0, "PrivateNote": "Voided"}, True),
        ({"TotalAmt": "0.00", "PrivateNote": "Voided - gate code"}, True),
        ({"TotalAmt": "10.00", "PrivateNote": "Voided"}, False),
        ({"TotalAmt": 0}, False),
        ({"TotalAmt": 0, "PrivateNote": "Not voided"}, False),
    ],
)
def test_voided_is_a_zero_total_with_quickbooks_note(data: dict[str, Any], voided: bool) -> None:
    assert is_voided(data) is voided


def test_object_states() -> None:
    active = seen("Customer", "58", DisplayName="Acme")
    inactive = seen("Customer", "59", DisplayName="Old", Active=False)
    voided = seen("Invoice", "130", TotalAmt=0, PrivateNote="Voided")
    assert object_state(linked("customer/c1", "Customer", "58", active)) == "ok"
    assert object_state(linked("customer/c2", "Customer", "59", inactive)) == "inactive"
    assert object_state(linked("customer/c3", "Customer", "60", None)) == "missing"
    assert object_state(linked("customer/c1", "Customer", "58", active, deleted=True)) == "deleted"
    assert object_state(linked("invoice/i1", "Invoice", "130", voided)) == "voided"
    assert object_state(linked("invoice/i2", "Invoice", "131", quickbooks_invoice())) == "ok"


def test_health_counts_links_per_type_for_the_records_the_app_has() -> None:
    records = [
        RecordKey("customer", "c1"),
        RecordKey("customer", "c2"),
        RecordKey("customer", "c3"),
        RecordKey("invoice", "i1"),
        RecordKey("invoice", "i2"),
    ]
    links = [
        linked("customer/c1", "Customer", "58", seen("Customer", "58", DisplayName="A")),
        linked("customer/c2", "Customer", "59", seen("Customer", "59", Active=False)),
        linked("invoice/i1", "Invoice", "130", seen("Invoice", "130"), deleted=True),
        linked("invoice/i2", "Invoice", "131", None),
        linked("invoice/gone", "Invoice", "132", seen("Invoice", "132"), deleted=True),
    ]
    counts = {t: h.to_json() for t, h in health(records, links).items()}
    assert counts["customer"] == {
        "records": 3,
        "linked": 2,
        "unlinked": 1,
        "missing": 0,
        "deleted": 0,
        "inactive": 1,
        "voided": 0,
    }
    assert counts["invoice"] == {
        "records": 2,
        "linked": 2,
        "unlinked": 0,
        "missing": 1,
        "deleted": 1,
        "inactive": 0,
        "voided": 0,
    }
    assert counts["bill"]["records"] == 0
    assert list(counts) == [
        "customer",
        "vendor",
        "item",
        "invoice",
        "payment",
        "receipt",
        "bill",
        "purchase_order",
    ]


def test_an_invoice_that_agrees() -> None:
    comparison = compare_invoice(side(quickbooks_invoice()))
    assert comparison.app_total == Decimal("100.10")
    assert comparison.quickbooks_total == Decimal("100.10")
    assert not comparison.amount_differs
    assert not comparison.balance_differs
    assert not comparison.moved
    assert not comparison.paid_in_quickbooks
    assert comparison.customer_name == "Acme"


def test_tax_in_quickbooks_is_an_amount_mismatch_with_both_amounts() -> None:
    obj = quickbooks_invoice(TotalAmt=108.11, Balance=108.11, TxnTaxDetail={"TotalTax": 8.01})
    comparison = compare_invoice(side(obj))
    assert comparison.amount_differs and comparison.balance_differs
    problem = mismatch_problem(comparison)
    assert problem.code == catalog.INVOICE_AMOUNT_MISMATCH
    assert dict(problem.params) == {
        "number": "1001",
        "app_total": "100.10",
        "quickbooks_total": "108.11",
        "difference": "8.01",
        "quickbooks_tax": "8.01",
        "quickbooks_id": "130",
    }
    rendered = catalog.render(catalog.entry(problem.code), problem.params)
    assert "108.11" in rendered.meaning and "100.10" in rendered.meaning


def test_open_balances_count_the_apps_payments_in_quickbooks() -> None:
    paid_part = compare_invoice(side(quickbooks_invoice(Balance="60.10"), applied="40.00"))
    assert paid_part.app_open == Decimal("60.10")
    assert not paid_part.balance_differs
    only_there = compare_invoice(side(quickbooks_invoice(Balance="60.10")))
    assert only_there.balance_differs


def test_paid_in_quickbooks_is_a_zero_balance_on_a_total() -> None:
    comparison = compare_invoice(side(quickbooks_invoice(Balance=0)))
    assert comparison.paid_in_quickbooks
    assert comparison.app_open == Decimal("100.10")
    voided = compare_invoice(side(quickbooks_invoice(TotalAmt=0, Balance=0, PrivateNote="Voided")))
    assert voided.state == "voided"
    assert not voided.paid_in_quickbooks and not voided.amount_differs


def test_moved_is_another_customer_ref() -> None:
    moved = compare_invoice(side(quickbooks_invoice(CustomerRef={"value": "77", "name": "Bay"})))
    assert moved.moved
    assert (moved.quickbooks_customer, moved.expected_customer) == ("77", "58")
    assert moved.customer_name == "Bay"
    unknown = InvoiceSide("inv1", invoice(), side(quickbooks_invoice()).link, None)
    assert not compare_invoice(unknown).moved  # the app's customer is not linked


def test_deleted_and_missing_invoices_have_no_quickbooks_figures() -> None:
    deleted = compare_invoice(side(quickbooks_invoice(), deleted=True))
    missing = compare_invoice(side(None))
    for comparison in (deleted, missing):
        assert comparison.quickbooks_total is None
        assert not comparison.comparable
        assert not (comparison.amount_differs or comparison.moved or comparison.paid_in_quickbooks)


def test_an_invoice_voided_in_the_app_counts_zero() -> None:
    comparison = compare_invoice(side(quickbooks_invoice(), status="void"))
    assert comparison.app_total == Decimal("0.00")
    assert comparison.amount_differs


def test_totals_over_the_invoices_quickbooks_holds() -> None:
    comparisons = [
        compare_invoice(side(quickbooks_invoice(TotalAmt="110.10", Balance="0"), applied="100.10")),
        compare_invoice(side(quickbooks_invoice(TotalAmt=0, Balance=0, PrivateNote="Voided"))),
        compare_invoice(side(quickbooks_invoice(), deleted=True)),  # left out
    ]
    assert totals(comparisons).to_json() == {
        "invoices": 2,
        "app_total": "200.20",
        "quickbooks_total": "110.10",
        "difference": "-90.10",
        "app_open_balance": "100.10",
        "quickbooks_open_balance": "0.00",
        "open_balance_difference": "-100.10",
    }
    assert totals([]).to_json()["app_total"] == "0.00"


# --- exceptions: what disagrees because of something done in QuickBooks ---------------------


def kinds(obj: MirrorObject, *, applied: str = "0", **changes: Any) -> list[str]:
    comparison = compare_invoice(side(obj, applied=applied, **changes))
    return [found.kind for found in invoice_disagreements(comparison)]


def test_an_invoice_paid_by_the_apps_own_synced_payments_is_not_an_exception() -> None:
    paid = quickbooks_invoice(Balance="0")
    comparison = compare_invoice(side(paid, applied="100.10"))
    assert comparison.paid_in_quickbooks and comparison.paid_by_the_app
    assert invoice_disagreements(comparison) == []
    # in two payments of the app, both synced, as well
    assert kinds(paid, applied="100.10") == []


def test_an_invoice_paid_in_quickbooks_and_not_by_the_app_is_an_exception() -> None:
    paid = quickbooks_invoice(Balance="0")
    (found,) = invoice_disagreements(compare_invoice(side(paid)))
    assert found.kind == "paid" and found.code == catalog.INVOICE_PAID_IN_QUICKBOOKS
    assert (found.app_amount, found.quickbooks_amount) == (Decimal("100.10"), Decimal("0.00"))
    assert found.difference == Decimal("-100.10")
    # the app's payments (synced) pay part of it; someone received the rest in QuickBooks
    assert kinds(paid, applied="40.00") == ["paid"]


def test_tax_quickbooks_added_and_paid_by_the_apps_payments_is_only_a_tax_difference() -> None:
    """The demo's inv-x-existing-1: QuickBooks added 52.08 of tax, the app's payments paid
    QuickBooks' total: paid by the app; the totals differ by exactly the tax."""
    taxed = quickbooks_invoice(TotalAmt="105.10", Balance="0", TxnTaxDetail={"TotalTax": "5.00"})
    comparison = compare_invoice(side(taxed, applied="105.10"))
    assert comparison.paid_by_the_app and comparison.tax_only
    assert kinds(taxed, applied="105.10") == ["tax"]


def test_payments_made_in_quickbooks_show_as_a_balance_difference() -> None:
    partly = quickbooks_invoice(Balance="60.10")  # 40.00 received in QuickBooks
    assert kinds(partly) == ["balance"]
    # a balance that differs only as much as the total does is the total's difference
    changed = quickbooks_invoice(TotalAmt="150.10", Balance="150.10")
    assert kinds(changed) == ["amount"]


def test_a_moved_invoice_names_the_customer_it_is_under_now() -> None:
    moved = quickbooks_invoice(CustomerRef={"value": "99", "name": "Tess Albright-Cole"})
    (found,) = invoice_disagreements(compare_invoice(side(moved)))
    assert (found.kind, found.other) == ("moved", "Tess Albright-Cole")


def test_deleted_voided_and_inactive_unless_the_app_did_the_same() -> None:
    voided = linked(
        "invoice/i1", "Invoice", "130", seen("Invoice", "130", TotalAmt=0, PrivateNote="Voided")
    )
    found = link_disagreement(voided, code="c", number="1001", settled_in_app=False)
    assert found is not None and found.kind == "voided" and found.number == "1001"
    assert link_disagreement(voided, code="c", number=None, settled_in_app=True) is None
    inactive = linked("item/svc", "Item", "7", seen("Item", "7", Name="Old", Active=False))
    assert link_disagreement(inactive, code="c", number=None, settled_in_app=False) is not None
    gone = linked("customer/c1", "Customer", "58", seen("Customer", "58"), deleted=True)
    found = link_disagreement(gone, code="c", number=None, settled_in_app=False)
    assert found is not None and found.kind == "deleted"
    fine = linked("customer/c1", "Customer", "58", seen("Customer", "58", DisplayName="A"))
    assert link_disagreement(fine, code="c", number=None, settled_in_app=False) is None


def test_the_most_urgent_kind_comes_first() -> None:
    assert KINDS[:4] == ("deleted", "voided", "moved", "paid")
    moved_and_paid = quickbooks_invoice(CustomerRef={"value": "99"}, Balance="0")
    found = invoice_disagreements(compare_invoice(side(moved_and_paid)))
    assert sorted(found, key=lambda d: d.order) == found
    assert [d.kind for d in found] == ["moved", "paid"]
