"""What a pull holds while it stores a read: pages spooled as the adapter parsed them, and of
what read back as the mirror held it only its key (a full read after a big first sync)."""

from __future__ import annotations

from decimal import Decimal

from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.engine.drift import Changes
from ledgerbridge.engine.pull import _Spool, _together


def _customer(qbo_id: str, token: str, name: str) -> MirrorObject:
    return MirrorObject.from_quickbooks(
        "Customer", {"Id": qbo_id, "SyncToken": token, "DisplayName": name}
    )


def test_the_spool_gives_back_every_page_in_order_amounts_still_decimals() -> None:
    first = [{"Id": "1", "TotalAmt": Decimal("10.50")}, {"Id": "2", "TotalAmt": Decimal("0")}]
    with _Spool.new() as spool:
        spool.add("Invoice", first)
        spool.add("Invoice", [])
        spool.add("Customer", [{"Id": "7", "DisplayName": "Ann"}])
        pages = list(spool.pages())
    assert pages == [
        ("Invoice", first),
        ("Invoice", []),
        ("Customer", [{"Id": "7", "DisplayName": "Ann"}]),
    ]
    assert isinstance(pages[0][1][0]["TotalAmt"], Decimal)


def test_a_page_of_a_thousand_comes_back_in_pieces_stored_a_group_at_a_time() -> None:
    # a page of a thousand invoices held whole, twice over while the next group was read
    # back, was the largest part of a sync's peak memory: at most 250 objects at once now
    page = [{"Id": str(n)} for n in range(1001)]
    with _Spool.new() as spool:
        spool.add("Invoice", page, whole=True)
        spool.add("Customer", [{"Id": "7"}])
        pieces = list(spool.pages())
        groups = list(_together(spool.pages()))
        assert spool.ids("Invoice") == {row["Id"] for row in page}
    assert [(entity, len(rows)) for entity, rows in pieces] == [
        ("Invoice", 250),
        ("Invoice", 250),
        ("Invoice", 250),
        ("Invoice", 250),
        ("Invoice", 1),
        ("Customer", 1),
    ]
    assert [row for _, rows in pieces for row in rows] == [*page, {"Id": "7"}]
    assert [sum(len(rows) for _, rows in group) for group in groups] == [250, 250, 250, 250, 2]


def test_what_read_back_unchanged_is_kept_as_a_key_only() -> None:
    changes = Changes(full_entities=frozenset({"Customer"}))
    held = _customer("1", "0", "Ann")
    changes.saw(held, _customer("1", "0", "Ann"), changed=False)
    edited = _customer("2", "1", "Bob Smith")
    changes.saw(_customer("2", "0", "Bob"), edited)
    assert changes.seen == {("Customer", "1"), ("Customer", "2")}
    assert [key for key, _ in changes.changed()] == [("Customer", "2")]
    assert changes.after(("Customer", "2")) is edited


def test_an_object_read_twice_counts_its_later_copy() -> None:
    changes = Changes()
    first = _customer("3", "1", "Cy")
    changes.saw(None, first)
    again = _customer("3", "1", "Cy")
    changes.saw(first, again, changed=False)  # the same copy on a later page
    assert list(changes.changed()) == [(("Customer", "3"), (first, again))]


def test_ids_are_kept_only_of_what_was_read_whole() -> None:
    # the ids are what the check for linked objects a full read missed looks in; a
    # freshening pull's changes (thousands of the pass's own writes) kept them for nothing
    with _Spool.new() as spool:
        spool.add("Invoice", [{"Id": str(n)} for n in range(300)])
        spool.add("Customer", [{"Id": "7"}, {"Id": "8"}], whole=True)
        assert spool.ids("Invoice") == set()
        assert spool.ids("Customer") == {"7", "8"}
        assert len(list(spool.pages())) == 3  # every page still stored


def test_keys_are_kept_only_of_the_entities_read_in_full() -> None:
    # `seen` serves only to find the linked objects a full read no longer answers
    changes = Changes(full_entities=frozenset({"Customer"}))
    for n in range(300):
        invoice = MirrorObject.from_quickbooks("Invoice", {"Id": str(n), "SyncToken": "0"})
        changes.saw(invoice, invoice, changed=False)
    changes.saw(None, _customer("5", "0", "Di"), changed=False)
    edited = MirrorObject.from_quickbooks("Invoice", {"Id": "9", "SyncToken": "1"})
    changes.saw(None, edited)
    assert changes.seen == {("Customer", "5")}
    assert [key for key, _ in changes.changed()] == [("Invoice", "9")]  # still told
