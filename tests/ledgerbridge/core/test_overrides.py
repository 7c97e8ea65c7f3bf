"""Overrides apply while the app still sends the value they replaced."""

from __future__ import annotations

import pytest

from ledgerbridge.core.overrides import active, apply, get_path, make, set_path

INVOICE = {
    "number": "1001",
    "lines": [{"description": "a" * 10}, {"description": "b"}],
    "billing": {"line1": "1 Oak"},
}


def test_paths_reach_nested_fields_and_list_items() -> None:
    assert get_path(INVOICE, "lines[1].description") == "b"
    assert get_path(INVOICE, "billing.line1") == "1 Oak"
    assert get_path(INVOICE, "lines[5].description") is None
    assert get_path(INVOICE, "nope.deeper") is None
    changed = set_path(INVOICE, "lines[0].description", "short")
    assert changed["lines"][0]["description"] == "short"
    assert INVOICE["lines"][0]["description"] == "a" * 10  # a copy: the app's data is untouched
    with pytest.raises(ValueError):
        get_path(INVOICE, "lines[x]")


def test_an_override_applies_until_the_app_changes_the_field() -> None:
    overrides = {"number": make(INVOICE, "number", "1251")}
    assert overrides == {"number": {"app": "1001", "quickbooks": "1251"}}
    assert apply(INVOICE, overrides)["number"] == "1251"
    renumbered_in_app = {**INVOICE, "number": "2001"}
    assert active(renumbered_in_app, overrides) == {}
    assert apply(renumbered_in_app, overrides)["number"] == "2001"


def test_a_field_the_app_never_sent_can_be_given_a_value() -> None:
    customer = {"first_name": "Maria", "last_name": "Delgado"}
    overrides = {"display_name": make(customer, "display_name", "Maria Delgado - 2")}
    assert apply(customer, overrides)["display_name"] == "Maria Delgado - 2"
    assert apply({**customer, "display_name": "Maria D."}, overrides)["display_name"] == "Maria D."
    assert apply(customer, None) == customer
