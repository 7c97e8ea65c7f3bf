"""The audit log (`audit`): who did what, when, to which record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import columns
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["Audit", "StoredAudit"]


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

    def complete(self, entry_id: int, after: Mapping[str, Any], *, again: bool = False) -> None:
        """What the action left behind; an entry already completed keeps its first answer,
        unless `again` (a Desktop fix replaced while a session carried it out: what it did
        is truer than "replaced")."""
        t = tables.AuditEntry
        found = update(t).where(t.id == entry_id)
        if not again:
            found = found.where(t.after.is_(None))
        self._session.execute(found.values(after=dict(after)))

    def get(self, entry_id: int) -> StoredAudit | None:
        t = tables.AuditEntry
        row = self._session.execute(
            select(*columns(t, StoredAudit)).where(t.id == entry_id)
        ).one_or_none()
        return StoredAudit(**row._mapping) if row is not None else None

    def of(
        self,
        connection_id: str,
        *,
        record_type: str | None = None,
        record_id: str | None = None,
        limit: int = 200,
    ) -> list[StoredAudit]:
        t = tables.AuditEntry
        query = select(*columns(t, StoredAudit)).where(t.connection_id == connection_id)
        if record_type is not None:
            query = query.where(t.record_type == record_type)
        if record_id is not None:
            query = query.where(t.record_id == record_id)
        rows = self._session.execute(query.order_by(t.id.desc()).limit(limit))
        return [StoredAudit(**row._mapping) for row in rows]
