"""What every use case of the service shares: the wiring it is handed, the transaction's sync
job and the wake-up after it, the caller's connection, and `Invalid` for a field.

Each use case is a function whose first parameter is the `Service` itself, typed as `Wiring`
(its fields are read at every call, so a test that swaps `service.wake` is heard).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ledgerbridge.core import text
from ledgerbridge.core.problems import Problem
from ledgerbridge.engine.errors import Invalid, NotFound
from ledgerbridge.engine.ports import DesktopWork, OnlineLedger
from ledgerbridge.storage.connections import Connections, StoredConnection

__all__ = [
    "Wiring",
    "check_app_id",
    "defer_sync",
    "invalid",
    "owned_connection",
    "text_field",
    "wake_after_change",
]


class Wiring(Protocol):
    """The `Service`'s fields: the engine's ports and the dispatcher's hooks."""

    @property
    def ledger(self) -> OnlineLedger: ...

    @property
    def wake(self) -> Callable[[str], None]: ...

    @property
    def wake_pull(self) -> Callable[[str], None]: ...

    @property
    def defer_in(self) -> Callable[[Session, str], object] | None: ...

    @property
    def desktop_work(self) -> DesktopWork | None: ...


def defer_sync(service: Wiring, session: Session, connection_id: str) -> None:
    """Inside the transaction of a record change: its sync job, if jobs are wired."""
    if service.defer_in is not None:
        service.defer_in(session, connection_id)


def wake_after_change(service: Wiring, connection_id: str) -> None:
    """After the commit: a wake-up. With jobs, the one deferred in the transaction may have
    been a no-op: a job already waiting holds the company's queueing lock, and that job
    may start before this change commits and find nothing due. A deferral after the commit
    closes the gap (a no-op in turn when a job still waits, which then sees the change)."""
    service.wake(connection_id)


def owned_connection(session: Any, key_id: str, connection_id: str) -> StoredConnection:
    """The connection, if the API key owns it; else NotFound."""
    found = Connections(session).get(connection_id, key_id)
    if found is None:
        raise NotFound(f"connection {connection_id}")
    return found


def invalid(field: str, message: str) -> Invalid:
    return Invalid([Problem("input.invalid", field, message)])


def text_field(field: str, value: object, *, what: str = "") -> None:
    """Invalid naming `field` when `value` is a string that is not text (`core.text`)."""
    if isinstance(value, str):
        why = text.refused(value) or text.too_large(value)
        if why is not None:
            raise invalid(field, f"{what or field} {why}")


def check_app_id(app_id: str) -> None:
    """A record id read from a path or a form: text, or Invalid naming `id` (the grammar is
    asked only where an id enters, so a record stored before it stays reachable)."""
    text_field("id", app_id, what="the record id")
