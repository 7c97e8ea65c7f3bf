"""core.twoway: what a change made in QuickBooks is called, and a QuickBooks payment read as the
app's, whatever shape QuickBooks (or someone posing as it) sends."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.core import catalog, twoway
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
