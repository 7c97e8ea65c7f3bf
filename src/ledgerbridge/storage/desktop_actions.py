"""One-click fixes of QuickBooks Desktop connections waiting for the Web Connector
(`desktop_actions`).

    the API or the dashboard      put(...)          the fix asked for, its audit entry open
    the next session's pass       waiting(cid)      the fixes to carry out, oldest first
                                  remove(...)       carried out, or refused (audit completed)

A record has at most one fix waiting; the connection's own requests (a refresh of the
QuickBooks lists, a verify) have the record type `CONNECTION` (empty) and their name as id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import columns
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
        """Keep the fix until a session carries it out (replacing one already waiting)."""
        self.remove(connection_id, record_type, record_id)
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
        self._session.execute(
            insert(tables.DesktopAction).values(
                connection_id=connection_id,
                record_type=record_type,
                record_id=record_id,
                action=action,
                params=dict(params),
                actor=actor,
                audit_id=audit_id,
                queued_at=stored.queued_at,
            )
        )
        return stored

    def get(self, connection_id: str, record_type: str, record_id: str) -> StoredAction | None:
        t = tables.DesktopAction
        row = self._session.execute(
            select(*columns(t, StoredAction)).where(
                t.connection_id == connection_id,
                t.record_type == record_type,
                t.record_id == record_id,
            )
        ).one_or_none()
        return StoredAction(*row) if row is not None else None

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
        t = tables.DesktopAction
        found = self._session.execute(
            select(t.action).where(t.connection_id == connection_id).limit(1)
        ).first()
        return found is not None

    def remove(self, connection_id: str, record_type: str, record_id: str) -> bool:
        t = tables.DesktopAction
        done = self._session.execute(
            delete(t).where(
                t.connection_id == connection_id,
                t.record_type == record_type,
                t.record_id == record_id,
            )
        )
        return bool(getattr(done, "rowcount", 0))
