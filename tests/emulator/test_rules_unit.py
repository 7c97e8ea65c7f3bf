"""The business rules without HTTP: operations on an in-memory company, asserting the fault each
edge case raises (hierarchies, line ids, document numbers, sparse vs full updates, rounding)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from qbo_emulator import operations
from qbo_emulator.emulator import Emulator
from qbo_emulator.faults import QBOFault
from qbo_emulator.model.specs import SPECS
from qbo_emulator.model.store import Company, Row

Payload = dict[str, Any]


@pytest.fixture
def company() -> Company:
    return Emulator().create_company("Unit Co")


def create(company: Company, entity: str, payload: Payload) -> Row:
    return operations.create(operations.new_ctx(company), SPECS[entity], payload)


def update(company: Company, entity: str, payload: Payload, *, sparse: bool = False) -> Row:
    return operations.update(operations.new_ctx(company), SPECS[entity], payload, sparse=sparse)


def delete(company: Company, entity: str, payload: Payload) -> Row:
    return operations.delete(operations.new_ctx(company), SPECS[entity], payload)


def void(company: Company, entity: str, payload: Payload) -> Row:
    return operations.void(operations.new_ctx(company), SPECS[entity], payload)


def read(company: Company, entity: str, entity_id: str) -> Row:
    return operations.read(operations.new_ctx(company), SPECS[entity], entity_id)


def fault(action: Callable[[], object], code: str, detail: str = "") -> QBOFault:
    with pytest.raises(QBOFault) as info:
        action()
    assert info.value.fault.code == code, info.value
    assert info.value.fault.status == 400
    assert detail in info.value.fault.errors[0].detail, info.value
    return info.value


def customer(company: Company, name: str, parent: Row | None = None) -> Row:
    payload: Payload = {"DisplayName": name}
    if parent is not None:
        payload["ParentRef"] = {"value": parent["Id"]}
    return create(company, "Customer", payload)


def line(amount: Any = None, **detail: Any) -> Payload:
    result: Payload = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    if amount is not None:
        result["Amount"] = amount
    return result


def invoice(company: Company, who: Row, *lines: Payload, **fields: Any) -> Row:
    payload: Payload = {"CustomerRef": {"value": who["Id"]}, "Line": list(lines), **fields}
    return create(company, "Invoice", payload)


def prefs(company: Company, patch: Payload) -> None:
    current = read(company, "Preferences", "1")
    update(company, "Preferences", {"SyncToken": current["SyncToken"], **patch}, sparse=True)


# --- hierarchies --------------------------------------------------------------------------------


def test_a_customer_cannot_become_its_own_ancestor(company: Company) -> None:
    top = customer(company, "Top")
    middle = customer(company, "Middle", top)
    bottom = customer(company, "Bottom", middle)
    move = {"Id": top["Id"], "SyncToken": "0", "ParentRef": {"value": bottom["Id"]}}
    fault(lambda: update(company, "Customer", move, sparse=True), "900", "own ancestor")
    itself = {"Id": top["Id"], "SyncToken": "0", "ParentRef": {"value": top["Id"]}}
    fault(lambda: update(company, "Customer", itself, sparse=True), "900")
    assert read(company, "Customer", top["Id"])["Level"] == 0


def test_five_levels_and_no_more(company: Company) -> None:
    node = customer(company, "L0")
    for level in range(1, 5):
        node = customer(company, f"L{level}", node)
    assert (node["Level"], node["FullyQualifiedName"]) == (4, "L0:L1:L2:L3:L4")
    fault(lambda: customer(company, "L5", node), "6180", "up to 5 levels")


def test_moving_a_subtree_may_not_push_descendants_past_five_levels(company: Company) -> None:
    deep = customer(company, "D0")
    for level in range(1, 3):
        deep = customer(company, f"D{level}", deep)  # D2 is level 2
    branch = customer(company, "B0")
    leaf = customer(company, "B1", branch)
    customer(company, "B2", leaf)  # branch has two levels below it
    move = {"Id": branch["Id"], "SyncToken": "0", "ParentRef": {"value": deep["Id"]}}
    fault(lambda: update(company, "Customer", move, sparse=True), "6180")
    assert read(company, "Customer", branch["Id"])["Level"] == 0

    shallow = customer(company, "S0")
    move["ParentRef"] = {"value": shallow["Id"]}
    moved = update(company, "Customer", move, sparse=True)
    assert moved["FullyQualifiedName"] == "S0:B0"
    assert read(company, "Customer", leaf["Id"])["FullyQualifiedName"] == "S0:B0:B1"
    assert read(company, "Customer", leaf["Id"])["Level"] == 2


def test_moving_a_job_to_the_top_clears_the_job_flag(company: Company) -> None:
    parent = customer(company, "Parent")
    job = customer(company, "Job", parent)
    assert job["Job"] is True
    top = update(company, "Customer", {"Id": job["Id"], "SyncToken": "0", "DisplayName": "Job"})
    assert (top["Job"], top["Level"], top["FullyQualifiedName"]) == (False, 0, "Job")
    assert "ParentRef" not in top


def test_class_and_account_hierarchies(company: Company) -> None:
    west = create(company, "Class", {"Name": "West"})
    sub = create(company, "Class", {"Name": "North", "ParentRef": {"value": west["Id"]}})
    assert (sub["SubClass"], sub["FullyQualifiedName"]) == (True, "West:North")
    loop = {"Id": west["Id"], "SyncToken": "0", "ParentRef": {"value": sub["Id"]}}
    fault(lambda: update(company, "Class", loop, sparse=True), "900")
    fault(
        lambda: create(company, "Class", {"Name": "North", "ParentRef": {"value": west["Id"]}}),
        "6240",
    )
    assert create(company, "Class", {"Name": "North"})["FullyQualifiedName"] == "North"


# --- line ids and line replacement ---------------------------------------------------------------


def test_line_ids_are_kept_and_new_lines_numbered_after(company: Company) -> None:
    who = customer(company, "Buyer")
    created = invoice(company, who, line(10), line(20), line(30))
    assert [ln.get("Id") for ln in created["Line"]] == ["1", "2", "3", None]
    lines = [
        {**line(25), "Id": "2"},
        line(5),
        {**line(7), "Id": "99"},  # unknown id: a new line
        {"DetailType": "SubTotalLineDetail", "Amount": 0, "SubTotalLineDetail": {}},
    ]
    updated = update(
        company, "Invoice", {"Id": created["Id"], "SyncToken": "0", "Line": lines}, sparse=True
    )
    assert [ln.get("Id") for ln in updated["Line"]] == ["2", "4", "5", None]
    assert [ln["LineNum"] for ln in updated["Line"][:3]] == [1, 2, 3]
    assert updated["TotalAmt"] == Decimal("37")
    assert updated["Line"][-1] == {
        "Amount": Decimal("37"),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }


def test_the_same_line_id_twice_keeps_only_the_first(company: Company) -> None:
    who = customer(company, "Buyer")
    created = invoice(company, who, line(10))
    lines = [{**line(1), "Id": "1"}, {**line(2), "Id": "1"}]
    updated = update(
        company, "Invoice", {"Id": created["Id"], "SyncToken": "0", "Line": lines}, sparse=True
    )
    assert [ln.get("Id") for ln in updated["Line"][:2]] == ["1", "2"]


def test_only_a_subtotal_line_is_no_line(company: Company) -> None:
    who = customer(company, "Buyer")
    subtotal = {"DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    fault(lambda: invoice(company, who, subtotal), "2020", "Required parameter Line is missing")


# --- sparse and full updates ---------------------------------------------------------------------


def test_sparse_update_keeps_and_full_update_clears(company: Company) -> None:
    row = create(company, "Vendor", {"DisplayName": "V", "AcctNum": "1", "TaxIdentifier": "99-1"})
    sparse = update(
        company, "Vendor", {"Id": row["Id"], "SyncToken": "0", "AcctNum": "2"}, sparse=True
    )
    assert (sparse["AcctNum"], sparse["TaxIdentifier"]) == ("2", "99-1")
    full = update(company, "Vendor", {"Id": row["Id"], "SyncToken": "1", "DisplayName": "V"})
    assert "AcctNum" not in full
    assert "TaxIdentifier" not in full
    assert full["SyncToken"] == "2"


def test_sparse_update_cannot_blank_the_display_name(company: Company) -> None:
    row = customer(company, "Keeps")
    kept = update(
        company, "Customer", {"Id": row["Id"], "SyncToken": "0", "DisplayName": ""}, sparse=True
    )
    assert kept["DisplayName"] == "Keeps"


def test_sent_computed_fields_are_ignored(company: Company) -> None:
    who = customer(company, "Buyer")
    created = invoice(company, who, line(10), TotalAmt=999, Balance=5, Id="77", SyncToken="9")
    assert (created["TotalAmt"], created["Balance"]) == (Decimal("10"), Decimal("10"))
    assert (created["Id"], created["SyncToken"]) == ("1", "0")


def test_update_needs_id_and_sync_token(company: Company) -> None:
    row = customer(company, "C")
    fault(
        lambda: update(company, "Customer", {"DisplayName": "C"}), "2020", "Required parameter Id"
    )
    fault(lambda: update(company, "Customer", {"Id": row["Id"]}), "2020", "SyncToken")
    fault(lambda: update(company, "Customer", {"Id": row["Id"], "SyncToken": "7"}), "5010")
    fault(lambda: update(company, "Customer", {"Id": "404", "SyncToken": "0"}), "610")


def test_inventory_item_type_is_fixed_and_quantity_kept(company: Company) -> None:
    accounts = {row["Name"]: row["Id"] for row in company.table("Account")}
    item = create(
        company,
        "Item",
        {
            "Name": "Pipe",
            "Type": "Inventory",
            "QtyOnHand": 4,
            "InvStartDate": "2024-01-01",
            "IncomeAccountRef": {"value": accounts["Sales of Product Income"]},
            "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
            "AssetAccountRef": {"value": accounts["Inventory Asset"]},
        },
    )
    change = {"Id": item["Id"], "SyncToken": "0", "Type": "Service"}
    fault(lambda: update(company, "Item", change, sparse=True), "6000", "change the type")
    renamed = update(
        company, "Item", {"Id": item["Id"], "SyncToken": "0", "Name": "Tube"}, sparse=True
    )
    assert (renamed["QtyOnHand"], renamed["Type"]) == (Decimal("4"), "Inventory")


# --- document numbers ----------------------------------------------------------------------------


def test_document_numbers_follow_the_highest_numeric_one(company: Company) -> None:
    who = customer(company, "Buyer")
    assert invoice(company, who, line(1))["DocNumber"] == "1001"
    assert invoice(company, who, line(1), DocNumber="A-77")["DocNumber"] == "A-77"
    assert invoice(company, who, line(1))["DocNumber"] == "1002"
    assert invoice(company, who, line(1), DocNumber="2000")["DocNumber"] == "2000"
    assert invoice(company, who, line(1))["DocNumber"] == "2001"
    receipt = create(
        company, "SalesReceipt", {"CustomerRef": {"value": who["Id"]}, "Line": [line(1)]}
    )
    assert receipt["DocNumber"] == "1001"  # each form type has its own sequence


def test_custom_numbers_and_auto_generate(company: Company) -> None:
    prefs(company, {"SalesFormsPrefs": {"CustomTxnNumbers": True}})
    who = customer(company, "Buyer")
    assert "DocNumber" not in invoice(company, who, line(1))
    assert invoice(company, who, line(1), DocNumber="AUTO_GENERATE")["DocNumber"] == "1001"
    first = invoice(company, who, line(1), DocNumber="X1")
    error = fault(lambda: invoice(company, who, line(1), DocNumber="X1"), "6140")
    assert f"DocNumber=X1 is assigned to TxnType=Invoice with TxnId={first['Id']}" in str(error)
    assert invoice(company, who, line(1), DocNumber="X2")["DocNumber"] == "X2"
    receipt = create(
        company,
        "SalesReceipt",
        {"CustomerRef": {"value": who["Id"]}, "Line": [line(1)], "DocNumber": "X1"},
    )
    assert receipt["DocNumber"] == "X1"  # duplicates are per transaction type


def test_deleted_documents_free_their_number(company: Company) -> None:
    prefs(company, {"SalesFormsPrefs": {"CustomTxnNumbers": True}})
    who = customer(company, "Buyer")
    first = invoice(company, who, line(1), DocNumber="R-1")
    delete(company, "Invoice", {"Id": first["Id"], "SyncToken": "0"})
    assert invoice(company, who, line(1), DocNumber="R-1")["DocNumber"] == "R-1"


# --- amounts and rounding ------------------------------------------------------------------------


def test_amounts_round_to_the_cent(company: Company) -> None:
    who = customer(company, "Buyer")
    computed = invoice(company, who, line(Qty=3, UnitPrice="0.333"))
    assert computed["Line"][0]["Amount"] == Decimal("1.00")
    assert invoice(company, who, line("1.00", Qty=3, UnitPrice="0.333"))["TotalAmt"] == Decimal(
        "1.00"
    )
    fault(lambda: invoice(company, who, line("1.01", Qty=3, UnitPrice="0.333")), "6070")
    assert invoice(company, who, line("0.005"), line("0.004"))["TotalAmt"] == Decimal("0.01")
    exact = invoice(company, who, line("0.1"), line("0.2"))
    assert exact["TotalAmt"] == Decimal("0.30")
    assert str(exact["TotalAmt"]) == "0.30"


def test_unset_quantity_or_price_is_not_checked(company: Company) -> None:
    who = customer(company, "Buyer")
    assert invoice(company, who, line(100, Qty=0, UnitPrice=0))["TotalAmt"] == Decimal("100")
    assert invoice(company, who, line(100, Qty=1, UnitPrice=0))["TotalAmt"] == Decimal("100")
    fault(lambda: invoice(company, who, line(100, Qty=2, UnitPrice=40)), "6070")
    fault(lambda: invoice(company, who, line(Qty=2)), "2020", "Required parameter Amount")
    fault(lambda: invoice(company, who, line(-5)), "2290")


def test_discounts_and_tax(company: Company) -> None:
    who = customer(company, "Buyer")
    code = next(row for row in company.table("TaxCode") if row["Name"] == "Sacramento County")
    discount = {
        "DetailType": "DiscountLineDetail",
        "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
    }
    taxed = invoice(
        company,
        who,
        line(200, TaxCodeRef={"value": "TAX"}),
        discount,
        TxnTaxDetail={"TxnTaxCodeRef": {"value": code["Id"]}, "TotalTax": 0},
    )
    assert taxed["TxnTaxDetail"]["TotalTax"] == Decimal("15.50")  # 7.75% of 200
    assert taxed["TotalAmt"] == Decimal("195.50")  # 200 - 20 + 15.50
    assert [ln["DetailType"] for ln in taxed["Line"]] == [
        "SalesItemLineDetail",
        "SubTotalLineDetail",  # the discount applies to the subtotal, answered before it
        "DiscountLineDetail",
    ]
    fixed = {"DetailType": "DiscountLineDetail", "DiscountLineDetail": {}}
    fault(lambda: invoice(company, who, line(10), fixed), "6090")
    override = invoice(
        company,
        who,
        line(100, TaxCodeRef={"value": "TAX"}),
        TxnTaxDetail={"TxnTaxCodeRef": {"value": code["Id"]}, "TotalTax": "1.23"},
    )
    assert override["TotalAmt"] == Decimal("101.23")


# --- payments, voids and deletes -----------------------------------------------------------------


def _pay(company: Company, who: Row, total: Any, *applied: tuple[Row, Any]) -> Row:
    lines = [
        {"Amount": amount, "LinkedTxn": [{"TxnId": doc["Id"], "TxnType": "Invoice"}]}
        for doc, amount in applied
    ]
    return create(
        company, "Payment", {"CustomerRef": {"value": who["Id"]}, "TotalAmt": total, "Line": lines}
    )


def test_payment_application_limits(company: Company) -> None:
    who = customer(company, "Buyer")
    doc = invoice(company, who, line(100))
    payment = _pay(company, who, 60, (doc, 60))
    assert read(company, "Invoice", doc["Id"])["Balance"] == Decimal("40")
    fault(lambda: _pay(company, who, 50, (doc, "40.01")), "6000", "open balance (40.00)")
    # Updating a payment may re-apply the money it already applies.
    raised = update(
        company,
        "Payment",
        {
            "Id": payment["Id"],
            "SyncToken": "0",
            "TotalAmt": 100,
            "Line": [{"Amount": 100, "LinkedTxn": [{"TxnId": doc["Id"], "TxnType": "Invoice"}]}],
        },
        sparse=True,
    )
    assert raised["UnappliedAmt"] == Decimal("0")
    assert read(company, "Invoice", doc["Id"])["Balance"] == Decimal("0")
    fault(lambda: _pay(company, who, -1), "2290")


def test_invoice_total_cannot_drop_below_its_payments(company: Company) -> None:
    who = customer(company, "Buyer")
    doc = invoice(company, who, line(100))
    _pay(company, who, 80, (doc, 80))
    current = read(company, "Invoice", doc["Id"])
    shrink = {"Id": doc["Id"], "SyncToken": current["SyncToken"], "Line": [line(50)]}
    fault(lambda: update(company, "Invoice", shrink, sparse=True), "6000", "can't be less than")
    fault(
        lambda: delete(company, "Invoice", {"Id": doc["Id"], "SyncToken": current["SyncToken"]}),
        "6000",
    )


def test_void_and_delete_side_effects(company: Company) -> None:
    who = customer(company, "Buyer")
    doc = invoice(company, who, line(100), PrivateNote="note")
    payment = _pay(company, who, 100, (doc, 100))
    voided = void(
        company,
        "Invoice",
        {"Id": doc["Id"], "SyncToken": read(company, "Invoice", doc["Id"])["SyncToken"]},
    )
    assert (voided["TotalAmt"], voided["Balance"], voided["PrivateNote"]) == (0, 0, "Voided - note")
    assert read(company, "Payment", payment["Id"])["UnappliedAmt"] == Decimal("100")
    assert read(company, "Customer", who["Id"])["Balance"] == Decimal("-100")

    gone = delete(company, "Payment", {"Id": payment["Id"], "SyncToken": "1"})
    assert gone == {"status": "Deleted", "domain": "QBO", "Id": payment["Id"]}
    fault(
        lambda: read(company, "Payment", payment["Id"]),
        "610",
        "Another user has deleted this transaction.",
    )
    fault(
        lambda: delete(company, "Payment", {"Id": payment["Id"], "SyncToken": "1"}),
        "610",
        "deleted",
    )
    assert read(company, "Customer", who["Id"])["Balance"] == Decimal("0")


def test_name_lists_and_read_only_lists_cannot_be_deleted_or_created(company: Company) -> None:
    row = customer(company, "Kept")
    fault(lambda: delete(company, "Customer", {"Id": row["Id"], "SyncToken": "0"}), "500")
    fault(lambda: create(company, "TaxCode", {"Name": "Mine"}), "500")
    fault(lambda: void(company, "Bill", {"Id": "1", "SyncToken": "0"}), "500")


# --- company state ------------------------------------------------------------------------------


def test_closed_books_and_cancelled_subscription(company: Company) -> None:
    who = customer(company, "Buyer")
    old = invoice(company, who, line(1), TxnDate="2024-03-01")
    prefs(company, {"AccountingInfoPrefs": {"BookCloseDate": "2024-03-31"}})
    fault(lambda: invoice(company, who, line(1), TxnDate="2024-03-31"), "6210")
    fault(lambda: delete(company, "Invoice", {"Id": old["Id"], "SyncToken": "0"}), "6210")
    assert invoice(company, who, line(1), TxnDate="2024-04-01")["TxnDate"] == "2024-04-01"

    company.subscription_status = "CANCELLED"
    fault(lambda: customer(company, "Late"), "6190")
    fault(lambda: prefs(company, {"SalesFormsPrefs": {"AllowShipping": True}}), "6190")
    assert read(company, "Customer", who["Id"])["DisplayName"] == "Buyer"


def test_deposited_payments_are_frozen(company: Company) -> None:
    who = customer(company, "Buyer")
    payment = _pay(company, who, 10)
    company.table("Payment").deposited.add(payment["Id"])
    change = {"Id": payment["Id"], "SyncToken": "0", "PrivateNote": "x"}
    fault(lambda: update(company, "Payment", change, sparse=True), "6540")
    fault(lambda: void(company, "Payment", change), "6540")
    fault(lambda: delete(company, "Payment", change), "6540")


def test_names_are_unique_case_insensitively_across_people(company: Company) -> None:
    customer(company, "Smith & Sons")
    fault(
        lambda: create(company, "Employee", {"GivenName": "x", "DisplayName": "SMITH & SONS"}),
        "6240",
    )
    fault(lambda: create(company, "Vendor", {"DisplayName": " smith & sons "}), "6240")
    fault(lambda: create(company, "Customer", {"DisplayName": "a:b"}), "2040")
    fault(lambda: create(company, "Customer", {}), "6080")


def test_moving_a_job_moves_its_balance_between_parents(company: Company) -> None:
    first = customer(company, "First")
    second = customer(company, "Second")
    job = customer(company, "Job", first)
    invoice(company, job, line(100))
    assert read(company, "Customer", first["Id"])["BalanceWithJobs"] == Decimal("100")
    move = {"Id": job["Id"], "SyncToken": "0", "ParentRef": {"value": second["Id"]}}
    update(company, "Customer", move, sparse=True)
    assert read(company, "Customer", first["Id"])["BalanceWithJobs"] == Decimal("0")
    assert read(company, "Customer", second["Id"])["BalanceWithJobs"] == Decimal("100")
    assert read(company, "Customer", job["Id"])["Balance"] == Decimal("100")


def test_payment_applies_a_credit_memo_to_an_invoice(company: Company) -> None:
    who = customer(company, "Buyer")
    doc = invoice(company, who, line(100))
    memo = create(company, "CreditMemo", {"CustomerRef": {"value": who["Id"]}, "Line": [line(30)]})
    assert read(company, "Customer", who["Id"])["Balance"] == Decimal("70")
    lines = [
        {"Amount": 100, "LinkedTxn": [{"TxnId": doc["Id"], "TxnType": "Invoice"}]},
        {"Amount": 30, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]},
    ]
    payment = create(
        company, "Payment", {"CustomerRef": {"value": who["Id"]}, "TotalAmt": 70, "Line": lines}
    )
    assert payment["UnappliedAmt"] == Decimal("0")
    assert read(company, "Invoice", doc["Id"])["Balance"] == Decimal("0")
    assert read(company, "CreditMemo", memo["Id"])["RemainingCredit"] == Decimal("0")
    assert read(company, "Customer", who["Id"])["Balance"] == Decimal("0")
