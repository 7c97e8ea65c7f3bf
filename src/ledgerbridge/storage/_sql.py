"""What several repositories share: IN (...) lists and upserts a chunk at a time on either
database, the columns that make a stored value, the digest kept in place of a secret, and the
statements of the push pass's hot paths built once (`prepared`, `table`, `keyed_select`).

Building a statement (`select(...).where(...)`) costs SQLAlchemy several times what running it
does (about 250 us against 40 us on SQLite); the repositories' per-record reads and writes are
therefore built once per process, with bind parameters for every value, and run as Core
statements on the session's connection (`run`).

A write of many rows (`run_many`: a batch's outcomes, its requestids) on SQLite goes one step
further: the statement is compiled by SQLAlchemy once per process and parameter names, each
row's values are converted by the column types' own bind processors (what SQLAlchemy would
send), and the driver runs them in one `executemany` in the session's transaction, without
SQLAlchemy's execution context for each call (a third of such a statement's cost). Any
statement that needs more (defaults filled in Python, an expanding IN, a value the rows do not
carry) and PostgreSQL run as `run` does; a driver error is raised as SQLAlchemy's."""

from __future__ import annotations

import functools
import hashlib
import sqlite3
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Executable, Select, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import InstrumentedAttribute, Session

from ledgerbridge.storage import tables

__all__ = [
    "CHUNK",
    "NO_SYNC",
    "by_type",
    "chunks",
    "columns",
    "keyed_select",
    "prepared",
    "run",
    "run_many",
    "sha256",
    "table",
    "upsert",
]

_T = TypeVar("_T")
_S = TypeVar("_S", bound=Executable)
CHUNK = 500  # ids per IN (...) and rows per upsert statement


def chunks(values: Iterable[_T]) -> Iterator[list[_T]]:
    """`values` without repeats, CHUNK at a time (for IN (...) lists)."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), CHUNK):
        yield wanted[start : start + CHUNK]


def by_type(keys: Iterable[tuple[str, str]]) -> Iterator[tuple[str, list[str]]]:
    """(type, app ids) of (type, app id) keys, without repeats, CHUNK ids at a time, the types
    in sorted order (rows locked type by type are locked in one order by every caller).

    A query per type (`type = ? AND app_id IN (...)`) finds its rows through the
    (connection, type, app id) index; a row-value IN (`(type, app_id) IN (...)`) or an
    `app_id IN (...)` alone does not on SQLite, which then reads every row of the connection
    for each look-up: a pass's read-ahead grew with the company (9 ms a look-up at 20,000
    links against 0.14 ms)."""
    grouped: dict[str, list[str]] = {}
    for type_, app_id in keys:
        grouped.setdefault(type_, []).append(app_id)
    for type_, app_ids in sorted(grouped.items()):  # one order of types for every caller
        for chunk in chunks(app_ids):
            yield type_, chunk


def upsert(session: Session, table: Any, keys: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Insert the rows, or update those whose `keys` exist already: a statement per 500."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    changed = tuple(name for name in rows[0] if name not in keys)

    def build() -> Any:
        core = cast(Table, table.__table__)
        upsert = postgresql.insert(core) if dialect == "postgresql" else sqlite.insert(core)
        return upsert.on_conflict_do_update(
            index_elements=[core.c[name] for name in keys],
            set_={name: upsert.excluded[name] for name in changed},
        )

    statement = prepared(("upsert", table, keys, changed, dialect), build)
    for start in range(0, len(rows), CHUNK):
        run_many(session, statement, rows[start : start + CHUNK])


def columns(entity: type[tables.Base], value: type[Any]) -> list[InstrumentedAttribute[Any]]:
    """The entity's columns named like the fields of the dataclass `value`, in field order."""
    return [getattr(entity, field.name) for field in fields(value)]


NO_SYNC = {"synchronize_session": False}


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_PREPARED: dict[Hashable, Any] = {}


def prepared(key: Hashable, build: Callable[[], _S]) -> _S:
    """The statement `build` makes, built once per process under `key` (its values are bind
    parameters, given when it runs; a statement differing by dialect puts it in the key)."""
    found = _PREPARED.get(key)
    if found is None:
        found = _PREPARED[key] = build()
    return cast(_S, found)


