"""JSON from outside, read within limits: the one parser every edge that takes a JSON body uses
(the API's request bodies, Intuit's webhook notifications).

A body must be UTF-8 (RFC 8259: JSON exchanged between systems is) and nest at most
`MAX_DEPTH` arrays and objects. The standard library's parser recurses once per level, so a
body of 100,000 `[` fails with a RecursionError deep inside it: an unexpected failure (a 500)
before any validation could say what is wrong. What we read is a handful of levels deep (a
bulk request: body, records, a record, its data, lines, a line: six; a legacy notification:
five), so 32 leaves room and anything deeper is refused with a reason.

    parse(body) -> the value
        json.JSONDecodeError    not JSON (the caller's usual syntax error, with its position)
        Unreadable              JSON we do not read: not UTF-8, or nested too deep
        ValueError              a whole number of more digits than Python converts (4,300 by
                                default), unless `parse_int` reads it otherwise
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

__all__ = ["MAX_DEPTH", "Unreadable", "depth_over", "parse"]

MAX_DEPTH: Final = 32
"""Arrays and objects nested in one another, the outermost counting as 1."""


class Unreadable(ValueError):
    """A body we do not read; `reason` says why in one sentence for the sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse(
    body: bytes | str,
    *,
    max_depth: int = MAX_DEPTH,
    parse_int: Callable[[str], Any] | None = None,
) -> Any:
    """The JSON value of `body`, or `Unreadable` / `json.JSONDecodeError` (see the module).
    `parse_int`: what a whole number becomes, from its digits (`int` by default, as `json`)."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8-sig")  # a UTF-8 byte order mark is tolerated, as json does
        except UnicodeDecodeError as exc:
            raise Unreadable(
                f"the body is not UTF-8 text (byte {exc.start} cannot be decoded)"
            ) from None
    else:
        text = body
    try:
        value = json.loads(text, parse_int=parse_int)
    except RecursionError:
        raise Unreadable(_too_deep(max_depth)) from None
    # a value cannot nest deeper than the text has brackets (those inside strings only add to
    # the count): most texts, a record's data among them, need no walk
    if text.count("[") + text.count("{") > max_depth and depth_over(value, max_depth):
        raise Unreadable(_too_deep(max_depth))
    return value


def depth_over(value: Any, max_depth: int) -> bool:
    """Whether `value` nests more than `max_depth` lists and dicts (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > max_depth:
            return True
        pending.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return False


def _too_deep(max_depth: int) -> str:
    return f"the body nests arrays and objects more than {max_depth} levels deep"
