"""Problems: what stops a record, as values.

Validation never raises for bad input; it returns `Problem` values. The same values feed the
HTTP API (a 422 naming the field), the dashboard and dry runs, so a problem carries:

- ``code``: a catalog code (``invoice.no_lines``, ``record.field_too_long``, ... owned by
  `ledgerbridge.core.catalog`) or one of the input codes below for malformed input;
- ``field``: the JSON path of the field at fault (``lines[2].unit_price``,
  ``billing_address.postal_code``), or ``None`` when the problem is the whole record;
- ``message``: one sentence a developer understands without the docs;
- ``params``: the figures behind the message (length, limit, both values of a mismatch...),
  as an immutable, hashable mapping of ``str`` to ``str | int | None``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, TypeAlias

__all__ = [
    "INPUT_INVALID",
    "INPUT_REQUIRED",
    "INPUT_UNKNOWN_FIELD",
    "ParamValue",
    "Params",
    "Problem",
]

INPUT_INVALID = "input.invalid"
"""A value has the wrong type or format, or breaks a rule of the input schema."""
INPUT_REQUIRED = "input.required"
"""A required field is missing, null or blank."""
INPUT_UNKNOWN_FIELD = "input.unknown_field"
"""A field the schema does not know: most often a typo, which must not vanish silently."""

ParamValue: TypeAlias = str | int | None


class Params(Mapping[str, ParamValue]):
    """An immutable, hashable mapping that keeps the order its items were given in."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, ParamValue] | None = None) -> None:
        self._items: tuple[tuple[str, ParamValue], ...] = tuple((items or {}).items())

    def __getitem__(self, key: str) -> ParamValue:
        for name, value in self._items:
            if name == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._items) == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"Params({dict(self._items)!r})"


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One thing that stops a record, named by code and field path."""

    code: str
    field: str | None
    message: str
    params: Mapping[str, ParamValue] = dataclasses.field(default_factory=Params)

    def __post_init__(self) -> None:
        if not isinstance(self.params, Params):
            object.__setattr__(self, "params", Params(self.params))

    def to_json(self) -> dict[str, Any]:
        """The problem as the API and the event feed show it."""
        return {
            "code": self.code,
            "field": self.field,
            "message": self.message,
            "params": dict(self.params),
        }
