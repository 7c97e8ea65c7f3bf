"""Events for the app (`events`), read back in id order."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import columns, prepared, run_many, table
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["Events", "StoredEvent"]

# Namespace of the PostgreSQL advisory locks that order event ids per connection.
_EVENTS_LOCK_CLASS = 0x4C42_4576  # "LBEv"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    connection_id: str
    type: str
    payload: Mapping[str, Any]
    created_at: datetime
    delivered_at: datetime | None


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
            statement = prepared("events.insert", lambda: insert(table(tables.Event)))
            run_many(self._session, statement, rows)

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
            select(*columns(event, StoredEvent))
            .where(event.connection_id == connection_id, event.id > after_id)
            .order_by(event.id)
            .limit(limit)
        )
        return [StoredEvent(**row._mapping) for row in rows]

    def undelivered(self, connection_id: str, limit: int = 100) -> list[StoredEvent]:
        """Events not yet delivered to the app's URL, oldest first."""
        event = tables.Event
        rows = self._session.execute(
            select(*columns(event, StoredEvent))
            .where(event.connection_id == connection_id, event.delivered_at.is_(None))
            .order_by(event.id)
            .limit(limit)
        )
        return [StoredEvent(**row._mapping) for row in rows]

    def awaiting_delivery(self) -> set[str]:
        """The connections whose settings name an `events_url` and that have an event not
        delivered yet, in one query (the sweep's: connections with nothing to send are not
        looked at one by one)."""
        connection, event = tables.Connection, tables.Event
        url = connection.settings["events_url"].as_string()
        pending = (
            select(event.id)
            .where(event.connection_id == connection.id, event.delivered_at.is_(None))
            .exists()
        )
        rows = self._session.execute(
            select(connection.id).where(url.is_not(None), url != "", pending)
        )
        return {str(cid) for (cid,) in rows}

    def mark_delivered(self, ids: Sequence[int]) -> None:
        if ids:
            self._session.execute(
                update(tables.Event)
                .where(tables.Event.id.in_(ids))
                .values(delivered_at=self._clock())
            )
