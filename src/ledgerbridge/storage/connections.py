"""App connections (`connections`), each owned by one API key: the QuickBooks company, the
settings and mappings, the setup checklist, the connection's own problem, a sign-in under way and
the events secret."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Update,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import NO_SYNC, columns, prepared, run, sha256, table
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["CONNECTION_PREFIX", "NOT_CONNECTED", "Company", "Connections", "StoredConnection"]

CONNECTION_PREFIX = "con_"
NOT_CONNECTED = "not_connected"


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
    company_generation: int = 0  # its Start freshes so far (`Company`)
    wait_until: datetime | None = None  # QuickBooks' limits make it wait (`SyncStates.delay_all`)
    notified_at: datetime | None = None  # a signed webhook last named its company (`notified`)

    def waiting(self, now: datetime) -> datetime | None:
        """Until when QuickBooks' limits make the company wait, if that is after `now` (a 429,
        its window full): nothing is read from or sent to it before; None when it does not
        wait."""
        until = self.wait_until
        return until if until is not None and until > now else None


_STORED_WIDTH = len(fields(StoredConnection))
"""The columns of a `StoredConnection`, first in what `Connections._selected` reads."""


@dataclass(frozen=True, slots=True)
class Company:
    """The QuickBooks company a connection works with, as a pull or a pass found it when it
    began: what it learnt is stored only while the connection still has it
    (`Connections.still_has`), since a person may Start fresh meanwhile.

    An Online company is its realm. A Desktop connection has no realm, before a Start fresh
    and after it alike: its company is the company file its Web Connector's sessions opened,
    by the path the last one recorded (`web_connectors.company_file`, letter case aside as
    Windows paths go), which Start fresh forgets. (The file's FileID tells our file from
    another at a session's start; it is the .qwc's, the same in every file the .qwc was added
    to, so it cannot tell the old file from the new one.) A file moved on the PC while a pass
    runs, its new path recorded by a later session, ends that pass as a Start fresh would
    (nothing more stored); the next pass works its records.

    Either way the company is also the connection's generation, its Start freshes so far
    (`tables.Connection.company_generation`): a company that looks the same before and after
    a Start fresh (a Desktop file whose path no session has recorded yet: no realm, no file)
    is another company all the same, and a pass begun before stores nothing after it."""

    realm_id: str | None
    company_file: str | None = None
    generation: int = 0

    @classmethod
    def of(cls, realm_id: str | None, company_file: str | None, generation: int = 0) -> Company:
        return cls(realm_id, company_file.casefold() if company_file else None, generation)

    @classmethod
    def online(cls, connection: StoredConnection) -> Company:
        """The Online company `connection` has as read: its realm and Start freshes so far."""
        return cls.of(connection.realm_id, None, connection.company_generation)


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
        statement = prepared("connections.get", _by_id_and_key)
        return self._one(statement, {"c_id": connection_id, "c_key": api_key_id})

    def get_unscoped(self, connection_id: str) -> StoredConnection | None:
        """The connection whoever owns it: for the engine, never for API callers."""
        return self._one(prepared("connections.get_unscoped", _by_id), {"c_id": connection_id})

    def list(self, api_key_id: str) -> list[StoredConnection]:
        """The key's connections, oldest first."""
        connection = tables.Connection
        rows = self._session.execute(
            select(*columns(connection, StoredConnection))
            .where(connection.api_key_id == api_key_id)
            .order_by(connection.created_at, connection.id)
        )
        return [StoredConnection(**row._mapping) for row in rows]

    def list_all(self) -> Sequence[StoredConnection]:
        """Every connection, whoever owns it, oldest first: for operators (the CLI), never for
        API callers."""
        connection = tables.Connection
        rows = self._session.execute(
            select(*columns(connection, StoredConnection)).order_by(
                connection.created_at, connection.id
            )
        )
        return [StoredConnection(**row._mapping) for row in rows]

    def with_company(self, realm_id: str) -> Sequence[StoredConnection]:
        """The connections that work with this QuickBooks company, whoever owns them, oldest
        first (for the reconnect page, which Intuit opens with the company's realmId)."""
        connection = tables.Connection
        rows = self._session.execute(
            select(*columns(connection, StoredConnection))
            .where(connection.realm_id == realm_id)
            .order_by(connection.created_at, connection.id)
        )
        return [StoredConnection(**row._mapping) for row in rows]

    def of_companies(self, realm_ids: Iterable[str]) -> Sequence[StoredConnection]:
        """The connections of any of these QuickBooks companies, whoever owns them, by id
        (a webhook's: found by the `realm_id` index, not among every connection)."""
        wanted = sorted(set(realm_ids))
        if not wanted:
            return []
        return self._listed(tables.Connection.realm_id.in_(wanted))

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
            oauth_state=sha256(state),
            oauth_binding=None if binding is None else sha256(binding),
            oauth_expires_at=expires_at,
        )

    def bind_sign_in(self, state: str, binding: str, now: datetime) -> StoredConnection | None:
        """Bind a live, still unbound state to a browser's secret; None when the state is
        unknown, expired or already bound (a link opens once)."""
        connection = tables.Connection
        return self._claim(
            update(connection)
            .where(
                connection.oauth_state == sha256(state),
                connection.oauth_binding.is_(None),
                connection.oauth_expires_at > now,
            )
            .values(oauth_binding=sha256(binding))
        )

    def take_sign_in(self, state: str, binding: str, now: datetime) -> StoredConnection | None:
        """Use a state up: the connection it was issued for, when the state is live and bound
        to this browser's secret, and never twice; None otherwise, and then nothing changes."""
        connection = tables.Connection
        return self._claim(
            update(connection)
            .where(
                connection.oauth_state == sha256(state),
                connection.oauth_binding == sha256(binding),
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
        returning = statement.returning(*columns(tables.Connection, StoredConnection))
        row = self._session.execute(returning, execution_options=NO_SYNC).one_or_none()
        return None if row is None else StoredConnection(**row._mapping)

    def cdc_cursor(self, connection_id: str) -> datetime | None:
        statement = prepared("connections.cdc_cursor", _cdc_cursor)
        value: datetime | None = run(
            self._session, statement, {"c_id": connection_id}
        ).scalar_one_or_none()
        return value

    def set_pulled(self, connection_id: str, cursor: datetime, at: datetime) -> bool:
        return self._update(connection_id, cdc_cursor=cursor, last_pull_at=at)

    def all_connected(self) -> Sequence[StoredConnection]:
        """Every connection with a QuickBooks company, for workers and schedulers."""
        return self._listed(tables.Connection.realm_id.is_not(None))

    def all_connected_with_cursors(self) -> Sequence[tuple[StoredConnection, datetime | None]]:
        """`all_connected`, each with its change cursor (when its last read began; None:
        never read), in the same one query: what the sweep decides its pulls on."""
        connection = tables.Connection
        rows = self._selected(connection.realm_id.is_not(None), connection.cdc_cursor)
        return [(stored, more[0]) for stored, more in rows]

    def notified(self, realm_ids: Iterable[str], at: datetime, *, every: timedelta) -> int:
        """A signed webhook named these QuickBooks companies at `at`: stored on every one of
        their connections, in one statement, where what is stored is older than `every` (or
        nothing is), so that a burst of notifications writes once. How many rows changed.

        A row another transaction holds (PostgreSQL: a pull storing what it read, a pass
        storing its results, for seconds or minutes) is left as it is, not waited for: the
        notification is answered at once (Intuit waits a few seconds, then sends it again and
        holds the company's next ones back), and the company's next notification marks it."""
        wanted = sorted(set(realm_ids))
        if not wanted:
            return 0
        t = tables.Connection
        free = (
            select(t.id)
            .where(
                t.realm_id.in_(wanted),
                or_(t.notified_at.is_(None), t.notified_at < at - every),
            )
            .with_for_update(skip_locked=True, key_share=True)  # FOR NO KEY UPDATE SKIP LOCKED
        )
        statement = update(t).where(t.id.in_(free.scalar_subquery())).values(notified_at=at)
        changed = self._session.execute(statement, execution_options=NO_SYNC)
        return int(getattr(changed, "rowcount", 0) or 0)

    def _listed(self, where: ColumnElement[bool]) -> Sequence[StoredConnection]:
        """The connections `where` holds for, by id, whoever owns them."""
        return [stored for stored, _ in self._selected(where)]

    def _selected(
        self, where: ColumnElement[bool], *more: InstrumentedAttribute[Any]
    ) -> Iterator[tuple[StoredConnection, tuple[Any, ...]]]:
        """`_listed`'s connections, each with the values of `more` (columns a
        `StoredConnection` does not hold), read by the same one statement."""
        connection = tables.Connection
        rows = self._session.execute(
            select(*columns(connection, StoredConnection), *more)
            .where(where)
            .order_by(connection.id)
        )
        for row in rows:
            yield StoredConnection(*row[:_STORED_WIDTH]), tuple(row[_STORED_WIDTH:])

    def set_checks(self, connection_id: str, checks: Mapping[str, Any], at: datetime) -> bool:
        """Store the setup checklist made at `at`."""
        return self._update(connection_id, checks=dict(checks), checks_at=at)

    def forget_company(self, connection_id: str) -> bool:
        """Forget the QuickBooks company (starting fresh): the next connect may pick any. The
        company's generation goes up by one (`Company`): whatever was read before is another
        company's."""
        t = tables.Connection
        statement = (
            update(t)
            .where(t.id == connection_id)
            .values(
                realm_id=None,
                company_name=None,
                cdc_cursor=None,
                last_pull_at=None,
                checks=None,
                checks_at=None,
                company_generation=t.company_generation + 1,
                wait_until=None,  # the old company's wait for QuickBooks' limits
                notified_at=None,  # its webhooks: the next company's are not known yet
            )
            .returning(t.id)
        )
        return self._session.execute(statement, execution_options=NO_SYNC).first() is not None

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

    def lock(self, connection_id: str) -> bool:
        """Hold the connection's row until the transaction ends (PostgreSQL; SQLite's write
        transactions are one at a time already): for a decision only one process may make at
        a time. Whether the connection exists.

        `FOR NO KEY UPDATE`, not `FOR UPDATE`: holders exclude each other all the same, but
        another transaction's insert of a row referring to the connection (a history entry,
        a sync state: its foreign key check shares the row's key) goes on. With `FOR UPDATE`
        such an insert waited for the holder, who could be waiting for a row that transaction
        held: a deadlock (a Desktop fix asked again while a session recorded the older one)."""
        statement = prepared("connections.lock", _lock)
        return run(self._session, statement, {"c_id": connection_id}).first() is not None

    def still_has(self, connection_id: str, company: Company, *, cursor: bool = False) -> bool:
        """Whether the connection, its row held from here to the end of the transaction (as
        `lock` holds it: the connection's row first, before anything the caller stores),
        still has `company`; `cursor`: and a change cursor, for a pull that began from one
        (a Start fresh forgot it; the same company connected again has none until its first
        full read). The one check of a pull's read and a pass's conclusions alike
        (`engine.pull`, `engine.push.work.storing`)."""
        row = self._held_company(connection_id)
        if row is None or row.realm_id != company.realm_id:
            return False
        if row.company_generation != company.generation:  # it started fresh meanwhile
            return False
        if cursor and row.cdc_cursor is None:
            return False
        if company.realm_id is not None:  # an Online company: its realm says it all
            return True
        # a Desktop connection's file, read by a statement of its own once the row is held:
        # joined to the locking statement, PostgreSQL would give the Web Connector's row as
        # it was before a Start fresh that statement waited for (read committed re-reads
        # only the locked row), and the old file would pass for the connection's
        statement = prepared("connections.company_file", _company_file)
        found = run(self._session, statement, {"c_id": connection_id}).scalar_one_or_none()
        return Company.of(None, found, row.company_generation) == company

    def still_in(self, connection_id: str, generation: int) -> bool:
        """Whether the connection, its row held to the end of the transaction (as `lock`
        holds it), has not started fresh since it was read at `generation`
        (`StoredConnection.company_generation`): the check of a QuickBooks Desktop request
        queued for the Web Connector (`engine.desktop.exchange`), which a Start fresh then
        waits for, and withdraws."""
        row = self._held_company(connection_id)
        return row is not None and row.company_generation == generation

    def _held_company(self, connection_id: str) -> Row[Any] | None:
        """The connection's company columns, its row held to the end of the transaction."""
        statement = prepared("connections.still_has", _held_company)
        return run(self._session, statement, {"c_id": connection_id}).one_or_none()

    def get_with_company(self, connection_id: str) -> tuple[StoredConnection, Company] | None:
        """`get_unscoped`, with the company it has now (`Company`), in one statement."""
        statement = prepared("connections.get_with_company", _by_id_with_company)
        row = run(self._session, statement, {"c_id": connection_id}).one_or_none()
        if row is None:
            return None
        values = dict(row._mapping)
        company = Company.of(
            values["realm_id"], values.pop("company_file"), values["company_generation"]
        )
        return StoredConnection(**values), company

    def lock_row(self, connection_id: str) -> StoredConnection | None:
        """`lock`, in the same statement as the connection's read: the row as it is held."""
        statement = prepared("connections.lock_row", _lock_row)
        return self._one(statement, {"c_id": connection_id})

    def get_with_cursor(
        self, connection_id: str
    ) -> tuple[StoredConnection, datetime | None, Company] | None:
        """`get_unscoped`, its `cdc_cursor` and the company it has now (`Company`), in one
        statement; None: no such connection."""
        statement = prepared("connections.get_with_cursor", _by_id_with_cursor)
        row = run(self._session, statement, {"c_id": connection_id}).one_or_none()
        if row is None:
            return None
        values = dict(row._mapping)
        cursor: datetime | None = values.pop("cdc_cursor")
        company = Company.of(
            values["realm_id"], values.pop("company_file"), values["company_generation"]
        )
        return StoredConnection(**values), cursor, company

    def _one(self, statement: Select[Any], params: dict[str, Any]) -> StoredConnection | None:
        row = run(self._session, statement, params).one_or_none()
        return None if row is None else StoredConnection(**row._mapping)

    def _update(self, connection_id: str, **values: Any) -> bool:
        names = tuple(sorted(values))
        statement = prepared(("connections.update", names), lambda: _update_of(names))
        params = {"c_id": connection_id, **{f"v_{name}": values[name] for name in names}}
        return run(self._session, statement, params).first() is not None


# The reads every pass, pull and API call make (built once: `storage._sql.prepared`).


def _stored() -> Select[Any]:
    t = table(tables.Connection)
    return select(*(t.c[field.name] for field in fields(StoredConnection)))


def _by_id() -> Select[Any]:
    return _stored().where(table(tables.Connection).c.id == bindparam("c_id"))


def _update_of(names: tuple[str, ...]) -> Update:
    """The connection's columns `names` set (bind parameters `v_<name>`), its id returned."""
    t = table(tables.Connection)
    changed = {t.c[name]: bindparam(f"v_{name}", type_=t.c[name].type) for name in names}
    return update(t).where(t.c.id == bindparam("c_id")).values(changed).returning(t.c.id)


def _lock() -> Select[Any]:
    t = table(tables.Connection)
    return select(t.c.id).where(t.c.id == bindparam("c_id")).with_for_update(key_share=True)


def _lock_row() -> Select[Any]:
    return _by_id().with_for_update(key_share=True)


def _with_company_file(statement: Select[Any]) -> Select[Any]:
    """`statement` (of the connection) with its Web Connector's company file: None for an
    Online connection, which has no Web Connector."""
    t, w = table(tables.Connection), table(tables.WebConnector)
    return statement.add_columns(w.c.company_file).select_from(
        t.outerjoin(w, w.c.connection_id == t.c.id)
    )


def _by_id_with_company() -> Select[Any]:
    return _with_company_file(_by_id())


def _by_id_with_cursor() -> Select[Any]:
    t = table(tables.Connection)
    return _with_company_file(_by_id().add_columns(t.c.cdc_cursor))


def _held_company() -> Select[Any]:
    """The connection's realm, cursor and generation, its row held (as `_lock`)."""
    t = table(tables.Connection)
    statement = select(t.c.realm_id, t.c.cdc_cursor, t.c.company_generation).where(
        t.c.id == bindparam("c_id")
    )
    return statement.with_for_update(key_share=True)


def _company_file() -> Select[Any]:
    w = table(tables.WebConnector)
    return select(w.c.company_file).where(w.c.connection_id == bindparam("c_id"))


def _by_id_and_key() -> Select[Any]:
    t = table(tables.Connection)
    return _stored().where(t.c.id == bindparam("c_id"), t.c.api_key_id == bindparam("c_key"))


def _cdc_cursor() -> Select[Any]:
    t = table(tables.Connection)
    return select(t.c.cdc_cursor).where(t.c.id == bindparam("c_id"))
