"""QuickBooks' list objects read in the app's shape (`core.lists`)."""

from __future__ import annotations

from typing import get_args

from ledgerbridge.core.lists import LISTS, ListName, canonical, restriction
from ledgerbridge.core.records import parse_record


def test_the_list_names_are_the_paths_literal() -> None:
    assert tuple(LISTS) == get_args(ListName)


def test_a_customer_reads_back_as_the_apps_customer_and_parses_as_one() -> None:
    read = canonical(
        "Customer",
        {
            "Id": "7",
            "DisplayName": "Ann Lee",
            "GivenName": "Ann",
            "FamilyName": "Lee",
            "PrimaryEmailAddr": {"Address": "ann@example.com"},
            "PrimaryPhone": {"FreeFormNumber": "555-0100"},
            "BillAddr": {"Line1": "1 Main St", "CountrySubDivisionCode": "CA"},
            "Active": True,
        },
    )
    assert read.record_type == "customer" and read.parent_quickbooks_id is None
    assert read.record["billing_address"]["region"] == "CA"
    record = {k: v for k, v in read.record.items() if v is not None}
    parsed = parse_record("customer", record)
    assert not isinstance(parsed, list), parsed  # the app could send it as it is


def test_a_job_names_its_parent_by_quickbooks_id_not_as_an_app_id() -> None:
    read = canonical("Customer", {"DisplayName": "Suite 4", "ParentRef": {"value": "3"}})
    assert read.record["kind"] == "job" and read.record["parent_id"] is None
    assert read.parent_quickbooks_id == "3"


def test_an_item_reads_amounts_as_decimal_strings_and_accounts_by_name() -> None:
    read = canonical(
        "Item",
        {
            "Name": "Widget",
            "Sku": "W-1",
            "Type": "Inventory",
            "UnitPrice": 12.5,
            "PurchaseCost": "7",
            "TrackQtyOnHand": True,
            "QtyOnHand": 4,
            "InvStartDate": "2026-01-01",
            "IncomeAccountRef": {"value": "79", "name": "Sales"},
            "AssetAccountRef": {"value": "81", "name": "Inventory Asset"},
        },
    )
    assert read.record_type == "item"
    assert read.record["type"] == "inventory"
    assert (read.record["unit_price"], read.record["purchase_cost"]) == ("12.5", "7")
    assert read.record["quantity_on_hand"] == "4"
    assert read.record["income_account"] == "Sales"
    assert read.record["asset_account"] == "Inventory Asset"


def test_odd_values_are_none_never_an_error() -> None:
    read = canonical(
        "Item",
        {"Name": "X", "UnitPrice": "NaN", "Type": "Category", "Active": "yes", "Sku": 5},
    )
    assert read.record["unit_price"] is None and read.record["type"] is None
    assert read.record["active"] is True and read.record["sku"] is None
    assert canonical("Term", {"Name": "Net 30", "DueDays": True}).record["due_days"] is None
    assert canonical("Customer", {"BillAddr": "nowhere"}).record["billing_address"] is None


def test_the_other_lists_carry_the_fields_they_are_picked_by() -> None:
    rate = canonical("TaxRate", {"Name": "CA", "RateValue": "7.25", "AgencyRef": {"name": "BOE"}})
    assert rate.record_type is None
    assert rate.record == {
        "name": "CA",
        "description": None,
        "rate": "7.25",
        "agency": "BOE",
        "active": True,
    }
    method = canonical("PaymentMethod", {"Name": "Visa", "Type": "CREDIT_CARD"})
    assert method.record["type"] == "credit_card"
    assert canonical("Term", {"Name": "Net 30", "DueDays": 30}).record["due_days"] == 30
    assert (
        canonical("Account", {"Name": "Sales", "AccountType": "Income"}).record["account_type"]
        == "Income"
    )


def test_an_invoice_made_in_quickbooks_is_read_with_quickbooks_references() -> None:
    read = canonical(
        "Invoice",
        {
            "DocNumber": "1002",
            "CustomerRef": {"value": "7", "name": "Ann Lee"},
            "TxnDate": "2026-05-04",
            "Line": [
                {
                    "Amount": 160,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "3"}, "Qty": 2, "UnitPrice": 80},
                },
                {"Amount": 160, "DetailType": "SubTotalLineDetail"},
                "not a line",
            ],
            "TotalAmt": 160,
            "CustomerMemo": {"value": "thanks"},
        },
    )
    assert read.record_type == "invoice" and read.parent_quickbooks_id == "7"
    assert read.record["customer_id"] is None and read.record["customer_quickbooks_id"] == "7"
    (line,) = read.record["lines"]
    assert (line["item_quickbooks_id"], line["quantity"], line["amount"]) == ("3", "2", "160")
    assert read.record["memo"] == "thanks" and read.record["total"] == "160"


def test_what_cannot_round_trip_is_named_with_its_catalog_code() -> None:
    assert restriction("Item", {"Type": "Service"}) is None
    assert restriction("Customer", {"Type": "Group"}) is None
    category = restriction("Item", {"Type": "Category"})
    assert category is not None and category.read_only
    assert category.to_json()["code"] == "item.category_read_only"
    assert category.to_json()["fields"] is None
    stocked = restriction("Item", {"Type": "Inventory"})
    assert stocked is not None and stocked.to_json()["fields"] == ["type"]
