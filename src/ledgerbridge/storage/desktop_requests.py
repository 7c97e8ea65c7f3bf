"""The qbXML requests of a QuickBooks Desktop connection's work (`desktop_requests`).

    queued -> sent -> answered          (the Web Connector relayed it and brought the answer)
                   -> lost              (the session ended, or asked for more, without it)

The pass queues a request and waits for its answer; the Web Connector service hands the oldest
queued one to a session and keeps the answer. A key names a request for good: a write's key is
its request id, so a write asked again meets its first outcome (`get`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import NO_SYNC, columns
from ledgerbridge.storage.tables import Clock, utcnow

__all__ = ["DesktopRequests", "StoredRequest"]


@dataclass(frozen=True, slots=True)
class StoredRequest:
    connection_id: str
    key: str
    seq: int
    state: str
    document: str
    answer: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None


class DesktopRequests:
    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def get(self, connection_id: str, key: str) -> StoredRequest | None:
        t = tables.DesktopRequest
        row = self._session.execute(
            select(*columns(t, StoredRequest)).where(t.connection_id == connection_id, t.key == key)
        ).one_or_none()
        return StoredRequest(*row) if row is not None else None

    def queue(self, connection_id: str, key: str, document: str) -> None:
        t = tables.DesktopRequest
        last = self._session.execute(
            select(func.max(t.seq)).where(t.connection_id == connection_id)
        ).scalar_one_or_none()
        self._session.execute(
            insert(t).values(
                connection_id=connection_id,
                key=key,
                seq=(last or 0) + 1,
                state="queued",
                document=document,
                created_at=self._clock(),
            )
        )

    def withdraw(self, connection_id: str, key: str) -> bool:
        """A request never handed out is taken back; False when a session has it already."""
        t = tables.DesktopRequest
        result = self._session.execute(
            delete(t)
            .where(t.connection_id == connection_id, t.key == key, t.state == "queued")
            .execution_options(**NO_SYNC)
        )
        return bool(getattr(result, "rowcount", 0))

    def forget(self, connection_id: str, key: str) -> None:
        """A request whose answer is of no use again (QuickBooks refused it: nothing done)."""
        t = tables.DesktopRequest
        self._session.execute(
            delete(t)
            .where(t.connection_id == connection_id, t.key == key, t.state == "answered")
            .execution_options(**NO_SYNC)
        )

    def take_next(self, connection_id: str) -> StoredRequest | None:
        """The oldest queued request, marked sent."""
        t = tables.DesktopRequest
        for _ in range(3):  # another process may take the same one first
            key = self._session.execute(
                select(t.key)
                .where(t.connection_id == connection_id, t.state == "queued")
                .order_by(t.seq)
                .limit(1)
            ).scalar_one_or_none()
            if key is None:
                return None
            result = self._session.execute(
                update(t)
                .where(t.connection_id == connection_id, t.key == key, t.state == "queued")
                .values(state="sent", sent_at=self._clock())
                .execution_options(**NO_SYNC)
            )
            if getattr(result, "rowcount", 0):
                return self.get(connection_id, key)
        return None

    def answer(self, connection_id: str, key: str, answer: str) -> bool:
        t = tables.DesktopRequest
        result = self._session.execute(
            update(t)
            .where(t.connection_id == connection_id, t.key == key, t.state.in_(("sent", "lost")))
            .values(state="answered", answer=answer, answered_at=self._clock())
            .execution_options(**NO_SYNC)
        )
        return bool(getattr(result, "rowcount", 0))

    def lose_unanswered(self, connection_id: str, error: str | None = None) -> int:
        """Every request handed out and never answered: its answer is lost."""
        t = tables.DesktopRequest
        result = self._session.execute(
            update(t)
            .where(t.connection_id == connection_id, t.state == "sent")
            .values(state="lost", error=error)
            .execution_options(**NO_SYNC)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def has_queued(self, connection_id: str) -> bool:
        t = tables.DesktopRequest
        found = self._session.execute(
            select(t.key).where(t.connection_id == connection_id, t.state == "queued").limit(1)
        ).scalar_one_or_none()
        return found is not None

    def forget_answered(self, before: datetime) -> int:
        """Answers kept longer than a write could be asked again."""
        t = tables.DesktopRequest
        result = self._session.execute(
            delete(t)
            .where(t.state == "answered", t.answered_at < before)
            .execution_options(**NO_SYNC)
        )
        return int(getattr(result, "rowcount", 0) or 0)
