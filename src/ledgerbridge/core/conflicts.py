"""Concurrent edits: which fields we are about to send were also changed in QuickBooks.

    conflicts(ours, before, theirs) -> [Conflict]

``ours`` is the sparse body we want to send, ``before`` what we last pushed, ``theirs`` the
object as QuickBooks holds it now. A field conflicts when QuickBooks' value is no longer what we
last pushed (someone changed it) and is not what we now send either; a field whose last pushed
value is not known never conflicts (ours is sent). Values compare by what we send: QuickBooks
adds keys of its own to objects (an address ``Id``, a line's ``LineNum``), and writes numbers as
it likes (``10`` and ``10.00``). Pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["Conflict", "conflicts", "same", "shown"]

_SKIPPED = frozenset({"Id", "SyncToken", "sparse"})


@dataclass(frozen=True)
class Conflict:
    field: str  # the QuickBooks field
    ours: Any
    theirs: Any


def same(ours: Any, theirs: Any) -> bool:
    """Whether QuickBooks' value says what ours says (keys QuickBooks adds are ignored)."""
    if isinstance(ours, Mapping):
        return isinstance(theirs, Mapping) and all(same(v, theirs.get(k)) for k, v in ours.items())
    if isinstance(ours, Sequence) and not isinstance(ours, str):
        return (
            isinstance(theirs, Sequence)
            and not isinstance(theirs, str)
            and len(ours) == len(theirs)
            and all(same(a, b) for a, b in zip(ours, theirs, strict=True))
        )
    if ours is None or theirs is None:
        return ours is None and theirs in (None, "")
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return bool(ours == theirs)
    if isinstance(ours, int | float | Decimal) or isinstance(theirs, int | float | Decimal):
        try:
            return Decimal(str(ours)) == Decimal(str(theirs))
        except InvalidOperation:
            return False
    return str(ours) == str(theirs)


def conflicts(
    ours: Mapping[str, Any], before: Mapping[str, Any] | None, theirs: Mapping[str, Any]
) -> list[Conflict]:
    found: list[Conflict] = []
    for field, value in ours.items():
        if field in _SKIPPED:
            continue
        current = theirs.get(field)
        if same(value, current):
            continue  # QuickBooks already says what we send
        if before is None or field not in before:
            continue  # what we sent last is not known: nothing says someone else changed it
        if same(before[field], current):
            continue  # untouched there since our last push
        found.append(Conflict(field, value, current))
    return found


def shown(value: Any) -> str | None:
    """A QuickBooks value as a person reads it (an email object shows its address)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        for key in ("Address", "FreeFormNumber", "URI", "name", "value"):
            if key in value:
                return str(value[key])
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)
