"""Intuit's webhook notifications as the tests send them: a signed legacy-format body naming
one customer change of a company (`notification`, `sign`); and the statements that mark the
named companies notified, as the database receives them (`marks_written`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["marks_written", "notification", "sign"]


def notification(realm_id: str, last_updated: str = "2025-03-01T10:00:00.000Z") -> bytes:
    """A notification that customer 1 of `realm_id` was updated at `last_updated`."""
    entity = {"name": "Customer", "id": "1", "operation": "Update", "lastUpdated": last_updated}
    event = {"realmId": realm_id, "dataChangeEvent": {"entities": [entity]}}
    return json.dumps({"eventNotifications": [event]}).encode()


def sign(body: bytes, token: str) -> str:
    """The `intuit-signature` of `body` under the app's verifier token."""
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


@contextmanager
def marks_written(engine: Engine) -> Iterator[list[str]]:
    """The statements that set `connections.notified_at`, as `engine`'s database receives
    them while the block runs."""
    marks: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE connections") and "notified_at" in statement:
            marks.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield marks
    finally:
        event.remove(engine, "before_cursor_execute", seen)
