"""QuickBooks Desktop's Web Connector, per Desktop connection (`web_connectors`), and its
sessions (`web_connector_sessions`).

The password typed into the Web Connector is kept only as a salted scrypt hash (the dashboard
users' `storage.users.hash_password`); a session's ticket only as its SHA-256, so a copy of the
database opens no session.

The reads and writes each Web Connector call makes (its session by ticket, its connector, the
call recorded) are built once per process (`_sql.prepared`) and run as Core statements: a
session's calls run them a few dozen times each.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Update, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from ledgerbridge.settings import DEFAULT_PASSWORD_SCRYPT_N
from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import NO_SYNC, prepared, run, sha256, table
from ledgerbridge.storage.tables import Clock, utcnow
from ledgerbridge.storage.users import decoy_hash, hash_password, verify_password

__all__ = ["StoredConnector", "StoredTicket", "WebConnectors"]


@dataclass(frozen=True, slots=True)
class StoredConnector:
    connection_id: str
    username: str
    owner_id: str
    file_id: str
    company_file: str | None
    company_name: str | None
    qbxml_version: str | None
    closing_date: str | None
    last_seen_at: datetime | None
    last_done_at: datetime | None
    progress: int | None
    last_error: str | None
    last_error_at: datetime | None
    found: Mapping[str, Any] | None
    created_at: datetime
    refusals: int
    refused_at: datetime | None
    last_outcome: str | None
    last_outcome_at: datetime | None
    has_password: bool = False

    @property
    def last_contact(self) -> datetime | None:
        """The Web Connector's last call, with a good password or a refused one."""
        moments = [m for m in (self.last_seen_at, self.refused_at) if m is not None]
        return max(moments) if moments else None


@dataclass(frozen=True, slots=True)
class StoredTicket:
    connection_id: str
    created_at: datetime
    seen_at: datetime
    expires_at: datetime
    step: int
    noops: int
    pending: str | None
    error: str | None
    closed_at: datetime | None


def _connector_columns() -> list[Any]:
    connector = table(tables.WebConnector)
    return [
        *(connector.c[f.name] for f in fields(StoredConnector)[:-1]),
        connector.c.password_hash.is_not(None).label("has_password"),
    ]


def _one_connector() -> Select[Any]:
    connector = table(tables.WebConnector)
    return select(*_connector_columns()).where(connector.c.connection_id == bindparam("w_cid"))


def _one_connector_locked() -> Select[Any]:
    return _one_connector().with_for_update()


def _connector_update() -> Update:
    """An UPDATE of one connector; the columns set are the other parameters given."""
    connector = table(tables.WebConnector)
    return update(connector).where(connector.c.connection_id == bindparam("w_cid"))


def _live_ticket() -> Select[Any]:
    wcs = table(tables.WebConnectorSession)
    return select(*(wcs.c[f.name] for f in fields(StoredTicket))).where(
        wcs.c.ticket_hash == bindparam("w_hash"),
        wcs.c.expires_at > bindparam("w_now"),
        wcs.c.closed_at.is_(None),
    )


def _ticket_update() -> Update:
    """An UPDATE of one session; the columns set are the other parameters given."""
    wcs = table(tables.WebConnectorSession)
    return update(wcs).where(wcs.c.ticket_hash == bindparam("w_hash"))


