"""One-click fixes of QuickBooks Desktop connections waiting for the Web Connector
(`desktop_actions`).

    the API or the dashboard      put(...)          the fix asked for, its audit entry open
                                                    (one it replaces: audit completed "replaced")
    the next session's pass       waiting(cid)      the fixes to carry out, oldest first
                                  current(fix)      whether that fix still waits (not replaced)
                                  remove_fix(fix)   carried out, or refused: in the transaction
                                                    that completes its audit entry
    Start fresh                   withdraw_all(cid) every fix still waiting, its audit entry
                                                    completed "withdrawn"

A fix is removed as read (its key, queued_at and audit entry): one a person asked again while
a session worked on the older one stays, and is carried out in its turn.

A record has at most one fix waiting; the connection's own requests (a refresh of the
QuickBooks lists, a verify) have the record type `CONNECTION` (empty) and their name as id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import columns, prepared, run, table
from ledgerbridge.storage.audit import Audit
from ledgerbridge.storage.connections import Connections
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["CONNECTION", "DesktopActions", "StoredAction"]

CONNECTION: Final = ""
"""The record type of a request about the whole connection."""


@dataclass(frozen=True, slots=True)
class StoredAction:
    connection_id: str
    record_type: str
    record_id: str
    action: str
    params: Mapping[str, Any]
    actor: str
    audit_id: int | None
    queued_at: datetime


class DesktopActions:
    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def put(
        self,
        connection_id: str,
        record_type: str,
        record_id: str,
        action: str,
        params: Mapping[str, Any],
        actor: str,
        audit_id: int | None,
    ) -> StoredAction:
        """Keep the fix until a session carries it out, replacing one already waiting (its
        audit entry completed as replaced). Two processes asking a fix for the same record at
        once both succeed, the later one kept: the connection's row is held first (PostgreSQL;
        SQLite's write transactions are one at a time), so the later reads the earlier's fix
        even when none waited before, and completes its audit entry."""
        Connections(self._session).lock(connection_id)
        replaced = self.get(connection_id, record_type, record_id)
        stored = StoredAction(
            connection_id,
            record_type,
            record_id,
            action,
            dict(params),
            actor,
            audit_id,
            self._clock(),
        )
        t = tables.DesktopAction
        dialect = self._session.get_bind().dialect.name
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        added = make(t).values(
            connection_id=connection_id,
            record_type=record_type,
            record_id=record_id,
            action=action,
            params=dict(params),
            actor=actor,
            audit_id=audit_id,
            queued_at=stored.queued_at,
        )
        self._session.execute(
            added.on_conflict_do_update(
                index_elements=[t.connection_id, t.record_type, t.record_id],
                set_={
                    "action": added.excluded.action,
                    "params": added.excluded.params,
                    "actor": added.excluded.actor,
                    "audit_id": added.excluded.audit_id,
                    "queued_at": added.excluded.queued_at,
                },
            )
        )
        if replaced is not None and replaced.audit_id not in (None, audit_id):
            Audit(self._session, clock=self._clock).complete(
                replaced.audit_id,
                {
                    "params": dict(replaced.params),
                    "replaced": "asked again before the Web Connector carried it out",
                    "replaced_by": audit_id,
                },
            )
        return stored

    def get(
        self, connection_id: str, record_type: str, record_id: str, *, lock: bool = False
    ) -> StoredAction | None:
        statement = (
            prepared("desktop_actions.get_locked", lambda: _one().with_for_update())
            if lock
            else prepared("desktop_actions.get", _one)
        )
        params = {"a_cid": connection_id, "a_type": record_type, "a_id": record_id}
        row = run(self._session, statement, params).one_or_none()
        return StoredAction(**row._mapping) if row is not None else None

    def waiting(self, connection_id: str) -> list[StoredAction]:
        """The connection's fixes waiting, oldest first."""
        t = tables.DesktopAction
        rows = self._session.execute(
            select(*columns(t, StoredAction))
            .where(t.connection_id == connection_id)
            .order_by(t.queued_at, t.record_type, t.record_id)
        ).all()
        return [StoredAction(*row) for row in rows]

    def any_waiting(self, connection_id: str) -> bool:
        statement = prepared("desktop_actions.any_waiting", _any)
        return run(self._session, statement, {"a_cid": connection_id}).first() is not None

    def current(self, fix: StoredAction) -> bool:
        """Whether `fix`, as read, still waits (not carried out, nor replaced by a newer one)."""
        found = self.get(fix.connection_id, fix.record_type, fix.record_id)
        return found is not None and _same(found, fix)

    def withdraw_all(self, connection_id: str) -> list[StoredAction]:
        """Every fix of the connection still waiting is taken back, its audit entry completed
        as withdrawn (starting fresh: a fix was asked of the old company file, its ListIDs
        and names; carried out in the next file, a Link or a Reactivate would act on whatever
        that file has under the same id). The caller holds the connection's row, as `put`
        does: a fix asked at the same moment is either withdrawn here or asked after."""
        found = self.waiting(connection_id)
        t = tables.DesktopAction
        self._session.execute(delete(t).where(t.connection_id == connection_id))
        audit = Audit(self._session, clock=self._clock)
        for fix in found:
            if fix.audit_id is not None:
                audit.complete(
                    fix.audit_id,
                    {
                        "params": dict(fix.params),
                        "withdrawn": "the connection started fresh before the Web Connector "
                        "carried it out",
                    },
                )
        return found

    def remove_fix(self, fix: StoredAction) -> bool:
        """Remove `fix` as read; False when it no longer waits (a newer one replaced it, which
        stays)."""
        t = tables.DesktopAction
        done = self._session.execute(
            delete(t).where(
                t.connection_id == fix.connection_id,
                t.record_type == fix.record_type,
                t.record_id == fix.record_id,
                t.queued_at == fix.queued_at,
                t.action == fix.action,
                t.audit_id.is_(None) if fix.audit_id is None else t.audit_id == fix.audit_id,
            )
        )
        return bool(getattr(done, "rowcount", 0))


def _same(found: StoredAction, fix: StoredAction) -> bool:
    return (found.queued_at, found.action, found.audit_id) == (
        fix.queued_at,
        fix.action,
        fix.audit_id,
    )


# What each Web Connector session and each record's page read (built once: `_sql.prepared`).


def _one() -> Select[Any]:
    t = table(tables.DesktopAction)
    return select(*(t.c[f.name] for f in fields(StoredAction))).where(
        t.c.connection_id == bindparam("a_cid"),
        t.c.record_type == bindparam("a_type"),
        t.c.record_id == bindparam("a_id"),
    )


def _any() -> Select[Any]:
    t = table(tables.DesktopAction)
    return select(t.c.action).where(t.c.connection_id == bindparam("a_cid")).limit(1)
