"""What counts as text: the one rule every edge (the API, the dashboard's forms, the CLI)
applies before a string is stored or sent on.

Python's `str` holds more than Unicode text: a lone surrogate (``"\\ud800"``, what an app that
cut an emoji in half sends as a JSON escape) cannot be encoded as UTF-8, so PostgreSQL refuses
it and every later read of it fails. NUL and the other C0 control characters cannot travel in
XML 1.0 (QuickBooks Desktop's qbXML) and QuickBooks Online drops or refuses them; PostgreSQL
cannot store NUL at all. Such a value is refused where it enters, naming the field, so nothing
already stored can make a listing or a sync pass fail.

Tab, line feed and carriage return are text in a free-text field (a note, a memo, an address
line) but not in a single-line value (an id, a name, an email, a key): `refused` takes which.

Text stored before this rule existed may still hold such characters; `shown` makes it safe to
put in an answer or a page (each one becomes U+FFFD), for the edges that only show it.
"""

from __future__ import annotations

import re

__all__ = ["MAX_TEXT_BYTES", "refused", "shown", "too_large"]

MAX_TEXT_BYTES = 1_000_000
"""No string is longer than this in UTF-8 (1 MB): no QuickBooks field comes near it."""

_ALLOWED_IN_LINES = frozenset("\t\n\r")
# Every character `refused` may name; a string without any is text (the fast path).
_SUSPECT = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_SHOWN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def refused(value: str, *, lines: bool = False) -> str | None:
    """Why `value` is not text we keep (one sentence naming the character and where it is),
    or None when it is. `lines`: tab, line feed and carriage return are allowed."""
    found = _SUSPECT.search(value)
    if found is None:
        return None
    for index in range(found.start(), len(value)):
        character = value[index]
        point = ord(character)
        if 0xD800 <= point <= 0xDFFF:
            what = f"a lone surrogate (U+{point:04X})"
        elif point == 0:
            what = "a NUL character"
        elif point < 0x20 and not (lines and character in _ALLOWED_IN_LINES):
            what = f"a control character (U+{point:04X})"
        elif point in (0xFFFE, 0xFFFF):
            what = f"a non-character (U+{point:04X})"
        else:
            continue
        return f"holds {what} at position {index}: send valid Unicode text"
    return None


def too_large(value: str) -> str | None:
    """Why `value` is too long to keep (over `MAX_TEXT_BYTES` in UTF-8), or None."""
    if len(value) * 4 <= MAX_TEXT_BYTES:  # no character takes more than 4 bytes
        return None
    size = len(value.encode("utf-8", "surrogatepass"))
    if size <= MAX_TEXT_BYTES:
        return None
    return f"is {size:,} bytes long: text is kept up to {MAX_TEXT_BYTES:,} bytes (1 MB)"


def shown(value: str) -> str:
    """`value` fit to show: each character `refused` names (line breaks and tabs kept)
    becomes U+FFFD, so an answer or a page that quotes stored text can always be written."""
    return _NOT_SHOWN.sub("\ufffd", value)
