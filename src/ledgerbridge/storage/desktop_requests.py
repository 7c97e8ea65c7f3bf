"""The qbXML requests of a QuickBooks Desktop connection's work (`desktop_requests`).

    queued -> sent -> answered          (the Web Connector relayed it and brought the answer)
                   -> lost              (the session ended, or asked for more, without it)

The pass queues a request and waits for its answer; the Web Connector service hands the oldest
queued one to a session and keeps the answer. A key names a request for good: a write's key is
its request id, so a write asked again meets its first outcome (`get`).

Every exchange runs the same few statements (queue, look, hand out, answer), from the pass and
the Web Connector's calls alike: they are built once per process (`_sql.prepared`) and run as
Core statements.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import NO_SYNC, prepared, run, table
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


def _all_columns() -> list[Any]:
    t = table(tables.DesktopRequest)
    return [t.c[f.name] for f in fields(StoredRequest)]


def _one() -> Select[Any]:
    t = table(tables.DesktopRequest)
    return select(*_all_columns()).where(
        t.c.connection_id == bindparam("w_cid"), t.c.key == bindparam("w_key")
    )


def _last_seq() -> Select[Any]:
    t = table(tables.DesktopRequest)
    return select(func.max(t.c.seq)).where(t.c.connection_id == bindparam("w_cid"))


def _insert() -> Insert:
    return insert(table(tables.DesktopRequest))


def _first_queued() -> Select[Any]:
    t = table(tables.DesktopRequest)
    return (
        select(t.c.key)
        .where(t.c.connection_id == bindparam("w_cid"), t.c.state == "queued")
        .order_by(t.c.seq)
        .limit(1)
    )


def _hand_out() -> Update:
    """The queued request marked sent, returned as it is now (a row, or none when another
    process took it first)."""
    t = table(tables.DesktopRequest)
    return (
        update(t)
        .where(
            t.c.connection_id == bindparam("w_cid"),
            t.c.key == bindparam("w_key"),
            t.c.state == "queued",
        )
        .values(state="sent", sent_at=bindparam("w_at"))
        .returning(*_all_columns())
    )


def _answer() -> Update:
    t = table(tables.DesktopRequest)
    return (
        update(t)
        .where(
            t.c.connection_id == bindparam("w_cid"),
            t.c.key == bindparam("w_key"),
            t.c.state.in_(("sent", "lost")),
        )
        .values(state="answered", answer=bindparam("w_answer"), answered_at=bindparam("w_at"))
    )


def _lose() -> Update:
    t = table(tables.DesktopRequest)
    return (
        update(t)
        .where(t.c.connection_id == bindparam("w_cid"), t.c.state == "sent")
        .values(state="lost", error=bindparam("w_error"))
    )


def _withdraw() -> Delete:
    t = table(tables.DesktopRequest)
    return delete(t).where(
        t.c.connection_id == bindparam("w_cid"),
        t.c.key == bindparam("w_key"),
        t.c.state == "queued",
    )


class DesktopRequests:
    def __init__(self, session: Session, *, clock: Clock = utcnow) -> None:
        self._session = session
        self._clock = clock

    def get(self, connection_id: str, key: str) -> StoredRequest | None:
        params = {"w_cid": connection_id, "w_key": key}
        row = run(self._session, prepared("desktop_requests.get", _one), params).one_or_none()
        return StoredRequest(**row._mapping) if row is not None else None

    def queue(self, connection_id: str, key: str, document: str) -> None:
        last = run(
            self._session,
            prepared("desktop_requests.last_seq", _last_seq),
            {"w_cid": connection_id},
        ).scalar_one_or_none()
        run(
            self._session,
            prepared("desktop_requests.insert", _insert),
            {
                "connection_id": connection_id,
                "key": key,
                "seq": (last or 0) + 1,
                "state": "queued",
                "document": document,
                "created_at": self._clock(),
            },
        )

    def withdraw(self, connection_id: str, key: str) -> bool:
        """A request never handed out is taken back; False when a session has it already."""
        params = {"w_cid": connection_id, "w_key": key}
        return bool(
            run(self._session, prepared("desktop_requests.withdraw", _withdraw), params).rowcount
        )

    def withdraw_all(self, connection_id: str) -> int:
        """Every request of the connection no session has taken yet is taken back (starting
        fresh: a write built for the old company file must not be handed to a session that
        opens the new one; the pass waiting for it stops as for any withdrawn request)."""
        t = tables.DesktopRequest
        result = self._session.execute(
            delete(t)
            .where(t.connection_id == connection_id, t.state == "queued")
            .execution_options(**NO_SYNC)
        )
        return int(getattr(result, "rowcount", 0) or 0)

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
        first = prepared("desktop_requests.first_queued", _first_queued)
        hand_out = prepared("desktop_requests.hand_out", _hand_out)
        for _ in range(3):  # another process may take the same one first
            key = run(self._session, first, {"w_cid": connection_id}).scalar_one_or_none()
            if key is None:
                return None
            params = {"w_cid": connection_id, "w_key": key, "w_at": self._clock()}
            row = run(self._session, hand_out, params).one_or_none()
            if row is not None:
                return StoredRequest(**row._mapping)
        return None

    def answer(self, connection_id: str, key: str, answer: str) -> bool:
        params = {"w_cid": connection_id, "w_key": key, "w_answer": answer, "w_at": self._clock()}
        return bool(
            run(self._session, prepared("desktop_requests.answer", _answer), params).rowcount
        )

    def lose_unanswered(self, connection_id: str, error: str | None = None) -> int:
        """Every request handed out and never answered: its answer is lost."""
        params = {"w_cid": connection_id, "w_error": error}
        return int(run(self._session, prepared("desktop_requests.lose", _lose), params).rowcount)

    def has_queued(self, connection_id: str) -> bool:
        statement = prepared("desktop_requests.first_queued", _first_queued)
        return run(self._session, statement, {"w_cid": connection_id}).first() is not None

    def forget_answered(self, before: datetime) -> int:
        """Answers kept longer than a write could be asked again."""
        t = tables.DesktopRequest
        result = self._session.execute(
            delete(t)
            .where(t.state == "answered", t.answered_at < before)
            .execution_options(**NO_SYNC)
        )
        return int(getattr(result, "rowcount", 0) or 0)