class WebConnectors:
    """The Web Connectors of Desktop connections and their sessions."""

    def __init__(
        self, session: Session, *, clock: Clock = utcnow, scrypt_n: int = DEFAULT_PASSWORD_SCRYPT_N
    ) -> None:
        self._session = session
        self._clock = clock
        self._scrypt_n = scrypt_n  # the cost of the hashes made here (`Settings`)

    # --- the connector -------------------------------------------------------------------------

    def get(self, connection_id: str, *, lock: bool = False) -> StoredConnector | None:
        """The connection's Web Connector; `lock`: its row held until the transaction ends
        (PostgreSQL), so a call being recorded (`seen`, `refused`) is waited for and read."""
        statement = (
            prepared("web_connectors.get_locked", _one_connector_locked)
            if lock
            else prepared("web_connectors.get", _one_connector)
        )
        row = run(self._session, statement, {"w_cid": connection_id}).one_or_none()
        return None if row is None else StoredConnector(**row._mapping)

    def all(self) -> list[StoredConnector]:
        """Every Desktop connection's Web Connector (for the health sweep)."""
        return self._select()

    def _select(
        self, *conditions: ColumnElement[bool], lock: bool = False
    ) -> list[StoredConnector]:
        connector = tables.WebConnector
        query = select(*_connector_columns()).where(*conditions).order_by(connector.connection_id)
        rows = self._session.execute(query.with_for_update() if lock else query)
        return [StoredConnector(**row._mapping) for row in rows]

    def ensure(self, connection_id: str, username: str) -> StoredConnector:
        """The connection's Web Connector, made (with new OwnerID and FileID GUIDs, no password
        yet) when it has none; the GUIDs never change afterwards."""
        found = self.get(connection_id)
        if found is not None:
            return found
        self._session.execute(
            insert(tables.WebConnector).values(
                connection_id=connection_id,
                username=username,
                password_hash=None,
                owner_id="{" + str(uuid.uuid4()).upper() + "}",
                file_id="{" + str(uuid.uuid4()).upper() + "}",
                created_at=self._clock(),
            )
        )
        made = self.get(connection_id)
        assert made is not None
        return made

    def set_password(self, connection_id: str, password: str) -> bool:
        return self._update(connection_id, password_hash=hash_password(password, n=self._scrypt_n))

    def check(self, username: str, password: str) -> StoredConnector | None:
        """The connector whose user name and password these are; None otherwise (the time
        taken does not tell whether the user name exists)."""
        connector = tables.WebConnector
        row = self._session.execute(
            select(connector.connection_id, connector.password_hash).where(
                connector.username == username
            )
        ).one_or_none()
        # An unknown user name is checked against a decoy of the same cost, so that a wrong
        # name costs as long as a wrong password.
        stored = (
            row.password_hash
            if row is not None and row.password_hash
            else decoy_hash(self._scrypt_n)
        )
        matches = verify_password(password, stored)
        if row is None or not row.password_hash or not matches:
            return None
        return self.get(row.connection_id)

    def seen(self, connection_id: str) -> bool:
        return self._update(connection_id, last_seen_at=self._clock())

    def refused(self, username: str) -> StoredConnector | None:
        """A call with this user name and a wrong password: counted (one more in a row) on its
        connector, which is returned; None when no connector has the user name."""
        connector = tables.WebConnector
        now = self._clock()
        statement = (
            update(connector)
            .where(connector.username == username)
            .values(
                refusals=connector.refusals + 1,
                refused_at=now,
                last_outcome="password_refused",
                last_outcome_at=now,
            )
            .returning(connector.connection_id)
        )
        row = self._session.execute(statement, execution_options=NO_SYNC).first()
        return None if row is None else self.get(row.connection_id)

    def turned_away(self, username: str) -> StoredConnector | None:
        """A call with this user name answered "nvu" without its password checked (failed
        logins make it wait): a call all the same, not counted as a wrong password."""
        connector = tables.WebConnector
        statement = (
            update(connector)
            .where(connector.username == username)
            .values(refused_at=self._clock())
            .returning(connector.connection_id)
        )
        row = self._session.execute(statement, execution_options=NO_SYNC).first()
        return None if row is None else self.get(row.connection_id)

    def accepted(self, connection_id: str) -> bool:
        """A call whose password was right: the refusals in a row start again from 0."""
        return self._update(connection_id, refusals=0)

    def set_outcome(self, connection_id: str, outcome: str) -> bool:
        """How the last session ended (`core.web_connector.OUTCOMES`)."""
        return self._update(connection_id, last_outcome=outcome, last_outcome_at=self._clock())

    def set_company(
        self,
        connection_id: str,
        *,
        company_file: str | None,
        company_name: str | None,
        qbxml_version: str | None,
        closing_date: str | None,
    ) -> bool:
        return self._update(
            connection_id,
            company_file=company_file,
            company_name=company_name,
            qbxml_version=qbxml_version,
            closing_date=closing_date,
        )

    def forget_company(self, connection_id: str) -> bool:
        """Forget the company file the sessions recorded (starting fresh): the next session's
        file is the connection's, whatever its path; its FileID, the .qwc's, is kept (the
        Web Connector keeps its .qwc). The company's identity (`connections.Company`) changes
        with it, so a pass over the old file stores nothing more. False: no Web Connector
        (an Online connection)."""
        return self._update(connection_id, company_file=None, company_name=None, closing_date=None)

    def set_progress(self, connection_id: str, progress: int) -> bool:
        values: dict[str, Any] = {"progress": progress}
        if progress >= 100:
            values["last_done_at"] = self._clock()
        return self._update(connection_id, **values)

    def set_found(self, connection_id: str, found: Mapping[str, Any]) -> bool:
        return self._update(connection_id, found=dict(found))

    def set_error(self, connection_id: str, error: str | None) -> bool:
        """The last error the Web Connector reported (or None to clear it)."""
        return self._update(
            connection_id, last_error=error, last_error_at=self._clock() if error else None
        )

    # --- sessions -------------------------------------------------------------------------------

    def open_ticket(self, connection_id: str, ticket: str, expires_at: datetime) -> None:
        self._session.execute(
            insert(tables.WebConnectorSession).values(
                ticket_hash=sha256(ticket),
                connection_id=connection_id,
                created_at=self._clock(),
                seen_at=self._clock(),
                expires_at=expires_at,
                step=0,
                noops=0,
            )
        )

    def ticket(self, ticket: str) -> StoredTicket | None:
        """The live session of this ticket: not closed, not expired; None otherwise."""
        row = run(
            self._session,
            prepared("web_connectors.ticket", _live_ticket),
            {"w_hash": sha256(ticket), "w_now": self._clock()},
        ).one_or_none()
        return None if row is None else StoredTicket(**row._mapping)

    def held(
        self, ticket: str, connection_id: str | None = None
    ) -> tuple[StoredTicket, StoredConnector] | None:
        """The live session of this ticket and its Web Connector, the connector's row held
        until the transaction ends (PostgreSQL) and the session read again under it; None when
        there is none. The rows are taken in the order Start fresh takes them (it ends the
        connection's sessions while holding the connector): the other way round, the two
        deadlock. A Start fresh committed before the hold has ended the session: None, and the
        old company file's call writes nothing over the new one's. `connection_id`: the
        connection an earlier read of the ticket found (its first read is then skipped)."""
        if connection_id is None:
            first = self.ticket(ticket)
            if first is None:
                return None
            connection_id = first.connection_id
        connector = self.get(connection_id, lock=True)
        live = self.ticket(ticket)
        if connector is None or live is None or live.connection_id != connection_id:
            return None
        return live, connector

    def busy(self, connection_id: str, since: datetime) -> bool:
        """Whether another session of the connection is open and made a call since `since`."""
        wcs = tables.WebConnectorSession
        found = self._session.execute(
            select(wcs.ticket_hash)
            .where(
                wcs.connection_id == connection_id,
                wcs.closed_at.is_(None),
                wcs.expires_at > self._clock(),
                wcs.seen_at >= since,
            )
            .limit(1)
        ).first()
        return found is not None

    def update_ticket(self, ticket: str, **values: Any) -> bool:
        """Change the session (its `seen_at` becomes now)."""
        statement = prepared("web_connectors.update_ticket", _ticket_update)
        params = {"w_hash": sha256(ticket), "seen_at": self._clock(), **values}
        return bool(run(self._session, statement, params).rowcount)

    def close_ticket(self, ticket: str) -> bool:
        return self.update_ticket(ticket, closed_at=self._clock())

    def end_sessions(self, connection_id: str) -> int:
        """Close every open session of the connection (starting fresh: they opened the old
        company file); their tickets are then unknown, their next calls politely ended. How
        many. The expired ones are dead already (`ticket`) and left to `forget_expired`: both
        statements taking the same rows, in their own orders, deadlocked on PostgreSQL."""
        wcs = tables.WebConnectorSession
        now = self._clock()
        result = self._session.execute(
            update(wcs)
            .where(
                wcs.connection_id == connection_id,
                wcs.closed_at.is_(None),
                wcs.expires_at > now,
            )
            .values(closed_at=now),
            execution_options=NO_SYNC,
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def forget_expired(self) -> int:
        """Delete the sessions past their expiry; how many."""
        wcs = tables.WebConnectorSession
        result = self._session.execute(
            delete(wcs).where(wcs.expires_at <= self._clock()), execution_options=NO_SYNC
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def _update(self, connection_id: str, **values: Any) -> bool:
        statement = prepared("web_connectors.update", _connector_update)
        return bool(run(self._session, statement, {"w_cid": connection_id, **values}).rowcount)
