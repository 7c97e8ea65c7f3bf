"""The app's records (`records`): the latest version of each, listed a page at a time (`Page`,
after a cursor made here; `InvalidCursor` when it was not), searched by id, name or number.

Each row's data is read as stored text and decoded here, one row at a time, so one damaged row is
`StoredRecord.unreadable`, never a failed listing.

    with db.session() as session:
        version = Records(session).upsert(connection_id, "customer", "c-1", {"display_name": "A"})
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    Insert,
    LargeBinary,
    Select,
    Text,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledgerbridge.core import json_limits
from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import CHUNK, NO_SYNC, by_type, prepared, run, table
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["InvalidCursor", "Page", "Records", "StoredRecord", "matching"]

T = TypeVar("T")


class InvalidCursor(ValueError):
    """A paging cursor that this module did not produce."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; `next_cursor` is None on the last page."""

    items: Sequence[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as stored. `unreadable` says why its stored data could not be read back (not
    text, not JSON, not an object: written by something else, or damaged); `data` is then
    empty, and only this record is affected (see `Records`)."""

    connection_id: str
    type: str
    app_id: str
    data: Mapping[str, Any]
    version: int
    deleted: bool
    updated_at: datetime
    unreadable: str | None = None


def _canonical(data: Mapping[str, Any]) -> str:
    # Compared as JSON text: `1`, `1.0` and `true` are equal in Python, not to the app.
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _encode_cursor(record: StoredRecord) -> str:
    raw = json.dumps([record.updated_at.isoformat(), record.type, record.app_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _decode_cursor(cursor: str) -> tuple[datetime, str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, type_, app_id = json_limits.parse(raw)  # a crafted cursor may nest 1,000 deep
        moment = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidCursor(cursor) from error
    if moment.tzinfo is None or not isinstance(type_, str) or not isinstance(app_id, str):
        raise InvalidCursor(cursor)
    if _UNSTORABLE.search(type_ + app_id):  # PostgreSQL could not even compare them
        raise InvalidCursor(cursor)
    return moment, type_, app_id


# The fields of a record's data that a search (`Records.list(q=...)`) looks in.
_SEARCHED_FIELDS = (
    "display_name",
    "name",
    "company_name",
    "first_name",
    "last_name",
    "number",
    "vendor_document_number",
    "reference",
)


def _matching(q: str, sqlite: bool) -> ColumnElement[bool]:
    """The record's app id, one of `_SEARCHED_FIELDS`, or its QuickBooks number contains `q`
    (case-insensitive; `%` and `_` match themselves). On SQLite a row whose data is not JSON
    is matched on its id and number only (its fields would stop the whole query)."""
    record = tables.Record
    link = tables.Link
    numbered = (
        select(link.id)
        .where(
            link.connection_id == record.connection_id,
            link.type == record.type,
            link.app_id == record.app_id,
            link.doc_number.icontains(q, autoescape=True),
        )
        .exists()
    )
    named = (_data_field(name, sqlite).icontains(q, autoescape=True) for name in _SEARCHED_FIELDS)
    return or_(record.app_id.icontains(q, autoescape=True), *named, numbered)


def matching(q: str, sqlite: bool) -> ColumnElement[bool]:
    """The search of `Records.list(q=...)` as a condition on `tables.Record`, for other
    listings of the same records (the dashboard's sorted sync log)."""
    return _matching(q, sqlite)


def _data_field(name: str, sqlite: bool) -> ColumnElement[str]:
    """A field of a record's data as a string; on SQLite only where the data is JSON (SQLite
    stops the whole statement at a row it cannot read; CASE reads only the rows that are)."""
    found: ColumnElement[str] = tables.Record.data[name].as_string()
    if not sqlite:
        return found
    readable: ColumnElement[str] = case(
        (func.json_valid(tables.Record.data) == 1, found), else_=None
    )
    return readable


class _Current(NamedTuple):
    """A record row as upsert and mark_deleted see it (data None: unreadable)."""

    id: int
    data: Mapping[str, Any] | None
    version: int
    deleted: bool


def _document(raw: bytes | str | None) -> tuple[Mapping[str, Any], str | None]:
    """A record's stored data decoded: (data, None), or ({}, why it cannot be read)."""
    if raw is None:
        return {}, "nothing is stored for it"
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return {}, "its stored copy holds bytes that are not text"
    try:
        data = json_limits.parse(text)
    except json_limits.Unreadable:
        return {}, "its stored copy nests too deep to read"
    except ValueError:
        return {}, "its stored copy is cut off or garbled"
    if not isinstance(data, dict):
        return {}, "its stored copy is not a set of details"
    return data, None


def _stored_data(sqlite: bool) -> ColumnElement[Any]:
    """records.data as the stored text (bytes on SQLite, so that even bytes that are not
    UTF-8 come back), decoded by `_document`, not by the driver."""
    as_stored = LargeBinary() if sqlite else Text()
    return cast(tables.Record.data, as_stored).label("data")


def _record_columns(sqlite: bool) -> list[ColumnElement[Any]]:
    """The columns of a `StoredRecord`, data as stored."""
    record = tables.Record
    named = [getattr(record, f.name) for f in fields(StoredRecord) if f.name != "unreadable"]
    return [_stored_data(sqlite) if column.key == "data" else column for column in named]


def _listing(
    sqlite: bool, by_type: bool, by_status: bool, by_code: bool, after: bool, search: str | None
) -> Select[Any]:
    """`Records.list`'s statement: the filters it is given (bind parameters `w_cid`, `w_type`,
    `w_status`, `w_code`, the cursor's `c_at`, `c_type`, `c_app` and `w_limit`), and a
    search's terms."""
    record = tables.Record
    query = select(*_record_columns(sqlite)).where(record.connection_id == bindparam("w_cid"))
    if by_type:
        query = query.where(record.type == bindparam("w_type"))
    if by_status or by_code:
        state = tables.SyncState
        query = query.join(
            state,
            (state.connection_id == record.connection_id)
            & (state.type == record.type)
            & (state.app_id == record.app_id),
        )
        if by_status:
            query = query.where(state.status == bindparam("w_status"))
        if by_code:
            query = query.where(state.problem["code"].as_string() == bindparam("w_code"))
    if search is not None:
        query = query.where(_matching(search, sqlite))
    order = (record.updated_at, record.type, record.app_id)
    if after:
        names = ("c_at", "c_type", "c_app")  # typed as the columns (a time as stored)
        cursor = (bindparam(n, type_=c.type) for n, c in zip(names, order, strict=True))
        query = query.where(tuple_(*order) > tuple_(*cursor))
    return query.order_by(*order).limit(bindparam("w_limit"))


def _stored_record(row: Any) -> StoredRecord:
    data, unreadable = _document(row["data"])
    return StoredRecord(**{**row, "data": data, "unreadable": unreadable})


def _change_by_id() -> Any:
    """UPDATE records SET version, data, deleted, updated_at WHERE id = :w_id (a new
    version of a row already locked)."""
    record = table(tables.Record)
    return update(record).where(record.c.id == bindparam("w_id"))


def _insert_ignoring_conflicts(session: Session) -> Insert:
    """INSERT INTO records ... ON CONFLICT (connection_id, type, app_id) DO NOTHING."""
    keys = ["connection_id", "type", "app_id"]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(tables.Record).on_conflict_do_nothing(index_elements=keys)
    return sqlite.insert(tables.Record).on_conflict_do_nothing(index_elements=keys)


class Records:
    """The app's records: the latest version of each, with a version that counts changes.

    Each row's data is read as stored text and decoded here, one row at a time: a row that
    does not decode (`StoredRecord.unreadable`) cannot make a listing, a read or the upsert
    that replaces it fail. On SQLite the search (`list(q=...)`) also passes such rows by.
    """

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def upsert(self, connection_id: str, type: str, app_id: str, data: Mapping[str, Any]) -> int:
        """Store the record's latest data; returns its version, which grows only on change.

        A deleted record that comes back counts as a change, even with the same data.
        """
        return self.upsert_many(connection_id, [(type, app_id, data)])[0]

    def upsert_many(
        self, connection_id: str, items: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> list[int]:
        """`upsert` for many records, each (type, app id, data) once: their versions, in order.

        The rows there are locked first (`_locked_many`), the missing ones inserted (version 1)
        by one statement a chunk, the changed ones updated by one executemany: a few statements
        for any number of records. A row another transaction inserted meanwhile (PostgreSQL:
        the insert waited for it to commit, and skipped it) is locked in turn and compared like
        any other. Each record is stamped with its own clock reading, taken in order, so the
        records keep the order they were given in (`list` sorts by `updated_at`)."""
        keys = [(type, app_id) for type, app_id, _ in items]
        if len(set(keys)) != len(keys):  # the caller refuses them (`put_records`): a bug here
            raise ValueError("a record given twice to one upsert_many")
        current = self._locked_many(connection_id, keys)
        # stamped once the rows are held: a writer that waited for another's lock stamps
        # after that one's commit, so a newer version never carries an older `updated_at`
        # (a client paging by it would miss the change)
        stamps = [self._clock() for _ in items]
        inserted: set[tuple[str, str]] = set()
        missing = [
            (item, at) for item, at in zip(items, stamps, strict=True) if item[:2] not in current
        ]
        if missing:
            inserted = self._insert_first_versions(connection_id, missing)
            raced = [item[:2] for item, _ in missing if item[:2] not in inserted]
            if raced:  # concurrent transactions inserted them first
                current.update(self._locked_many(connection_id, raced))
                vanished = [key for key in raced if key not in current]
                if vanished:
                    raise RuntimeError(f"records {vanished} vanished while being upserted")
                again = set(raced)  # their inserts waited for another commit: stamped anew
                stamps = [
                    self._clock() if key in again else at
                    for key, at in zip(keys, stamps, strict=True)
                ]
        versions: list[int] = []
        changes: list[dict[str, Any]] = []
        for (type, app_id, data), at in zip(items, stamps, strict=True):
            key = (type, app_id)
            if key in inserted:
                versions.append(1)
                continue
            found = current[key]
            if (
                not found.deleted
                and found.data is not None
                and _canonical(found.data) == _canonical(data)
            ):
                versions.append(int(found.version))
                continue
            version = int(found.version) + 1
            changes.append(
                {"w_id": found.id, "version": version, "data": dict(data), "deleted": False}
                | {"updated_at": at}
            )
            versions.append(version)
        if changes:
            run(self._session, prepared("records.change", _change_by_id), changes)
        return versions

    def get(self, connection_id: str, type: str, app_id: str) -> StoredRecord | None:
        sqlite = self._dialect() == "sqlite"

        def build() -> Any:
            record = tables.Record
            return select(*_record_columns(sqlite)).where(
                record.connection_id == bindparam("w_cid"),
                record.type == bindparam("w_type"),
                record.app_id == bindparam("w_app"),
            )

        query = prepared(("records.get", sqlite), build)
        params = {"w_cid": connection_id, "w_type": type, "w_app": app_id}
        row = run(self._session, query, params).one_or_none()
        return None if row is None else _stored_record(row._mapping)

    def get_many(
        self, connection_id: str, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], StoredRecord]:
        """`get` for many (type, app id) keys (a query per type and 500): key -> record,
        those held."""
        sqlite = self._dialect() == "sqlite"

        def build() -> Any:
            record = tables.Record
            return select(*_record_columns(sqlite)).where(
                record.connection_id == bindparam("w_cid"),
                record.type == bindparam("w_type"),
                record.app_id.in_(bindparam("ids", expanding=True)),
            )

        query = prepared(("records.get_many", sqlite), build)
        found: dict[tuple[str, str], StoredRecord] = {}
        for type_, ids in by_type(keys):
            params = {"w_cid": connection_id, "w_type": type_, "ids": ids}
            for row in run(self._session, query, params):
                stored = _stored_record(row._mapping)
                found[(stored.type, stored.app_id)] = stored
        return found

    def fingerprint(self, connection_id: str, type: str) -> tuple[int, int, int]:
        """What changes whenever a record of `type` is added, changed, deleted or removed:
        (how many, the sum of their versions, the highest row id)."""
        record = tables.Record
        row = self._session.execute(
            select(
                func.count(), func.coalesce(func.sum(record.version), 0), func.max(record.id)
            ).where(record.connection_id == connection_id, record.type == type)
        ).one()
        return int(row[0]), int(row[1]), int(row[2] or 0)

    def mark_deleted(self, connection_id: str, type: str, app_id: str) -> int | None:
        """The app deleted the record: returns the new version, or None if it is unknown.

        Deleting a deleted record changes nothing.
        """
        current = self._locked(connection_id, type, app_id)
        if current is None:
            return None
        if current.deleted:
            return int(current.version)
        return self._change(current.id, current.version, deleted=True)

    def referring(
        self, connection_id: str, types: Sequence[str], field: str, app_id: str
    ) -> list[tuple[str, str]]:
        """The (type, app id) of the records of `types` whose `field` names `app_id` (the
        invoices and payments of a customer, the bills of a vendor, a customer's properties)."""
        t = tables.Record
        rows = self._session.execute(
            select(t.type, t.app_id).where(
                t.connection_id == connection_id,
                t.type.in_(list(types)),
                t.deleted.is_(False),
                _data_field(field, self._dialect() == "sqlite") == app_id,
            )
        )
        return [(row.type, row.app_id) for row in rows]

    def list(
        self,
        connection_id: str,
        *,
        status: str | None = None,
        type: str | None = None,
        code: str | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[StoredRecord]:
        """Records in (updated_at, type, app_id) order, after `cursor`, `limit` at most.

        `status` and `code` filter on the record's sync state (its status, its problem's code).
        `q` keeps records whose app id, name or number contains it (any case; see `_matching`).
        A record changed while a client pages moves to the end, so it is seen again later.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        sqlite = self._dialect() == "sqlite"
        search = q.strip() if q is not None and q.strip() else None
        shape = (sqlite, type is not None, status is not None, code is not None, cursor is not None)
        params: dict[str, Any] = {
            "w_cid": connection_id,
            "w_type": type,
            "w_status": status,
            "w_code": code,
            "w_limit": limit + 1,
        }
        if cursor is not None:
            params["c_at"], params["c_type"], params["c_app"] = _decode_cursor(cursor)
        if search is None:  # the engine's listings: built once per shape (`prepared`)
            query = prepared(("records.list", *shape), lambda: _listing(*shape, None))
        else:  # a search's terms are in the statement (escaped): built for each
            query = _listing(*shape, search)
        rows = run(self._session, query, params).all()
        items = [_stored_record(row._mapping) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items=items, next_cursor=_encode_cursor(items[-1]) if more else None)

    def types_held(self, connection_id: str) -> set[str]:
        """The types the connection has records of (deleted ones too)."""
        record = tables.Record
        rows = self._session.execute(
            select(record.type).where(record.connection_id == connection_id).distinct()
        )
        return {str(row.type) for row in rows}

    @staticmethod
    def _key(connection_id: str, type: str, app_id: str) -> tuple[ColumnElement[bool], ...]:
        record = tables.Record
        return (
            record.connection_id == connection_id,
            record.type == type,
            record.app_id == app_id,
        )

    def _locked(self, connection_id: str, type: str, app_id: str) -> _Current | None:
        return self._locked_many(connection_id, [(type, app_id)]).get((type, app_id))

    def _locked_many(
        self, connection_id: str, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], _Current]:
        """The rows of these (type, app id) keys that exist, key -> row, locked until the
        transaction ends (a query per type and 500). On PostgreSQL `FOR UPDATE`, type by type
        in id order (two callers locking overlapping rows take them in the same order): a
        concurrent upsert
        or deletion of the same record waits, so a version read here is the one raised. SQLite
        has no row locks and needs none: a session holds the database's write lock from its
        start (`BEGIN IMMEDIATE`, `storage.db`), so writers take turns."""
        sqlite = self._dialect() == "sqlite"

        def build() -> Any:
            record = tables.Record
            return (
                select(
                    record.id,
                    record.type,
                    record.app_id,
                    _stored_data(sqlite),
                    record.version,
                    record.deleted,
                )
                .where(
                    record.connection_id == bindparam("w_cid"),
                    record.type == bindparam("w_type"),
                    record.app_id.in_(bindparam("ids", expanding=True)),
                )
                .order_by(record.id)
                .with_for_update()
            )

        query = prepared(("records.locked_many", sqlite), build)
        found: dict[tuple[str, str], _Current] = {}
        for type_, ids in by_type(keys):  # types in one order: every caller locks alike
            params = {"w_cid": connection_id, "w_type": type_, "ids": ids}
            for row in run(self._session, query, params):
                data, unreadable = _document(row.data)
                # a damaged row is never equal to what the app sends: its upsert replaces it
                found[(row.type, row.app_id)] = _Current(
                    row.id, None if unreadable else data, row.version, row.deleted
                )
        return found

    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    def _data(self) -> ColumnElement[Any]:
        return _stored_data(self._dialect() == "sqlite")

    def _record_columns(self) -> Sequence[ColumnElement[Any]]:
        return _record_columns(self._dialect() == "sqlite")

    def _insert_first_versions(
        self,
        connection_id: str,
        missing: Sequence[tuple[tuple[str, str, Mapping[str, Any]], datetime]],
    ) -> set[tuple[str, str]]:
        """Insert version 1 of each record, stamped `at`, unless its row exists (a statement
        per 500): the (type, app id) of those this call inserted. Inserted in (type, app id)
        order: two transactions inserting some of the same new records wait on each other's
        index entries in one order, never each on the other (PostgreSQL's deadlock)."""
        missing = sorted(missing, key=lambda one: (one[0][0], one[0][1]))
        dialect = self._dialect()
        statement = prepared(
            ("records.insert_first", dialect),
            lambda: _insert_ignoring_conflicts(self._session).returning(
                tables.Record.type, tables.Record.app_id
            ),
        )
        inserted: set[tuple[str, str]] = set()
        for start in range(0, len(missing), CHUNK):
            rows = [
                {
                    "connection_id": connection_id,
                    "type": type,
                    "app_id": app_id,
                    "data": dict(data),
                    "version": 1,
                    "deleted": False,
                    "updated_at": at,
                }
                for (type, app_id, data), at in missing[start : start + CHUNK]
            ]
            result = run(self._session, statement, rows)
            inserted.update((row.type, row.app_id) for row in result)
        return inserted

    def _change(self, record_id: int, version: int, **values: Any) -> int:
        statement = (
            update(tables.Record)
            .where(tables.Record.id == record_id)
            .values(version=version + 1, updated_at=self._clock(), **values)
        )
        self._session.execute(statement, execution_options=NO_SYNC)
        return version + 1
