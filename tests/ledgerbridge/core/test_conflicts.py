"""Concurrent edits: only a field changed on both sides is a conflict."""

from __future__ import annotations

from ledgerbridge.core.conflicts import conflicts, same, shown


def test_quickbooks_keys_and_number_formats_do_not_make_a_difference() -> None:
    assert same({"Line1": "1 Oak St"}, {"Line1": "1 Oak St", "Id": "7"})
    assert same("10.00", 10)
    assert same([{"Amount": "5"}], [{"Amount": 5.0, "LineNum": 1}])
    assert not same({"Line1": "1 Oak St"}, {"Line1": "2 Oak St"})
    assert not same(True, "true")
    assert same(None, "")


def test_a_field_changed_on_both_sides_conflicts() -> None:
    before = {"Notes": "gate 4", "PrimaryPhone": {"FreeFormNumber": "1"}}
    theirs = {"Notes": "gate 5", "PrimaryPhone": {"FreeFormNumber": "2"}}
    found = conflicts({"Notes": "gate 7", "Id": "1", "sparse": True}, before, theirs)
    assert [(c.field, c.ours, c.theirs) for c in found] == [("Notes", "gate 7", "gate 5")]


def test_no_conflict_when_they_left_it_or_agree_or_it_was_never_known() -> None:
    before = {"Notes": "gate 4"}
    assert conflicts({"Notes": "gate 7"}, before, {"Notes": "gate 4"}) == []
    assert conflicts({"Notes": "gate 7"}, before, {"Notes": "gate 7"}) == []
    assert conflicts({"Notes": "gate 7"}, None, {"Notes": "other"}) == []
    assert conflicts({"Notes": "gate 7"}, {}, {"Notes": "other"}) == []


def test_values_are_shown_as_a_person_reads_them() -> None:
    assert shown({"Address": "a@b.co"}) == "a@b.co"
    assert shown({"FreeFormNumber": "555"}) == "555"
    assert shown(None) is None
    assert shown(12) == "12"
