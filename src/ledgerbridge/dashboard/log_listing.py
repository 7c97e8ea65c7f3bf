"""The sync log as a bookkeeper reads it: the records of one connection filtered, sorted by
any column (newest activity first by default), counted, and read a page at a time by offset,
or all of them for an export or a bulk action on everything that matches.

A record's activity is when its sync state last changed (a send, an outcome, an action), or
when the app last changed it if it was never worked on. The search is the API's
(`storage.records.matching`); the API's cursor-paged listing (`Service.records`) is left as it
is. Everything here reads through a read-only session and writes nothing; the connection id
must already be checked to belong to the signed-in user (`Service.connection`).

At 8,000 records one page costs one count and one sorted read of the matching keys (no index
serves a sort by name or by problem, and SQLite sorts 8,000 short rows in milliseconds): see
`bench/log_pages.py` for the figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression

from ledgerbridge.core import catalog
from ledgerbridge.core.status import Status
from ledgerbridge.dashboard import overview
from ledgerbridge.engine.ports import Ledger
from ledgerbridge.engine.service import record_views
from ledgerbridge.engine.views import RecordView
from ledgerbridge.storage import tables
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.records import matching

__all__ = [
    "BULK_KINDS",
    "SORTS",
    "ExportRow",
    "LogQuery",
    "LogRow",
    "count",
    "export_rows",
    "keys",
    "page",
]

SORTS = ("activity", "status", "type", "name", "problem")
# The history entries a bulk action writes on each record it touched (`acted_since`).
BULK_KINDS = ("action:resync", "action:bypass")
# The order statuses sort in: what needs a person first.
_STATUS_ORDER = (
    Status.ERROR,
    Status.BLOCKED,
    Status.PENDING,
    Status.DRAFT,
    Status.BYPASSED,
    Status.SYNCED,
)
# The fields a record's name comes from, in `present.record_name`'s order.
_NAME_FIELDS = (
    "display_name",
    "name",
    "company_name",
    "first_name",
    "number",
    "vendor_document_number",
    "reference",
)


@dataclass(frozen=True)
class LogQuery:
    """What the log shows: the filters (None: any) and the sort.

    `acted_since` and `actor` narrow it to the records a bulk action by `actor` touched from
    that moment on (after a bulk Resync the records stay in view, not the emptied filter)."""

    status: str | None = None
    type: str | None = None
    code: str | None = None
    q: str | None = None
    acted_since: datetime | None = None
    actor: str | None = None
    # records a change made in QuickBooks reached since `changed_since` (`overview`): of this
    # problem code, or of any ("any")
    changed: str | None = None
    changed_since: datetime | None = None
    # the records waiting for this one (type, app id), directly or through other waiting ones
    waits_for: tuple[str, str] | None = None
    sort: str = "activity"
    descending: bool = True


@dataclass(frozen=True)
class LogRow:
    record: RecordView
    activity: datetime | None


@dataclass(frozen=True)
class ExportRow:
    type: str
    app_id: str
    data: Any  # the app's data as stored (a mapping when readable)
    status: str
    quickbooks_id: str | None
    quickbooks_number: str | None
    activity: datetime | None
    problem_code: str | None


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _joined(state: type[tables.SyncState]) -> ColumnElement[bool]:
    record = tables.Record
    return and_(
        state.connection_id == record.connection_id,
        state.type == record.type,
        state.app_id == record.app_id,
    )


def _status() -> ColumnElement[str]:
    return func.coalesce(tables.SyncState.status, literal(str(Status.PENDING)))


def _activity() -> ColumnElement[datetime]:
    return func.coalesce(tables.SyncState.updated_at, tables.Record.updated_at)


def _problem_code() -> ColumnElement[str]:
    code: ColumnElement[str] = tables.SyncState.problem["code"].as_string()
    return code


def _name(sqlite: bool) -> ColumnElement[str]:
    """The record's name as `present.record_name` finds it (lower case, for sorting)."""
    data = tables.Record.data
    found: list[ColumnElement[Any]] = [
        func.nullif(data[field].as_string(), "") for field in _NAME_FIELDS
    ]
    name: ColumnElement[str] = func.lower(func.coalesce(*found, tables.Record.app_id))
    if not sqlite:
        return name
    # SQLite stops the whole statement at a row whose data is not JSON: read only those that are
    readable: ColumnElement[str] = case(
        (func.json_valid(data) == 1, name), else_=func.lower(tables.Record.app_id)
    )
    return readable


def _filtered(
    query: Select[Any], connection_id: str, wanted: LogQuery, sqlite: bool
) -> Select[Any]:
    record = tables.Record
    query = query.where(record.connection_id == connection_id)
    if wanted.type is not None:
        query = query.where(record.type == wanted.type)
    if wanted.status is not None:
        query = query.where(_status() == wanted.status)
    if wanted.code is not None:
        query = query.where(_problem_code() == wanted.code)
    if wanted.q is not None and wanted.q.strip():
        query = query.where(matching(wanted.q.strip(), sqlite))
    if wanted.acted_since is not None:
        h = tables.HistoryEntry
        touched = exists().where(
            h.connection_id == record.connection_id,
            h.type == record.type,
            h.app_id == record.app_id,
            h.kind.in_(BULK_KINDS),
            h.at >= wanted.acted_since,
            *([h.detail["by"].as_string() == wanted.actor] if wanted.actor else []),
        )
        query = query.where(touched)
    if wanted.changed is not None and wanted.changed_since is not None:
        h = tables.HistoryEntry
        reached = exists().where(
            h.connection_id == record.connection_id,
            h.type == record.type,
            h.app_id == record.app_id,
            h.kind.in_(list(overview.CHANGE_KINDS)),
            h.at >= wanted.changed_since,
            *([overview.change_code() == wanted.changed] if wanted.changed != "any" else []),
        )
        query = query.where(reached)
    if wanted.waits_for is not None:
        chain = _waiting_for(connection_id, wanted.waits_for)
        query = query.where(
            tuple_(record.type, record.app_id).in_(select(chain.c.type, chain.c.app_id))
        )
    return query


