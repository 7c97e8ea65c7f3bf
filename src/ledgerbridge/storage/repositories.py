"""Repositories: the small storage interfaces the engine uses, one per concern.

Each works inside a `Session` it is given (the caller owns the unit of work) and returns frozen
values, never ORM rows. They hold no business rules: what a status means, when a record is due
or how settings merge is decided above them. Time comes from an injected clock.

They read columns and write with INSERT/UPDATE statements, never through ORM objects: the ORM
would skip writing a JSON document equal in Python to the old one (`{"q": 1}` == `{"q": True}`)
and would serve objects from its identity map instead of what the database holds.

    with db.session() as session:
        version = Records(session).upsert(connection_id, "customer", "c-1", {"display_name": "A"})
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    Insert,
    LargeBinary,
    Text,
    Update,
    case,
    cast,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from ledgerbridge.core import json_limits
from ledgerbridge.storage import tables
from ledgerbridge.storage.tables import utcnow

__all__ = [
    "ApiKeys",
    "Audit",
    "Clock",
    "Connections",
    "Events",
    "InvalidCursor",
    "Page",
    "Records",
    "StoredAudit",
    "StoredConnection",
    "StoredEvent",
    "StoredKey",
    "StoredRecord",
]

Clock = Callable[[], datetime]
T = TypeVar("T")

API_KEY_PREFIX = "key_"
API_SECRET_PREFIX = "lbk_"
CONNECTION_PREFIX = "con_"
NOT_CONNECTED = "not_connected"
# Namespace of the PostgreSQL advisory locks that order event ids per connection.
_EVENTS_LOCK_CLASS = 0x4C42_4576  # "LBEv"


class InvalidCursor(ValueError):
    """A paging cursor that this module did not produce."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; `next_cursor` is None on the last page."""

    items: Sequence[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class StoredConnection:
    id: str
    api_key_id: str
    name: str
    environment: str
    status: str
    realm_id: str | None
    company_name: str | None
    settings: Mapping[str, Any]
    mappings: Mapping[str, Any]
    last_pull_at: datetime | None
    created_at: datetime
    checks: Mapping[str, Any] | None = None
    checks_at: datetime | None = None
    problem: Mapping[str, Any] | None = None  # the connection's own problem (tables.py)


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


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    connection_id: str
    type: str
    payload: Mapping[str, Any]
    created_at: datetime
    delivered_at: datetime | None


def _columns(entity: type[tables.Base], value: type[Any]) -> list[InstrumentedAttribute[Any]]:
    """The entity's columns named like the fields of the dataclass `value`, in field order."""
    return [getattr(entity, field.name) for field in fields(value)]


_NO_SYNC = {"synchronize_session": False}


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class StoredKey:
    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeys:
    """API keys. The secret is shown once, at creation; only its SHA-256 is stored."""

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def create(self, name: str) -> tuple[str, str]:
        """A new key: returns (key id, secret)."""
        key_id = API_KEY_PREFIX + secrets.token_urlsafe(12)
        secret = API_SECRET_PREFIX + secrets.token_urlsafe(32)
        self._session.execute(
            insert(tables.ApiKey).values(
                id=key_id, name=name, key_hash=_sha256(secret), created_at=self._clock()
            )
        )
        return key_id, secret

    def authenticate(self, secret: str) -> str | None:
        """The id of the live key whose secret this is, or None."""
        digest = _sha256(secret)
        key = tables.ApiKey
        row = self._session.execute(
            select(key.id, key.key_hash).where(key.key_hash == digest, key.revoked_at.is_(None))
        ).one_or_none()
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            return None
        return str(row.id)

    def list_all(self) -> list[StoredKey]:
        """Every key, oldest first, revoked ones included (never a secret or its hash)."""
        key = tables.ApiKey
        rows = self._session.execute(
            select(*_columns(key, StoredKey)).order_by(key.created_at, key.id)
        )
        return [StoredKey(**row._mapping) for row in rows]

    def rotate(self, key_id: str) -> str | None:
        """A new secret for a live key (the old one stops at once); None when there is no
        such live key. The key keeps its id, so its connections and dashboard users stay."""
        secret = API_SECRET_PREFIX + secrets.token_urlsafe(32)
        key = tables.ApiKey
        statement = (
            update(key)
            .where(key.id == key_id, key.revoked_at.is_(None))
            .values(key_hash=_sha256(secret))
            .returning(key.id)
        )
        found = self._session.execute(statement, execution_options=_NO_SYNC).first()
        return secret if found is not None else None

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; False when there is no such live key."""
        key = tables.ApiKey
        statement = (
            update(key)
            .where(key.id == key_id, key.revoked_at.is_(None))
            .values(revoked_at=self._clock())
            .returning(key.id)
        )
        return self._session.execute(statement, execution_options=_NO_SYNC).first() is not None


class Connections:
    """App connections, each owned by one API key."""

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def create(
        self,
        api_key_id: str,
        name: str,
        environment: str,
        settings: Mapping[str, Any] | None = None,
    ) -> StoredConnection:
        stored = StoredConnection(
            id=CONNECTION_PREFIX + secrets.token_urlsafe(12),
            api_key_id=api_key_id,
            name=name,
            environment=environment,
            status=NOT_CONNECTED,
            realm_id=None,
            company_name=None,
            settings=dict(settings or {}),
            mappings={},
            last_pull_at=None,
            created_at=self._clock(),
        )
        values = {field.name: getattr(stored, field.name) for field in fields(StoredConnection)}
        self._session.execute(insert(tables.Connection).values(values))
        return stored

    def get(self, connection_id: str, api_key_id: str) -> StoredConnection | None:
        """The connection, if it exists and belongs to this API key."""
        return self._one(
            tables.Connection.id == connection_id, tables.Connection.api_key_id == api_key_id
        )

    def get_unscoped(self, connection_id: str) -> StoredConnection | None:
        """The connection whoever owns it: for the engine, never for API callers."""
        return self._one(tables.Connection.id == connection_id)

    def list(self, api_key_id: str) -> list[StoredConnection]:
        """The key's connections, oldest first."""
        connection = tables.Connection
        rows = self._session.execute(
            select(*_columns(connection, StoredConnection))
            .where(connection.api_key_id == api_key_id)
            .order_by(connection.created_at, connection.id)
        )
        return [StoredConnection(**row._mapping) for row in rows]

    def list_all(self) -> Sequence[StoredConnection]:
        """Every connection, whoever owns it, oldest first: for operators (the CLI), never for
        API callers."""
        connection = tables.Connection
        rows = self._session.execute(
            select(*_columns(connection, StoredConnection)).order_by(
                connection.created_at, connection.id
            )
        )
        return [StoredConnection(**row._mapping) for row in rows]

    def set_status(self, connection_id: str, status: str) -> bool:
        return self._update(connection_id, status=status)

    def set_company(
        self, connection_id: str, realm_id: str | None, company_name: str | None
    ) -> bool:
        return self._update(connection_id, realm_id=realm_id, company_name=company_name)

    def set_mappings(self, connection_id: str, mappings: Mapping[str, Any]) -> bool:
        return self._update(connection_id, mappings=dict(mappings))

    # A sign-in (OAuth consent) under way: one at a time per connection. Only SHA-256 digests
    # of the state and of the browser's secret are kept, so a copy of the database completes
    # nothing. Binding and taking are single UPDATE ... RETURNING statements: of two requests
    # racing for one state, the database lets exactly one through (the other finds the row
    # changed: PostgreSQL re-reads it after the first commits; SQLite runs writes one at a time).

    def open_sign_in(
        self, connection_id: str, state: str, binding: str | None, expires_at: datetime
    ) -> bool:
        """Remember a new sign-in's state (any earlier one of the connection stops working),
        bound to a browser's secret now, or, when `binding` is None, by `bind_sign_in` later."""
        return self._update(
            connection_id,
            oauth_state=_sha256(state),
            oauth_binding=None if binding is None else _sha256(binding),
            oauth_expires_at=expires_at,
        )

    def bind_sign_in(self, state: str, binding: str, now: datetime) -> StoredConnection | None:
        """Bind a live, still unbound state to a browser's secret; None when the state is
        unknown, expired or already bound (a link opens once)."""
        connection = tables.Connection
        return self._claim(
            update(connection)
            .where(
                connection.oauth_state == _sha256(state),
                connection.oauth_binding.is_(None),
                connection.oauth_expires_at > now,
            )
            .values(oauth_binding=_sha256(binding))
        )

    def take_sign_in(self, state: str, binding: str, now: datetime) -> StoredConnection | None:
        """Use a state up: the connection it was issued for, when the state is live and bound
        to this browser's secret, and never twice; None otherwise, and then nothing changes."""
        connection = tables.Connection
        return self._claim(
            update(connection)
            .where(
                connection.oauth_state == _sha256(state),
                connection.oauth_binding == _sha256(binding),
                connection.oauth_expires_at > now,
            )
            .values(oauth_state=None, oauth_binding=None, oauth_expires_at=None)
        )

    def holding_company(self, environment: str, realm_id: str) -> bool:
        """Whether any connection keeps tokens for this company (of this environment)."""
        connection, token = tables.Connection, tables.Token
        query = (
            select(connection.id)
            .join(token, token.connection_id == connection.id)
            .where(connection.environment == environment, connection.realm_id == realm_id)
            .limit(1)
        )
        return self._session.execute(query).first() is not None

    def _claim(self, statement: Update) -> StoredConnection | None:
        returning = statement.returning(*_columns(tables.Connection, StoredConnection))
        row = self._session.execute(returning, execution_options=_NO_SYNC).one_or_none()
        return None if row is None else StoredConnection(**row._mapping)

    def cdc_cursor(self, connection_id: str) -> datetime | None:
        value: datetime | None = self._session.execute(
            select(tables.Connection.cdc_cursor).where(tables.Connection.id == connection_id)
        ).scalar_one_or_none()
        return value

    def set_pulled(self, connection_id: str, cursor: datetime, at: datetime) -> bool:
        return self._update(connection_id, cdc_cursor=cursor, last_pull_at=at)

    def all_connected(self) -> Sequence[StoredConnection]:
        """Every connection with a QuickBooks company, for workers and schedulers."""
        connection = tables.Connection
        rows = self._session.execute(
            select(*_columns(connection, StoredConnection))
            .where(connection.realm_id.is_not(None))
            .order_by(connection.id)
        )
        return [StoredConnection(**row._mapping) for row in rows]

    def set_checks(self, connection_id: str, checks: Mapping[str, Any], at: datetime) -> bool:
        """Store the setup checklist made at `at`."""
        return self._update(connection_id, checks=dict(checks), checks_at=at)

    def forget_company(self, connection_id: str) -> bool:
        """Forget the QuickBooks company (starting fresh): the next connect may pick any."""
        return self._update(
            connection_id,
            realm_id=None,
            company_name=None,
            cdc_cursor=None,
            last_pull_at=None,
            checks=None,
            checks_at=None,
        )

    def set_settings(self, connection_id: str, settings: Mapping[str, Any]) -> bool:
        """Replace the settings document (merging is the caller's business)."""
        return self._update(connection_id, settings=dict(settings))

    def set_problem(self, connection_id: str, problem: Mapping[str, Any] | None) -> bool:
        """Set (or clear, with None) the connection's own problem; True when it changed."""
        connection = tables.Connection
        current = self._session.execute(
            select(connection.problem).where(connection.id == connection_id)
        ).scalar_one_or_none()
        if current == (dict(problem) if problem is not None else None):
            return False
        return self._update(connection_id, problem=dict(problem) if problem else None)

    def events_secret(self, connection_id: str) -> str | None:
        """The events secret as stored: encrypted (the engine holds the keys)."""
        value: str | None = self._session.execute(
            select(tables.Connection.events_secret).where(tables.Connection.id == connection_id)
        ).scalar_one_or_none()
        return value

    def set_events_secret(self, connection_id: str, sealed: str) -> bool:
        """Store the events secret, encrypted by the caller."""
        return self._update(connection_id, events_secret=sealed)

    def _one(self, *conditions: ColumnElement[bool]) -> StoredConnection | None:
        query = select(*_columns(tables.Connection, StoredConnection)).where(*conditions)
        row = self._session.execute(query).one_or_none()
        return None if row is None else StoredConnection(**row._mapping)

    def _update(self, connection_id: str, **values: Any) -> bool:
        connection = tables.Connection
        statement = (
            update(connection)
            .where(connection.id == connection_id)
            .values(**values)
            .returning(connection.id)
        )
        return self._session.execute(statement, execution_options=_NO_SYNC).first() is not None


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


def _stored_record(row: Any) -> StoredRecord:
    data, unreadable = _document(row["data"])
    return StoredRecord(**{**row, "data": data, "unreadable": unreadable})


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
        key = (connection_id, type, app_id)
        current = self._locked(*key)
        if current is None:
            if self._insert_first_version(*key, data):
                return 1
            current = self._locked(*key)  # a concurrent transaction inserted it first
            if current is None:
                raise RuntimeError(f"record {key} vanished while being upserted")
        if (
            not current.deleted
            and current.data is not None
            and _canonical(current.data) == _canonical(data)
        ):
            return int(current.version)
        return self._change(current.id, current.version, data=dict(data), deleted=False)

    def get(self, connection_id: str, type: str, app_id: str) -> StoredRecord | None:
        query = select(*self._record_columns()).where(*self._key(connection_id, type, app_id))
        row = self._session.execute(query).one_or_none()
        return None if row is None else _stored_record(row._mapping)

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
        record = tables.Record
        query = select(*self._record_columns()).where(record.connection_id == connection_id)
        if type is not None:
            query = query.where(record.type == type)
        if status is not None or code is not None:
            state = tables.SyncState
            query = query.join(
                state,
                (state.connection_id == record.connection_id)
                & (state.type == record.type)
                & (state.app_id == record.app_id),
            )
            if status is not None:
                query = query.where(state.status == status)
            if code is not None:
                query = query.where(state.problem["code"].as_string() == code)
        if q is not None and q.strip():
            query = query.where(_matching(q.strip(), self._dialect() == "sqlite"))
        order = (record.updated_at, record.type, record.app_id)
        if cursor is not None:
            query = query.where(tuple_(*order) > _decode_cursor(cursor))
        rows = self._session.execute(query.order_by(*order).limit(limit + 1)).all()
        items = [_stored_record(row._mapping) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items=items, next_cursor=_encode_cursor(items[-1]) if more else None)

    @staticmethod
    def _key(connection_id: str, type: str, app_id: str) -> tuple[ColumnElement[bool], ...]:
        record = tables.Record
        return (
            record.connection_id == connection_id,
            record.type == type,
            record.app_id == app_id,
        )

    def _locked(self, connection_id: str, type: str, app_id: str) -> _Current | None:
        record = tables.Record
        query = (
            select(record.id, self._data(), record.version, record.deleted)
            .where(*self._key(connection_id, type, app_id))
            .with_for_update()
        )
        row = self._session.execute(query).one_or_none()
        if row is None:
            return None
        data, unreadable = _document(row.data)
        # a damaged row is never equal to what the app sends: its upsert replaces it
        return _Current(row.id, None if unreadable else data, row.version, row.deleted)

    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    def _data(self) -> ColumnElement[Any]:
        return _stored_data(self._dialect() == "sqlite")

    def _record_columns(self) -> Sequence[ColumnElement[Any]]:
        return _record_columns(self._dialect() == "sqlite")

    def _insert_first_version(
        self, connection_id: str, type: str, app_id: str, data: Mapping[str, Any]
    ) -> bool:
        """Insert version 1 unless the row exists; True when this call inserted it."""
        statement = (
            _insert_ignoring_conflicts(self._session)
            .values(
                connection_id=connection_id,
                type=type,
                app_id=app_id,
                data=dict(data),
                version=1,
                deleted=False,
                updated_at=self._clock(),
            )
            .returning(tables.Record.id)
        )
        return self._session.execute(statement).first() is not None

    def _change(self, record_id: int, version: int, **values: Any) -> int:
        statement = (
            update(tables.Record)
            .where(tables.Record.id == record_id)
            .values(version=version + 1, updated_at=self._clock(), **values)
        )
        self._session.execute(statement, execution_options=_NO_SYNC)
        return version + 1


def _events_lock_key(connection_id: str) -> int:
    return int.from_bytes(hashlib.sha256(connection_id.encode()).digest()[:4], signed=True)


class Events:
    """Events for the app, read back in id order.

    Within a connection, ids become visible in ascending order: on PostgreSQL an append holds a
    per-connection advisory lock until its transaction ends (SQLite writers are serial anyway),
    so a reader polling `after=<last id>` never skips an event committed late.
    """

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def _lock(self, connection_id: str) -> None:
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(
                text("SELECT pg_advisory_xact_lock(CAST(:space AS int), CAST(:key AS int))"),
                {"space": _EVENTS_LOCK_CLASS, "key": _events_lock_key(connection_id)},
            )

    def append_many(
        self, connection_id: str, events: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> None:
        """`append` for many (type, payload) events, in order, one statement."""
        now = self._clock()
        rows = [
            {"connection_id": connection_id, "type": t, "payload": dict(p), "created_at": now}
            for t, p in events
        ]
        if rows:
            self._lock(connection_id)
            self._session.execute(insert(tables.Event), rows)

    def append(self, connection_id: str, type: str, payload: Mapping[str, Any]) -> int:
        self._lock(connection_id)
        statement = (
            insert(tables.Event)
            .values(
                connection_id=connection_id,
                type=type,
                payload=dict(payload),
                created_at=self._clock(),
            )
            .returning(tables.Event.id)
        )
        return int(self._session.execute(statement).scalar_one())

    def list_after(
        self, connection_id: str, after_id: int = 0, limit: int = 100
    ) -> list[StoredEvent]:
        """Events of the connection with an id above `after_id`, oldest first."""
        event = tables.Event
        rows = self._session.execute(
            select(*_columns(event, StoredEvent))
            .where(event.connection_id == connection_id, event.id > after_id)
            .order_by(event.id)
            .limit(limit)
        )
        return [StoredEvent(**row._mapping) for row in rows]

    def undelivered(self, connection_id: str, limit: int = 100) -> list[StoredEvent]:
        """Events not yet delivered to the app's URL, oldest first."""
        event = tables.Event
        rows = self._session.execute(
            select(*_columns(event, StoredEvent))
            .where(event.connection_id == connection_id, event.delivered_at.is_(None))
            .order_by(event.id)
            .limit(limit)
        )
        return [StoredEvent(**row._mapping) for row in rows]

    def mark_delivered(self, ids: Sequence[int]) -> None:
        if ids:
            self._session.execute(
                update(tables.Event)
                .where(tables.Event.id.in_(ids))
                .values(delivered_at=self._clock())
            )


@dataclass(frozen=True, slots=True)
class StoredAudit:
    id: int
    connection_id: str | None
    actor: str
    action: str
    record_type: str | None
    record_id: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    at: datetime


class Audit:
    """Who did what, when, to which record, with the state before and after.

    An entry is added before the action runs (`after` empty) and completed once, after it;
    entries are never removed.
    """

    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def add(
        self,
        connection_id: str | None,
        actor: str,
        action: str,
        *,
        record_type: str | None = None,
        record_id: str | None = None,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> int:
        statement = (
            insert(tables.AuditEntry)
            .values(
                connection_id=connection_id,
                actor=actor,
                action=action,
                record_type=record_type,
                record_id=record_id,
                before=dict(before) if before is not None else None,
                after=dict(after) if after is not None else None,
                at=self._clock(),
            )
            .returning(tables.AuditEntry.id)
        )
        return int(self._session.execute(statement).scalar_one())

    def complete(self, entry_id: int, after: Mapping[str, Any]) -> None:
        """What the action left behind; an entry already completed keeps its first answer."""
        t = tables.AuditEntry
        self._session.execute(
            update(t).where(t.id == entry_id, t.after.is_(None)).values(after=dict(after))
        )

    def of(
        self,
        connection_id: str,
        *,
        record_type: str | None = None,
        record_id: str | None = None,
        limit: int = 200,
    ) -> list[StoredAudit]:
        t = tables.AuditEntry
        query = select(*_columns(t, StoredAudit)).where(t.connection_id == connection_id)
        if record_type is not None:
            query = query.where(t.record_type == record_type)
        if record_id is not None:
            query = query.where(t.record_id == record_id)
        rows = self._session.execute(query.order_by(t.id.desc()).limit(limit))
        return [StoredAudit(**row._mapping) for row in rows]
