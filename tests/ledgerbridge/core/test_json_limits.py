"""core.json_limits: JSON from outside, UTF-8 and at most 32 levels deep."""

from __future__ import annotations

import json

import pytest

from ledgerbridge.core.json_limits import MAX_DEPTH, Unreadable, depth_over, parse


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_json_is_read_as_usual() -> None:
    assert parse(b'{"a": [1, {"b": "\\u00e9"}]}') == {"a": [1, {"b": "é"}]}
    assert parse("\ufeff[1]".encode()) == [1]  # a UTF-8 byte order mark, as json takes it


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 5_000, 100_000])
def test_nesting_past_the_limit_is_refused_with_the_reason(levels: int) -> None:
    with pytest.raises(Unreadable, match=f"more than {MAX_DEPTH} levels deep"):
        parse(_deep(levels).encode())


def test_nesting_up_to_the_limit_is_read() -> None:
    assert depth_over(parse(_deep(MAX_DEPTH)), MAX_DEPTH) is False
    assert depth_over({"a": [{"b": []}]}, 3) is True
    assert depth_over({"a": [{"b": 1}]}, 3) is False


def test_bytes_that_are_not_utf_8_are_refused_naming_where() -> None:
    with pytest.raises(Unreadable, match="not UTF-8 text \\(byte 6"):
        parse(b'{"a": \xff}')


def test_a_syntax_error_stays_json_s_own() -> None:
    with pytest.raises(json.JSONDecodeError):
        parse(b'{"a": ')


def test_whole_numbers_may_be_kept_as_their_digits() -> None:
    """A notification's ids (`adapters.qbo.webhooks`): past Python's 4,300 digits as well."""
    digits = "9" * 10_000
    assert parse(f"[{digits}, -1, 2.5]", parse_int=str) == [digits, "-1", 2.5]
    with pytest.raises(ValueError, match="4300 digits"):
        parse(f"[{digits}]")
