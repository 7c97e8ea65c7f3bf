"""What the engine sends against what QuickBooks holds: by value, never by form."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.core.compare import Difference, differences, normalized, shown

LINE = {
    "DetailType": "SalesItemLineDetail",
    "Amount": "129.00",
    "SalesItemLineDetail": {"Qty": "1", "UnitPrice": "129.00", "ItemRef": {"value": "3"}},
}


def held_line(qty: Any = "1.0", amount: Any = "129.0") -> dict[str, Any]:
    return {
        "Id": "1",
        "LineNum": 1,
        "DetailType": "SalesItemLineDetail",
        "Amount": amount,
        "SalesItemLineDetail": {
            "Qty": qty,
            "UnitPrice": 129.0,
            "ItemRef": {"value": "3", "name": "Service Call"},
            "TaxCodeRef": {"value": "NON"},
        },
    }


SUBTOTAL = {"Amount": "129.0", "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}


def test_number_formats_references_labels_and_quickbooks_own_lines_are_no_change() -> None:
    body = {"DocNumber": "1001", "TxnDate": "2026-11-02", "Line": [LINE], "Active": True}
    held = {
        "Id": "9",
        "SyncToken": "2",
        "DocNumber": "1001",
        "TxnDate": "2026-11-02",
        "Line": [held_line(), SUBTOTAL],
        "TotalAmt": 129.0,
        "Active": True,
    }
    assert differences(body, held) == []
    assert differences(body, {**held, "Line": [held_line(qty=1, amount=129), SUBTOTAL]}) == []


def test_a_quantity_changed_there_is_a_change_with_both_values() -> None:
    found = differences({"Line": [LINE]}, {"Line": [held_line("5", "645.0"), SUBTOTAL]})
    assert found == [
        Difference("Line[0].Amount", "129.00", "645.0"),
        Difference("Line[0].SalesItemLineDetail.Qty", "1", "5"),
    ]
    assert {d.field for d in found} == {"Line"}
    assert [shown(d.theirs, d.path) for d in found] == ["645.00", "5"]


def test_a_line_added_in_quickbooks_is_a_change() -> None:
    discount = {"DetailType": "DiscountLineDetail", "Amount": 10}
    (found,) = differences({"Line": [LINE]}, {"Line": [held_line(), discount, SUBTOTAL]})
    assert found.path == "Line" and shown(found.theirs, found.path) == "2 lines"


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ({"DocNumber": "1001"}, {"DocNumber": "01001"}),  # text is text, not a number
        ({"PrimaryEmailAddr": {"Address": "a@x.io"}}, {"PrimaryEmailAddr": {"Address": "b@x.io"}}),
        ({"Active": True}, {"Active": False}),
        ({"CustomerRef": {"value": "3"}}, {"CustomerRef": {"value": "4", "name": "Bo"}}),
        ({"PrivateNote": "Thanks"}, {}),  # gone from QuickBooks
        ({"POStatus": "Closed"}, {"POStatus": "Open"}),  # reopened: not QuickBooks' own move
    ],
)
def test_real_changes_are_seen(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert len(differences(ours, theirs)) == 1


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ({"Name": " Widget "}, {"Name": "Widget"}),  # QuickBooks trims names
        ({"PrivateNote": ""}, {}),  # sent empty, left out
        ({"POStatus": "Open"}, {"POStatus": "Closed"}),  # closed by its bill
        (
            {"Line": [{"AccountBasedExpenseLineDetail": {"BillableStatus": "Billable"}}]},
            {"Line": [{"AccountBasedExpenseLineDetail": {"BillableStatus": "HasBeenBilled"}}]},
        ),
        ({"QtyOnHand": "10", "InvStartDate": "2026-01-01"}, {"QtyOnHand": 7}),  # stock moves
        ({"Sku": "A-1"}, {"Sku": "A-1", "FullyQualifiedName": "X"}),  # what we never send
    ],
)
def test_what_quickbooks_does_by_itself_is_no_change(
    ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    assert differences(ours, theirs) == []


def test_kept_values_survive_quickbooks_relabelling_its_own_references() -> None:
    before = normalized([held_line(), SUBTOTAL], "Line")
    renamed = held_line()
    renamed["SalesItemLineDetail"]["ItemRef"]["name"] = "Service Call (new)"
    renamed["Id"] = "7"
    assert normalized([renamed, SUBTOTAL], "Line") == before
    assert normalized("129.00", "Amount") == normalized(129.0, "Amount") == "129"


def test_values_are_shown_as_a_person_reads_them() -> None:
    assert shown(1495.0, "TotalAmt") == "1,495.00"
    assert shown("1.0", "Line[0].SalesItemLineDetail.Qty") == "1"
    assert shown(0.5, "Qty") == "0.5"
    assert shown({"value": "3", "name": "Bo"}) == "3"
    assert shown(True) == "yes" and shown(None) is None
