"""What counts as text: the one rule every edge (API, dashboard forms, webhooks, SOAP bodies)
applies before a string is stored or sent on.

Python's `str` holds more than Unicode text: a lone surrogate (``"\\ud800"``, what an app that
cut an emoji in half sends as a JSON escape) cannot be encoded as UTF-8, so PostgreSQL refuses
it and every later read of it fails. NUL and the other C0 control characters cannot travel in
XML 1.0 (QuickBooks Desktop's qbXML) and QuickBooks Online drops or refuses them; PostgreSQL
cannot store NUL at all. Such a value is refused where it enters, naming the field, so nothing
already stored can make a listing or a sync pass fail.

Tab, line feed and carriage return are text in a free-text field (a note, a memo, an address
line) but not in a single-line value (an id, a name, an email, a key): `refused` takes which.
"""

from __future__ import annotations

__all__ = ["refused"]

_ALLOWED_IN_LINES = frozenset("\t\n\r")


def refused(value: str, *, lines: bool = False) -> str | None:
    """Why `value` is not text we keep (one sentence naming the character and where it is),
    or None when it is. `lines`: tab, line feed and carriage return are allowed."""
    for index, character in enumerate(value):
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
