"""What a pull holds while it stores a read: pages spooled as the adapter parsed them, and of
what read back as the mirror held it only its key (a full read after a big first sync)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from ledgerbridge.core.mirror import MirrorObject
from ledgerbridge.engine.drift import Changes
from ledgerbridge.engine.pull import STORE_SIZE, _Spool, _together
from ledgerbridge.storage.scratch import Scratch


@contextmanager
def _changes(full_entities: frozenset[str] = frozenset()) -> Iterator[Changes]:
    """A pull's `Changes` over a scratch database closed when the block ends, as a pull's
    spool closes its own (left to the collector, an open SQLite connection is a
    ResourceWarning on the Pythons that tell it)."""
    with Scratch.new() as scratch:
        yield Changes(full_entities=full_entities, scratch=scratch)


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
        assert set(spool.whole) == {("Invoice", row["Id"]) for row in page}
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
    with _changes(frozenset({"Customer"})) as changes:
        held = _customer("1", "0", "Ann")
        changes.saw(held, _customer("1", "0", "Ann"), changed=False)
        edited = _customer("2", "1", "Bob Smith")
        changes.saw(_customer("2", "0", "Bob"), edited)
        assert set(changes.seen) == {("Customer", "1"), ("Customer", "2")}
        before = _customer("2", "0", "Bob")
        assert list(changes.changed()) == [(("Customer", "2"), (before, edited))]


def test_an_object_read_twice_counts_its_later_copy() -> None:
    with _changes() as changes:
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
        assert set(spool.whole) == {("Customer", "7"), ("Customer", "8")}
        assert len(list(spool.pages())) == 3  # every page still stored


def test_keys_are_kept_only_of_the_entities_read_in_full() -> None:
    # `seen` serves only to find the linked objects a full read no longer answers
    with _changes(frozenset({"Customer"})) as changes:
        for n in range(300):
            invoice = MirrorObject.from_quickbooks("Invoice", {"Id": str(n), "SyncToken": "0"})
            changes.saw(invoice, invoice, changed=False)
        changes.saw(None, _customer("5", "0", "Di"), changed=False)
        edited = MirrorObject.from_quickbooks("Invoice", {"Id": "9", "SyncToken": "1"})
        changes.saw(None, edited)
        assert set(changes.seen) == {("Customer", "5")}
        assert [key for key, _ in changes.changed()] == [("Invoice", "9")]  # still told


def _held_in_python(fill: Callable[[int], object], n: int) -> int:
    """Bytes Python still holds after `fill(n)` (tracemalloc: SQLite's own page cache, at most
    scratch.CACHE_KIB, is not Python's), what `fill` returns kept alive meanwhile."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = fill(n)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del kept
    return held


def _a_freshening_pulls_changes(n: int) -> Iterator[Changes]:
    """What a freshening pull after a long pass sees: `n` invoices of an entity read in full,
    read back as the pass wrote them, and `n` customers whose balance they moved; its scratch
    closed when the generator is (as `_a_full_reads_spool`'s spool)."""
    with _changes(frozenset({"Invoice"})) as changes:
        _freshened(changes, n)
        yield changes


def _freshened(changes: Changes, n: int) -> None:
    for at in range(0, n, STORE_SIZE):
        for i in range(at, min(at + STORE_SIZE, n)):
            invoice = MirrorObject.from_quickbooks(
                "Invoice", {"Id": str(i), "SyncToken": "0", "TotalAmt": Decimal("12.50")}
            )
            changes.saw(invoice, invoice, changed=False)
            body = {"Id": f"c{i}", "SyncToken": "0", "DisplayName": f"Customer {i}"}
            moved = {**body, "Balance": Decimal("12.50")}
            changes.saw(
                MirrorObject.from_quickbooks("Customer", {**body, "Balance": Decimal("0")}),
                MirrorObject.from_quickbooks("Customer", moved),
            )


def test_a_pulls_changes_hold_no_python_object_for_each_object_read() -> None:
    # a freshening pull during a 60,000-record first sync read back 61,527 objects, 7,435
    # customers changed: their keys and both copies of each held some 40 MiB, the peak
    def fill(n: int) -> Iterator[Changes]:
        changes = _a_freshening_pulls_changes(n)
        next(changes)  # filled: measured while its scratch is still open
        return changes

    small = _held_in_python(fill, 500)
    large = _held_in_python(fill, 5000)
    assert large - small < 64 * 1024, (small, large)
    with _changes(frozenset({"Invoice"})) as changes:  # and every key and copy still answered
        _freshened(changes, 600)
        assert changes.seen.count() == 600
        changed = list(changes.changed())
        assert len(changed) == 600
        assert changed[0][0] == ("Customer", "c0")
        assert changed[0][1][1].data["Balance"] == Decimal("12.50")


def _a_full_reads_spool(n: int) -> Iterator[None]:
    with _Spool.new() as spool:
        for at in range(0, n, 1000):
            spool.add("Invoice", [{"Id": str(i)} for i in range(at, min(at + 1000, n))], whole=True)
        yield None


def test_a_spool_holds_no_python_object_for_each_id_read_whole() -> None:
    def fill(n: int) -> Iterator[None]:
        spool = _a_full_reads_spool(n)
        next(spool)  # open, filled: measured while the spool is still in use
        return spool

    small = _held_in_python(fill, 1000)
    large = _held_in_python(fill, 20000)
    assert large - small < 64 * 1024, (small, large)
