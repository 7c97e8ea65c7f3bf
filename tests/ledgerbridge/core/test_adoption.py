"""`core.adoption`: the QuickBooks object an app record says it is, split from its fields."""

from __future__ import annotations

import pytest

from ledgerbridge.core.adoption import Split, split_link


def test_a_record_without_link_is_left_as_it_is() -> None:
    data = {"display_name": "Bo"}
    assert split_link(data) == Split(data, None)
    assert split_link({**data, "link": None}) == Split(data, None, given=True)  # cancelled


@pytest.mark.parametrize("qbo_id", ["58", "1", "80000001-1234567890", "A" * 40])
def test_online_and_desktop_ids_are_taken(qbo_id: str) -> None:
    found = split_link({"display_name": "Bo", "link": {"quickbooks_id": qbo_id}})
    assert found == Split({"display_name": "Bo"}, qbo_id, given=True)


@pytest.mark.parametrize(
    ("link", "field", "code"),
    [
        ("58", "link", "input.invalid"),
        ([], "link", "input.invalid"),
        ({}, "link.quickbooks_id", "input.invalid"),
        ({"quickbooks_id": None}, "link.quickbooks_id", "input.invalid"),
        ({"quickbooks_id": 58}, "link.quickbooks_id", "input.invalid"),
        ({"quickbooks_id": "-58"}, "link.quickbooks_id", "input.invalid"),
        ({"quickbooks_id": "58 "}, "link.quickbooks_id", "input.invalid"),
        ({"quickbooks_id": "5\u200b8"}, "link.quickbooks_id", "input.invalid"),
        ({"quickbooks_id": "9" * 41}, "link.quickbooks_id", "input.invalid"),
        ({"quickbooks_id": "58", "x" * 500: 1}, "link." + "x" * 40, "input.unknown_field"),
    ],
)
def test_anything_else_is_refused_naming_the_field(link: object, field: str, code: str) -> None:
    found = split_link({"display_name": "Bo", "link": link})
    assert isinstance(found, list)
    assert [(p.code, p.field) for p in found] == [(code, field)]
