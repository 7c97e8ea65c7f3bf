"""The one rule for text at every edge."""

from __future__ import annotations

import pytest

from ledgerbridge.core.text import refused


@pytest.mark.parametrize("value", ["", "Ana Díaz", "55 Meadowlark Ct", "Café 🍰", "a\u007fb"])
def test_text_is_kept(value: str) -> None:
    assert refused(value) is None


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("Bad \ud800 name", "lone surrogate (U+D800) at position 4"),
        ("a\udfffb", "lone surrogate (U+DFFF) at position 1"),
        ("a\x00b", "NUL character at position 1"),
        ("bell\x07", "control character (U+0007) at position 4"),
        ("x\ufffe", "non-character (U+FFFE) at position 1"),
    ],
)
def test_what_is_not_text_is_named(value: str, found: str) -> None:
    reason = refused(value, lines=True)
    assert reason is not None and found in reason


def test_line_breaks_are_text_only_where_lines_are() -> None:
    assert refused("line one\r\nline two\tend", lines=True) is None
    reason = refused("two\nlines")
    assert reason is not None and "U+000A" in reason