def _waiting_for(connection_id: str, key: tuple[str, str]) -> Any:
    """The blocked records waiting for `key`, directly or through other blocked records, as a
    recursive query (UNION: a loop of waiting records ends)."""
    s = tables.SyncState
    blocked = and_(s.connection_id == connection_id, s.status == Status.BLOCKED)
    chain = (
        select(s.type, s.app_id)
        .where(blocked, s.blocked_by_type == key[0], s.blocked_by_id == key[1])
        .cte("waiting", recursive=True)
    )
    step = select(s.type, s.app_id).join(
        chain, and_(s.blocked_by_type == chain.c.type, s.blocked_by_id == chain.c.app_id)
    )
    return chain.union(step.where(blocked))


def _order(wanted: LogQuery, sqlite: bool) -> list[UnaryExpression[Any]]:
    record = tables.Record
    if wanted.sort == "status":
        ranks = {str(s): i for i, s in enumerate(_STATUS_ORDER)}
        first: ColumnElement[Any] = case(ranks, value=_status(), else_=len(ranks))
    elif wanted.sort == "type":
        first = record.type.expression
    elif wanted.sort == "name":
        first = _name(sqlite)
    elif wanted.sort == "problem":
        titles = {code: catalog.title(code).lower() for code in catalog.ENTRIES}
        first = case(titles, value=_problem_code(), else_=_problem_code())
    else:
        first = _activity()
    # (key, descending): the column asked for, then newest first, then by name and key
    keys: list[tuple[ColumnElement[Any], bool]] = [(first, wanted.descending)]
    if wanted.sort != "activity":
        keys.append((_activity(), True))
    if wanted.sort != "name":
        keys.append((_name(sqlite), False))
    keys += [(record.type.expression, False), (record.app_id.expression, False)]
    return [(key.desc() if down else key.asc()).nulls_last() for key, down in keys]


def _base() -> Select[Any]:
    record, state = tables.Record, tables.SyncState
    return select(record.type, record.app_id).outerjoin(state, _joined(state))  # type: ignore[return-value]


def count(ledger: Ledger, connection_id: str, wanted: LogQuery) -> int:
    """How many records match the filters."""
    record, state = tables.Record, tables.SyncState
    with ledger.db.session(readonly=True) as session:
        query = _filtered(
            select(func.count()).select_from(record).outerjoin(state, _joined(state)),
            connection_id,
            wanted,
            _sqlite(session),
        )
        return int(session.execute(query).scalar_one())


def keys(
    ledger: Ledger, connection_id: str, wanted: LogQuery, *, offset: int = 0, limit: int | None
) -> list[tuple[str, str, datetime | None]]:
    """(type, app id, activity) of the matching records in the log's order, from `offset`."""
    with ledger.db.session(readonly=True) as session:
        sqlite = _sqlite(session)
        query = _filtered(_base().add_columns(_activity()), connection_id, wanted, sqlite)
        query = query.order_by(*_order(wanted, sqlite)).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [(t, a, at) for t, a, at in session.execute(query).all()]


def page(
    ledger: Ledger, connection_id: str, key_id: str, wanted: LogQuery, *, offset: int, limit: int
) -> list[LogRow]:
    """One page of the log: each record as the record page shows it (without its history)."""
    found = keys(ledger, connection_id, wanted, offset=offset, limit=limit)
    if not found:
        return []
    with ledger.db.session(readonly=True) as session:
        connection = Connections(session).get(connection_id, key_id)
        if connection is None:
            return []
        activity = {(t, a): at for t, a, at in found}
        views = record_views(ledger, session, connection, [(t, a) for t, a, _ in found])
        return [LogRow(view, activity[(view.type, view.id)]) for view in views]


def _export_query(connection_id: str, wanted: LogQuery, sqlite: bool) -> Select[Any]:
    record, state, link = tables.Record, tables.SyncState, tables.Link
    data: ColumnElement[Any] = (
        case((func.json_valid(record.data) == 1, record.data), else_=None)
        if sqlite
        else record.data.expression
    )
    columns = (
        record.type,
        record.app_id,
        data,
        _status(),
        link.qbo_id,
        link.doc_number,
        _activity(),
        _problem_code(),
    )
    linked = and_(
        link.connection_id == record.connection_id,
        link.type == record.type,
        link.app_id == record.app_id,
    )
    query: Select[Any] = select(*columns).outerjoin(state, _joined(state)).outerjoin(link, linked)
    return _filtered(query, connection_id, wanted, sqlite).order_by(*_order(wanted, sqlite))


def export_rows(
    ledger: Ledger, connection_id: str, wanted: LogQuery, *, chunk: int = 2_000
) -> Iterator[ExportRow]:
    """Every matching record in the log's order, read `chunk` at a time (each chunk in its own
    short read, so a long download never holds the database)."""
    offset = 0
    while True:
        with ledger.db.session(readonly=True) as session:
            query = _export_query(connection_id, wanted, _sqlite(session))
            rows = session.execute(query.offset(offset).limit(chunk)).all()
        for row in rows:
            yield ExportRow(*row)
        if len(rows) < chunk:
            return
        offset += chunk