def table(entity: type[tables.Base]) -> Table:
    """The Core table of a model (its columns as `table(...).c.name`)."""
    return cast(Table, entity.__table__)


def keyed_select(
    entity: type[tables.Base], keys: Sequence[tuple[str, str]], *, many: bool = False
) -> Select[Any]:
    """Every column of the entity's rows whose key columns equal their bind parameters (`keys`:
    (column, parameter) pairs); with `many`, the last column is IN the list parameter `ids`
    instead (its own parameter is not used)."""
    t = table(entity)
    *equal, (last, param) = keys
    where = [t.c[column] == bindparam(name) for column, name in equal]
    if many:
        where.append(t.c[last].in_(bindparam("ids", expanding=True)))
    else:
        where.append(t.c[last] == bindparam(param))
    return select(t).where(*where)


def run(
    session: Session,
    statement: Executable,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> CursorResult[Any]:
    """A Core statement on the session's connection, in its transaction (a list of parameter
    sets: one executemany). It bypasses the ORM: no autoflush of objects added to the session
    first, no ORM execute events; a repository that mixes `session.add` with `run` flushes
    first."""
    return session.connection().execute(statement, params)


# (statement, the rows' keys) -> how `run_many` sends it to the driver (None: through `run`),
# per dialect (its JSON serializer is in the bind processors): the SQL, and for each of its
# parameters the row's key, the column type's bind processor, and the column's default made
# in Python when the rows do not carry it
_Param = tuple[str, Callable[[Any], Any] | None, Callable[[], Any] | None]
_Plan = tuple[str, tuple[_Param, ...]] | None
_PLANS: weakref.WeakKeyDictionary[Dialect, dict[tuple[Executable, tuple[str, ...]], _Plan]] = (
    weakref.WeakKeyDictionary()
)


def run_many(session: Session, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> None:
    """`run` of an INSERT, UPDATE or upsert with many rows (one executemany), whose result is
    not read; every row carries the same keys (see the module's docstring)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        connection.execute(statement, rows)
        return
    keys = tuple(rows[0])
    plans = _PLANS.setdefault(dialect, {})
    if (statement, keys) not in plans:
        plans[(statement, keys)] = _plan(statement, keys, dialect)
    plan = plans[(statement, keys)]
    if plan is None:
        connection.execute(statement, rows)
        return
    sql, params = plan
    try:
        values = [tuple(_value(row, param) for param in params) for row in rows]
    except (KeyError, TypeError, ValueError) as error:  # as SQLAlchemy raises a bad value
        raise StatementError(str(error), sql, None, error) from error
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    try:
        driver.executemany(sql, values)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, values, error, sqlite3.Error) from error


def _value(row: Mapping[str, Any], param: _Param) -> Any:
    name, convert, make = param
    value = make() if make is not None else row[name]
    return value if convert is None else convert(value)


def _plan(statement: Executable, keys: tuple[str, ...], dialect: Dialect) -> _Plan:
    """How `run_many` runs `statement` with rows of these keys; None when it needs
    SQLAlchemy's execution (see the module's docstring)."""
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
    names = compiled.positiontup
    if names is None or compiled.update_prefetch:
        return None
    made: dict[str, Callable[[], Any]] = {}
    for column in compiled.insert_prefetch:  # defaults SQLAlchemy makes in Python, row by row
        default = column.default
        if default is not None and default.is_scalar:
            made[column.key] = functools.partial(lambda value: value, default.arg)
            continue
        # a callable taking no context, as SQLAlchemy wraps it (`update_wrapper`)
        plain = getattr(getattr(default, "arg", None), "__wrapped__", None)
        if default is None or not default.is_callable or not callable(plain):
            return None
        made[column.key] = plain
    if any(bind.expanding for bind in compiled.binds.values()) or not set(names) <= {
        *keys,
        *made,
    }:
        return None
    processors = compiled._bind_processors
    return compiled.string, tuple(
        (name, processors.get(name), made.get(name) if name not in keys else None) for name in names
    )
