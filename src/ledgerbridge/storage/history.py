"""Each record's attempts and outcomes (`history`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, insert, select
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import prepared, run, run_many, table
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["Happened", "History"]


@dataclass(frozen=True, slots=True)
class Happened:
    """One entry of `History.add_many`."""

    type: str
    app_id: str
    kind: str
    request_id: str | None = None
    detail: Mapping[str, Any] | None = None


class History:
    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def add(
        self,
        connection_id: str,
        type: str,
        app_id: str,
        kind: str,
        *,
        request_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        self.add_many(connection_id, [Happened(type, app_id, kind, request_id, detail)])

    def add_many(self, connection_id: str, entries: Iterable[Happened]) -> None:
        """Many entries, one statement."""
        now = self._clock()
        rows = [
            {
                "connection_id": connection_id,
                "type": entry.type,
                "app_id": entry.app_id,
                "kind": entry.kind,
                "request_id": entry.request_id,
                "detail": dict(entry.detail) if entry.detail else None,
                "at": now,
            }
            for entry in entries
        ]
        statement = prepared("history.insert", lambda: insert(table(tables.HistoryEntry)))
        run_many(self._session, statement, rows)

    def of(
        self, connection_id: str, type: str, app_id: str, limit: int = 100
    ) -> list[dict[str, Any]]:
        params = {"h_cid": connection_id, "h_type": type, "h_app": app_id, "h_limit": limit}
        rows = run(self._session, prepared("history.of", _of), params)
        return [
            {"at": r.at.isoformat(), "kind": r.kind, "request_id": r.request_id, "detail": r.detail}
            for r in rows
        ]


def _of() -> Select[Any]:
    """A record's entries, latest first (built once: every record view reads them)."""
    t = table(tables.HistoryEntry)
    return (
        select(t.c.at, t.c.kind, t.c.request_id, t.c.detail)
        .where(
            t.c.connection_id == bindparam("h_cid"),
            t.c.type == bindparam("h_type"),
            t.c.app_id == bindparam("h_app"),
        )
        .order_by(t.c.id.desc())
        .limit(bindparam("h_limit"))
    )
