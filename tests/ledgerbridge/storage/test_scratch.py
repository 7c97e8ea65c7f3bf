"""A pull's scratch (a private temporary SQLite database): the keys and copies a pull kept in
Python sets and dicts, as many as the objects it read, kept on disk with the same answers."""

from __future__ import annotations

from ledgerbridge.storage.scratch import CHUNK, Scratch


def test_a_key_set_answers_as_a_set_a_chunk_at_a_time() -> None:
    with Scratch.new() as scratch:
        read = scratch.keys("read")
        assert scratch.opened() is None  # nothing kept: no database
        assert read.count() == 0
        assert list(read.missing([("Invoice", "1")])) == [("Invoice", "1")]
        read.add_many(("Invoice", str(n)) for n in range(2 * CHUNK + 1))
        read.add_many([("Invoice", "3"), ("Customer", "3")])  # a key twice: kept once
        other = scratch.keys("other")
        other.add_many([("Invoice", "x")])
        assert read.count() == 2 * CHUNK + 2
        assert read.count("Invoice") == 2 * CHUNK + 1
        assert read.among([("Invoice", "4"), ("Customer", "4"), ("Invoice", "x")]) == {
            ("Invoice", "4")
        }
        asked = [("Customer", "3"), ("Invoice", "5000"), ("Vendor", "3"), ("Invoice", "0")]
        assert list(read.missing(asked * CHUNK)) == [("Invoice", "5000"), ("Vendor", "3")] * CHUNK
        chunks = list(read.chunks("Invoice"))
        assert [len(chunk) for chunk in chunks] == [CHUNK, CHUNK, 1]
        assert sorted(i for chunk in chunks for i in chunk) == sorted(
            str(n) for n in range(2 * CHUNK + 1)
        )
        assert set(other) == {("Invoice", "x")}
    assert scratch.opened() is None  # closed with its block


def test_copies_keep_their_first_place_and_take_the_later_value() -> None:
    with Scratch.new() as scratch:
        copies = scratch.copies("changed")
        copies.put_many([(("Customer", "2"), b"a"), (("Invoice", "1"), b"b")])
        copies.put_many((("Customer", str(n)), b"n") for n in range(10, 10 + CHUNK))
        copies.put_many([(("Customer", "2"), b"c")])
        items = [item for chunk in copies.chunks() for item in chunk]
        assert items[:3] == [
            (("Customer", "2"), b"c"),
            (("Invoice", "1"), b"b"),
            (("Customer", "10"), b"n"),
        ]
        assert len(items) == CHUNK + 2
        assert [len(chunk) for chunk in copies.chunks()] == [CHUNK, 2]
        assert copies.keys_among([("Customer", "2"), ("Customer", "3")]) == {("Customer", "2")}
