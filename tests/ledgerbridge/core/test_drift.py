"""Drift, the pure part: what a change in QuickBooks means for one linked record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ledgerbridge.core import catalog
from ledgerbridge.core import drift as rules
from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.core.problems import Problem
from ledgerbridge.core.records import Record, RecordKey, RecordType, parse_record


def record(record_type: RecordType, **data: Any) -> Record:
    parsed = parse_record(record_type, data)
    assert not isinstance(parsed, list), parsed
    return parsed


INVOICE = record(
    "invoice",
    customer_id="c1",
    date="2026-03-02",
    number="1001",
    lines=[{"description": "Service", "quantity": "1", "unit_price": "125.00"}],
)
ITEM = record("item", name="Service Call", income_account="Services", expense_account="Labor")
CUSTOMER = record("customer", display_name="Ann Lee")


def invoice_object(**changes: Any) -> MirrorObject:
    data: dict[str, Any] = {
        "Id": "7",
        "SyncToken": "0",
        "DocNumber": "1001",
        "CustomerRef": {"value": "58", "name": "Ann Lee"},
        "TotalAmt": 125.0,
        "Balance": 125.0,
        **changes,
    }
    return MirrorObject.from_quickbooks("Invoice", data)


def linked(
    key: RecordKey,
    rec: Record,
    current: MirrorObject | None,
    pushed: Mapping[str, Any] | None = None,
    qbo_id: str = "7",
) -> rules.Linked:
    return rules.Linked(key, rec, qbo_id, "1001", pushed, current)


INV = RecordKey("invoice", "inv-1")


# --- deleted ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record_type", "code"),
    [
        ("invoice", "invoice.deleted_in_quickbooks"),
        ("payment", "payment.deleted_in_quickbooks"),
        ("purchase_order", "purchase_order.deleted_in_quickbooks"),
        ("receipt", "receipt.deleted_in_quickbooks"),
        ("bill", "bill.deleted_in_quickbooks"),
    ],
)
def test_a_document_gone_from_quickbooks_is_deleted(record_type: RecordType, code: str) -> None:
    found = rules.drift(linked(RecordKey(record_type, "x"), INVOICE, None))
    assert found is not None
    assert found.problem.code == code
    assert dict(found.problem.params) == {"quickbooks_id": "7", "quickbooks_number": "1001"}
    assert found.event == "record.deleted_in_quickbooks"
    assert found.payload(RecordKey(record_type, "x")) == {
        "type": record_type,
        "id": "x",
        "quickbooks_id": "7",
        "quickbooks_number": "1001",
    }


def test_lists_and_void_invoices_gone_are_not_deletions() -> None:
    # QuickBooks never deletes a customer: one gone was merged away (and not re-linked)
    gone = rules.drift(linked(RecordKey("customer", "c1"), CUSTOMER, None))
    assert gone is not None and gone.problem.code == "customer.merged_in_quickbooks"
    assert gone.problem.params == {"from_quickbooks_id": "7"}
    void = record(
        "invoice",
        customer_id="c1",
        date="2026-03-02",
        lines=[{"quantity": "1", "unit_price": "1"}],
        status="void",
    )
    assert rules.drift(linked(INV, void, None)) is None


# --- invoices: voided, moved ------------------------------------------------------------------


def test_a_voided_invoice_is_told_unless_the_app_voided_it() -> None:
    voided = invoice_object(TotalAmt=0, Balance=0, PrivateNote="Voided")
    found = rules.drift(linked(INV, INVOICE, voided), customer_qbo_id="58")
    assert found is not None and found.problem.code == catalog.INVOICE_VOIDED_IN_QUICKBOOKS
    assert found.event == "invoice.voided_in_quickbooks"
    void = record(
        "invoice",
        customer_id="c1",
        date="2026-03-02",
        lines=[{"quantity": "1", "unit_price": "1"}],
        status="void",
    )
    assert rules.drift(linked(INV, void, voided), customer_qbo_id="58") is None


def test_voided_reads_quickbooks_void_marks_not_the_apps_memo() -> None:
    assert rules.is_voided(invoice_object(TotalAmt=0, PrivateNote="Voided - gate 4"), None)
    assert not rules.is_voided(
        invoice_object(TotalAmt=0, PrivateNote="Voided"), {"PrivateNote": "Voided"}
    )
    assert not rules.is_voided(invoice_object(PrivateNote="Voided"), None)  # amounts kept
    assert not rules.is_voided(invoice_object(TotalAmt=0, PrivateNote="Voidedness"), None)
    assert not rules.is_voided(invoice_object(TotalAmt=0), None)


def test_an_invoice_under_another_customer_moved() -> None:
    moved = invoice_object(CustomerRef={"value": "60", "name": "Bo Diaz"})
    found = rules.drift(linked(INV, INVOICE, moved), customer_qbo_id="58")
    assert found is not None
    assert found.problem.code == catalog.INVOICE_MOVED_IN_QUICKBOOKS
    assert found.problem.field == "customer_id"
    assert dict(found.problem.params) == {
        "quickbooks_id": "7",
        "quickbooks_number": "1001",
        "quickbooks_customer_id": "60",
        "quickbooks_customer_name": "Bo Diaz",
        "app_customer_id": "c1",
    }
    assert found.event == "invoice.moved_in_quickbooks"
    assert rules.drift(linked(INV, INVOICE, invoice_object()), customer_qbo_id="58") is None


def test_moved_needs_a_live_linked_customer_to_compare_with() -> None:
    moved = invoice_object(CustomerRef={"value": "60"})
    assert rules.drift(linked(INV, INVOICE, moved), customer_qbo_id=None) is None


# --- lists: inactive, account mismatch --------------------------------------------------------


@pytest.mark.parametrize(
    ("record_type", "rec", "entity", "code"),
    [
        ("customer", CUSTOMER, "Customer", "customer.inactive_in_quickbooks"),
        (
            "vendor",
            record("vendor", display_name="Top Co"),
            "Vendor",
            "vendor.inactive_in_quickbooks",
        ),
        ("item", ITEM, "Item", "item.inactive_in_quickbooks"),
    ],
)
def test_inactive_in_quickbooks_while_active_in_the_app(
    record_type: RecordType, rec: Record, entity: str, code: str
) -> None:
    obj = MirrorObject.from_quickbooks(
        entity, {"Id": "9", "DisplayName": "X", "Name": "X", "Active": False}
    )
    key = RecordKey(record_type, "r")
    found = rules.drift(linked(key, rec, obj, qbo_id="9"))
    assert found is not None and found.problem.code == code
    assert dict(found.problem.params) == {"quickbooks_id": "9", "name": "X"}
    assert found.event == "record.inactive_in_quickbooks"
    active = MirrorObject.from_quickbooks(entity, {"Id": "9", "Name": "X", "Active": True})
    assert rules.drift(linked(key, rec, active, qbo_id="9")) is None


def test_inactive_on_both_sides_is_no_drift() -> None:
    obj = MirrorObject.from_quickbooks("Customer", {"Id": "9", "DisplayName": "X", "Active": False})
    gone = record("customer", display_name="Ann Lee", active=False)
    assert rules.drift(linked(RecordKey("customer", "c"), gone, obj, qbo_id="9")) is None


def item_object(**refs: Any) -> MirrorObject:
    return MirrorObject.from_quickbooks(
        "Item", {"Id": "3", "Name": "Service Call", "Active": True, **refs}
    )


def test_item_account_changed_in_quickbooks() -> None:
    pushed = {"IncomeAccountRef": {"value": "40"}, "ExpenseAccountRef": {"value": "50"}}
    obj = item_object(
        IncomeAccountRef={"value": "41", "name": "Sales of Product Income"},
        ExpenseAccountRef={"value": "50", "name": "Labor"},
    )
    found = rules.drift(linked(RecordKey("item", "svc"), ITEM, obj, pushed, "3"))
    assert found is not None
    assert found.problem.code == catalog.ITEM_ACCOUNT_MISMATCH
    assert found.problem.field == "income_account"
    assert dict(found.problem.params) == {
        "quickbooks_id": "3",
        "name": "Service Call",
        "field": "income_account",
        "app_account": "Services",
        "quickbooks_account": "Sales of Product Income",
        "quickbooks_account_id": "41",
    }
    assert found.event == "item.account_mismatch"
    same = item_object(IncomeAccountRef={"value": "40"}, ExpenseAccountRef={"value": "50"})
    assert rules.drift(linked(RecordKey("item", "svc"), ITEM, same, pushed, "3")) is None


def test_an_account_the_app_never_chose_is_quickbooks_business() -> None:
    obj = item_object(IncomeAccountRef={"value": "41"})
    assert rules.drift(linked(RecordKey("item", "svc"), ITEM, obj, {}, "3")) is None
    assert rules.drift(linked(RecordKey("item", "svc"), ITEM, obj, None, "3")) is None


# --- decide: once per change, never over a write in flight --------------------------------------


def deleted_drift() -> rules.Drift:
    found = rules.drift(linked(INV, INVOICE, None))
    assert found is not None
    return found


def test_a_synced_record_is_flagged() -> None:
    found = deleted_drift()
    assert rules.decide(rules.Standing("synced"), found, "7") == rules.Flag(found)


@pytest.mark.parametrize("status", ["pending", "blocked", "draft", "bypassed"])
def test_records_not_synced_are_left_alone(status: str) -> None:
    assert rules.decide(rules.Standing(status), deleted_drift(), "7") is None


def test_a_write_in_flight_is_never_disturbed() -> None:
    standing = rules.Standing("synced", writing=True)
    assert rules.decide(standing, deleted_drift(), "7") is None


def test_an_error_that_is_not_a_drift_is_left_alone() -> None:
    standing = rules.Standing("error", catalog.INVOICE_NUMBER_CONFLICT, {})
    assert rules.decide(standing, deleted_drift(), "7") is None


def test_the_same_finding_twice_changes_nothing_a_new_one_is_told() -> None:
    found = deleted_drift()
    problem = found.problem.to_json()
    same = rules.Standing("error", problem["code"], problem["params"])
    assert rules.decide(same, found, "7") is None
    moved = rules.Standing("error", catalog.INVOICE_MOVED_IN_QUICKBOOKS, {"quickbooks_id": "7"})
    assert rules.decide(moved, found, "7") == rules.Flag(found)


@pytest.mark.parametrize(
    "code",
    [
        catalog.INVOICE_MOVED_IN_QUICKBOOKS,
        catalog.ITEM_ACCOUNT_MISMATCH,
        catalog.CUSTOMER_INACTIVE_IN_QUICKBOOKS,
    ],
)
def test_a_drift_that_went_away_clears(code: str) -> None:
    standing = rules.Standing("error", code, {"quickbooks_id": "7"})
    assert rules.decide(standing, None, "7") == rules.Clear(code)
    # about another object (a parent customer, say): not this object's to clear
    other = rules.Standing("error", code, {"quickbooks_id": "8"})
    assert rules.decide(other, None, "7") is None


@pytest.mark.parametrize(
    "code", [catalog.INVOICE_DELETED_IN_QUICKBOOKS, catalog.INVOICE_VOIDED_IN_QUICKBOOKS]
)
def test_deleted_and_voided_do_not_clear_by_themselves(code: str) -> None:
    standing = rules.Standing("error", code, {"quickbooks_id": "7"})
    assert rules.decide(standing, None, "7") is None


def test_every_drift_code_is_in_the_catalog() -> None:
    assert rules.DRIFT_CODES - set(catalog.codes()) == set()
    assert rules.CLEARS_BY_ITSELF <= rules.DRIFT_CODES


# --- paid, stale reads, merges ----------------------------------------------------------------


def test_paid_means_something_to_pay_and_nothing_left() -> None:
    assert rules.is_paid(invoice_object(Balance=0))
    assert rules.is_paid(invoice_object(Balance="0.00"))
    assert not rules.is_paid(invoice_object())
    assert not rules.is_paid(invoice_object(TotalAmt=0, Balance=0))  # voided, or nothing due
    assert not rules.is_paid(invoice_object(Balance=None))


def test_paid_problem() -> None:
    problem = rules.paid_problem("inv-1", "1001")
    assert problem == Problem(
        catalog.INVOICE_PAID_IN_QUICKBOOKS,
        "applied_to",
        problem.message,
        {"invoice_id": "inv-1", "quickbooks_number": "1001"},
    )


def test_a_copy_older_than_our_last_write_is_stale() -> None:
    assert rules.is_stale(invoice_object(SyncToken="1"), "2")
    assert not rules.is_stale(invoice_object(SyncToken="2"), "2")
    assert not rules.is_stale(invoice_object(SyncToken="3"), "2")
    assert not rules.is_stale(invoice_object(SyncToken="x"), "2")


def customer(qbo_id: str, parent: str | None = None) -> MirrorObject:
    data: dict[str, Any] = {"Id": qbo_id, "DisplayName": f"C{qbo_id}"}
    if parent:
        data["ParentRef"] = {"value": parent}
    return MirrorObject.from_quickbooks("Customer", data)


def test_the_merge_survivor_is_where_transactions_and_children_moved() -> None:
    moves = [
        (invoice_object(), invoice_object(CustomerRef={"value": "60"})),
        (customer("70", parent="58"), customer("70", parent="60")),
        (None, invoice_object(CustomerRef={"value": "61"})),  # new: no evidence
        (invoice_object(CustomerRef={"value": "59"}), invoice_object(CustomerRef={"value": "62"})),
    ]
    assert rules.merge_survivor("58", moves) == "60"
    assert rules.merge_survivor("58", moves, hint="63") == "63"  # the notice says so
    assert rules.merge_survivor("58", []) is None
    split = [*moves, (invoice_object(), invoice_object(CustomerRef={"value": "64"}))]
    assert rules.merge_survivor("58", split) is None  # unclear: a person decides


def test_every_merge_of_a_pull_is_found_in_one_pass_over_the_moves() -> None:
    moves = iter(
        [
            (invoice_object(), invoice_object(CustomerRef={"value": "60"})),  # 58 -> 60
            (
                invoice_object(CustomerRef={"value": "59"}),
                invoice_object(CustomerRef={"value": "62"}),
            ),
            (
                invoice_object(CustomerRef={"value": "59"}),
                invoice_object(CustomerRef={"value": "63"}),
            ),
            (
                invoice_object(CustomerRef={"value": "59"}),
                invoice_object(CustomerRef={"value": "64"}),
            ),
            (
                invoice_object(CustomerRef={"value": "57"}),
                invoice_object(CustomerRef={"value": "65"}),
            ),
        ]
    )  # read once: an iterator
    found = rules.moved_to([("Customer", "58"), ("Customer", "59"), ("Vendor", "58")], moves)
    assert found[("Customer", "58")] == {"60"}
    assert len(found[("Customer", "59")]) == 2  # unclear already: no more kept
    assert ("Vendor", "58") not in found and ("Customer", "57") not in found  # not asked
    assert rules.survivor_of("58", found[("Customer", "58")]) == "60"
    assert rules.survivor_of("59", found[("Customer", "59")]) is None
    assert rules.survivor_of("59", found[("Customer", "59")], hint="66") == "66"
    assert rules.survivor_of("61", None) is None


def test_vendor_documents_are_no_evidence_of_a_customer_merge() -> None:
    before = MirrorObject.from_quickbooks("Bill", {"Id": "1", "VendorRef": {"value": "58"}})
    after = MirrorObject.from_quickbooks("Bill", {"Id": "1", "VendorRef": {"value": "60"}})
    assert rules.merge_survivor("58", [(before, after)]) is None


def test_a_vendor_merge_survivor_is_where_its_bills_and_expenses_moved() -> None:
    def bill(vendor: str) -> MirrorObject:
        return MirrorObject.from_quickbooks("Bill", {"Id": "1", "VendorRef": {"value": vendor}})

    def expense(payee: str, kind: str) -> MirrorObject:
        ref = {"value": payee, "type": kind}
        return MirrorObject.from_quickbooks("Purchase", {"Id": "2", "EntityRef": ref})

    assert rules.merge_survivor("58", [(bill("58"), bill("60"))], entity="Vendor") == "60"
    moved = [(expense("58", "Vendor"), expense("60", "Vendor"))]
    assert rules.merge_survivor("58", moved, entity="Vendor") == "60"
    # an expense paid to a customer or employee is no evidence of a vendor's merge
    other = [(expense("58", "Customer"), expense("61", "Customer"))]
    assert rules.merge_survivor("58", other, entity="Vendor") is None
    # nor are a customer's invoices
    sales = [(invoice_object(), invoice_object(CustomerRef={"value": "60"}))]
    assert rules.merge_survivor("58", sales, entity="Vendor") is None
    assert rules.merge_survivor("58", [], "63", entity="Vendor") == "63"


def test_an_expense_moved_from_a_customer_to_a_vendor_is_no_evidence_of_a_vendor_merge() -> None:
    # customer and vendor ids may be the same: an expense paid to customer 58 given vendor 61 as
    # its payee did not move with vendor 58
    def expense(payee: str, kind: str) -> MirrorObject:
        ref = {"value": payee, "type": kind}
        return MirrorObject.from_quickbooks("Purchase", {"Id": "2", "EntityRef": ref})

    moved = [(expense("58", "Customer"), expense("61", "Vendor"))]
    assert rules.merge_survivor("58", moved, entity="Vendor") is None


def test_a_vendor_gone_from_quickbooks_was_merged_away() -> None:
    problem = rules.merged_problem("58", "60", "v9", entity="Vendor")
    assert problem.code == catalog.VENDOR_MERGED_IN_QUICKBOOKS
    assert "vendor 58" in problem.message and "app vendor v9" in problem.message
    shown = catalog.render(catalog.entry(problem.code), dict(problem.params))
    assert "(v9)" in shown.meaning and "vendor 60 is the one that remains" in " ".join(shown.fix)
    assert shown.actions == ("link", "unlink")


def test_merged_problem_params() -> None:
    unknown = rules.merged_problem("58", None)
    assert unknown.code == catalog.CUSTOMER_MERGED_IN_QUICKBOOKS
    assert dict(unknown.params) == {"from_quickbooks_id": "58"}
    taken = rules.merged_problem("58", "60", "c9")
    assert dict(taken.params) == {
        "from_quickbooks_id": "58",
        "into_quickbooks_id": "60",
        "other_app_id": "c9",
    }
    shown = catalog.render(catalog.entry(taken.code), dict(taken.params))
    assert "(c9)" in shown.meaning
    assert shown.actions == ("link", "unlink")
