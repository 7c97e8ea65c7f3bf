"""Reading app JSON into typed values while collecting every problem, and writing it back.

`Fields` wraps one JSON object found at a path (``""`` for the record itself, ``lines[2]`` for
a line) and a problem list shared by the whole record. Each reader method takes a key, marks it
as seen, and returns the typed value; a missing, null or blank value is absent. When a value is
malformed, or absent but required, the reader appends a `Problem` named by the full path and
carries on, so one pass reports everything wrong with a record:

- ``text``/``ref``/``amount``/``number``/``day``/``optional_flag`` return ``None`` when absent
  or malformed;
- ``required_*``, ``flag`` and ``choice`` return a placeholder (``""``, zero, `date.min`, the
  default) instead, which keeps record constructors typed: a record built from placeholders is
  never returned, because its problem list is not empty;
- ``nested`` and ``each`` read an object or a list of objects with a parser of their own;
- `Fields.finish` reports the keys no reader asked for (a typo must not vanish).

Every string a reader takes must be text (`core.text`): a lone surrogate, NUL or another
control character, or more than 1 MB, is an ``input.invalid`` problem naming the field, whatever
the field is (an amount, a date, a choice...). Tab and line breaks are text only in the
free-text fields (``text(key, lines=True)``: notes, memos, descriptions, address lines). A key
that is not text is reported under its JSON spelling, so no answer ever quotes it raw.

Parsers never raise on bad input. Conversion helpers signal a bad value with `_Invalid`, which
never leaves this module.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from ledgerbridge.core import money as _money
from ledgerbridge.core import text as _text
from ledgerbridge.core.problems import (
    INPUT_INVALID,
    INPUT_REQUIRED,
    INPUT_UNKNOWN_FIELD,
    ParamValue,
    Problem,
)

__all__ = ["Fields", "date_json", "decimal_json", "describe", "read_record"]

T = TypeVar("T")
S = TypeVar("S", bound=str)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHOWN_LIMIT = 60
_HUGE_BITS = 64


class _Invalid(Exception):
    """A value that cannot be read; turned into an ``input.invalid`` problem by `Fields`."""

    def __init__(self, message: str, **params: ParamValue) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def read_record(data: object, parse: Callable[[Fields], T]) -> T | list[Problem]:
    """Parse one record object; the value, or every problem found in it."""
    if not isinstance(data, Mapping):
        return [Problem(INPUT_INVALID, None, f"expected a JSON object, got {describe(data)}")]
    problems: list[Problem] = []
    fields = Fields(data, "", problems)
    value = parse(fields)
    fields.finish()
    return problems if problems else value


class Fields:
    """One JSON object being read; see the module docstring."""

    __slots__ = ("_data", "_path", "_problems", "_seen")

    def __init__(self, data: Mapping[Any, Any], path: str, problems: list[Problem]) -> None:
        self._data = data
        self._path = path
        self._problems = problems
        self._seen: set[str] = set()

    def path(self, key: str | None = None) -> str:
        """The JSON path of ``key`` in this object (of the object itself when ``None``)."""
        if key is None:
            return self._path
        return f"{self._path}.{key}" if self._path else key

    def report(self, code: str, key: str | None, message: str, **params: ParamValue) -> None:
        """Add a problem about ``key`` (about this whole object when ``None``)."""
        self._problems.append(Problem(code, self.path(key) or None, message, params))

    def ok(self, *keys: str) -> bool:
        """Whether none of ``keys`` has a problem so far (for checks across fields)."""
        paths = {self.path(key) for key in keys}
        return not any(problem.field in paths for problem in self._problems)

    # Scalars

    def text(self, key: str, *, lines: bool = False) -> str | None:
        """A string; `lines`: a free-text field, where tabs and line breaks are text."""
        return self._read(key, _to_text, required=False, lines=lines)

    def required_text(self, key: str, *, lines: bool = False) -> str:
        return self._read(key, _to_text, required=True, lines=lines) or ""

    def ref(self, key: str) -> str | None:
        """An id or document number: a string, or an integer taken as its decimal string."""
        return self._read(key, _to_ref, required=False)

    def required_ref(self, key: str) -> str:
        return self._read(key, _to_ref, required=True) or ""

    def optional_flag(self, key: str) -> bool | None:
        return self._read(key, _to_flag, required=False)

    def flag(self, key: str, *, default: bool) -> bool:
        value = self._read(key, _to_flag, required=False)
        return default if value is None else value

    def amount(self, key: str) -> Decimal | None:
        """Money: exact to the cent, not negative."""
        return self._read(key, _to_amount, required=False)

    def required_amount(self, key: str) -> Decimal:
        value = self._read(key, _to_amount, required=True)
        return _money.ZERO if value is None else value

    def number(self, key: str) -> Decimal | None:
        """A quantity or unit price: exact to six places, not negative."""
        return self._read(key, _to_number, required=False)

    def required_number(self, key: str) -> Decimal:
        value = self._read(key, _to_number, required=True)
        return Decimal(0) if value is None else value

    def day(self, key: str) -> dt.date | None:
        return self._read(key, _to_date, required=False)

    def required_day(self, key: str) -> dt.date:
        return self._read(key, _to_date, required=True) or dt.date.min

    def choice(self, key: str, options: Sequence[S], *, default: S | None = None) -> S:
        """One of ``options``; required when there is no default."""

        def convert(raw: object) -> S:
            for option in options:
                if raw == option:
                    return option
            expected = ", ".join(json.dumps(option) for option in options)
            raise _Invalid(f"expected one of {expected}, got {describe(raw)}")

        value = self._read(key, convert, required=default is None)
        if value is not None:
            return value
        return options[0] if default is None else default

    # Objects and lists

    def nested(self, key: str, parse: Callable[[Fields], T]) -> T | None:
        """An optional object read by ``parse``."""
        raw = self._take(key)
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            self.report(INPUT_INVALID, key, f"expected an object, got {describe(raw)}")
            return None
        return self._child(raw, self.path(key), parse)

    def each(
        self,
        key: str,
        parse: Callable[[Fields], T],
        *,
        if_empty: tuple[str, str] | None = None,
    ) -> tuple[T, ...]:
        """A list of objects read by ``parse``; ``if_empty`` is the (code, message) of the
        problem to report when the list is absent or empty (an empty list is fine otherwise).
        """
        raw = self._take(key)
        if raw is None or (isinstance(raw, list | tuple) and not raw):
            if if_empty is not None:
                code, message = if_empty
                self.report(code, key, message)
            return ()
        if not isinstance(raw, list | tuple):
            self.report(INPUT_INVALID, key, f"expected a list of objects, got {describe(raw)}")
            return ()
        values: list[T] = []
        for index, item in enumerate(raw):
            path = f"{self.path(key)}[{index}]"
            if isinstance(item, Mapping):
                values.append(self._child(item, path, parse))
            else:
                message = f"expected an object, got {describe(item)}"
                self._problems.append(Problem(INPUT_INVALID, path, message))
        return tuple(values)

    def finish(self) -> None:
        """Report every key of this object that no reader asked for."""
        known = sorted(self._seen)
        for key in self._data:
            if key in self._seen:
                continue
            if not isinstance(key, str) or _text.refused(key) or _text.too_large(key):
                name = describe(key)  # quoted and escaped: never the raw characters
                self.report(INPUT_UNKNOWN_FIELD, name, f"unknown field {name}")
                continue
            name = key
            close = difflib.get_close_matches(name, known, n=1)
            if close:
                message = f'unknown field "{name}"; did you mean "{close[0]}"?'
                self.report(INPUT_UNKNOWN_FIELD, name, message, suggestion=close[0])
            else:
                self.report(INPUT_UNKNOWN_FIELD, name, f'unknown field "{name}"')

    # Internals

    def _take(self, key: str) -> object:
        self._seen.add(key)
        raw = self._data.get(key)
        if isinstance(raw, str) and not raw.strip():
            return None
        return raw

    def _read(
        self, key: str, convert: Callable[[object], T], *, required: bool, lines: bool = False
    ) -> T | None:
        raw = self._take(key)
        if raw is None:
            if required:
                self.report(INPUT_REQUIRED, key, f"{self.path(key)} is required")
            return None
        if isinstance(raw, str):
            why = _text.too_large(raw) or _text.refused(raw, lines=lines)
            if why is not None:
                self.report(INPUT_INVALID, key, why, reason=why)
                return None
        try:
            return convert(raw)
        except _Invalid as invalid:
            self.report(INPUT_INVALID, key, invalid.message, **invalid.params)
            return None

    def _child(self, data: Mapping[Any, Any], path: str, parse: Callable[[Fields], T]) -> T:
        child = Fields(data, path, self._problems)
        value = parse(child)
        child.finish()
        return value


# Conversions: raw JSON value -> typed value, or _Invalid.


def _to_text(raw: object) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"expected a string, got {describe(raw)}")
    return raw


def _to_ref(raw: object) -> str:
    too_large = isinstance(raw, int) and raw.bit_length() > _HUGE_BITS
    if isinstance(raw, bool) or not isinstance(raw, str | int) or too_large:
        raise _Invalid(f"expected a string (or an integer), got {describe(raw)}")
    return str(raw)


def _to_flag(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise _Invalid(f"expected true or false, got {describe(raw)}")
    return raw


def _to_amount(raw: object) -> Decimal:
    return _to_decimal(raw, _money.money, example="12.50", plural="amounts")


def _to_number(raw: object) -> Decimal:
    return _to_decimal(raw, _money.quantity, example="0.75", plural="quantities and prices")


def _to_decimal(
    raw: object,
    build: Callable[[str | int | Decimal], Decimal],
    *,
    example: str,
    plural: str,
) -> Decimal:
    if isinstance(raw, float | bool) or not isinstance(raw, str | int | Decimal):
        expected = f'expected a decimal string like "{example}", got {describe(raw)}'
        if isinstance(raw, float):
            exactly = f"send {plural} as strings, a float cannot hold them exactly"
            raise _Invalid(f"{expected}: {exactly}")
        raise _Invalid(expected)
    try:
        value = build(raw)
    except ValueError as error:
        raise _Invalid(str(error)) from None
    if value < 0:
        raise _Invalid(f"must not be negative, got {describe(raw)}")
    return value


def _to_date(raw: object) -> dt.date:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if not isinstance(raw, str) or _ISO_DATE.fullmatch(raw) is None:
        raise _Invalid(f'expected a date like "2024-01-31" (YYYY-MM-DD), got {describe(raw)}')
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise _Invalid(f"{describe(raw)} is not a calendar date: {error}") from None


# Presentation.


def describe(value: object) -> str:
    """A value as a message quotes it: the way JSON writes it, shortened."""
    if isinstance(value, int) and value.bit_length() > _HUGE_BITS:
        return "a very large integer"  # str() of it could itself fail
    if value is None or isinstance(value, str | bool | int | float):
        shown = json.dumps(value)
    elif isinstance(value, Decimal):
        shown = f'"{value}"'
    elif isinstance(value, Mapping):
        return "an object"
    elif isinstance(value, list | tuple):
        return "a list"
    else:
        name = type(value).__name__
        return f"an {name}" if name[:1] in ("a", "e", "i", "o", "u") else f"a {name}"
    if len(shown) > _SHOWN_LIMIT:
        return shown[: _SHOWN_LIMIT - 3] + "..."
    return shown


def decimal_json(value: Decimal | None) -> str | None:
    """A Decimal as the canonical JSON writes it: a plain decimal string."""
    return None if value is None else format(value, "f")


def date_json(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()
