"""Shorten: the ways a text too long for QuickBooks can be cut, each with exactly what would be
sent, the one recommended for the field, and the check of a value a person typed.

    cuts = choices("pi_3OaBcDeFgHiJkLmN0pQrStUv-2026", 21)
    [c.value for c in cuts]   # keep the start, keep the end, keep both ends
    recommended("reference")  # "end": an id's unique part is its tail

A processor's id (a Stripe payment id as a payment reference) or a document number differs
from the next one at its end, so for those fields the end is kept by default; a name, a memo or
an address reads from its start. ``start`` is what Shorten did before the choice existed, and
what an action without a choice still does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

from ledgerbridge.core import text

__all__ = [
    "KEEPS",
    "Cut",
    "Keep",
    "choices",
    "cut",
    "id_like",
    "lines_allowed",
    "recommended",
    "refused",
]

Keep = Literal["start", "end", "both"]
KEEPS: Final[tuple[Keep, ...]] = get_args(Keep)

_LABELS: Final = {
    "start": "Keep the start",
    "end": "Keep the end",
    "both": "Keep the start and the end",
}
# fields whose value is an id or a number: what tells one from the next is at its end
_ID_FIELDS: Final = frozenset({"reference", "number", "vendor_document_number", "sku"})
# fields where a line break is text (memos, notes, descriptions)
_MULTILINE: Final = frozenset({"memo", "notes", "description"})


@dataclass(frozen=True, slots=True)
class Cut:
    keep: Keep
    label: str
    value: str  # exactly what would be sent


def _last(path: str) -> str:
    return path.rsplit(".", 1)[-1].split("[", 1)[0]


def id_like(path: str) -> bool:
    """Whether the field at `path` holds an id or a number (its end tells it apart)."""
    return _last(path) in _ID_FIELDS


def lines_allowed(path: str) -> bool:
    """Whether a line break is text in the field at `path` (a memo, notes, a description)."""
    return _last(path) in _MULTILINE


def recommended(path: str) -> Keep:
    """The cut offered first for the field: the end of an id, the start of anything else."""
    return "end" if id_like(path) else "start"


def cut(value: str, limit: int, keep: Keep) -> str:
    """`value` cut to at most `limit` characters, keeping its start, its end, or both ends
    joined without anything between (no ellipsis: every character counts in QuickBooks)."""
    if limit <= 0:
        return ""
    if len(value) <= limit:
        return value.strip()
    if keep == "start":
        return value[:limit].rstrip()
    if keep == "end":
        return value[-limit:].lstrip()
    head = value[: (limit + 1) // 2]
    tail = value[len(value) - (limit - len(head)) :] if limit > len(head) else ""
    return (head + tail).strip()


def choices(value: str, limit: int, path: str = "") -> list[Cut]:
    """Each cut with what it sends, the recommended one for `path` first."""
    first = recommended(path)
    order = [first, *(k for k in KEEPS if k != first)]
    return [Cut(k, _LABELS[k], cut(value, limit, k)) for k in order]


def refused(value: str, limit: int, path: str) -> str | None:
    """Why `value` cannot be sent for the field at `path` (limit `limit`), or None: empty,
    longer than the limit, or not text for the field (a control character, a line break in a
    one-line field)."""
    if not value.strip():
        return "is empty: enter the text to send to QuickBooks"
    why = text.refused(value, lines=lines_allowed(path))
    if why is not None:
        return why
    if len(value.strip()) > limit:
        return f"has {len(value.strip())} characters; QuickBooks accepts at most {limit}"
    return None
