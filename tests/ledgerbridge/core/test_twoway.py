"""core.twoway: what a change made in QuickBooks is called, and a QuickBooks payment read as the
app's, whatever shape QuickBooks (or someone posing as it) sends."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.core import catalog, lists, twoway
from ledgerbridge.core.mirror import MirrorObject


def test_what_happened_reads_the_mirror_copies() -> None:
    active = MirrorObject("Customer", "1", "0", active=True)
    inactive = MirrorObject("Customer", "1", "1", active=False)
    assert twoway.what_happened(None, active) == "created"
    assert twoway.what_happened(active, inactive) == "deactivated"
    assert twoway.what_happened(inactive, active) == "updated"
    assert twoway.what_happened(active, None) == "deleted"


def test_mode_is_off_for_a_connection_without_the_setting() -> None:
    assert twoway.mode({}, "Customer") == "off"
    assert twoway.mode({"from_quickbooks_items": "events"}, "Item") == "events"
    assert twoway.mode({"from_quickbooks_items": "events"}, "Invoice") == "off"


def test_the_mappings_read_backwards_keep_the_first_app_value() -> None:
    mappings = {"payment_methods": {"check": "2", "cheque": "2", "cash": "1", "bad": 3}}
    assert twoway.methods_back(mappings) == {"2": "check", "1": "cash"}
    assert twoway.methods_back({"payment_methods": ["2"]}) == {}


@pytest.mark.parametrize(
    "obj",
    [
        {"Line": 5, "PaymentMethodRef": "x", "TxnDate": 3, "TotalAmt": "NaN"},
        {"Line": [None, {"LinkedTxn": "Invoice"}, {"LinkedTxn": [7, {"TxnType": "Bill"}]}]},
        {"CustomerRef": [], "PaymentRefNum": {"a": 1}},
    ],
)
def test_a_payment_of_an_odd_shape_is_read_without_failing(obj: dict[str, Any]) -> None:
    told = twoway.payment(obj, invoices={}, customer_id=None, methods={}, method_names={})
    assert told.record["applied_to"] == []
    assert told.record["method"] is None and told.record["reference"] is None
    assert told.problem is not None
    assert told.problem.code == catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP


def test_invoices_are_told_but_never_imported() -> None:
    assert twoway.modes_of("invoices") == ("off", "events")
    assert twoway.modes_of("customers") == ("off", "events", "import")
    assert twoway.mode({"from_quickbooks_invoices": "events"}, "Invoice") == "events"


def test_an_import_becomes_the_apps_record_without_quickbooks_ids() -> None:
    job = twoway.Told(
        "customer",
        {"display_name": "Roof", "email": None, "kind": "job", "parent_id": None},
        parent_quickbooks_id="58",
    )
    assert twoway.import_record(job, parent_id="c-gale") == {
        "display_name": "Roof",
        "kind": "job",
        "parent_id": "c-gale",
    }
    (waits,) = twoway.import_record(job)  # type: ignore[misc]
    assert waits.field == "parent_id" and waits.params == {"quickbooks_id": "58"}

    paid = twoway.payment(
        {
            "CustomerRef": {"value": "1"},
            "TotalAmt": 50,
            "TxnDate": "2026-05-06",
            "PaymentMethodRef": {"value": "2"},
            "Line": [{"Amount": 50, "LinkedTxn": [{"TxnId": "9", "TxnType": "Invoice"}]}],
        },
        invoices={"9": "inv-1"},
        customer_id="ann",
        methods={"2": "check"},
        method_names={},
    )
    assert twoway.import_record(paid) == {
        "customer_id": "ann",
        "date": "2026-05-06",
        "amount": "50",
        "method": "check",
        "applied_to": [{"invoice_id": "inv-1", "amount": "50"}],
        "posted": True,
    }


def test_what_cannot_be_the_apps_record_says_why() -> None:
    bundle = lists.restriction("Item", {"Type": "Group"})
    assert bundle is not None and bundle.read_only
    told = twoway.Told("item", {"name": "Kit"})
    (why,) = twoway.import_record(told, restricted=bundle)  # type: ignore[misc]
    assert why.code == catalog.ITEM_BUNDLE_READ_ONLY
    inventory = lists.restriction("Item", {"Type": "Inventory", "TrackQtyOnHand": True})
    assert inventory is not None and not inventory.read_only and inventory.fields == ("type",)
    assert twoway.import_record(told, restricted=inventory) == {"name": "Kit"}
    visa = twoway.payment(
        {"PaymentMethodRef": {"value": "5", "name": "Visa"}},
        invoices={},
        customer_id=None,
        methods={},
        method_names={},
    )
    (problem,) = twoway.import_record(visa)  # type: ignore[misc]
    assert problem.code == catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP
