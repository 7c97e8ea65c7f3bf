"""Runs a parsed query against a source of QuickBooks JSON rows.

The executor validates property names against the entity (fault 4001), picks an index when an
`=` / `IN` condition has one, filters, orders, pages and projects. Rows are the source's own
mappings; nothing is copied.

Value rules, applied per comparison:
  * a dotted path walks nested objects; an object value stands for its `value` (references),
    `Address` (e-mail) or `FreeFormNumber` (phones); a missing value matches nothing;
  * booleans compare as booleans, numbers (or numeric strings) as decimals, ISO dates and
    datetimes as instants (a bare date against a datetime means midnight US Pacific time),
    anything else as case-insensitive text;
  * LIKE takes `%` as its only wildcard, case-insensitively;
  * `' '` (a blank string) stands for null, as Intuit documents: `= ' '` and `IN (' ', ...)`
    match a missing value, `!= ' '` any present one;
  * `!=` matches present values that differ (a missing value matches no `!=` but `!= ' '`).
Name-list entities return only active rows unless a condition mentions `Active`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeAlias, TypeVar

from qbo_emulator import faults
from qbo_emulator.clock import PACIFIC
from qbo_emulator.query.parser import Condition, CurrentDate, Literal, Query

Row: TypeAlias = Mapping[str, Any]
Scalar: TypeAlias = str | bool | int | float | Decimal | date
Moment: TypeAlias = date | datetime
SortValue: TypeAlias = int | Decimal | datetime | str

ID = "Id"
ACTIVE = "Active"


class QuerySource(Protocol):
    """The rows of one entity, as the store exposes them to the query engine."""

    @property
    def entity(self) -> str:
        """The canonical entity name, e.g. `Customer`."""
        ...

    @property
    def is_name_list(self) -> bool:
        """True for list entities whose rows carry `Active` (Customer, Item, Account...)."""
        ...

    def canonical_path(self, path: str) -> str | None:
        """The known property path matching `path` case-insensitively, or None."""
        ...

    def rows(self) -> Iterable[Row]:
        """Every row, in ascending Id order."""
        ...

    def lookup(self, path: str, values: Sequence[str]) -> Iterable[Row] | None:
        """Rows whose `path` equals one of `values` (case-insensitive), in ascending Id order;
        None when `path` has no index."""
        ...


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The page of rows, or for `COUNT(*)` the number of matches (with no rows)."""

    rows: list[dict[str, Any]]
    total_count: int | None = None


def resolve_entity(name: str, known: Iterable[str]) -> str | None:
    """The entity in `known` that `name` names, compared case-insensitively."""
    folded = name.casefold()
    return next((entity for entity in known if entity.casefold() == folded), None)


def require_entity(name: str, known: Iterable[str]) -> str:
    """Like `resolve_entity`, but an unknown name raises fault 4000 naming it."""
    entity = resolve_entity(name, known)
    if entity is None:
        raise faults.query_parse_error(f"Entity {name} is not supported or does not exist")
    return entity


# --- values -------------------------------------------------------------------------------

_NUMERIC_RE = re.compile(r"[+-]?\d+(?:\.\d+)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"
)
_REF_KEYS = ("value", "Address", "FreeFormNumber")


def _resolve(row: Row, parts: Sequence[str]) -> Scalar | None:
    """The value at a split path: nested objects walked, reference-like objects unwrapped."""
    current: object = row
    for part in parts:
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    if isinstance(current, Mapping):
        key = next((k for k in _REF_KEYS if k in current), None)
        if key is None:
            return None
        current = current[key]
    if isinstance(current, str | bool | int | float | Decimal | date):
        return current
    return None


def _parse_number(text: str) -> Decimal | None:
    if not _NUMERIC_RE.fullmatch(text):
        return None
    return Decimal(text)


def _as_decimal(value: int | float | Decimal) -> Decimal | None:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _parse_moment(text: str) -> Moment | None:
    """An ISO date or datetime; a datetime without an offset is read as Pacific time."""
    try:
        if _DATE_RE.fullmatch(text):
            return date.fromisoformat(text)
        if _DATETIME_RE.fullmatch(text):
            moment = datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=PACIFIC)
    except ValueError:
        return None
    return None


def _instant(moment: Moment) -> datetime:
    """A date as midnight Pacific; a naive datetime as Pacific; aware datetimes unchanged."""
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=PACIFIC)
    return datetime.combine(moment, time.min, tzinfo=PACIFIC)


def _compare_moments(left: Moment, right: Moment) -> int:
    if not isinstance(left, datetime) and not isinstance(right, datetime):
        return _sign(left, right)
    return _sign(_instant(left), _instant(right))


_C = TypeVar("_C", bool, Decimal, str, date)


def _sign(left: _C, right: _C) -> int:
    return (left > right) - (left < right)


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _boolean(text: str) -> bool | None:
    folded = text.casefold()
    return True if folded == "true" else False if folded == "false" else None


@dataclass(frozen=True, slots=True)
class _Operand:
    """A query value with every form it may be compared in, computed once."""

    text: str
    folded: str
    boolean: bool | None
    number: Decimal | None
    moment: Moment | None
    null: bool = False  # `' '`: Intuit's way of writing null

    @classmethod
    def of(cls, literal: Literal, today: date) -> _Operand:
        if isinstance(literal, CurrentDate):
            return cls(today.isoformat(), today.isoformat(), None, None, today)
        if isinstance(literal, bool):
            text = "true" if literal else "false"
            return cls(text, text, literal, None, None)
        if isinstance(literal, Decimal):
            return cls(str(literal), str(literal), None, literal, None)
        if not literal.strip():
            return cls(literal, literal, None, None, None, null=True)
        folded = literal.casefold()
        return cls(
            literal, folded, _boolean(literal), _parse_number(literal), _parse_moment(literal)
        )

    def compare(self, value: Scalar) -> int | None:
        """The sign of `value` against this operand, or None when they cannot be compared."""
        if isinstance(value, bool):
            return None if self.boolean is None else _sign(value, self.boolean)
        if isinstance(value, int | float | Decimal):
            number = _as_decimal(value)
            if number is None or self.number is None:
                return None
            return _sign(number, self.number)
        if isinstance(value, date):
            return None if self.moment is None else _compare_moments(value, self.moment)
        if self.moment is not None:
            moment = _parse_moment(value)
            if moment is not None:
                return _compare_moments(moment, self.moment)
        if self.number is not None:
            number = _parse_number(value)
            if number is not None:
                return _sign(number, self.number)
        return _sign(value.casefold(), self.folded)

    def lookup_keys(self) -> list[str] | None:
        """The strings an index must be asked for so that every row this operand equals is
        among its answers; None when equality is not textual (dates, null), so no index fits."""
        if self.moment is not None or self.null:
            return None
        keys = [self.text]
        if self.number is not None:
            normal = self.number.normalize()
            if normal == normal.to_integral_value():
                integral = str(int(normal))
                keys += [integral, f"{integral}.0"]
            else:
                keys.append(format(normal, "f"))
        return list(dict.fromkeys(keys))


# --- predicates ---------------------------------------------------------------------------

Predicate: TypeAlias = Callable[[Row], bool]

_COMPARISONS: dict[str, Callable[[int], bool]] = {
    "=": lambda sign: sign == 0,
    "IN": lambda sign: sign == 0,
    "<": lambda sign: sign < 0,
    ">": lambda sign: sign > 0,
    "<=": lambda sign: sign <= 0,
    ">=": lambda sign: sign >= 0,
}


def _like_pattern(pattern: str) -> re.Pattern[str]:
    body = ".*".join(re.escape(piece) for piece in pattern.split("%"))
    return re.compile(body, re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Filter:
    """A validated condition: canonical path and prepared operands."""

    path: str
    op: str
    operands: tuple[_Operand, ...]

    def lookup_keys(self) -> list[str] | None:
        """The index keys covering every operand, or None if one of them cannot use an index."""
        keys: list[str] = []
        for operand in self.operands:
            operand_keys = operand.lookup_keys()
            if operand_keys is None:
                return None
            keys += operand_keys
        return list(dict.fromkeys(keys))

    def predicate(self) -> Predicate:
        parts = tuple(self.path.split("."))
        if self.op == "LIKE":
            regex = _like_pattern(self.operands[0].text)

            def like(row: Row) -> bool:
                value = _resolve(row, parts)
                return value is not None and regex.fullmatch(_text(value)) is not None

            return like
        operands = self.operands
        if self.op == "!=":
            operand = operands[0]

            def differs(row: Row) -> bool:
                value = _resolve(row, parts)
                if value is None:
                    return False
                return operand.null or operand.compare(value) != 0

            return differs
        test = _COMPARISONS[self.op]
        nullable = self.op in ("=", "IN") and any(o.null for o in operands)
        values = tuple(o for o in operands if not o.null)

        def compare(row: Row) -> bool:
            value = _resolve(row, parts)
            if value is None:
                return nullable
            for operand in values:
                sign = operand.compare(value)
                if sign is not None and test(sign):
                    return True
            return False

        return compare


def _active_only(row: Row) -> bool:
    value = row.get(ACTIVE)
    return value is True or (isinstance(value, str) and value.casefold() == "true")


# --- validation ---------------------------------------------------------------------------


def _canonical(source: QuerySource, path: str) -> str:
    canonical = source.canonical_path(path)
    if canonical is None:
        raise faults.query_invalid(f"Property {path} not found for Entity {source.entity}")
    return canonical


def _prepare(condition: Condition, source: QuerySource, today: date) -> _Filter:
    path = _canonical(source, condition.path)
    if path == ID and condition.op not in ("=", "IN"):
        raise faults.query_invalid(
            f"Operator {condition.op} is not supported for property Id: use = or IN"
        )
    return _Filter(path, condition.op, tuple(_Operand.of(v, today) for v in condition.values))


# --- execution ----------------------------------------------------------------------------


def _candidates(filters: Sequence[_Filter], source: QuerySource) -> Iterable[Row]:
    """Rows from the first index that answers an `=` / `IN` condition (Id first), else all."""
    equalities = [f for f in filters if f.op in ("=", "IN")]
    equalities.sort(key=lambda f: f.path != ID)
    for condition in equalities:
        keys = condition.lookup_keys()
        if keys is None:
            continue
        found = source.lookup(condition.path, keys)
        if found is not None:
            return found
    return source.rows()


def _sort_value(value: Scalar | None) -> tuple[int, int, SortValue]:
    """Missing values last; then booleans, numbers, dates, text, each ordered naturally."""
    if value is None:
        return (1, 0, 0)
    if isinstance(value, bool):
        return (0, 0, int(value))
    if isinstance(value, int | float | Decimal):
        number = _as_decimal(value)
        return (0, 1, number) if number is not None else (0, 3, str(value).casefold())
    if isinstance(value, date):
        return (0, 2, _instant(value))
    number = _parse_number(value)
    if number is not None:
        return (0, 1, number)
    moment = _parse_moment(value)
    if moment is not None:
        return (0, 2, _instant(moment))
    return (0, 3, value.casefold())


def _order(rows: Iterator[Row], terms: Sequence[tuple[str, bool]]) -> list[Row]:
    ordered = list(rows)
    for path, descending in reversed(terms):
        parts = tuple(path.split("."))
        ordered.sort(key=lambda row: _sort_value(_resolve(row, parts)), reverse=descending)
    return ordered


def _project(row: Row, keys: Sequence[str] | None) -> dict[str, Any]:
    if keys is None:
        return row if isinstance(row, dict) else dict(row)
    out: dict[str, Any] = {}
    for key in (ID, *keys):
        if key in row and key not in out:
            out[key] = row[key]
    return out


def execute(query: Query, source: QuerySource, today: date) -> QueryResult:
    """Runs `query` over `source`; `today` is the company's date, for `CURRENT_DATE`."""
    keys: tuple[str, ...] | None = None
    if query.projection is not None:
        keys = tuple(_canonical(source, p).split(".")[0] for p in query.projection)
    filters = [_prepare(c, source, today) for c in query.conditions]
    terms = [(_canonical(source, t.path), t.descending) for t in query.order_by]

    predicates = [f.predicate() for f in filters]
    if source.is_name_list and not any(f.path.casefold() == ACTIVE.casefold() for f in filters):
        predicates.append(_active_only)
    candidates = _candidates(filters, source)
    matches = (row for row in candidates if all(p(row) for p in predicates))

    if query.count:
        return QueryResult(rows=[], total_count=sum(1 for _ in matches))
    first = query.start_position - 1
    last = first + query.max_results
    if terms:
        page: Iterable[Row] = _order(matches, terms)[first:last]
    else:
        page = itertools.islice(matches, first, last)
    return QueryResult(rows=[_project(row, keys) for row in page])
